"""Ingest throughput of the full pipeline against raw SentenceTransformer.encode, in one process.

    python benchmarks/ingest.py [--corpus corpus/] [--limit N]

1. `ingest_corpus` into a fresh temporary index (reading, chunking, embedding, SQLite, FAISS, BM25):
   chunks per second over the whole wall time, and the process's peak memory afterwards.
2. Re-ingest of the unchanged corpus: seconds (target <= 5 s).
3. Raw `SentenceTransformer.encode` of exactly the same passage texts (model already loaded):
   chunks per second. Target: pipeline / raw >= 0.90.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa.index import generations  # noqa: E402
from qa.index.build import ingest_corpus  # noqa: E402
from qa.index.embedding import SentenceTransformerEmbedder, passage_text  # noqa: E402
from qa.index.store import Store  # noqa: E402


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--limit", type=int, help="use only the first N files (quick check)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    corpus = args.corpus
    if args.limit:
        corpus = work / "corpus"
        files = sorted(p for p in args.corpus.rglob("*") if p.is_file() and not p.name.startswith("README"))
        for path in files[: args.limit]:
            target = corpus / path.relative_to(args.corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    index_dir = work / "index"
    embedder = SentenceTransformerEmbedder()

    started = time.perf_counter()
    report = ingest_corpus(corpus, index_dir, embedder)
    pipeline_s = time.perf_counter() - started
    pipeline_peak = _peak_mib()

    started = time.perf_counter()
    again = ingest_corpus(corpus, index_dir, embedder)
    reingest_s = time.perf_counter() - started
    assert again.chunks == 0 and not again.changed, "re-ingest of an unchanged corpus changed something"

    store = Store(generations.require_generation(index_dir) / generations.STORE_FILE, readonly=True)
    texts = []
    for article in store.articles():
        texts.extend(passage_text(article, chunk) for chunk in store.chunks_of(article.id))
    model = embedder._load()
    started = time.perf_counter()
    model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True, show_progress_bar=False)
    raw_s = time.perf_counter() - started

    result = {
        "articles": store.counts()["articles"],
        "chunks": report.chunks,
        "pipeline_seconds": round(pipeline_s, 1),
        "pipeline_chunks_per_s": round(report.chunks / pipeline_s, 1),
        "raw_encode_seconds": round(raw_s, 1),
        "raw_chunks_per_s": round(len(texts) / raw_s, 1),
        "pipeline_over_raw": round((report.chunks / pipeline_s) / (len(texts) / raw_s), 3),
        "reingest_unchanged_seconds": round(reingest_s, 2),
        "pipeline_peak_rss_mib": round(pipeline_peak),
        "cpu_threads": os.cpu_count(),
    }
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    print(
        f"\n| chunks | pipeline chunks/s | raw encode chunks/s | pipeline/raw | re-ingest unchanged | peak RSS |\n"
        f"|---|---|---|---|---|---|\n| {result['chunks']} | {result['pipeline_chunks_per_s']} | "
        f"{result['raw_chunks_per_s']} | {result['pipeline_over_raw']} | {result['reingest_unchanged_seconds']} s | "
        f"{result['pipeline_peak_rss_mib']} MiB |"
    )


if __name__ == "__main__":
    main()
