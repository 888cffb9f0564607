"""Can the evidence answer the question? The passages must hold the question's focus — its names and
rare words, weighted by how rare they are in the corpus — and a name or number given as the answer
must come from a sentence (or its neighbour) that holds the focus too. Decided before the model is
called, for every shape; and after it, for what the model chose."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from qa.answering.prompt import Passage
from qa.answering.untrusted import is_instruction_like
from qa.index.keyword import tokenize

# Share of the focus weight the passages (with their titles) must hold: tuned on the dev splits
# (docs/evaluation.md, "Answerability").
MIN_EVIDENCE_FOCUS = 0.6
# Share the sentence an answer's name or number comes from (with its neighbours) must hold.
MIN_SENTENCE_FOCUS = 0.5

Focus = Sequence[tuple[str, float]]


def held_share(focus: Focus, texts: Iterable[str]) -> float:
    """Share of the focus weight whose terms occur in the texts (stemmed as the index stems); 1.0
    for a question with no focus at all (nothing to check)."""
    total = sum(w for _, w in focus)
    if total <= 0:
        return 1.0
    have = {t for tokens in tokenize(list(texts)) for t in tokens}
    return sum(w for t, w in focus if t in have) / total


def evidence_holds(focus: Focus, passages: Sequence[Passage], threshold: float = MIN_EVIDENCE_FOCUS) -> bool:
    """Do the passages the model would read (titles included) hold enough of the question's focus?"""
    return bool(passages) and held_share(focus, [f"{p.hit.title} {p.text}" for p in passages]) >= threshold


_WORD = re.compile(r"[A-Za-z0-9]+")
_SKIP = frozenset("yes no the a an of and or in on for to".split())


def answer_sentences(answer: str, passages: Sequence[Passage]) -> list[tuple[Passage, int]]:
    """The passage sentences an answer (a name, a number, a short phrase) occurs in: a one-word
    answer as a word, a longer one with half its words."""
    words = {w.lower() for w in _WORD.findall(answer)} - _SKIP
    if not words:
        return []
    needed = len(words) if len(words) == 1 else len(words) / 2
    found = []
    for passage in passages:
        for i, span in enumerate(passage.spans):
            seen = {w.lower() for w in _WORD.findall(passage.sentence(span))}
            if len(words & seen) >= needed:
                found.append((passage, i))
    return found


def answer_in_focus(answer: str, focus: Focus, passages: Sequence[Passage], threshold: float = MIN_SENTENCE_FOCUS) -> bool:
    """Does the answer come from a sentence that, with its neighbours and its article's title,
    holds the question's focus? "Donald Trump" found in an analyst's sentence about Ukraine does
    not answer who won Argentina's runoff."""
    for passage, i in answer_sentences(answer, passages):
        window = [passage.sentence(passage.spans[j]) for j in range(max(0, i - 1), min(len(passage.spans), i + 2))]
        if held_share(focus, [passage.hit.title, *window]) >= threshold:
            return True
    return False


def best_sentences(focus: Focus, passages: Sequence[Passage], n: int = 3) -> list[tuple[Passage, tuple[int, int]]]:
    """The passage sentences holding the most focus weight (at most one per passage), best first:
    shown as quotations when the model gives no usable answer from evidence that holds the focus."""
    scored, seen = [], set()
    for passage in passages:
        best = None
        for span in passage.spans:
            sentence = passage.sentence(span)
            if len(sentence.split()) < 6 or is_instruction_like(sentence) or sentence in seen:
                continue  # overlapping chunks of one article repeat a sentence: quoted once
            share = held_share(focus, [sentence])
            if best is None or share > best[0]:
                best = (share, span)
        if best and best[0] > 0:
            seen.add(passage.sentence(best[1]))
            scored.append((best[0], -passage.n, passage, best[1]))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return [(passage, span) for _, _, passage, span in scored[:n]]
