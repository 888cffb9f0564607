"""Our retriever as a LangChain `BaseRetriever`, so LangChain apps can use it unchanged."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.retrieval.retrieve import Filters, Retriever


class NewsRetriever(BaseRetriever):
    """`NewsRetriever(retriever=Retriever(...), k=5).invoke("question")` -> Documents whose
    metadata carries article id, title, outlet, date, URL, span and score."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int = 5
    filters: Filters | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any) -> list[Document]:
        hits = self.retriever.search(query, k=kwargs.get("k", self.k), filters=kwargs.get("filters", self.filters))
        return [
            Document(
                page_content=hit.text,
                metadata={
                    "chunk_id": hit.chunk_id, "article_id": hit.article_id, "title": hit.title,
                    "source": hit.source, "url": hit.url, "published_at": hit.published_at,
                    "start": hit.start, "end": hit.end, "score": hit.score,
                },
            )
            for hit in hits
        ]
