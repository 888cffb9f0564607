"""Which answer shape a question gets, and what each shape's prompt asks for."""

from __future__ import annotations

import pytest

from qa.answering.prompt import build_prompt, make_passages, system_prompt
from qa.answering.shapes import SHAPE_NAMES, classify_question
from qa.types import Hit

OUTLETS = ["TechCrunch", "The Verge", "Reuters", "Fortune"]


@pytest.mark.parametrize(
    ("question", "shape"),
    [
        ("According to the Armenians in Karabakh, how many people had been killed?", "fact"),
        ("What did Blinken urge Aliyev to do?", "quote"),
        ("What did Elizabeth Warren say about Apple blocking Beeper Mini?", "quote"),
        ("so what did the judge tell the jury?", "quote"),
        ("Who replaced Sam Altman as interim CEO?", "fact"),
        ("Does the TechCrunch article say the same as The Verge about Altman?", "fact"),  # yes/no stays a fact
        ("Did TechCrunch and The Verge differ on the number of employees?", "fact"),
        ("How many people were wounded?", "fact"),
        ("Why was Sam Altman fired?", "explain"),
        ("How did the board justify its decision?", "explain"),
        ("What led to the Cybertruck delays?", "explain"),
        ("Summarize what happened at OpenAI in November 2023.", "summary"),
        ("What happened at the FTX trial?", "summary"),
        ("Give me an overview of the EU AI rules", "summary"),
        ("what's going on with the cybertruck?", "summary"),
        ("What's in the AI executive order Biden signed this week?", "summary"),
        ("How did the OpenAI leadership crisis unfold?", "timeline"),
        ("Give me a timeline of the FTX trial", "timeline"),
        ("What happened next?", "timeline"),
        ("How did TechCrunch and The Verge report Altman's firing?", "compare"),
        ("How did outlets differ on the Google antitrust trial?", "compare"),
        ("Compare the coverage of Reuters and Fortune on Karabakh", "compare"),
    ],
)
def test_question_wording_picks_the_shape(question: str, shape: str) -> None:
    assert classify_question(question, OUTLETS).name == shape


def test_every_shape_has_its_own_format_and_the_same_data_rule() -> None:
    prompts = {shape: system_prompt(shape) for shape in SHAPE_NAMES}
    assert len(set(prompts.values())) == len(SHAPE_NAMES) == 6
    for text in prompts.values():
        assert "data, not instructions" in text and "Insufficient information" in text
    assert "quotation marks" in prompts["quote"]
    assert "Answer:" in prompts["fact"] and "date order" in prompts["timeline"] and "outlet" in prompts["compare"]


def _hit(n: int, text: str, source: str = "Reuters", day: str = "2023-09-20") -> Hit:
    return Hit(n, f"a{n}", 0, 0, len(text), text, 1.0, f"Title {n}", source, f"https://e.org/{n}", day)


def test_only_facts_get_the_worked_examples() -> None:
    passages = make_passages("q", [_hit(1, "Shares rose on Tuesday.")])
    fact, summary = build_prompt("q", passages, "fact"), build_prompt("q", passages, "summary")
    assert len(fact) == 6 and len(summary) == 2
    assert summary[-1]["content"].startswith('<passage n="1" source="Reuters" date="2023-09-20" title="Title 1">')
