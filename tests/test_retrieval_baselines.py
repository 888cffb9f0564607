"""The baseline benchmark's parts on three articles and two questions: chunking, both baselines, scoring."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from langchain_core.documents import Document

from qa.evaluation.questions import Question

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "retrieval_baselines.py"
FILLER = "The council met again on Tuesday to discuss the budget for next year. " * 20  # ~1,400 characters


@pytest.fixture(scope="module")
def baselines() -> ModuleType:
    """benchmarks/retrieval_baselines.py, imported as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("retrieval_baselines", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def articles() -> list[Document]:
    return [
        Document(page_content=FILLER + "The zorblat telescope found a comet near Jupiter.", metadata={"url": "a"}),
        Document(page_content="Quintaro Football Club signed a goalkeeper from Lisbon for ten million.", metadata={"url": "b"}),
        Document(page_content="Bakeries in Vienna sold record numbers of apple strudel this winter.", metadata={"url": "c"}),
    ]


def question(text: str, fact: str) -> Question:
    return Question(text, text, ["x"], [fact], ["a"], True, "inference_query")


@pytest.fixture
def questions() -> list[Question]:
    return [
        question("Which telescope found a comet near Jupiter?", "The zorblat telescope found a comet near Jupiter."),
        question("Who did Quintaro Football Club sign?", "Quintaro Football Club signed a goalkeeper"),
    ]


def test_langchain_chunks_split_long_articles_with_overlap(baselines: ModuleType, articles: list[Document]) -> None:
    chunks = baselines.langchain_chunks(articles)
    long_article = [c for c in chunks if c.metadata["url"] == "a"]
    assert len(chunks) == len(long_article) + 2
    assert len(long_article) == 2 and all(len(c.page_content) <= 1000 for c in chunks)
    first, second = long_article
    assert second.metadata["start_index"] < first.metadata["start_index"] + len(first.page_content)  # overlap


def test_both_baselines_find_the_evidence_and_score_perfectly(
    baselines: ModuleType, articles: list[Document], questions: list[Question], embedder
) -> None:  # noqa: ANN001
    texts = [c.page_content for c in baselines.langchain_chunks(articles)]
    dense = baselines.dense_baseline(texts, baselines.embed_chunks(texts, embedder), embedder)
    keyword = baselines.bm25_baseline(texts)
    for search in (dense, keyword):
        assert "zorblat" in search("zorblat telescope comet", 1)[0]
        scores = baselines.evaluate(search, questions)
        assert scores["hits@4"] == scores["mrr@10"] == 1.0
        assert scores["ms_per_query"] > 0


def test_evaluate_scores_a_search_that_misses_as_zero(baselines: ModuleType, questions: list[Question]) -> None:
    scores = baselines.evaluate(lambda query, k: ["Nothing relevant here."] * k, questions)
    assert scores["hits@10"] == scores["map@10"] == scores["mrr@10"] == 0.0


def test_embed_chunks_cache_round_trips_without_pickle(baselines: ModuleType, tmp_path: Path, embedder) -> None:  # noqa: ANN001
    import numpy as np

    texts = ["one passage", "another passage"]
    first = baselines.embed_chunks(texts, embedder, tmp_path)
    (saved,) = tmp_path.glob("*.npy")
    assert (np.load(saved, allow_pickle=False) == first).all()
    np.save(saved, np.zeros_like(first), allow_pickle=False)  # the second call must read the file, not re-embed
    assert not baselines.embed_chunks(texts, embedder, tmp_path).any()
