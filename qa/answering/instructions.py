"""Does article text address the answering system, in words no pattern was written for? A logistic
regression over character n-grams (2–5 letters within words, TF-IDF), trained on instruction-like
text addressed to an AI or to "automated summaries" in many languages versus news: reported orders,
how-to copy, real corrections (`qa/answering/data/injection_train.jsonl`) and 6,000 sentences of
the demo corpus' dev-split articles (`news_negatives.txt`, `scripts/make_news_negatives.py`).
Character n-grams carry across languages ("IA", "KI", "modèle", "assistent") where the bundled
English sentence embeddings do not: on the training set's 5-fold cross-validation, at 0.1% of news
sentences flagged, they found 0.85 of the payloads against 0.12 for embeddings (docs/security.md).

The pattern catalogue (`qa.untrusted`) stays one signal; an article either flags is quarantined whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np

from qa.answering.untrusted import is_instruction_like
from qa.ingest.sentences import sentence_spans

# Probability at or above which a sentence is taken as addressed to the system: the highest that
# flags at most 0.1% of the test-split articles' sentences (`benchmarks/injection_detection.py`).
THRESHOLD = 0.7


@lru_cache(maxsize=1)
def training_data() -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The labelled texts: instruction-like (1) and news-like (0), then the corpus's news sentences (0)."""
    folder = resources.files("qa.answering") / "data"
    rows = [json.loads(line) for line in (folder / "injection_train.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    news = [line for line in (folder / "news_negatives.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    return tuple(r["text"] for r in rows) + tuple(news), tuple(int(r["label"]) for r in rows) + (0,) * len(news)


@lru_cache(maxsize=1)
def _model():  # noqa: ANN202 - scikit-learn is imported lazily; fitted once per process (about 3 s)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts, labels = training_data()
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    regression = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced")
    return make_pipeline(vectorizer, regression).fit(list(texts), list(labels))


class InstructionClassifier:
    """Flags texts with a sentence addressed to the system (by the catalogue or the classifier)."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold

    def probabilities(self, sentences: Sequence[str]) -> np.ndarray:
        """Each sentence's probability of addressing the system."""
        return _model().predict_proba(list(sentences))[:, 1] if sentences else np.zeros(0)

    def flagged(self, texts: Sequence[str]) -> list[bool]:
        """Per text: does the catalogue match it, or does one of its sentences reach the threshold?"""
        sentences, owner = [], []
        for i, text in enumerate(texts):
            for start, end in sentence_spans(text):
                sentences.append(text[start:end])
                owner.append(i)
        flags = [is_instruction_like(text) for text in texts]
        for i, p in zip(owner, self.probabilities(sentences), strict=True):
            flags[i] = flags[i] or bool(p >= self.threshold)
        return flags
