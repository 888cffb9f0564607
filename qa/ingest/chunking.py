"""How is an article cut into chunks? Whole sentences, packed up to a size, with sentence overlap.

Sentences to leave out (an outlet's boilerplate, see `boilerplate`) cut the article into runs of
kept sentences, and each run is chunked on its own: a chunk stays one exact span of the body and
never contains a left-out sentence, at the price of no overlap across the cut.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from qa.ingest.sentences import sentence_spans
from qa.types import Article, Chunk

DEFAULT_MAX_CHARS = 1000
DEFAULT_OVERLAP_SENTENCES = 1


def split_into_chunks(
    article: Article,
    max_chars: int = DEFAULT_MAX_CHARS,
    overlap_sentences: int = DEFAULT_OVERLAP_SENTENCES,
    skip: Collection[tuple[int, int]] = frozenset(),
) -> list[Chunk]:
    """Cut the article body into chunks of whole sentences, each at most `max_chars` long.

    Consecutive chunks share `overlap_sentences` sentences (when they fit), so a sentence near a
    boundary is seen whole with its neighbours. A sentence longer than `max_chars` is split at
    whitespace. Sentences whose (start, end) span is in `skip` are in no chunk. Every chunk
    satisfies `article.body[chunk.start:chunk.end] == chunk.text`.
    """
    if max_chars < 50:
        raise ValueError("max_chars must be at least 50")
    body = article.body
    chunks: list[Chunk] = []
    for units in _runs(body, max_chars, skip):
        first = 0
        while first < len(units):
            last = first
            while last + 1 < len(units) and units[last + 1][1] - units[first][0] <= max_chars:
                last += 1
            start, end = units[first][0], units[last][1]
            chunks.append(Chunk(article.id, len(chunks), start, end, body[start:end]))
            if last + 1 >= len(units):
                break
            # Next chunk begins `overlap_sentences` back, but always moves forward.
            first = max(first + 1, last + 1 - overlap_sentences)
    return chunks


def _runs(body: str, max_chars: int, skip: Collection[tuple[int, int]]) -> Iterator[list[tuple[int, int]]]:
    """The units of each run of sentences between skipped ones."""
    run: list[tuple[int, int]] = []
    for start, end in sentence_spans(body):
        if (start, end) in skip:
            if run:
                yield run
            run = []
        else:
            run.extend(_units(body, start, end, max_chars))
    if run:
        yield run


def _units(body: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """The sentence's span, cut at whitespace when it is longer than `max_chars`."""
    while end - start > max_chars:
        cut = body.rfind(" ", start + 1, start + max_chars)
        if cut <= start:
            cut = start + max_chars
        yield start, cut
        start = cut
        while start < end and body[start].isspace():
            start += 1
    if end > start:
        yield start, end
