"""Does article text address the answering system, in words no pattern was written for? A logistic
regression over sentence embeddings, trained on instruction-like text addressed to an AI or to
"automated summaries" versus news sentences — reported orders, how-to copy, real corrections and
plain news in many languages (`qa/answering/data/injection_train.jsonl`). The pattern catalogue
(`qa.answering.untrusted`) stays one signal; an article either flags is quarantined whole.

Measured on a frozen held-out set of paraphrased payloads and on every sentence of the demo corpus
(`python benchmarks/injection_detection.py`, docs/security.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from qa.answering.examples import embedded
from qa.answering.untrusted import is_instruction_like
from qa.index.embedding import Embedder
from qa.ingest.sentences import sentence_spans

# Probability above which a sentence is taken as addressed to the system: set for at most 0.1% of
# the demo corpus' sentences flagged (docs/security.md).
THRESHOLD = 0.9


@lru_cache(maxsize=1)
def training_data() -> tuple[tuple[str, ...], tuple[int, ...]]:
    path = resources.files("qa.answering") / "data" / "injection_train.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return tuple(r["text"] for r in rows), tuple(int(r["label"]) for r in rows)


class InstructionClassifier:
    """Flags sentences addressed to the system. Training texts are embedded once with the retrieval
    embedder (`qa.answering.examples`) and the regression fitted on first use."""

    def __init__(self, embedder: Embedder, cache_dir: Path | None = None, threshold: float = THRESHOLD) -> None:
        self.embedder = embedder
        self.cache_dir = cache_dir
        self.threshold = threshold
        self._model = None

    def _fit(self):  # noqa: ANN202 - sklearn is imported lazily
        if self._model is None:
            from sklearn.linear_model import LogisticRegression

            texts, labels = training_data()
            vectors = embedded(self.embedder, texts, self.cache_dir)
            self._model = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced").fit(vectors, list(labels))
        return self._model

    def probabilities(self, sentences: Sequence[str]) -> np.ndarray:
        """Each sentence's probability of addressing the system."""
        if not sentences:
            return np.zeros(0)
        vectors = np.asarray(self.embedder.embed(list(sentences)), dtype=np.float32)
        return self._fit().predict_proba(vectors)[:, 1]

    def flagged(self, texts: Sequence[str]) -> list[bool]:
        """Per text: does the catalogue match it, or does one of its sentences score above the threshold?"""
        sentences, owner = [], []
        for i, text in enumerate(texts):
            for start, end in sentence_spans(text):
                sentences.append(text[start:end])
                owner.append(i)
        flags = [is_instruction_like(text) for text in texts]
        for i, p in zip(owner, self.probabilities(sentences), strict=True):
            flags[i] = flags[i] or bool(p >= self.threshold)
        return flags
