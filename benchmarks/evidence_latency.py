"""Time to first evidence: from a question to the `sources` event (the passages the model is about
to read, shown before its first token), on the built index.

    python benchmarks/evidence_latency.py [--questions N] [--seed S]

Asks N seeded MultiHop-RAG dev questions (fact shape) and every question of the realistic set
(explanations, quotes, summaries, timelines, comparisons), stops each answer at its `sources`
event (the language model is never called), and prints p50/p95 per shape — target p50 <= 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["QA_LLM"] = "fake"  # never reached: each answer stops at its sources

from qa.answering.answer import Sources  # noqa: E402
from qa.compose import build_answerer  # noqa: E402
from qa.settings import load_settings  # noqa: E402


def time_to_sources(answerer, question: str) -> tuple[str, float | None]:  # noqa: ANN001
    """The shape and milliseconds to the `sources` event (None when the answer had no passages)."""
    started = time.perf_counter()
    events = answerer.stream(question)
    try:
        for event in events:
            if isinstance(event, Sources):
                return answerer.shape_of(question).name, (time.perf_counter() - started) * 1000
    finally:
        events.close()
    return answerer.shape_of(question).name, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=50, help="MultiHop-RAG dev questions (default 50)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dev", type=Path, default=Path("../shared/datasets/multihop_rag/queries.dev.json"))
    parser.add_argument("--realistic", type=Path, default=Path("benchmarks/questions/dev.jsonl"))
    args = parser.parse_args()

    answerer = build_answerer(load_settings(os.environ))
    answerer.warm_up()
    dev = [q["query"] for q in json.loads(args.dev.read_text())]
    random.Random(args.seed).shuffle(dev)
    chat = [json.loads(line)["question"] for line in args.realistic.read_text().splitlines() if line.strip()]
    times: dict[str, list[float]] = defaultdict(list)
    for question in dev[: args.questions] + chat:
        shape, ms = time_to_sources(answerer, question)
        if ms is not None:
            times[shape].append(ms)
    every = sorted(t for values in times.values() for t in values)

    def row(values: list[float]) -> dict:
        values = sorted(values)
        return {"n": len(values), "p50_ms": round(statistics.median(values)),
                "p95_ms": round(values[min(len(values) - 1, int(0.95 * len(values)))])}

    print(json.dumps({"all": row(every), **{shape: row(v) for shape, v in sorted(times.items())}}, indent=2))


if __name__ == "__main__":
    main()
