"""MultiHop-RAG dev retrieval on the Milvus backend (Milvus Lite) against the local backend, one run.

    python benchmarks/milvus_parity.py [--index index/] [--questions PATH] [--work DIR] [--limit N]

1. Copies the live generation of the local index (`qa ingest corpus/`) into a new Milvus Lite
   database under --work: the same chunks, chunk ids and stored MiniLM vectors, nothing re-embedded
   (`qa.index.milvus_build.import_local_index`).
2. Runs `qa eval QUESTIONS --retrieval-only` twice, QA_STORE=local then QA_STORE=milvus, one after
   the other in this run, and prints Hits@4 / Hits@10 / MRR@10 and retrieval p50 / p95 of both.
3. With --interleaved N: times `Retriever.search(question, k=10)` on both backends in one process,
   alternating local and Milvus question by question over the first N questions (after one
   warm-up each), so that a busy machine slows both alike; prints p50 / p95 of both. It runs after
   the evals: an open Milvus Lite database holds a file lock the eval subprocesses need.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared/datasets/multihop_rag/queries.dev.json")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / f"milvus-parity-{time.strftime('%Y%m%d-%H%M%S')}")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--interleaved", type=int, default=0, metavar="N")
    parser.add_argument("--skip-eval", action="store_true", help="only the interleaved timing")
    args = parser.parse_args()

    from qa.index.milvus_build import import_local_index
    from qa.index.milvus_store import MilvusStore

    args.work.mkdir(parents=True, exist_ok=True)
    uri = str((args.work / "milvus.db").resolve())
    store = MilvusStore(uri)
    if store.state() is None:
        started = time.perf_counter()
        chunks = import_local_index(args.index, store)
        print(f"copied {chunks} chunks from {args.index}/ into {uri} in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
    store.client.close()
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(uri)  # the eval subprocess opens the file itself

    if args.skip_eval:
        if args.interleaved:
            interleaved(args, uri)
        return 0
    results = {}
    for backend in ("local", "milvus"):
        out = args.work / backend
        env = {**os.environ, "QA_STORE": backend, "QA_MILVUS_URI": uri, "QA_INDEX": str(args.index),
               "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "qa.cli", "eval", str(args.questions), "--retrieval-only", "--out", str(out)]
        if args.limit:
            command += ["--limit", str(args.limit)]
        print("$ QA_STORE=" + backend, " ".join(command[2:]), file=sys.stderr)
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        results[backend] = json.loads((out / "metrics.json").read_text())

    print("| backend | questions | Hits@4 | Hits@10 | MRR@10 | retrieval p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for backend, metrics in results.items():
        r, latency = metrics["retrieval"], metrics["latency_ms"]["retrieval"]
        print(f"| {backend} | {latency['n']} | {r['hits@4']:.3f} | {r['hits@10']:.3f} | {r['mrr@10']:.3f} | "
              f"{latency['p50']:.0f} | {latency['p95']:.0f} |")
    local, milvus = results["local"]["retrieval"], results["milvus"]["retrieval"]
    worst = max(abs(local[m] - milvus[m]) for m in ("hits@4", "hits@10", "mrr@10"))
    print(f"\nlargest difference: {worst:.4f} (acceptance: within 0.01)\n")
    if args.interleaved:  # last: it holds Milvus Lite's file lock, which the eval subprocesses need
        interleaved(args, uri)
    return 0 if worst <= 0.01 else 1


def interleaved(args: argparse.Namespace, uri: str) -> None:
    import numpy as np

    from qa.compose import build_embedder, build_retriever
    from qa.evaluation.questions import load_questions
    from qa.settings import load_settings

    questions = [q.question for q in load_questions(args.questions, "auto")][: args.interleaved]
    settings = {b: load_settings({"QA_STORE": b, "QA_MILVUS_URI": uri, "QA_INDEX": str(args.index)}) for b in ("local", "milvus")}
    embedder = build_embedder(settings["local"])
    retrievers = {b: build_retriever(s, embedder) for b, s in settings.items()}
    times: dict[str, list[float]] = {b: [] for b in retrievers}
    for backend, retriever in retrievers.items():
        retriever.search("warm up", k=10)
    for question in questions:
        for backend, retriever in retrievers.items():
            started = time.perf_counter()
            retriever.search(question, k=10)
            times[backend].append((time.perf_counter() - started) * 1000)
    print(f"| backend (interleaved, {len(questions)} questions) | search p50 ms | p95 ms |")
    print("|---|---|---|")
    for backend, values in times.items():
        print(f"| {backend} | {np.percentile(values, 50):.0f} | {np.percentile(values, 95):.0f} |")
    print()


if __name__ == "__main__":
    sys.exit(main())
