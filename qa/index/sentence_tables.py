"""How are an index's sentences and boilerplate kept? Two tables of the store (schema in store.py):
`sentences` holds every sentence of every article as (key, span), so an ingest can recount each
outlet's boilerplate without re-reading unchanged bodies; `boilerplate` holds the result."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from qa.ingest.boilerplate import Boilerplate


class SentenceTables:
    """Store's methods over the `sentences` and `boilerplate` tables."""

    db: sqlite3.Connection

    def add_sentences(self, article_id: str, keyed: Iterable[tuple[int, int, int]]) -> None:
        """Record an article's sentences as (key, start, end) (see `boilerplate.keyed_sentences`)."""
        self.db.executemany(
            'INSERT INTO sentences (article_id, key, start, "end") VALUES (?, ?, ?, ?)',
            [(article_id, key, start, end) for key, start, end in keyed],
        )

    def articles_without_sentences(self) -> list[str]:
        """Articles stored before sentences were recorded (an index built by an older version)."""
        return [row[0] for row in self.db.execute(
            "SELECT id FROM articles a WHERE NOT EXISTS (SELECT 1 FROM sentences s WHERE s.article_id = a.id)"
        )]

    def sentence_spread(self, at_least: int) -> list[tuple[str, int, int]]:
        """(outlet, sentence key, stories holding it) for sentences in at least `at_least` stories
        of one outlet; a story is an article and its near-duplicates, exact duplicates left out."""
        return self.db.execute(
            "SELECT a.source, s.key, count(DISTINCT coalesce(a.near_duplicate_of, a.id)) AS stories"
            " FROM sentences s JOIN articles a ON a.id = s.article_id"
            " WHERE a.duplicate_of IS NULL AND a.source != ''"
            " GROUP BY a.source, s.key HAVING stories >= ?",
            (at_least,),
        ).fetchall()

    def boilerplate(self, source: str | None = None) -> list[Boilerplate]:
        """The stored boilerplate sentences (of one outlet), most widespread first."""
        if not self._has_table("boilerplate"):  # an index built before boilerplate was found
            return []
        where, values = ("WHERE source = ?", (source,)) if source is not None else ("", ())
        rows = self.db.execute(
            f"SELECT source, key, sentence, articles FROM boilerplate {where} ORDER BY source, articles DESC, sentence",
            values,
        )
        return [Boilerplate(*row) for row in rows]

    def set_boilerplate(self, found: dict[tuple[str, int], int]) -> None:
        """Replace the boilerplate table with `found` ((outlet, key) -> stories); the text shown
        for each is its first occurrence in the outlet's articles."""
        self.db.execute("DELETE FROM boilerplate")
        for (source, key), stories in found.items():
            sentence = self.db.execute(
                'SELECT substr(a.body, s.start + 1, s."end" - s.start) FROM sentences s'
                " JOIN articles a ON a.id = s.article_id WHERE s.key = ? AND a.source = ? ORDER BY a.id LIMIT 1",
                (key, source),
            ).fetchone()[0]
            self.db.execute("INSERT INTO boilerplate VALUES (?, ?, ?, ?)", (source, key, sentence, stories))

    def articles_holding(self, sentences: Iterable[tuple[str, int]]) -> set[str]:
        """The stored (non-duplicate) articles of each outlet that hold its sentence with that key."""
        found: set[str] = set()
        for source, key in sentences:
            found.update(row[0] for row in self.db.execute(
                "SELECT s.article_id FROM sentences s JOIN articles a ON a.id = s.article_id"
                " WHERE s.key = ? AND a.source = ? AND a.duplicate_of IS NULL",
                (key, source),
            ))
        return found

    def boilerplate_spans(self, article_id: str) -> set[tuple[int, int]]:
        """The spans of the article's sentences that are boilerplate of its outlet."""
        return set(self.db.execute(
            'SELECT s.start, s."end" FROM sentences s JOIN articles a ON a.id = s.article_id'
            " JOIN boilerplate b ON b.source = a.source AND b.key = s.key WHERE s.article_id = ?",
            (article_id,),
        ))

    def boilerplate_counts(self) -> dict[str, int]:
        """Outlet -> how many boilerplate sentences it has."""
        if not self._has_table("boilerplate"):
            return {}
        return dict(self.db.execute(
            "SELECT source, count(*) FROM boilerplate GROUP BY source ORDER BY count(*) DESC, source"
        ))

    def _has_table(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None
