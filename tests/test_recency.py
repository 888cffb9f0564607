"""Questions asking for the newest news prefer newer articles (a decay by age), and only those."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from qa.index.build import ingest_corpus
from qa.retrieval.query import plan_query
from qa.retrieval.retrieve import RetrievalConfig, Retriever

TODAY = date(2024, 3, 20)


def test_recency_words_without_a_window_ask_for_the_newest() -> None:
    for question in ("What is the latest on the kiln?", "Any news on the kiln recently?", "the most recent kiln story"):
        assert plan_query(question, [], TODAY).recent == TODAY, question
    for question in ("What happened to the kiln yesterday?", "kiln news this week", "What is the kiln?", "the kiln in March"):
        assert plan_query(question, [], TODAY).recent is None, question  # a window, or no wish for new news


def test_the_decay_ranks_the_newer_story_first_for_latest_questions(tmp_path: Path, embedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "old.md").write_text("---\ntitle: Quillfeather kiln relit\nsource: Craft Gazette\ndate: 2024-01-02\n---\n\n"
                                   "The Quillfeather kiln in Vantorra was relit. The Quillfeather kiln glows again in Vantorra.\n")
    (corpus / "new.md").write_text("---\ntitle: Kiln update\nsource: Craft Gazette\ndate: 2024-03-19\n---\n\n"
                                   "Glassblowers at the Quillfeather kiln added a second furnace this month.\n")
    ingest_corpus(corpus, tmp_path / "index", embedder)
    question = "What is the latest on the Quillfeather kiln in Vantorra?"
    plain = Retriever(tmp_path / "index", embedder, dataclasses.replace(RetrievalConfig(), recency_weight=0.0))
    assert plain.search(question, k=2, now=TODAY)[0].title == "Quillfeather kiln relit"  # the decay is what changes it
    decayed = Retriever(tmp_path / "index", embedder)
    assert RetrievalConfig().recency_weight > 0
    assert [hit.title for hit in decayed.search(question, k=2, now=TODAY)] == ["Kiln update", "Quillfeather kiln relit"]
    # a question without the wish for new news keeps its ranking
    assert decayed.search("Quillfeather kiln in Vantorra", k=1, now=TODAY)[0].title == "Quillfeather kiln relit"
