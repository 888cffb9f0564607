"""What kind of answer does a question want? A fact, an explanation, a summary, a timeline or a
comparison of outlets — read from the question's wording, with the budget each shape needs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.retrieval.query import find_outlets, outlet_aliases


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

_OPEN = r"^(?:(?:so|and|ok|okay|please|now|can you|could you|would you)[, ]+)*"
_TIMELINE = re.compile(
    _OPEN + r"(?:(?:give|show|make|provide|list|walk me through|what (?:is|was|were|are)|what's)\s+(?:me\s+)?(?:an?\s+|the\s+)?"
    r"(?:time ?line|chronolog\w*|sequence of events|order of events)|(?:time ?line|chronolog\w*)\b|"
    r"how (?:did|has|have|do|does) .{3,80}? (?:develop|unfold|evolve|progress|play out|change|escalate)(?:ed|d)?\b|"
    r"what happened (?:next|after that|then)\b)",
    re.IGNORECASE,
)
_COMPARE_ASK = re.compile(
    _OPEN + r"(?:how|in what ways?|compare|contrast|what (?:are|were) the differences|what(?:'s| is) the difference|"
    r"where do|what did .{2,60}? and .{2,60}? (?:say|report|write))\b",
    re.IGNORECASE,
)
_OUTLETS_WORD = re.compile(r"\b(?:outlets|sources|publications|media|coverage|newspapers|sites)\b", re.IGNORECASE)
_SUMMARY = re.compile(
    _OPEN + r"(?:summari[sz]e|sum up|give (?:me )?(?:an? |the )?(?:overview|summary|recap|rundown|brief|run-down)|recap|"
    r"(?:an? |the )?(?:overview|summary|recap|rundown) of|tell me (?:about|what happened)|catch me up|brief me|fill me in|"
    r"what(?:'s| is| was| has been) (?:going on|happening|the latest|new)|what happened|"
    r"what(?:'s| is) the (?:story|situation|news|latest)|what do (?:we|you) know about|any news|"
    r"what(?:'s| is| was| are| were) (?:in|inside) (?:the|a|an|this|that|his|her|their|its)\b)\b",
    re.IGNORECASE,
)
_EXPLAIN = re.compile(
    _OPEN + r"(?:why|how come|explain|what (?:caused|led to|drove|is behind|was behind|are the reasons|were the reasons|"
    r"is the reason|was the reason|made)|how (?!many\b|much\b|long\b|old\b|often\b|far\b|big\b|large\b|tall\b|high\b|fast\b)"
    r"(?:do|does|did|is|are|was|were|can|could|will|would|has|have|had)\b)",
    re.IGNORECASE,
)
_QUOTE = re.compile(
    _OPEN + r"(?:what|how) (?:did|does|do|has|have|had) .{2,80}? (?:say|tell|post|write|argue|claim|warn|urge|"
    r"respond|react|testify|announce)\b",
    re.IGNORECASE,
)
_YES_NO = re.compile(r"^(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b", re.IGNORECASE)


def classify_question(question: str, outlets: list[str] | None = None) -> Shape:
    """The shape a question asks for, from how it opens. Yes/no questions are facts whatever else
    they say; a "how did A and B …" question naming two or more outlets is a comparison; "what did
    X say/urge/post …" reports what someone said."""
    text = question.strip()
    if _YES_NO.match(text):
        return FACT
    if _TIMELINE.match(text):
        return TIMELINE
    named = find_outlets(text, outlet_aliases(outlets)) if outlets else ()
    if _COMPARE_ASK.match(text) and (len(named) >= 2 or _OUTLETS_WORD.search(text) and re.search(r"\bdiffer|compar|contrast", text, re.I)):
        return COMPARE
    if _QUOTE.match(text):
        return QUOTE
    if _SUMMARY.match(text):
        return SUMMARY
    if _EXPLAIN.match(text):
        return EXPLAIN
    return FACT
