"""What does a longer answer read? For explanations, quotes, summaries, timelines and comparisons
every sentence of a deeper pool of hits is scored — closeness to the question's topic, other
articles agreeing, names and numbers it adds, the shape's cue words — and the k chunks with the
best sentences are shown as windows around that sentence (its neighbours give it context), best
first. A small model copies what it reads first, so it should read the facts asked about."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from qa.prompt import Passage, content_words, tainted_articles
from qa.query import find_outlets, outlet_aliases
from qa.sentences import sentence_spans
from qa.shapes import Shape
from qa.types import Hit

MIN_WORDS = 6  # shorter "sentences" are headlines, captions, bylines and datelines
MAX_CHARS = 600  # longer ones are run-on lists or markup the splitter could not cut
REDUNDANT = 0.8  # cosine above which a chunk's best sentence says again what a chosen one's says
MIN_CLOSENESS = 0.4  # a chunk is read only if its best sentence is this close to the topic, relative to the closest
RELEVANCE, LEXICAL, AGREEMENT, RANK, CUE, SPECIFIC = 1.0, 0.3, 0.25, 0.1, 0.05, 0.5

# What each shape looks for beyond the question's topic: reasons, someone's words, dated events.
_CUES = {
    "explain": re.compile(r"\b(?:because|due to|as a result|after|amid|since|following|led to|driven by|blamed|"
                          r"reasons?|caused?|so that|in order to|citing)\b", re.IGNORECASE),
    "quote": re.compile(r"[\"“”]|\b(?:said|says|told|wrote|posted|added|according to|urged|warned)\b", re.IGNORECASE),
    "timeline": re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
                           r"April|May|June|July|August|September|October|November|December|Jan|Feb|Aug|Sept?|Oct|"
                           r"Nov|Dec|yesterday|today|\d{4})\b"),
}

Embed = Callable[[list[str]], np.ndarray]


def select_passages(
    question: str, hits: list[Hit], embed: Embed, shape: Shape, outlets: Sequence[str] = ()
) -> list[Passage]:
    """Up to `shape.k` numbered passages of at most `shape.passage_chars`: the chunks of `hits`
    whose best sentence scores highest — none whose best sentence repeats a chosen one's, none
    below `MIN_CLOSENESS` — each trimmed to a window around that sentence. A comparison naming
    outlets takes chunks from each named outlet in turn. Articles with instructions for the
    assistant are left out whole."""
    tainted = tainted_articles(hits)
    hits = [h for h in hits if h.article_id not in tainted]
    spans = {i: [(hit.start + s, hit.start + e) for s, e in sentence_spans(hit.text)] for i, hit in enumerate(hits)}
    candidates = [
        (i, span) for i, hit in enumerate(hits) for span in spans[i]
        if len(_text(hit, span).split()) >= MIN_WORDS and span[1] - span[0] <= MAX_CHARS
    ]
    if not candidates:
        return []
    texts = [_text(hits[i], span) for i, span in candidates]
    topic = topic_of(question)
    vectors = embed([topic, *texts])
    sims = vectors[1:] @ vectors[1:].T
    relevance = vectors[0] @ vectors[1:].T
    score = _scores(topic, hits, candidates, texts, relevance, sims, shape.name)
    score = np.where(relevance >= MIN_CLOSENESS * float(relevance.max()), score, -np.inf)
    best = {}  # chunk -> its best candidate
    for j, (i, _) in enumerate(candidates):
        if score[j] > -np.inf and (i not in best or score[j] > score[best[i]]):
            best[i] = j
    groups = _groups(hits, shape, outlet_mentions(question, outlets) if shape.name == "compare" else [])
    chosen = _choose(best, score, sims, groups, shape.k)
    own = {candidates[j][1]: float(score[j]) for j in range(len(candidates))}
    windows = [(i, _window(spans[i], candidates[best[i]][1], own, hits[i], shape.passage_chars)) for i in chosen]
    if shape.by_date:
        windows.sort(key=lambda w: hits[w[0]].published_at or "9999")
    return [Passage(n, hits[i], kept) for n, (i, kept) in enumerate(windows, start=1)]


# How a chat question asks, not what it asks about: "What happened in X" would match every
# "here is what happened" sentence of every story.
_ASKING = frozenset(
    """happened happen happening summarize summarise summary overview rundown recap brief give me tell
    timeline chronology sequence events event develop developed unfold unfolded evolve play played out
    say said describe described cover covered react reacted explain going latest know key main""".split()
)


def topic_of(question: str) -> str:
    """The question without the words that only say how it asks (what it is about stays)."""
    kept = [w for w in question.split() if w.lower().strip("?.,!'’\"") not in _ASKING]
    return " ".join(kept) or question


def _text(hit: Hit, span: tuple[int, int]) -> str:
    return hit.text[span[0] - hit.start : span[1] - hit.start]


def _scores(
    question: str, hits: list[Hit], candidates: list[tuple[int, tuple[int, int]]], texts: list[str],
    relevance: np.ndarray, sims: np.ndarray, shape: str,
) -> np.ndarray:
    """Relevance to the question (meaning and words), agreement of other articles (a fact several
    outlets report is a key fact), the chunk's retrieval rank, and the shape's cue words."""
    wanted = content_words(question)
    lexical = np.array([len(wanted & content_words(t)) / len(wanted) if wanted else 0.0 for t in texts])
    articles = np.array([hits[i].article_id for i, _ in candidates])
    other = articles[:, None] != articles[None, :]
    agreement = np.zeros(len(texts))
    for j in range(len(texts)):
        row = np.sort(sims[j][other[j]])[-2:]
        agreement[j] = float(row.mean()) if len(row) else 0.0
    top = max(h.score for h in hits) or 1.0
    rank = np.array([hits[i].score / top for i, _ in candidates])
    cue = _CUES.get(shape)
    cues = np.array([bool(cue and cue.search(t)) for t in texts], dtype=float)
    specific = np.array([specificity(t, wanted) for t in texts])
    return (RELEVANCE * relevance + LEXICAL * lexical + AGREEMENT * agreement + RANK * rank + CUE * cues
            + SPECIFIC * specific)


_SPECIFIC = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w'’-]+|\d[\d,.]*%?|[\"“”]")


def specificity(sentence: str, asked: set[str]) -> float:
    """How much a sentence tells beyond the topic: names, numbers and quotes the question does not
    already hold, saturating at four ("The Sporting News is tracking the latest updates" has none)."""
    found = [m.group(0) for m in _SPECIFIC.finditer(sentence)]
    new = [f for f in found if not content_words(f) or not content_words(f) <= asked]
    return min(1.0, len(new) / 4)


def _groups(hits: list[Hit], shape: Shape, mentions: list[set[str]]) -> list[list[int]]:
    """The chunks choices rotate over: one group per named outlet in a comparison (when two or
    more of them have chunks), else one group of all."""
    everything = list(range(len(hits)))
    if shape.name != "compare":
        return [everything]
    named = [m for m in mentions if any(h.source in m for h in hits)]
    if len(named) < 2:
        return [everything]
    return [[i for i in everything if hits[i].source in mention] for mention in named]


def _choose(best: dict[int, int], score: np.ndarray, sims: np.ndarray, groups: list[list[int]], k: int) -> list[int]:
    """Chunks by their best sentence's score, taking from each group in turn, skipping a chunk
    whose best sentence says what a chosen chunk's says; best first."""
    queues = [sorted((i for i in group if i in best), key=lambda i: -score[best[i]]) for group in groups]
    chosen: list[int] = []
    while len(chosen) < k and any(queues):
        for queue in queues:
            while queue and len(chosen) < k:
                i = queue.pop(0)
                if chosen and float(max(sims[best[i], best[c]] for c in chosen)) > REDUNDANT:
                    continue
                chosen.append(i)
                break
    return sorted(chosen, key=lambda i: -score[best[i]])


def _window(
    spans: list[tuple[int, int]], center: tuple[int, int], own: dict[tuple[int, int], float], hit: Hit, max_chars: int
) -> tuple[tuple[int, int], ...]:
    """The sentences around `center`, in article order, growing toward the better-scored
    neighbour while they fit in `max_chars`."""
    at = spans.index(center)
    keep, low, high = {at}, at, at
    size = center[1] - center[0]
    while True:
        options = [i for i in (low - 1, high + 1) if 0 <= i < len(spans)]
        options = [i for i in options if size + spans[i][1] - spans[i][0] + 1 <= max_chars]
        if not options:
            break
        pick = max(options, key=lambda i: (own.get(spans[i], -1.0), -abs(i - at)))
        keep.add(pick)
        size += spans[pick][1] - spans[pick][0] + 1
        low, high = min(keep), max(keep)
    return tuple(spans[i] for i in sorted(keep))


def outlet_mentions(question: str, outlets: Sequence[str]) -> list[set[str]]:
    """The outlets a question names, one set per mention ("The Independent" may mean several
    sections of it)."""
    aliases = outlet_aliases(list(outlets))
    taken: list[tuple[int, int]] = []
    mentions = []
    for alias in sorted(aliases, key=len, reverse=True):
        if find_outlets(question, {alias: aliases[alias]}, taken):
            mentions.append(set(aliases[alias]))
    return mentions
