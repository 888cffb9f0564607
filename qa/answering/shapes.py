"""The answer shapes — a fact, an explanation, a quote, a summary, a timeline or a comparison of
outlets — and the budget each needs. Which one a question asks for is `qa.answering.understand`'s."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    """How one kind of question is answered: the passages it gets (k, characters each), the reply
    length, and whether the reply leads with a short answer ("Answer: …")."""

    name: str
    k: int
    passage_chars: int
    max_tokens: int
    short_answer: bool = False
    per_article: int = 3  # passages one article may contribute
    by_date: bool = False  # passages shown oldest first
    claims: int = 0  # a longer answer with fewer verified claims is completed from the passages up to this


FACT = Shape("fact", k=4, passage_chars=400, max_tokens=160, short_answer=True)
EXPLAIN = Shape("explain", k=5, passage_chars=400, max_tokens=200, per_article=2, claims=3)
SUMMARY = Shape("summary", k=6, passage_chars=350, max_tokens=280, claims=6)
TIMELINE = Shape("timeline", k=6, passage_chars=350, max_tokens=280, per_article=2, by_date=True, claims=6)
COMPARE = Shape("compare", k=6, passage_chars=350, max_tokens=280, per_article=2, claims=4)
QUOTE = Shape("quote", k=5, passage_chars=400, max_tokens=200, per_article=2, claims=3)
SHAPES = {s.name: s for s in (FACT, EXPLAIN, QUOTE, SUMMARY, TIMELINE, COMPARE)}
SHAPE_NAMES = tuple(SHAPES)
