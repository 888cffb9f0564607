"""Can the evidence answer the question? The retrieved chunks must hold the question's focus — its
names and rare words, weighted by how rare they are in the corpus — and a name or number given as
the answer must come from a sentence (or its neighbour) that holds the focus too. Decided before the
model is called, for every shape; and after it, for what the model chose."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from qa.answering.prompt import Passage
from qa.answering.untrusted import is_instruction_like
from qa.index.keyword import tokenize
from qa.types import Hit

if TYPE_CHECKING:
    from qa.answering.cite import Verified

# Tuned on the dev split and the MultiHop-RAG dev questions without the model
# (`python benchmarks/answerability.py`, docs/evaluation.md "Answerability"):
# the retrieved chunks (titles included) must hold this share of the focus weight;
MIN_EVIDENCE_FOCUS = 0.3
# words no chunk of the index holds ("Lewiston", "Grindavik") may carry at most this share of it;
MAX_UNSEEN_FOCUS = 0.2
# a name or number answer's sentences (with their neighbours and titles, pooled over passages) must
# hold this share — and nearly as much as the best-placed other name of the passages holds
# (`python benchmarks/name_check.py`: the gold name passes, the passages' other names mostly do not);
MIN_ANSWER_FOCUS, NEAR_BEST = 0.2, 0.8
# and a sentence shown as evidence, when the model gives nothing that stands, this share.
MIN_QUOTED_FOCUS = 0.75

Focus = Sequence[tuple[str, float]]


def held_share(focus: Focus, texts: Iterable[str]) -> float:
    """Share of the focus weight whose terms occur in the texts (stemmed as the index stems); 1.0
    for a question with no focus at all (nothing to check)."""
    total = sum(w for _, w in focus)
    if total <= 0:
        return 1.0
    have = {t for tokens in tokenize(list(texts)) for t in tokens}
    return sum(w for t, w in focus if t in have) / total


def evidence_holds(focus: Focus, hits: Sequence[Hit], unseen: float, speakers: Sequence[Sequence[str]] = ()) -> bool:
    """Can the retrieved chunks answer the question? Not when words no article in the index
    contains (weighted `unseen`) carry much of its focus — the corpus does not cover the subject —
    nor when the chunks and their titles hold too little of the focus weight, nor when the question
    asks what someone said and no chunk names them ("what did der spiegel say about …" over
    articles that never mention Der Spiegel)."""
    total = sum(w for _, w in focus)
    if total and sum(w for _, w in focus if w >= unseen) > MAX_UNSEEN_FOCUS * total:
        return False
    texts = [f"{h.title} {h.text}" for h in hits]
    if speakers:
        have = {t for tokens in tokenize(texts) for t in tokens}
        if any(not set(name) <= have for name in speakers):
            return False
    return bool(hits) and held_share(focus, texts) >= MIN_EVIDENCE_FOCUS


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


def pooled_share(
    answer: str, focus: Focus, passages: Sequence[Passage], apart_from: frozenset[tuple[int, int]] = frozenset(),
    found: Sequence[tuple[Passage, int]] | None = None,
) -> float:
    """Share of the focus held by the sentences the answer occurs in (`found`, when already
    looked up), with their neighbours and their articles' titles, pooled over every passage: a
    multi-hop question's words are spread over several articles, each naming the answer beside a
    different part of it. Its sentences among `apart_from` ((passage number, sentence index) pairs:
    another answer's sentences) are left out."""
    texts = []
    for passage, i in answer_sentences(answer, passages) if found is None else found:
        if (passage.n, i) in apart_from:
            continue
        window = range(max(0, i - 1), min(len(passage.spans), i + 2))
        texts += [passage.hit.title, *(passage.sentence(passage.spans[j]) for j in window)]
    return held_share(focus, texts) if texts else 0.0


_NAME = re.compile(
    r"(?<=\w )[A-Z][\w'’-]*(?:\.[A-Za-z][\w'’-]*)*(?: [A-Z][\w'’-]*(?:\.[A-Za-z][\w'’-]*)*)*"
    r"|[$€£]?(?:\b\d[\d,.]*\d\b|\b\d\b)(?: ?(?:%|percent\b|[bm]illion\b|trillion\b|bn\b))?"
)
_UNITS = frozenset("percent billion million trillion bn".split())
_MONEY = re.compile(r"[$€£]|\b(?:[bm]illion|trillion|bn|dollars?|euros?|pounds?)\b", re.I)


def answer_kind(text: str) -> str:
    """What a short answer is: an amount of money, a percentage, another number, or a name."""
    if not re.search(r"\d", text):
        return "name"
    if _MONEY.search(text):
        return "money"
    return "percent" if re.search(r"\d ?(?:%|percent)", text) else "number"


def rival_names(answer: str, question: str, passages: Sequence[Passage]) -> list[str]:
    """The other names and numbers the passages offer as answers: capitalised runs inside a sentence
    (not its first word) and numbers (with their currency and unit), sharing no word with the answer
    or the question but a unit."""
    avoid = {w.lower() for w in _WORD.findall(f"{answer} {question}")} - _UNITS  # "$9.9 billion" rivals "$5.6 billion"
    found: dict[str, None] = {}
    for passage in passages:
        for name in _NAME.findall(passage.text):
            if not {w.lower() for w in _WORD.findall(name)} & avoid:
                found[name.rstrip(".")] = None
    return list(found)


def answer_in_focus(answer: str, focus: Focus, passages: Sequence[Passage], question: str = "") -> bool:
    """Does the answer come from sentences that hold the question's focus — a share of it, and
    nearly as much as any other name of the passages holds in sentences that do not name the answer
    (for a number, any other number of its kind: a sum of money competes with sums, not with
    "Thursday")? "Donald Trump" found in an analyst's sentence
    about Ukraine does not answer who won Argentina's runoff; the runoff's winner, named beside it,
    does."""
    found = answer_sentences(answer, passages)
    share = pooled_share(answer, focus, passages, found=found)
    if share < MIN_ANSWER_FOCUS:
        return False
    rivals = rival_names(answer, question, passages)
    if (kind := answer_kind(answer)) != "name":  # an amount competes with amounts, not with "Thursday"
        rivals = [name for name in rivals if answer_kind(name) == kind]
    # A rival competes on its own evidence: "FTX" or "the Securities and Exchange Commission" named
    # in the very sentences that name Sam Bankman-Fried does not make him a worse answer.
    own = frozenset((passage.n, i) for passage, i in found)
    best = max((pooled_share(name, focus, passages, own) for name in rivals), default=0.0)
    return share >= NEAR_BEST * best


def quotes_hold_focus(focus: Focus, verified: Sequence[Verified], passages: Sequence[Passage]) -> bool:
    """Do the sentences a longer answer shows as its quotes (with their articles' titles) hold the
    share of the focus its retrieved chunks had to? "Pope Francis" quoted from an article on Francis
    Scott Key does not answer what the pope said about blessings."""
    by_number = {p.n: p for p in passages}
    texts = [
        text
        for v in verified for support in v.supports if (passage := by_number.get(support.n))
        for text in (passage.hit.title, passage.sentence(support.span))
    ]
    return held_share(focus, texts) >= MIN_EVIDENCE_FOCUS


def best_sentences(
    focus: Focus, passages: Sequence[Passage], n: int = 3, threshold: float = MIN_QUOTED_FOCUS
) -> list[tuple[Passage, tuple[int, int]]]:
    """The passage sentences holding the most focus weight (at most one per passage and at least
    `threshold` of it), best first: shown as quotations when the model gives no usable answer."""
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
        if best and best[0] >= threshold:
            seen.add(passage.sentence(best[1]))
            scored.append((best[0], -passage.n, passage, best[1]))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return [(passage, span) for _, _, passage, span in scored[:n]]
