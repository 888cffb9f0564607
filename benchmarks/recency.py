"""Recency decay, measured: gold-article recall@4 of the relative-date questions of the dev set
("yesterday", "this week", "last weekend", ...), retrieval only (no language model), for a range
of decay strengths. The chosen strength is RetrievalConfig.recency_weight; docs/follow.md has
the figures. Usage: python benchmarks/recency.py [--index index] [--questions benchmarks/questions/dev.jsonl]"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa.index.embedding import SentenceTransformerEmbedder  # noqa: E402
from qa.retrieval.retrieve import RetrievalConfig, Retriever  # noqa: E402

GRID = ((0.0, 7.0), (0.5, 3.0), (1.0, 3.0), (2.0, 3.0), (0.5, 7.0), (1.0, 7.0), (2.0, 7.0), (1.0, 30.0), (2.0, 30.0))
# The relative phrases of the dev questions, replaced by "recently" for the window-less variant.
_RELATIVE = re.compile(r"\b(?:yesterday|last night|two days ago|(?:earlier )?this week(?:end)?|last weekend|"
                       r"on monday night football last night)\b", re.IGNORECASE)


def relative_date_questions(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [row for row in rows if row.get("type") == "relative_date" and row.get("gold_articles")]


def recently_variant(row: dict) -> dict:
    """The question with its relative date replaced by "recently": no window, only the wish for new news."""
    return {**row, "question": _RELATIVE.sub("recently", row["question"])}


def recall_at(retriever: Retriever, rows: list[dict], k: int = 4) -> float:
    total = 0.0
    for row in rows:
        now = date.fromisoformat(row["now"]) if row.get("now") else None
        urls = {hit.url for hit in retriever.search(row["question"], k=k, now=now)}
        total += sum(url in urls for url in row["gold_articles"]) / len(row["gold_articles"])
    return total / len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", default="index")
    parser.add_argument("--questions", default="benchmarks/questions/dev.jsonl")
    args = parser.parse_args()
    rows = relative_date_questions(Path(args.questions))
    variants = [recently_variant(row) for row in rows]
    assert all("recently" in v["question"] for v in variants), [v["question"] for v in variants]
    embedder = SentenceTransformerEmbedder()
    print(f"{len(rows)} relative-date questions from {args.questions}; gold-article recall@4")
    print("  weight  half-life  as written  'recently' instead of the date")
    for weight, half_life in GRID:
        config = dataclasses.replace(RetrievalConfig(), recency_weight=weight, recency_half_life_days=half_life)
        retriever = Retriever(Path(args.index), embedder, config)
        print(f"  {weight:<6}  {half_life:<9}  {recall_at(retriever, rows):.3f}       {recall_at(retriever, variants):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
