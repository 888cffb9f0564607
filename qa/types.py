"""Value types that flow through the pipeline: articles, chunks and search hits."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Article:
    """One news article as read from the corpus.

    `id` is stable across runs (derived from the file path and the record's key), `path` is the
    corpus-relative file it came from, `published_at` is ISO 8601 ("" when unknown).
    """

    id: str
    title: str
    body: str
    source: str = ""
    url: str = ""
    published_at: str = ""
    author: str = ""
    category: str = ""
    place: str = ""
    path: str = ""


@dataclass(frozen=True)
class Chunk:
    """A piece of an article body: `article.body[start:end] == text`."""

    article_id: str
    position: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with the article metadata needed to show and cite it."""

    chunk_id: int
    article_id: str
    position: int
    start: int
    end: int
    text: str
    score: float
    title: str = ""
    source: str = ""
    url: str = ""
    published_at: str = ""
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer, pinned to the exact supporting sentence of an article."""

    n: int
    article_id: str
    title: str
    source: str
    url: str
    published_at: str
    quote: str
    start: int
    end: int
    score: float
    supported: bool
    chunk_id: int = -1


@dataclass(frozen=True)
class Source:
    """A passage the model is about to read, shown before it answers: where it comes from and its
    sentence closest to the question (`article.body[start:end] == sentence`)."""

    n: int
    article_id: str
    title: str
    source: str
    url: str
    published_at: str
    sentence: str
    start: int
    end: int


@dataclass(frozen=True)
class Quote:
    """An exact sentence of an article that supports a claim: `article.body[start:end] == quote`."""

    n: int
    article_id: str
    quote: str
    start: int
    end: int
    score: float
    chunk_id: int = -1


@dataclass(frozen=True)
class CitedClaim:
    """One sentence of an answer with the passages it cites and the sentences that support it.
    `label` is its lead when the answer is a list ("2023-11-17", "TechCrunch"); `verbatim` when the
    sentence is the article's own: given instead of a model sentence its quotes did not back, or
    added to complete a longer answer."""

    text: str
    cited: tuple[int, ...]
    quotes: tuple[Quote, ...]
    supported: bool
    label: str = ""
    verbatim: bool = False


@dataclass(frozen=True)
class Answer:
    """What the product returns for a question. `short_answer` is the direct answer alone
    ("Yes", "27", a name; empty for shapes without one); `answer` is the full text with [n]
    citation markers; `citations` lists each cited passage once (its best quote), `claims` every
    answer sentence with its own quotes; `shape` is how the question was answered (fact, explain,
    quote, summary, timeline, compare); `claims_written` counts the sentences the model wrote before
    they were checked (None when not known), so a reader can see how many were dropped."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    model: str
    timings: dict[str, float]
    hits: list[Hit] = field(default_factory=list)
    short_answer: str = ""
    claims: list[CitedClaim] = field(default_factory=list)
    shape: str = "fact"
    claims_written: int | None = None
