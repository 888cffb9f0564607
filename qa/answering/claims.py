"""Which of a longer answer's verified claims are kept, and how they are labelled: no headline
restated, no claim said twice, an outlet's claim backed by that outlet, a timeline in date order."""

from __future__ import annotations

import re
from dataclasses import replace

from qa.answering.cite import Verified
from qa.answering.prompt import Passage, content_words
from qa.retrieval.query import find_outlets, outlet_aliases


def restates_a_title(claim: str, passages: list[Passage]) -> bool:
    """A claim that is a passage's headline ("The FTX trial is bigger than Sam Bankman-Fried"): a
    headline tells what an article is about, not what happened."""
    words = content_words(claim)
    return bool(words) and any(len(words & content_words(p.hit.title)) >= 0.8 * len(words) for p in passages)


def without_repeats(verified: list[Verified]) -> list[Verified]:
    """Claims said once: a sentence the model repeated word for word is kept at its first place."""
    seen: set[str] = set()
    kept = []
    for item in verified:
        key = item.claim.text.lower()
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


RESTATED = 0.8  # a claim this much of whose words another claim holds says nothing new


def without_restatements(verified: list[Verified]) -> list[Verified]:
    """A longer answer's claims minus those another claim already says (most of their content
    words within it): the small model restates a fact, or merges two bullets into a third. Of two
    claims saying the same, the longer (or the first) is kept."""
    words = [content_words(v.claim.text) for v in verified]

    def restated(i: int) -> bool:
        return any(
            j != i and words[i] and len(words[i] & words[j]) >= RESTATED * len(words[i])
            and (len(words[j]) > len(words[i]) or (len(words[j]) == len(words[i]) and j < i))
            for j in range(len(verified))
        )

    return [v for i, v in enumerate(verified) if not restated(i)]


def outlet_checked(verified: list[Verified], passages: list[Passage], outlets: list[str]) -> list[Verified]:
    """In a comparison, a claim labelled with an outlet ("Fortune: …") must be backed by that
    outlet's own article; otherwise it is not supported, whatever other articles say."""
    by_n = {p.n: p for p in passages}
    aliases = outlet_aliases(outlets)
    checked = []
    for item in verified:
        named = set(find_outlets(item.claim.label, aliases)) if item.claim.label else set()
        sources = {by_n[s.n].hit.source for s in item.supports if s.n in by_n}
        if named and not named & sources:
            item = replace(item, supported=False)
        checked.append(item)
    return checked


def dated(verified: list[Verified], passages: list[Passage]) -> list[Verified]:
    """A timeline's claims labelled with the date of the article that supports them (not the date
    the model wrote) and put in date order; undated claims keep their place at the end."""
    by_n = {p.n: p for p in passages}
    labelled = []
    for item in verified:
        day = by_n[item.n].hit.published_at[:10] if item.n in by_n else ""
        claim = replace(item.claim, label=day or item.claim.label, bullet=True, newline=True)
        labelled.append(replace(item, claim=claim))
    ordered = sorted(labelled, key=lambda v: v.claim.label if re.fullmatch(r"\d{4}-\d\d-\d\d", v.claim.label) else "9999")
    return [replace(v, claim=replace(v.claim, newline=i > 0)) for i, v in enumerate(ordered)]
