"""What each shape's prompt asks for (which shape a question gets: tests/test_understand.py)."""

from __future__ import annotations

from qa.answering.prompt import build_prompt, make_passages, system_prompt
from qa.answering.shapes import SHAPE_NAMES
from qa.types import Hit


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
