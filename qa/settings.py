"""One frozen Settings, built once at the edge: CLI flag > QA_* environment variable > default."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.answering.answer import MIN_ANSWER_CONFIDENCE
from qa.errors import ConfigError
from qa.index.dense import INDEX_TYPES
from qa.index.embedding import DEFAULT_EMBED_MODEL
from qa.ingest.boilerplate import DEFAULT_MIN_ARTICLES


@dataclass(frozen=True)
class Settings:
    index_dir: Path = Path("index")
    corpus_dir: Path = Path("corpus")
    embed_model: str = DEFAULT_EMBED_MODEL
    embed_batch_size: int = 32
    chunk_chars: int = 1000
    overlap_sentences: int = 1
    index_type: str = "flat"
    boilerplate_min_articles: int = DEFAULT_MIN_ARTICLES  # stories of an outlet a boilerplate sentence is in; 0 = off
    store: str = "local"  # local (index folder: FAISS + BM25 + SQLite) | milvus
    milvus_uri: str = ""  # a .db file path (Milvus Lite) or http://host:19530 (server, cluster); default <index>/milvus.db
    milvus_token: str = ""  # "user:password" or an API key, for a secured server
    milvus_collection: str = "qa"  # collection name prefix: <name>_chunks, _articles, _files, _state
    llm: str = "local"  # local | openai | fake
    llm_model: str = "qwen2.5-1.5b"
    llm_base_url: str = ""
    llm_api_key: str = "not-needed"
    model_cache: Path = Path.home() / ".cache" / "newsroom-qa"
    llm_prefix_states: int = 1  # keep llama.cpp's state after each shape's instructions, in memory and on disk; 0 = off
    k: int = 4
    min_answer_confidence: float = MIN_ANSWER_CONFIDENCE  # withhold a name/number answered less surely (0 = off)
    # Serving (qa serve, app.py)
    host: str = ""  # empty: 127.0.0.1 without keys, 0.0.0.0 with keys
    port: int = 7860
    api_keys: str = ""  # comma-separated reader keys
    admin_keys: str = ""  # comma-separated admin keys (also allowed on reader routes)
    cors_origins: str = ""  # comma-separated origins allowed to call the API from a browser
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 20_000_000
    rate_limit: int = 60  # requests per minute per key (per client address without keys); 0 = off
    # Fetching from the web (qa ingest URL, qa follow, POST /api/documents {"url"})
    fetch_allow: str = ""  # comma-separated hosts or address ranges fetched although not public ("127.0.0.1,10.0.0.0/8")
    fetch_timeout: float = 20.0  # seconds per request, body included
    fetch_max_bytes: int = 5_000_000
    fetch_max_redirects: int = 5
    fetch_retries: int = 2
    fetch_host_delay: float = 1.0  # seconds between two requests to one host

    def __post_init__(self) -> None:
        if self.index_type not in INDEX_TYPES:
            raise ConfigError(f"QA_INDEX_TYPE must be one of {', '.join(INDEX_TYPES)}, not {self.index_type!r}")
        if self.store not in STORES:
            raise ConfigError(f"QA_STORE must be one of {', '.join(STORES)}, not {self.store!r}")
        if self.store == "milvus" and not (self.milvus_uri_or_default.endswith(".db") or "://" in self.milvus_uri):
            raise ConfigError(f"QA_MILVUS_URI must be a .db file (Milvus Lite) or http://host:19530, not {self.milvus_uri!r}")
        if not 50 <= self.chunk_chars <= 1000:
            raise ConfigError(f"QA_CHUNK_CHARS must be between 50 and 1000, not {self.chunk_chars}")
        if self.boilerplate_min_articles == 1 or self.boilerplate_min_articles < 0:
            raise ConfigError(f"QA_BOILERPLATE_MIN_ARTICLES must be 0 (off) or at least 2, not {self.boilerplate_min_articles}")
        if self.fetch_timeout <= 0 or self.fetch_max_bytes <= 0 or self.fetch_max_redirects < 0 or self.fetch_retries < 0:
            raise ConfigError("QA_FETCH_TIMEOUT and QA_FETCH_MAX_BYTES must be positive, QA_FETCH_MAX_REDIRECTS and "
                              "QA_FETCH_RETRIES at least 0")
        if self.fetch_host_delay < 0:
            raise ConfigError(f"QA_FETCH_HOST_DELAY must be 0 or more seconds, not {self.fetch_host_delay}")
        if not 0.0 <= self.min_answer_confidence <= 1.0:
            raise ConfigError(f"QA_MIN_ANSWER_CONFIDENCE must be between 0 and 1, not {self.min_answer_confidence}")


    @property
    def milvus_uri_or_default(self) -> str:
        return self.milvus_uri or str(self.index_dir / "milvus.db")


STORES = ("local", "milvus")

# field name -> environment variable
ENV_VARS = {
    "index_dir": "QA_INDEX",
    "corpus_dir": "QA_CORPUS",
    "embed_model": "QA_EMBED_MODEL",
    "embed_batch_size": "QA_EMBED_BATCH_SIZE",
    "chunk_chars": "QA_CHUNK_CHARS",
    "overlap_sentences": "QA_CHUNK_OVERLAP",
    "index_type": "QA_INDEX_TYPE",
    "boilerplate_min_articles": "QA_BOILERPLATE_MIN_ARTICLES",
    "store": "QA_STORE",
    "milvus_uri": "QA_MILVUS_URI",
    "milvus_token": "QA_MILVUS_TOKEN",
    "milvus_collection": "QA_MILVUS_COLLECTION",
    "llm": "QA_LLM",
    "llm_model": "QA_LLM_MODEL",
    "llm_base_url": "QA_LLM_BASE_URL",
    "llm_api_key": "QA_LLM_API_KEY",
    "model_cache": "QA_MODEL_CACHE",
    "llm_prefix_states": "QA_LLM_PREFIX_STATES",
    "k": "QA_TOP_K",
    "min_answer_confidence": "QA_MIN_ANSWER_CONFIDENCE",
    "host": "QA_HOST",
    "port": "QA_PORT",
    "api_keys": "QA_API_KEYS",
    "admin_keys": "QA_ADMIN_KEYS",
    "cors_origins": "QA_CORS_ORIGINS",
    "max_body_bytes": "QA_MAX_BODY_BYTES",
    "max_upload_bytes": "QA_MAX_UPLOAD_BYTES",
    "rate_limit": "QA_RATE_LIMIT",
    "fetch_allow": "QA_FETCH_ALLOW",
    "fetch_timeout": "QA_FETCH_TIMEOUT",
    "fetch_max_bytes": "QA_FETCH_MAX_BYTES",
    "fetch_max_redirects": "QA_FETCH_MAX_REDIRECTS",
    "fetch_retries": "QA_FETCH_RETRIES",
    "fetch_host_delay": "QA_FETCH_HOST_DELAY",
}


def split_list(raw: str) -> tuple[str, ...]:
    """A comma-separated setting as a tuple, blanks dropped."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def load_settings(environ: Mapping[str, str], **flags: Any) -> Settings:
    """Settings from flags (None means "not given"), then `environ`, then the defaults."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(Settings):
        raw = flags.get(field.name)
        if raw is None:
            raw = environ.get(ENV_VARS.get(field.name, ""))
        if raw is None or raw == "":
            continue
        kind = type(field.default)
        try:
            values[field.name] = Path(raw) if kind is type(Path()) or isinstance(field.default, Path) else kind(raw)
        except ValueError:
            raise ConfigError(f"{ENV_VARS[field.name]}: expected {kind.__name__}, got {raw!r}") from None
    return Settings(**values)
