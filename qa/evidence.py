"""Which sentences does a longer answer read? For explanations, quotes, summaries, timelines and
comparisons the retrieved chunks are cut into sentences, each scored by how well it answers the
question and how far other articles agree with it, and the best are picked — no two saying the same
thing, a few per article — up to the shape's character budget. A small model copies what it reads
first, so it should read the facts asked about, not the background around one matching sentence."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from qa.prompt import Passage, content_words, tainted_articles
from qa.query import find_outlets, outlet_aliases
from qa.sentences import sentence_spans
from qa.shapes import Shape
from qa.types import Hit

MIN_WORDS = 6  # shorter "sentences" are headlines, captions, bylines and datelines
MAX_CHARS = 600  # longer ones are run-on lists or markup the splitter could not cut
REDUNDANT = 0.8  # cosine above which a sentence says again what a picked one says
PER_ARTICLE = {"explain": 4, "quote": 4, "summary": 3, "timeline": 2, "compare": 4}
RELEVANCE, LEXICAL, AGREEMENT, RANK, CUE = 1.0, 0.3, 0.25, 0.1, 0.05

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
    """Numbered passages made of the best sentences of `hits` for a longer answer, within
    `shape.k * shape.passage_chars` characters. A comparison naming outlets takes sentences from
    each named outlet in turn. Articles with instructions for the assistant are left out whole."""
    tainted = tainted_articles(hits)
    hits = [h for h in hits if h.article_id not in tainted]
    candidates = [
        (i, (hit.start + s, hit.start + e))
        for i, hit in enumerate(hits)
        for s, e in sentence_spans(hit.text)
        if len(hit.text[s:e].split()) >= MIN_WORDS and e - s <= MAX_CHARS
    ]
    if not candidates:
        return []
    texts = [_text(hits[i], span) for i, span in candidates]
    vectors = embed([question, *texts])
    sims = vectors[1:] @ vectors[1:].T
    score = _scores(question, hits, candidates, texts, vectors[0] @ vectors[1:].T, sims, shape.name)
    groups = _groups(hits, candidates, shape, outlet_mentions(question, outlets) if shape.name == "compare" else [])
    picked = _pick(candidates, hits, texts, score, sims, groups, shape)
    return _passages(hits, candidates, picked, score, shape)


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
    return RELEVANCE * relevance + LEXICAL * lexical + AGREEMENT * agreement + RANK * rank + CUE * cues


def _groups(
    hits: list[Hit], candidates: list[tuple[int, tuple[int, int]]], shape: Shape, mentions: list[set[str]]
) -> list[list[int]]:
    """Candidates in the groups picks rotate over: one per named outlet in a comparison (when two
    or more of them have passages), else one group of all."""
    everything = list(range(len(candidates)))
    if shape.name != "compare":
        return [everything]
    named = [m for m in mentions if any(h.source in m for h in hits)]
    if len(named) < 2:
        return [everything]
    return [[j for j in everything if hits[candidates[j][0]].source in mention] for mention in named]


def _pick(
    candidates: list[tuple[int, tuple[int, int]]], hits: list[Hit], texts: list[str], score: np.ndarray,
    sims: np.ndarray, groups: list[list[int]], shape: Shape,
) -> list[int]:
    """Greedy: the best-scoring sentence that fits the budget, is not a near-repeat of a picked one
    and whose article has room, taking from each group in turn."""
    budget = shape.k * shape.passage_chars
    cap = PER_ARTICLE.get(shape.name, 3)
    queues = [sorted(group, key=lambda j: -score[j]) for group in groups]
    picked: list[int] = []
    per_article: Counter[str] = Counter()
    used = 0
    while any(queues):
        for queue in queues:
            while queue:
                j = queue.pop(0)
                article = hits[candidates[j][0]].article_id
                size = len(texts[j]) + 1
                if used + size > budget or per_article[article] >= cap:
                    continue
                if picked and float(sims[j, picked].max()) > REDUNDANT:
                    continue
                picked.append(j)
                per_article[article] += 1
                used += size
                break
    return picked


def _passages(
    hits: list[Hit], candidates: list[tuple[int, tuple[int, int]]], picked: list[int], score: np.ndarray,
    shape: Shape,
) -> list[Passage]:
    """One passage per chunk with picked sentences (in article order), best chunk first — oldest
    first for a timeline."""
    spans: dict[int, list[tuple[int, int]]] = {}
    best: dict[int, float] = {}
    for j in picked:
        i, span = candidates[j]
        spans.setdefault(i, []).append(span)
        best[i] = max(best.get(i, -1e9), float(score[j]))
    order = sorted(spans, key=lambda i: -best[i])
    if shape.by_date:
        order = sorted(order, key=lambda i: hits[i].published_at or "9999")
    return [Passage(n, hits[i], tuple(sorted(spans[i]))) for n, i in enumerate(order, start=1)]


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
