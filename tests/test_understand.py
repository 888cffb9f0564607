"""Question understanding: the shape from labelled examples, focus terms by rarity, spelling,
sources asked about by the form of the question."""

from __future__ import annotations

import pytest

from qa.answering.understand import (
    ShapeClassifier,
    asked_sources,
    correct_spelling,
    focus_terms,
    missing_sources,
    request_words,
)
from qa.index.keyword import tokenize

OUTLETS = ["TechCrunch", "The Verge", "Reuters", "Fortune", "The Guardian", "The Independent - Life and Style"]


@pytest.fixture(scope="module")
def classifier(embedder) -> ShapeClassifier:  # noqa: ANN001
    return ShapeClassifier(embedder)


# Casual phrasings of every shape, none of them in the labelled examples; the opening words do not
# decide ("can you …" is a timeline, a fact and a summary below).
@pytest.mark.parametrize(
    ("question", "outlets_named", "shape"),
    [
        ("can you lay out the sam altman openai firing saga day by day", 0, "timeline"),
        ("ftx collapse timeline?", 0, "timeline"),
        ("how did the whole karabakh thing unfold over the week", 0, "timeline"),
        ("whats happening in nagorno-karabakh", 0, "summary"),
        ("catch me up on the cop28 talks", 0, "summary"),
        ("any news on the writers strike", 0, "summary"),
        ("can you tell me who replaced altman as ceo", 0, "fact"),
        ("did the minnesota wild just fire their coach?", 0, "fact"),
        ("how many ppl were killed in the attack", 0, "fact"),
        ("cybertruck price?", 0, "fact"),
        ("why did the board fire altman", 0, "explain"),
        ("whats behind the drop in bond yields", 0, "explain"),
        ("what did blinken tell aliyev", 0, "quote"),
        ("how did the union react to the deal", 0, "quote"),
        ("compare how the guardian and the independent covered the memoir", 2, "compare"),
        ("techcrunch vs the verge on the altman firing", 2, "compare"),
        ("Did TechCrunch and The Verge both report the firing?", 2, "fact"),  # yes/no wants a yes or a no
    ],
)
def test_casual_phrasings_get_their_shape(classifier: ShapeClassifier, question: str, outlets_named: int, shape: str) -> None:
    assert classifier.classify(question, outlets_named) == shape


def test_a_comparison_needs_two_outlets(classifier: ShapeClassifier) -> None:
    assert classifier.classify("how did the outlets cover the memoir", 0) != "compare"


WEIGHTS = {"argentina": 6.0, "presidenti": 4.0, "runoff": 7.5, "won": 1.5, "presid": 2.0, "announc": 1.0}


def weights(tokens: set[str]) -> dict[str, float]:
    return {t: WEIGHTS[t] for t in tokens if t in WEIGHTS}


def test_focus_is_weighted_by_rarity_and_leaves_out_request_words() -> None:
    focus = dict(focus_terms("who won argentinas presidential runoff? summary pls", weights))
    assert focus["runoff"] == 7.5 and focus["won"] == 1.5
    assert not {"summari", "pls"} & set(focus)
    assert list(focus)[0] == "runoff"  # rarest first


def test_a_word_no_article_holds_weighs_most_unless_it_is_common_language() -> None:
    focus = dict(focus_terms("did milei win the runoff", weights, common=frozenset({"win"})))
    assert focus["milei"] > max(WEIGHTS.values())
    assert "win" not in focus  # ordinary language the corpus happens not to use says little


def test_named_outlets_are_not_focus() -> None:
    focus = dict(focus_terms("what did reuters say about the runoff", weights, exclude=["Reuters"]))
    assert "reuter" not in focus and "runoff" in focus


def test_request_words_are_stemmed_like_the_index() -> None:
    assert set(tokenize(["timeline summarize happening"])[0]) <= request_words()


def test_spelling_is_corrected_against_the_corpus_vocabulary() -> None:
    assert correct_spelling("who was the presidnet that anounced it", weights) == "who was the president that announced it"
    assert correct_spelling("did milei win", weights) == "did milei win"  # short names are left alone


@pytest.mark.parametrize(
    ("question", "sources"),
    [
        ("what has al jazeera been reporting about gaza", ["al jazeera"]),
        ("how did bloomberg cover the fed decision", ["bloomberg"]),
        ("according to the BBC's report, how many died?", ["BBC"]),
        ("what did the guardian report on the memoir", ["guardian"]),
        ("what did blinken tell aliyev", []),
        ("according to the Armenians in Karabakh, how many people had been killed?", []),
        ("what has he been saying about it", []),
        ("Considering the information from a Bloomberg article on Sudan", ["Bloomberg"]),
        ("Does the Polygon article suggest it is based on shared stories?", []),
        ("Who, as reported by The Verge and in contrast to the prosecution in a Fortune report, …?", []),  # no junk name
    ],
)
def test_sources_are_read_from_the_form_of_the_question(question: str, sources: list[str]) -> None:
    assert [s.lower() for s in asked_sources(question)] == [s.lower() for s in sources]


@pytest.mark.parametrize(
    ("question", "speakers"),
    [
        ("tell me what der spiegel said about the eu ai act deal", ["der spiegel"]),
        ("bleacher report reaction to ohtani signing with the dodgers?", ["bleacher report"]),
        ("What did Apple's Eddy Cue say about Google at the antitrust trial?", ["Apple's Eddy Cue"]),
        ("any response from the ministry?", ["ministry"]),
        ("what did he say about it", []),
        ("what happened at the summit", []),
        ("Which company did TechCrunch say was fined?", []),
    ],
)
def test_whose_words_are_asked_for_is_read_from_the_form(question: str, speakers: list[str]) -> None:
    from qa.answering.understand import asked_speakers

    assert [s.lower() for s in asked_speakers(question)] == [s.lower() for s in speakers]


def test_a_source_the_corpus_carries_is_not_missing() -> None:
    assert missing_sources("what did the guardian report on the memoir", OUTLETS) == []
    assert missing_sources("what has al jazeera been reporting about gaza", OUTLETS) == ["al jazeera"]
