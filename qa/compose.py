"""The composition root: Settings in, the embedder, retriever, language model and answerer out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qa.answering.answer import Answerer
from qa.answering.llm import LLM, LLMSettings, make_llm
from qa.index.build import IngestOptions, IngestReport
from qa.index.embedding import PASSAGE_TEMPLATE, Embedder, SentenceTransformerEmbedder
from qa.index.library import Library
from qa.retrieval.candidates import ChunkIndex
from qa.retrieval.retrieve import Retriever
from qa.settings import Settings


def _local_index(settings: Settings, embedder: Embedder) -> Path:
    return settings.index_dir  # Retriever opens a folder itself


def _milvus_index(settings: Settings, embedder: Embedder) -> ChunkIndex:
    from qa.retrieval.milvus import MilvusIndex

    return MilvusIndex(milvus_store(settings), {"embed_model": embedder.name, "passage_template": PASSAGE_TEMPLATE})


def milvus_store(settings: Settings):  # noqa: ANN201
    from qa.index.milvus_store import MilvusStore

    return MilvusStore(settings.milvus_uri_or_default, settings.milvus_token, settings.milvus_collection)


def _local_ingest(settings: Settings, corpus: Path, embedder: Embedder, options: IngestOptions,
                  progress: Callable | None) -> IngestReport:
    from qa.index.build import ingest_corpus

    return ingest_corpus(corpus, settings.index_dir, embedder, options, progress)


def _milvus_ingest(settings: Settings, corpus: Path, embedder: Embedder, options: IngestOptions,
                   progress: Callable | None) -> IngestReport:
    from qa.index.milvus_build import ingest_into_milvus

    # One writer at a time, from any machine: ingest_into_milvus holds the store's writer lease.
    return ingest_into_milvus(corpus, milvus_store(settings), embedder, options, progress)


# QA_STORE -> how to open the index for search, and how to ingest into it.
INDEXES = {"local": _local_index, "milvus": _milvus_index}
INGESTS = {"local": _local_ingest, "milvus": _milvus_ingest}


def build_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size)


def build_retriever(settings: Settings, embedder: Embedder | None = None) -> Retriever:
    embedder = embedder or build_embedder(settings)
    return Retriever(INDEXES[settings.store](settings, embedder), embedder)


def ingest(settings: Settings, corpus: Path, embedder: Embedder, options: IngestOptions,
           progress: Callable | None = None) -> IngestReport:
    """`qa ingest`: bring the configured store in step with `corpus`."""
    return INGESTS[settings.store](settings, corpus, embedder, options, progress)


def build_llm(settings: Settings) -> LLM:
    return make_llm(
        LLMSettings(
            backend=settings.llm,
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            cache_dir=settings.model_cache,
            prefix_states=bool(settings.llm_prefix_states),
        )
    )


def build_answerer(settings: Settings, retriever: Retriever | None = None) -> Answerer:
    return Answerer(
        retriever or build_retriever(settings), build_llm(settings), k=settings.k,
        min_confidence=settings.min_answer_confidence, cache_dir=settings.model_cache,
    )


def follow_state(settings: Settings):  # noqa: ANN201
    """Where the follower keeps its sources and what it fetched: the index's store."""
    from qa.index.follow_state import local_state, milvus_state

    return local_state(settings.index_dir) if settings.store == "local" else milvus_state(milvus_store(settings))


def build_follower(settings: Settings, ingest: Callable[[], IngestReport]):  # noqa: ANN201
    """The follower of `qa follow`, `qa ingest URL`, `qa serve --follow` and /api/sources;
    `ingest` brings the index in step with the corpus folder after records are written."""
    from qa.index.follow import Follower
    from qa.ingest.addresses import AddressPolicy
    from qa.ingest.fetch import FetchLimits
    from qa.settings import split_list

    limits = FetchLimits(settings.fetch_timeout, settings.fetch_max_bytes, settings.fetch_max_redirects,
                         settings.fetch_retries, host_delay=settings.fetch_host_delay)
    return Follower(settings.corpus_dir, follow_state(settings), ingest, AddressPolicy(split_list(settings.fetch_allow)), limits)


def ingest_options(settings: Settings, rebuild: bool = False) -> IngestOptions:
    return IngestOptions(settings.chunk_chars, settings.overlap_sentences, settings.index_type, rebuild,
                         settings.boilerplate_min_articles)


def build_library(settings: Settings, retriever: Retriever) -> Library:
    """Upload and delete articles (the /api/documents routes and the UI's admin panel), on either store."""
    options = ingest_options(settings)
    milvus = milvus_store(settings) if settings.store == "milvus" else None
    return Library(settings.corpus_dir, settings.index_dir, retriever.embedder, options, milvus=milvus)
