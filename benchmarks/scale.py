"""Retrieval latency, ingest rate and memory as a synthetic corpus grows, Milvus Lite against local.

    python benchmarks/scale.py [--steps 10000 100000 1000000] [--local-max 100000] [--queries 50]
        [--work DIR] [--json PATH] [--plot PATH]

The corpus is generated, not embedded: 384-dimension unit vectors (MiniLM's size) drawn from a
seeded normal distribution, and chunk texts of 120 words drawn from a Zipf-distributed 50,000-word
vocabulary, 10 chunks per article, 20 outlets, two years of dates. At each step the corpus grows to
the next size and the script measures, for each backend:

- ingest chunks/s: writing the step's new chunks (keyword tokens, vectors, facts; Milvus builds its
  BM25 vectors and indexes, local builds FAISS flat + bm25s + SQLite). Embedding is excluded (on 2
  CPU cores MiniLM embeds ~30-60 chunks/s and would dominate every figure);
- retrieval p50 / p95 of `Retriever.search` (k=10, the full pipeline: sub-rankings, fusion, date
  boost, sentence re-rank, dedup) over `--queries` queries of 3-6 vocabulary words, each with its
  own vector from a seeded hash embedder (no model), after one untimed warm-up query;
- memory: resident set size of this process and its children (Milvus Lite's engine is one) after
  the step.
The local backend is rebuilt from scratch at each step up to --local-max chunks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa.index.embedding import PASSAGE_TEMPLATE  # noqa: E402
from qa.index.keyword import tokenize  # noqa: E402
from qa.index.milvus_store import MilvusStore, State  # noqa: E402
from qa.retrieval.milvus import MilvusIndex  # noqa: E402
from qa.retrieval.retrieve import Retriever  # noqa: E402

DIM = 384
VOCAB = 50_000
WORDS_PER_CHUNK = 120
CHUNKS_PER_ARTICLE = 10
OUTLETS = [f"Outlet {i:02d}" for i in range(20)]
FIRST_DAY = date(2022, 1, 1).toordinal()


class HashEmbedder:
    """A seeded unit vector per text: a stand-in for MiniLM with the same shape."""

    name = "sentence-transformers/all-MiniLM-L6-v2"

    def embed(self, texts: list[str], progress=None) -> np.ndarray:  # noqa: ANN001
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            vector = np.random.default_rng(seed).normal(size=DIM)
            out[i] = vector / np.linalg.norm(vector)
        return out


def words() -> list[str]:
    """Vocabulary words that survive stemming and stop-word removal unchanged ("zab", "zac", …)."""
    letters = "bcdfghjklmnpqrstvwxz"
    found: list[str] = []
    for a in letters:
        for b in "aeiou":
            for c in letters:
                for d in "aeiou":
                    for e in letters:
                        found.append(a + b + c + d + e)
                        if len(found) == VOCAB:
                            return found
    return found


def make_block(start: int, count: int, vocab: list[str], rng: np.random.Generator) -> list[dict]:
    ranks = np.minimum(rng.zipf(1.2, size=(count, WORDS_PER_CHUNK)) - 1, VOCAB - 1)
    vectors = rng.normal(size=(count, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = []
    for i in range(count):
        chunk_id = start + i + 1
        article = chunk_id // CHUNKS_PER_ARTICLE
        day = FIRST_DAY + article % 730
        text = " ".join(vocab[r] for r in ranks[i]) + "."
        rows.append({
            "chunk_id": chunk_id, "born": 1, "died": 0, "position": chunk_id % CHUNKS_PER_ARTICLE, "start": 0,
            "end": len(text), "day": day, "dense": vectors[i], "text": text, "title": f"Article {article}",
            "url": f"https://example.org/{article}", "source": OUTLETS[article % len(OUTLETS)],
            "article_id": f"a{article}", "story": f"a{article}", "published_at": date.fromordinal(day).isoformat(),
            "content_hash": "",
        })
    for row, tokens in zip(rows, tokenize([f"{r['title']}\n{r['text']}" for r in rows]), strict=True):
        row["keyword"] = " ".join(tokens)
    return rows


def rss_mb() -> float:
    """Resident memory of this process and its descendants (Milvus Lite's engine is a child process)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    family, grew = {os.getpid()}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    total = 0
    for pid in family:
        try:
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in lines if line.startswith("VmRSS:"))
    return total / 1024


def latencies(retriever: Retriever, queries: list[str]) -> tuple[float, float]:
    retriever.search(queries[0], k=10)
    times = []
    for query in queries:
        started = time.perf_counter()
        retriever.search(query, k=10)
        times.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def grow_milvus(store: MilvusStore, rows: list[dict], df: dict[str, int], total: int, live: int) -> float:
    started = time.perf_counter()
    for begin in range(0, len(rows), 5000):  # lists of floats for 5,000 rows at a time, not the whole block
        store.insert("chunks", [{**row, "dense": row["dense"].tolist()} for row in rows[begin : begin + 5000]])
    for row in rows:
        for token in set(row["keyword"].split()):
            df[token] = df.get(token, 0) + 1
    store.client.delete(store.collection("terms"), filter="born >= 0")
    store.insert("terms", [{"pk": t, "born": 1, "died": 0, "term": t, "df": n} for t, n in df.items()])
    summary = {"counts": {"chunks": total, "articles": total // CHUNKS_PER_ARTICLE}, "sources": OUTLETS,
               "outlets": [[o, 0] for o in OUTLETS], "newest": date.fromordinal(FIRST_DAY + 729).isoformat()}
    store.switch(State(live=live, floor=1, next_chunk_id=total + 1,  # each step a generation, as ingests commit
                       meta={"embed_model": HashEmbedder.name, "passage_template": PASSAGE_TEMPLATE}, summary=summary))
    return time.perf_counter() - started


def build_local(folder: Path, all_rows: list[dict]) -> float:
    """A local index generation written the way `qa ingest` writes one (SQLite, FAISS flat, bm25s)."""
    from qa.index import generations
    from qa.index.build import _write_search_indexes
    from qa.index.store import Store
    from qa.types import Article, Chunk

    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    tmp = generations.begin_generation(folder)
    store = Store(tmp / generations.STORE_FILE)
    with store.db:
        seen = set()
        for row in all_rows:
            if row["article_id"] not in seen:
                seen.add(row["article_id"])
                store.add_article(Article(row["article_id"], row["title"], "", row["source"], row["url"],
                                          row["published_at"]), "", np.zeros(64, dtype=np.uint64), None)
        store.add_chunks([Chunk(r["article_id"], r["position"], r["start"], r["end"], r["text"]) for r in all_rows],
                         np.stack([r["dense"] for r in all_rows]))
        store.set_meta({"embed_model": HashEmbedder.name, "passage_template": PASSAGE_TEMPLATE})
    _write_search_indexes(store, tmp, "flat")
    store.close()
    generations.commit_generation(folder, tmp)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--local-max", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "scale")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "scale.json")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "scale.png")
    parser.add_argument("--plot-only", action="store_true", help="redraw the plot from --json")
    args = parser.parse_args()
    if args.plot_only:
        plot(json.loads(args.json.read_text()), args.plot)
        return 0

    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    rng = np.random.default_rng(7)
    vocab = words()
    queries = [" ".join(vocab[int(r)] for r in np.minimum(rng.zipf(1.3, size=rng.integers(3, 7)) + 20, VOCAB - 1))
               for _ in range(args.queries)]
    embedder = HashEmbedder()
    store = MilvusStore(str(args.work / "milvus.db"), name="scale")
    store.create(DIM)
    milvus = Retriever(MilvusIndex(store, {"embed_model": embedder.name, "passage_template": PASSAGE_TEMPLATE},
                                   refresh_seconds=0), embedder)
    df: dict[str, int] = {}
    all_rows: list[dict] = []
    results = []
    for size in args.steps:
        block = make_block(len(all_rows), size - len(all_rows), vocab, rng)
        seconds = grow_milvus(store, block, df, size, live=len(results) + 1)
        p50, p95 = latencies(milvus, queries)
        result = {"chunks": size, "milvus": {"ingest_chunks_per_s": len(block) / seconds, "p50_ms": p50, "p95_ms": p95,
                                             "rss_mb": rss_mb()}}
        print(json.dumps(result), flush=True)
        all_rows += block if size <= args.local_max else []
        if size <= args.local_max:
            seconds = build_local(args.work / "local", all_rows)
            p50, p95 = latencies(Retriever(args.work / "local", embedder), queries)
            result["local"] = {"ingest_chunks_per_s": size / seconds, "p50_ms": p50, "p95_ms": p95, "rss_mb": rss_mb()}
            print(json.dumps(result), flush=True)
        else:
            all_rows = []
        results.append(result)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    plot(results, args.plot)
    return 0


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for backend, style in (("milvus", "o-"), ("local", "s--")):
        points = [(r["chunks"], r[backend]) for r in results if backend in r]
        if points:
            ax.plot([c for c, _ in points], [m["p50_ms"] for _, m in points], style, label=f"{backend} p50")
            ax.plot([c for c, _ in points], [m["p95_ms"] for _, m in points], style, alpha=0.4, label=f"{backend} p95")
    ax.axhline(100, color="grey", lw=0.8, ls=":", label="target p50 100 ms")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks (synthetic)")
    ax.set_ylabel("Retriever.search latency, ms")
    ax.set_title("Retrieval latency as the corpus grows (2 shared CPU cores)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    sys.exit(main())
