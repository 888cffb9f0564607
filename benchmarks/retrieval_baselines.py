"""Our retriever against the two baselines a newcomer builds first, on MultiHop-RAG, in one process.

    python benchmarks/retrieval_baselines.py [--corpus PATH] [--questions PATH] [--index index/]
        [--limit N] [--json PATH] [--cache DIR]

Same articles (the benchmark's 609), same answerable dev questions (null queries skipped; --limit N
keeps the first N of them), same embedding model (the bundled all-MiniLM-L6-v2, normalised):

1. LangChain's RAG tutorial: one `Document` per article body, `RecursiveCharacterTextSplitter(
   chunk_size=1000, chunk_overlap=200)`, plain FAISS similarity search (`IndexFlatIP` over
   normalised vectors, i.e. cosine), top 10.
2. BM25 (bm25s, English stop words, PyStemmer's English stemmer) over those same chunks, top 10.
3. Ours: `qa.retrieval.retrieve.Retriever` over the built index (`qa ingest corpus/`: the same 609 articles
   plus one seed article), top 10.

Scored with the benchmark's own rules (`qa.evaluation.metrics`): Hits@4, Hits@10, MAP@10, MRR@10 over the chunk
texts, and mean wall time per query in ms (query embedding included; one untimed warm-up query per
method). Embedding the ~9k baseline chunks takes ~5 minutes on 2 cores; `--cache DIR` keeps those
vectors as .npy for the next run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from langchain_core.documents import Document  # noqa: E402

from qa.errors import QAError  # noqa: E402
from qa.evaluation.metrics import (  # noqa: E402
    average_precision_at_k,
    hits_at_k,
    mean,
    reciprocal_rank_at_k,
)
from qa.evaluation.questions import Question, load_questions  # noqa: E402
from qa.index.embedding import SentenceTransformerEmbedder  # noqa: E402

SearchFn = Callable[[str, int], list[str]]  # (query, k) -> chunk texts, best first
K = 10
METRICS = ("hits@4", "hits@10", "map@10", "mrr@10")
HEADERS = {"hits@4": "Hits@4", "hits@10": "Hits@10", "map@10": "MAP@10", "mrr@10": "MRR@10"}
DATASET = Path("../shared/datasets/multihop_rag")


def load_articles(path: Path) -> list[Document]:
    """One LangChain `Document` per MultiHop-RAG article body, with its title and URL as metadata."""
    records = json.loads(path.read_text(encoding="utf-8"))
    return [Document(page_content=r["body"], metadata={"title": r["title"], "url": r["url"]}) for r in records]


def langchain_chunks(articles: list[Document]) -> list[Document]:
    """The RAG tutorial's split: 1,000 characters with 200 of overlap, start offsets recorded."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    return splitter.split_documents(articles)


def embed_chunks(texts: list[str], embedder: SentenceTransformerEmbedder, cache: Path | None = None) -> np.ndarray:
    """Normalised vectors for `texts`, with a progress bar; read from / written to `cache` when given."""
    digest = hashlib.sha256("\0".join([embedder.name, *texts]).encode("utf-8")).hexdigest()[:16]
    cached = cache / f"langchain-chunks-{digest}.npy" if cache else None
    if cached and cached.exists():
        vectors = np.load(cached, allow_pickle=False)
        if vectors.shape[0] == len(texts):
            print(f"Baseline embeddings read from {cached}", file=sys.stderr)
            return vectors
    from tqdm import tqdm

    with tqdm(total=len(texts), desc="Embedding LangChain chunks", unit="chunk", file=sys.stderr) as bar:
        vectors = embedder.embed(texts, progress=bar.update)
    if cached:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(cached, vectors, allow_pickle=False)
    return vectors


def dense_baseline(texts: list[str], vectors: np.ndarray, embedder: SentenceTransformerEmbedder) -> SearchFn:
    """Plain FAISS similarity search: inner product over normalised vectors (cosine), as the tutorial."""
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(query: str, k: int) -> list[str]:
        _, rows = index.search(embedder.embed([query]), min(k, len(texts)))
        return [texts[i] for i in rows[0] if i >= 0]

    return search


def bm25_baseline(texts: list[str]) -> SearchFn:
    """bm25s with its defaults, English stop words and PyStemmer's English stemmer."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)

    def search(query: str, k: int) -> list[str]:
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)
        rows, _ = retriever.retrieve(tokens, k=min(k, len(texts)), show_progress=False)
        return [texts[i] for i in rows[0]]

    return search


def our_retriever(index_dir: Path, embedder: SentenceTransformerEmbedder) -> tuple[SearchFn, int]:
    """`qa.retrieval.retrieve.Retriever` over the built index, and how many chunks that index holds."""
    from qa.retrieval.retrieve import Retriever

    retriever = Retriever(index_dir, embedder)
    chunks = int(retriever.store.counts()["chunks"])  # opens the index: fails here when it is missing

    def search(query: str, k: int) -> list[str]:
        return [hit.text for hit in retriever.search(query, k=k)]

    return search, chunks


def evaluate(search: SearchFn, questions: list[Question], k: int = K) -> dict[str, float]:
    """Mean benchmark metrics and ms per query; the first question is also run once, untimed, to warm up."""
    search(questions[0].question, k)
    scores: dict[str, list[float]] = {name: [] for name in (*METRICS, "ms")}
    for question in questions:
        started = time.perf_counter()
        texts = search(question.question, k)
        scores["ms"].append((time.perf_counter() - started) * 1000)
        scores["hits@4"].append(hits_at_k(texts, question.evidence, 4))
        scores["hits@10"].append(hits_at_k(texts, question.evidence, 10))
        scores["map@10"].append(average_precision_at_k(texts, question.evidence, 10))
        scores["mrr@10"].append(reciprocal_rank_at_k(texts, question.evidence, 10))
    return {("ms_per_query" if name == "ms" else name): mean(values) for name, values in scores.items()}


def ratios(ours: dict[str, float], baseline: dict[str, float]) -> dict[str, float | None]:
    """ours / baseline for each quality metric and for latency (None where the baseline is 0)."""
    return {name: ours[name] / baseline[name] if baseline[name] else None for name in (*METRICS, "ms_per_query")}


def markdown_table(results: dict[str, dict[str, float]]) -> str:
    header = "| method | chunks | " + " | ".join(HEADERS[m] for m in METRICS) + " | ms/query |"
    lines = [header, "|" + "---|" * (len(METRICS) + 3)]
    for method, row in results.items():
        cells = [f"{row[m]:.3f}" for m in METRICS]
        lines.append(f"| {method} | {row['chunks']} | " + " | ".join(cells) + f" | {row['ms_per_query']:.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DATASET / "corpus.json", help="MultiHop-RAG corpus.json")
    parser.add_argument("--questions", type=Path, default=DATASET / "queries.dev.json", help="MultiHop-RAG queries")
    parser.add_argument("--index", type=Path, default=Path("index"), help="our built index (default index/)")
    parser.add_argument("--limit", type=int, metavar="N", help="use only the first N answerable questions")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--cache", type=Path, metavar="DIR", help="keep the baseline chunk embeddings here (.npy)")
    args = parser.parse_args()

    embedder = SentenceTransformerEmbedder()
    try:
        ours, our_chunks = our_retriever(args.index, embedder)
    except QAError as exc:
        print(f"{exc} (Or pass --index DIR.)", file=sys.stderr)
        return 2
    questions = [q for q in load_questions(args.questions, "multihop-rag") if q.answerable][: args.limit]
    articles = load_articles(args.corpus)
    chunks = langchain_chunks(articles)
    texts = [chunk.page_content for chunk in chunks]
    print(f"{len(articles)} articles -> {len(texts)} LangChain chunks; {len(questions)} answerable questions",
          file=sys.stderr)
    embedder.embed(["warm up"])  # load the model before anything is timed
    vectors = embed_chunks(texts, embedder, args.cache)

    methods = {
        "LangChain RAG tutorial (FAISS, dense)": (dense_baseline(texts, vectors, embedder), len(texts)),
        "BM25 (bm25s) on the same chunks": (bm25_baseline(texts), len(texts)),
        "ours (qa.retrieval.retrieve.Retriever)": (ours, our_chunks),
    }
    results: dict[str, dict[str, float]] = {}
    for name, (search, chunk_count) in methods.items():
        print(f"Evaluating {name} …", file=sys.stderr)
        results[name] = {"chunks": chunk_count, **evaluate(search, questions)}

    *baselines, our_name = results
    print(f"\n{len(questions)} answerable questions, top {K}, {os.cpu_count()} CPU threads\n")
    print(markdown_table(results))
    compared = {baseline: ratios(results[our_name], results[baseline]) for baseline in baselines}
    for baseline, ratio in compared.items():
        cells = ", ".join(
            f"{HEADERS.get(m, 'ms/query')} " + ("n/a" if value is None else f"×{value:.2f}") for m, value in ratio.items()
        )
        print(f"\nours / {baseline}: {cells}")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "corpus": str(args.corpus), "questions_file": str(args.questions), "index": str(args.index),
            "questions": len(questions), "articles": len(articles), "k": K, "cpu_threads": os.cpu_count(),
            "embed_model": embedder.name, "results": results, "ours_over_baseline": compared,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nWrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
