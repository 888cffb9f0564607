"""Which sentences does a longer answer read? For explanations, quotes, summaries, timelines and
comparisons the retrieved chunks are cut into sentences, each scored by how well it answers the
question and how far other articles agree with it, and the best are picked — no two saying the same
thing, a few per article — up to the shape's character budget. A small model copies what it reads
first, so it should read the facts asked about, not the background around one matching sentence."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.cite import Claim, Support, Verified
from qa.prompt import Passage, content_words, tainted_articles
from qa.query import find_outlets, outlet_aliases
from qa.sentences import sentence_spans
from qa.shapes import Shape
from qa.types import Hit
from qa.untrusted import is_instruction_like

MIN_WORDS = 6  # shorter "sentences" are headlines, captions, bylines and datelines
MAX_CHARS = 600  # longer ones are run-on lists or markup the splitter could not cut
REDUNDANT = 0.8  # cosine above which a sentence says again what a picked one says
MIN_CLOSENESS = 0.4  # a sentence read for an answer is at least this close to the question, relative to the closest
QUOTED_CLOSENESS = 0.6  # a sentence added verbatim to an answer from an article the model cited, the same
NEW_ARTICLE_CLOSENESS = 0.8  # ... from an article the model did not cite
PER_ARTICLE = {"explain": 4, "quote": 4, "summary": 3, "timeline": 2, "compare": 4}
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


@dataclass(frozen=True)
class Evidence:
    """What a longer answer reads: numbered passages of picked sentences, and how close each
    picked sentence is to the question relative to the closest (1.0), by (passage, span)."""

    passages: list[Passage]
    closeness: dict[tuple[int, tuple[int, int]], float]


def select_passages(
    question: str, hits: list[Hit], embed: Embed, shape: Shape, outlets: Sequence[str] = ()
) -> Evidence:
    """Numbered passages made of the best sentences of `hits` for a longer answer, within
    `shape.k * shape.passage_chars` characters. A sentence much further from the question than the
    closest (below `MIN_CLOSENESS` of its cosine) is not read at all. A comparison naming outlets
    takes sentences from each named outlet in turn. Articles with instructions for the assistant
    are left out whole."""
    tainted = tainted_articles(hits)
    hits = [h for h in hits if h.article_id not in tainted]
    candidates = [
        (i, (hit.start + s, hit.start + e))
        for i, hit in enumerate(hits)
        for s, e in sentence_spans(hit.text)
        if len(hit.text[s:e].split()) >= MIN_WORDS and e - s <= MAX_CHARS
    ]
    if not candidates:
        return Evidence([], {})
    texts = [_text(hits[i], span) for i, span in candidates]
    topic = topic_of(question)
    vectors = embed([topic, *texts])
    sims = vectors[1:] @ vectors[1:].T
    relevance = vectors[0] @ vectors[1:].T
    closeness = relevance / max(float(relevance.max()), 1e-6)
    score = _scores(topic, hits, candidates, texts, relevance, sims, shape.name)
    groups = _groups(hits, candidates, shape, outlet_mentions(question, outlets) if shape.name == "compare" else [])
    groups = [[j for j in group if closeness[j] >= MIN_CLOSENESS] for group in groups]
    picked = _pick(candidates, hits, texts, score, sims, groups, shape)
    passages = _passages(hits, candidates, picked, score, shape)
    where = {(hits.index(p.hit), span): p.n for p in passages for span in p.spans}
    near = {(where[(i, span)], span): float(closeness[j]) for j, (i, span) in enumerate(candidates) if (i, span) in where}
    return Evidence(passages, near)


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


MIN_CLAIMS = 4  # a summary, timeline or comparison states at least this many facts when it has them
MIN_ARTICLES = 2
_SAID = 0.6  # a sentence whose words an answer's claim already holds at this share adds nothing


def with_quoted_evidence(verified: list[Verified], evidence: Evidence, shape: Shape) -> list[Verified]:
    """A summary, timeline or comparison whose supported claims are fewer than `MIN_CLAIMS`, or
    come from one article, is completed with the passages' own sentences, verbatim and labelled
    with their outlet, each quoting itself: a small model often states one or two facts of the
    several it read. Only sentences close to the question are added (`QUOTED_CLOSENESS` of the
    closest sentence's cosine; `NEW_ARTICLE_CLOSENESS` from an article the model did not cite),
    those from articles not yet cited first; none repeats a claim. An
    answer with no supported claim is left as it is (to be withheld)."""
    if shape.name not in ("summary", "timeline", "compare") or not any(v.supported for v in verified):
        return verified  # no supported claim: the passages may not be about the question at all
    passages = evidence.passages
    by_n = {p.n: p for p in passages}
    out = list(verified)
    quoted = {(s.n, s.span) for v in verified for s in v.supports}
    said = [content_words(v.claim.text) for v in verified]
    articles = {by_n[s.n].hit.article_id for v in verified for s in v.supports if s.n in by_n}
    cited = set(articles)  # what the model itself drew on

    def wanted() -> bool:
        return len(out) < MIN_CLAIMS or len(articles) < MIN_ARTICLES

    for new_article_only in (True, False):
        for passage in passages:
            for span in passage.spans:
                if not wanted():
                    return out
                text = passage.sentence(span)
                words = content_words(text)
                closeness = evidence.closeness.get((passage.n, span), 0.0)
                if closeness < (NEW_ARTICLE_CLOSENESS if passage.hit.article_id not in cited else QUOTED_CLOSENESS):
                    continue
                if (passage.n, span) in quoted or is_instruction_like(text) or not words:
                    continue
                if new_article_only and passage.hit.article_id in articles:
                    continue
                if any(len(words & w) >= _SAID * len(words) for w in said):
                    continue
                claim = Claim(text, (passage.n,), bullet=True, label=passage.hit.source, newline=True)
                out.append(Verified(claim, (Support(passage.n, span, 1.0),), True, False))
                quoted.add((passage.n, span))
                said.append(words)
                articles.add(passage.hit.article_id)
    return out
