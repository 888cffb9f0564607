"""How does the shape step do on a writer it never saw? Leave-one-writer-out, without the model.

    python benchmarks/shape_writers.py

The labelled examples come from five writers (`qa/answering/data/shape_examples.jsonl`, `_typed`,
`_typed2`, `_typed3`, `_typed4`), and the dev split's single-turn questions are a sixth. Each writer in turn is
left out: the classifier is fitted on the others (plus the benchmark-register facts) and classifies
the left-out writer's questions through the product's `ShapeClassifier.classify` (the comparison
rule included). This is what the frozen test split measures — questions by a writer the examples
never saw — without reading it. Printed per variant: accuracy per left-out writer, the mean, and the
mean per shape. Variants: the product's classifier (sentence embedding beside character and word
n-grams) and the embedding alone (the classifier of sessions 9–11, less its decisive words, now removed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from qa.answering.understand import ShapeClassifier  # noqa: E402
from qa.compose import build_answerer  # noqa: E402
from qa.settings import load_settings  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "qa" / "answering" / "data"
WRITERS = {"writer 1": "shape_examples.jsonl", "writer 2": "shape_examples_typed.jsonl",
           "writer 3": "shape_examples_typed2.jsonl", "writer 4": "shape_examples_typed3.jsonl",
           "writer 5": "shape_examples_typed4.jsonl"}


class EmbeddingOnly(ShapeClassifier):
    """The earlier classifier: a logistic regression over the sentence embedding alone."""

    C = 1.0

    def _features(self, questions: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        return vectors


def _rows(path: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["question"], r["shape"]) for r in rows if r.get("shape") and not r.get("history")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=Path(__file__).parent / "questions" / "dev.jsonl")
    args = parser.parse_args()
    answerer = build_answerer(load_settings(os.environ, llm="fake"))
    writers = {name: _rows(DATA / file) for name, file in WRITERS.items()}
    writers["dev split"] = _rows(args.dev)
    facts = [(q, "fact") for q, _ in _rows(DATA / "shape_examples_multihop.jsonl")]
    named = {q: len(answerer.retriever.plan(q, None).mentions) for rows in writers.values() for q, _ in rows}
    for variant in (ShapeClassifier, EmbeddingOnly):
        accuracy, right, total = {}, Counter(), Counter()
        for held, rows in writers.items():
            train = [row for name, other in writers.items() if name != held for row in other] + facts
            classifier = variant(answerer.embedder, answerer.classifier.cache_dir,
                                 examples=([q for q, _ in train], [s for _, s in train]))
            hits = [classifier.classify(q, named[q]) == shape for q, shape in rows]
            accuracy[held] = float(np.mean(hits))
            for (_, shape), hit in zip(rows, hits, strict=True):
                total[shape] += 1
                right[shape] += hit
        label = "product (embedding + n-grams)" if variant is ShapeClassifier else "embedding alone"
        print(f"{label}: mean over left-out writers {np.mean(list(accuracy.values())):.3f}")
        print("  " + ", ".join(f"{name} {value:.3f} ({len(writers[name])})" for name, value in accuracy.items()))
        print("  per shape: " + ", ".join(f"{s} {right[s] / total[s]:.2f}" for s in sorted(total)))


if __name__ == "__main__":
    main()
