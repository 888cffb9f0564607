"""Does a claim's own quotes say it? The evaluator's judge, written apart from the answerer's check
(`qa.answering.cite`, which it does not import) and stricter on every count:

- every name (a capitalised word) and every number of the claim is in its quotes, or in the title,
  outlet or date of the articles it cites (shown beside the quotes: "TechCrunch reported …");
- a quote counts only when it holds, by itself, half of the words that say something of the claim's
  names (lower-case words: "fired" in "Altman was fired on November 17") — these are never pooled
  across quotes, so one quote holding the names and another holding the verb do not add up;
- the quotes that count hold `SHARE` of the claim's content words (stemmed);
- no paraphrase is accepted on meaning alone: the words must be there.

A claim the answerer itself marked unsupported is never counted as supported, so the judge can only
be stricter than the answerer. A claim of fewer than `MIN_WORDS` content words ("27.", "Yes.") is the
direct answer, scored by accuracy; an article sentence given verbatim is the article's own words, not
a claim to support — neither is judged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

SHARE = 0.6  # of the claim's content words, held by the quotes that count
MIN_WORDS = 3
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# The judge's own list: function words, and words any news sentence may hold.
_STOP_WORDS = frozenset(
    """a an the of to in on at by for from with as and or but nor so if than then that this these those it its
    is are was were be been being am do does did has have had having will would shall should can could may might
    must he she they we you i me him her them us his hers their theirs our your my who whom whose which what when
    where why how there here not no also just only very more most some any all each both such into onto about
    over under after before between during while said says say according reported report reports""".split()
)


@dataclass(frozen=True)
class Verdict:
    """The judge's word on one claim: `supported` (None when not judged), why not (`reason`), and the
    share of the claim's content words each quote holds (`coverage`, in the quotes' order)."""

    supported: bool | None
    reason: str
    coverage: tuple[float, ...]


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """A text's content words (stemmed), the names among them (capitalised), and the words that say
    something of the names (lower case, no digits)."""
    stem = _stemmer().stemWord
    content, names, said = set(), set(), set()
    for token in _TOKEN.findall(text):
        word = token.lower()
        if len(word) < 2 or word in _STOP_WORDS:
            continue
        stemmed = stem(word)
        content.add(stemmed)
        if token[0].isupper():
            names.add(stemmed)
        elif token.islower():
            said.add(stemmed)
    return frozenset(content), frozenset(names), frozenset(said)


def numbers(text: str) -> set[str]:
    """The numbers a text states, thousands separators and leading zeros dropped ("1,400" and "1400" meet, "06" and "6")."""
    return {m.group(0).replace(",", "").lstrip("0") or "0" for m in _NUMBER.finditer(text)}


def is_judged(claim: str, verbatim: bool = False) -> bool:
    """Whether the judge rules on a claim: not a direct answer of a few words, not an article's own sentence."""
    return not verbatim and len(_words(claim)[0]) >= MIN_WORDS


def judge_claim(
    claim: str, quotes: Sequence[str], answerer_supported: bool = True, verbatim: bool = False, context: str = ""
) -> Verdict:
    """The judge's verdict on a claim from the quotes returned with it (see the module docstring);
    `context` holds the cited articles' titles, outlets and dates, where names and numbers may be found."""
    wanted, names, said = _words(claim)
    coverage = tuple(round(len(wanted & _words(q)[0]) / len(wanted), 3) if wanted else 0.0 for q in quotes)
    if not is_judged(claim, verbatim):
        return Verdict(None, "article's own sentence" if verbatim else "direct answer, scored by accuracy", coverage)
    if not quotes:
        return Verdict(False, "no quote", coverage)
    # A quote counts only when it says, by itself, half of what the claim says of its names.
    counting = [q for q in quotes if not said or len(said & _words(q)[0]) * 2 >= len(said)]
    if not counting:
        return Verdict(False, f"no one quote holds half of what it says ({', '.join(_spelled(claim, said))})", coverage)
    held = frozenset().union(*(_words(q)[0] for q in counting))
    quoted_numbers = set().union(*(numbers(q) for q in [*counting, context]))
    missing = _spelled(claim, names - held - _words(context)[0]) + sorted(numbers(claim) - quoted_numbers)
    if missing:
        return Verdict(False, f"not in the quotes that say it: {', '.join(missing)}", coverage)
    share = len(wanted & held) / len(wanted)
    if share < SHARE:
        return Verdict(False, f"its quotes hold {share:.0%} of its words (needs {SHARE:.0%})", coverage)
    if not answerer_supported:
        return Verdict(False, "the answerer marked it unsupported", coverage)
    return Verdict(True, "", coverage)


def _spelled(claim: str, stems: frozenset[str]) -> list[str]:
    """The claim's own words whose stems are `stems`, in the claim's order, each once."""
    stem = _stemmer().stemWord
    return list(dict.fromkeys(t for t in _TOKEN.findall(claim) if stem(t.lower()) in stems))
