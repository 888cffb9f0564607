"""Citation parsing and verification: supported, re-attributed, unsupported."""

from __future__ import annotations

import pytest

from qa.cite import is_grounded, parse_claims, render, strip_markers, verify_claims
from qa.prompt import build_prompt, make_passages
from qa.types import Hit

BODY_A = (
    "Azerbaijan began an operation on Tuesday. At least 27 people have been killed in Karabakh and "
    "200 wounded, they said. Residents of some villages have been evacuated."
)
BODY_B = "Quimperle Bank shares rose 12 percent on Tuesday after merger talk. Analysts welcomed the deal."


def _hit(chunk_id: int, text: str, offset: int = 100, source: str = "Reuters") -> Hit:
    return Hit(chunk_id, f"art{chunk_id}", 0, offset, offset + len(text), text, 1.0, f"Title {chunk_id}", source,
               f"https://example.org/{chunk_id}", "2023-09-20")


@pytest.fixture
def passages():
    return make_passages("How many people were killed in Karabakh?", [_hit(1, BODY_A), _hit(2, BODY_B, 40)])


def test_markers_are_read_per_sentence() -> None:
    claims = parse_claims("27. At least 27 people were killed [1]. Shares rose [2][1]. Nothing here [1, 2].")
    assert [c.cited for c in claims] == [(), (1,), (2, 1), (1, 2)]
    assert claims[1].text == "At least 27 people were killed."
    assert strip_markers("Yes [1]. It did [2].") == "Yes. It did."


def test_supported_claim_quotes_the_exact_sentence_with_its_article_span(passages) -> None:
    verified = verify_claims(parse_claims("27 people were killed in Karabakh and 200 wounded [1]."), passages, None)
    text, citations = render(verified, passages)
    assert text == "27 people were killed in Karabakh and 200 wounded [1]."
    (citation,) = citations
    assert citation.supported and citation.n == 1
    assert citation.quote == "At least 27 people have been killed in Karabakh and 200 wounded, they said."
    # The span is article-absolute: the chunk starts at offset 100 of its article.
    assert BODY_A[citation.start - 100 : citation.end - 100] == citation.quote


def test_wrong_citation_is_moved_to_the_supporting_passage(passages) -> None:
    verified = verify_claims(parse_claims("Quimperle Bank shares rose 12 percent after merger talk [1]."), passages, None)
    assert verified[0].reattributed and verified[0].n == 2
    text, citations = render(verified, passages)
    assert text.endswith("[2].") and [c.n for c in citations] == [2]
    assert citations[0].quote.startswith("Quimperle Bank shares rose 12 percent")


def test_claim_no_passage_supports_is_marked_unsupported(passages) -> None:
    verified = verify_claims(parse_claims("The glacier lost a fifth of its ice since 1990 [1]."), passages, None)
    assert not verified[0].supported
    _, citations = render(verified, passages)
    assert [c.supported for c in citations] == [False]


def test_semantic_similarity_can_support_a_paraphrase(passages) -> None:
    claim = parse_claims("Two dozen fatalities were reported in the region [1].")
    assert not verify_claims(claim, passages, None)[0].supported  # no shared words to go on
    import numpy as np

    def encode(texts: list[str]) -> np.ndarray:  # claim and the casualty sentence point the same way
        return np.array([[1.0, 0.0] if ("fatalities" in t or "27 people" in t) else [0.0, 1.0] for t in texts])

    assert verify_claims(claim, passages, encode)[0].supported


def test_short_direct_answer_keeps_its_citation(passages) -> None:
    verified = verify_claims(parse_claims("27 [1]. At least 27 people have been killed in Karabakh [1]."), passages, None)
    text, citations = render(verified, passages)
    assert text.startswith("27 [1].") and citations[0].supported


def test_passages_keep_the_relevant_sentences_within_the_limit() -> None:
    filler = " ".join(f"Filler sentence number {i} about nothing." for i in range(30))
    hit = _hit(3, filler + " " + BODY_A, 0)
    (passage,) = make_passages("How many people were killed in Karabakh?", [hit], max_chars=200)
    assert "At least 27 people have been killed" in passage.text and len(passage.text) <= 200
    messages = build_prompt("How many?", [passage])
    assert messages[0]["role"] == "system" and "[1] Title 3 (Reuters, 2023-09-20)" in messages[-1]["content"]


def test_short_answer_quotes_the_sentence_that_contains_it(passages) -> None:
    verified = verify_claims(parse_claims("27 [2]."), passages, None, "How many people were killed in Karabakh?")
    _, citations = render(verified, passages)
    (citation,) = citations
    assert citation.n == 1 and citation.supported  # moved from [2], which has no "27"
    assert citation.quote == "At least 27 people have been killed in Karabakh and 200 wounded, they said."
    missing = verify_claims(parse_claims("42 [1]."), passages, None, "How many?")
    assert not missing[0].supported


@pytest.mark.parametrize(
    ("short", "grounded"),
    [
        ("Sam Bankman-Fried", True),  # in the passage
        ("Bankman-Fried", True),
        ("Sam Altman", False),  # a name the passage never mentions
        ("Altman Bankman", True),  # half of the words is enough for a longer answer
        ("Tokyo", False),
        ("J", False),  # a lone letter cannot be traced to any text
        ("A", False),  # even one that is also a word ("a") in every passage
        ("T. S.", False),
        ("3", True),  # a number is a word of the passage
        ("7", False),
        ("Larger", True),  # taken from the question
        ("Yes", True),  # yes/no are left to the citation checks
        ("", True),
    ],
)
def test_short_answer_must_come_from_the_passages_or_the_question(short: str, grounded: bool) -> None:
    sources = ["Prosecutors said Bankman-Fried misled investors.", "Shares fell 3% in Oslo."]
    assert is_grounded(short, sources, "Was the fund larger or smaller after the trial?") is grounded
