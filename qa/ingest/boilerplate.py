"""Which sentences are an outlet's boilerplate? Those that recur across many of its stories.

App and newsletter prompts, cookie and subscription lines, author bios ("Engadget has been testing
and reviewing consumer tech since 2004."), share bars and "Advertisement" are sentences an outlet
prints under unrelated articles. They match many questions a little and answer none, so they are
kept out of chunks (and so out of search results, prompts and quotes) while the article body stays
whole (citations are spans of it).

The rule, applied per outlet (the `source` field) over every article in the index:
- A sentence is compared after normalising whitespace and case. Digits are kept: "10:59 p.m.:
  INTERCEPTION!" and "Date: Monday, Dec. 4" are facts, and folding digits would merge them.
- It is boilerplate when it occurs in at least `min_articles` (default 3) distinct stories of the
  outlet. A story is an article with its near-duplicates (updated or syndicated copies, see
  `dedup`), so one article republished three times does not turn its own sentences into
  boilerplate; exact duplicates are stored once and count once. Two articles sharing a genuine
  sentence (a syndicated quote) stay well under the threshold.
- Articles without an outlet name have no outlet to share boilerplate with: nothing of theirs is.
- Short fragments ("Advertisement", "Share") are sentences like any other: boilerplate only when
  they recur.
The price of a count rule: a real sentence an outlet repeats verbatim in three different stories
(a stock description of a company, a recurring quote, a product name used as a heading) is
treated as boilerplate too; `qa boilerplate` lists every one so a person can check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from qa.ingest.sentences import sentence_spans

DEFAULT_MIN_ARTICLES = 3


@dataclass(frozen=True)
class Boilerplate:
    """One boilerplate sentence of an outlet: an example of its text, and in how many stories it occurs."""

    source: str
    key: int
    sentence: str
    articles: int


def normalise(sentence: str) -> str:
    """The form sentences are compared in: whitespace collapsed, case folded."""
    return " ".join(sentence.split()).casefold()


def sentence_key(sentence: str) -> int:
    """A signed 64-bit hash of the normalised sentence (fits an SQLite INTEGER)."""
    digest = hashlib.blake2b(normalise(sentence).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def keyed_sentences(body: str) -> list[tuple[int, int, int]]:
    """(key, start, end) of every sentence of the body: the spans the chunker sees."""
    return [(sentence_key(body[start:end]), start, end) for start, end in sentence_spans(body)]


def select_boilerplate(spread: Iterable[tuple[str, int, int]], min_articles: int) -> dict[tuple[str, int], int]:
    """From (outlet, sentence key, stories holding it) rows, the boilerplate ones -> their story
    count. `min_articles` 0 turns detection off."""
    if min_articles <= 0:
        return {}
    if min_articles == 1:
        raise ValueError("min_articles must be 0 (off) or at least 2: at 1 every sentence is boilerplate")
    return {(source, key): stories for source, key, stories in spread if source and stories >= min_articles}
