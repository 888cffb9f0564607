"""Question understanding: the shape from labelled examples, focus terms by rarity, spelling,
sources asked about by the form of the question."""

from __future__ import annotations

import pytest

from qa.answering.spelling import respell
from qa.answering.understand import (
    ShapeClassifier,
    asked_sources,
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


RESPELL_WEIGHTS = {"russia": 3.0, "ukrain": 3.0, "war": 1.0, "pull": 2.0, "appl": 1.0, "watch": 1.5, "suddenli": 2.0,
                   "connor": 7.0, "mile": 4.0, "win": 1.0, "protect": 3.0, "altman": 5.0, "fire": 2.0}
EVIDENCE = ["Russia's war in Ukraine could get harder in 2024, analysts said.",
            "Apple pulled the Watch from its stores after the ruling. Sales fell suddenly.",
            "OpenAI fired Sam Altman; Altman's return came days later."]
VOCABULARY = frozenset({"suddenly", "mile", "pulling", "about", "summarize", "project", "protect", "fall", "near"})


def respelt(text: str) -> str:
    def known(tokens: set[str]) -> dict[str, float]:
        return {t: RESPELL_WEIGHTS[t] for t in tokens if t in RESPELL_WEIGHTS}

    return respell(text, EVIDENCE, known, VOCABULARY, ["The Verge"], unseen=10.0)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("why could ukraines war against russoa get harder", "why could ukraines war against russia get harder"),
        ("why is apple pullig the watch", "why is apple pulling the watch"),  # its stem is the evidence's "pulled"
        ("what did altmns board say", "what did altman board say"),  # a possessive without its apostrophe
        ("how did the vrege cover it", "how did the verge cover it"),  # an outlet carried
        ("sumvmarize the war abosut russia", "summarize the war about russia"),  # request and function words
        ("why did sales fall suddeqnly", "why did sales fall suddenly"),  # common language, seven letters or more
    ],
)
def test_a_typo_is_respelt_from_the_evidence(typed: str, meant: str) -> None:
    assert respelt(typed) == meant


@pytest.mark.parametrize(
    "typed",
    [
        "did milei win the runoff",  # a name the corpus lacks stays, one edit from "mile" or not
        "what is the project number",  # a word the corpus lacks is not turned into one it has ("protect")
        "whats going on near grindavik",
    ],
)
def test_a_word_with_no_neighbour_in_the_evidence_stays(typed: str) -> None:
    assert respelt(typed) == typed


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
        ("Which player, after an offer in Vermont and the CBSSports.com report, …?", ["CBSSports.com"]),
        ("what was in the bbc and guardian coverage of the verdict", ["bbc", "guardian"]),
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
