"""The composition root: Settings in, the embedder, retriever, language model and answerer out."""

from __future__ import annotations

from qa.answering.answer import Answerer
from qa.answering.llm import LLM, LLMSettings, make_llm
from qa.index.embedding import SentenceTransformerEmbedder
from qa.index.library import Library
from qa.retrieval.retrieve import Retriever
from qa.settings import Settings


def build_retriever(settings: Settings) -> Retriever:
    return Retriever(settings.index_dir, SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size))


def build_llm(settings: Settings) -> LLM:
    return make_llm(
        LLMSettings(
            backend=settings.llm,
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            cache_dir=settings.model_cache,
        )
    )


def build_answerer(settings: Settings, retriever: Retriever | None = None) -> Answerer:
    return Answerer(
        retriever or build_retriever(settings), build_llm(settings), k=settings.k,
        min_confidence=settings.min_answer_confidence,
    )


def build_library(settings: Settings, retriever: Retriever) -> Library:
    """Upload and delete articles (the /api/documents routes and the UI's admin panel)."""
    from qa.index.build import IngestOptions

    options = IngestOptions(settings.chunk_chars, settings.overlap_sentences, settings.index_type)
    return Library(settings.corpus_dir, settings.index_dir, retriever.embedder, options)
