"""Retrieval on a real index of the tiny corpus (real MiniLM, FAISS, BM25)."""

from __future__ import annotations

from datetime import date

import pytest

from qa.index.build import IngestOptions, ingest_corpus
from qa.retrieval.retrieve import Filters, RetrievalConfig, Retriever


@pytest.fixture
def retriever(tiny_corpus, index_dir, embedder) -> Retriever:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    return Retriever(index_dir, embedder)


def test_spy_words_rank_their_article_first(retriever) -> None:
    assert retriever.search("Zorblax glacier", k=1)[0].source == "Polar Times"
    assert retriever.search("Velloran chess", k=1)[0].source == "Sports Daily"
    assert retriever.search("Brindlemoor lantern parade trains", k=1)[0].source == "Culture Post"


def test_source_and_date_filters_are_hard_constraints(retriever) -> None:
    hits = retriever.search("Zorblax glacier", k=5, filters=Filters(sources=("market wire",)))
    assert hits and {h.source for h in hits} == {"Market Wire"}
    hits = retriever.search("news", k=10, filters=Filters(since=date(2023, 11, 15)))
    assert hits and all(h.published_at[:10] >= "2023-11-15" for h in hits)
    hits = retriever.search("news", k=10, filters=Filters(until=date(2023, 10, 31)))
    assert hits and all(h.published_at[:10] <= "2023-10-31" for h in hits)
    assert retriever.search("anything", filters=Filters(sources=("No Such Outlet",))) == []


def test_named_outlet_gets_its_own_evidence(retriever) -> None:
    # The question is about the glacier, but it names Sports Daily: its article must be covered.
    hits = retriever.search("How did the Zorblax glacier change, and what did Sports Daily report?", k=3)
    assert {"Polar Times", "Sports Daily"} <= {h.source for h in hits}


def test_a_comparison_can_keep_several_places_per_named_outlet(tiny_corpus, index_dir, embedder) -> None:
    ingest_corpus(tiny_corpus, index_dir, embedder, IngestOptions(chunk_chars=120))
    retriever = Retriever(index_dir, embedder)
    question = "How did Polar Times and Reuters report the Zorblax glacier?"
    one = retriever.search(question, k=4, max_per_article=10)
    several = retriever.search(question, k=4, max_per_article=10, source_quota=2)
    assert sum(h.source == "Reuters" for h in several) >= 2 > sum(h.source == "Reuters" for h in one)


def test_a_comparison_shares_its_places_between_the_outlets_named(tiny_corpus, index_dir, embedder) -> None:
    ingest_corpus(tiny_corpus, index_dir, embedder, IngestOptions(chunk_chars=120))
    retriever = Retriever(index_dir, embedder)
    question = "How did Polar Times and Reuters report the Zorblax glacier?"
    greedy = retriever.search(question, k=4, max_per_article=10, source_quota=4)  # the first name takes every place
    shared = retriever.search(question, k=4, max_per_article=10, mention_quota=2)
    assert {h.source for h in greedy} == {"Polar Times"}
    assert [h.source for h in shared].count("Polar Times") == 2 == [h.source for h in shared].count("Reuters")


def test_yesterdays_articles_are_candidates_even_when_the_words_point_elsewhere(tiny_corpus, index_dir, embedder) -> None:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    narrow = Retriever(index_dir, embedder, RetrievalConfig(candidates=1))  # whole-corpus rankings keep one chunk
    day_after_the_glacier_story = date(2023, 10, 6)
    assert "Polar Times" not in {h.source for h in narrow.search("Velloran chess", k=3, now=day_after_the_glacier_story)}
    assert "Polar Times" in {h.source for h in narrow.search("Velloran chess yesterday", k=3, now=day_after_the_glacier_story)}


def test_relative_time_counts_back_from_the_newest_article(retriever) -> None:
    plan = retriever.plan("What happened last week?")
    assert plan.dates[0].until == date(2023, 12, 2)


def test_per_article_cap_limits_one_story(tiny_corpus, index_dir, embedder) -> None:
    ingest_corpus(tiny_corpus, index_dir, embedder, IngestOptions(chunk_chars=120))
    capped = Retriever(index_dir, embedder, RetrievalConfig(max_per_article=1)).search("Karabakh Azerbaijan", k=5)
    assert len({h.article_id for h in capped}) == len(capped)
    uncapped = Retriever(index_dir, embedder, RetrievalConfig(max_per_article=10)).search("Karabakh Azerbaijan", k=5)
    assert len({h.article_id for h in uncapped}) < len(uncapped)


def test_retriever_follows_a_new_generation(tiny_corpus, index_dir, embedder, retriever) -> None:
    assert retriever.search("Zorblax", k=1)[0].source == "Polar Times"
    (tiny_corpus / "glacier.md").unlink()
    ingest_corpus(tiny_corpus, index_dir, embedder)
    assert all(h.source != "Polar Times" for h in retriever.search("Zorblax glacier", k=5))


def test_langchain_retriever_returns_documents_with_metadata(retriever) -> None:
    from langchain_core.documents import Document

    from qa.retrieval.lc import NewsRetriever

    docs = NewsRetriever(retriever=retriever, k=2).invoke("Zorblax glacier")
    assert len(docs) == 2 and all(isinstance(d, Document) for d in docs)
    assert docs[0].metadata["source"] == "Polar Times" and "Zorblax" in docs[0].page_content
    assert docs[0].metadata["end"] - docs[0].metadata["start"] == len(docs[0].page_content)
