"""Where a Milvus search's time goes: each engine call of `Retriever.search` timed on its own.

    python benchmarks/milvus_parts.py --db runs/scale/milvus.db [--repeat 5] [--ivf]

Runs on the database `benchmarks/scale.py` leaves in its --work folder (collections "scale_*"),
with a query of that benchmark's kind: the dense request alone (filtered to the live generation,
and without the filter), one BM25 request, the hybrid call the retriever makes (one dense + two
BM25 requests, RRF), and a read of 40 chunks by id (with all the fields the retriever reads, and
with the id alone). Prints the median of --repeat runs of each, in ms. --ivf then rebuilds the
dense index as IVF_FLAT (nlist 1,024; Milvus Lite's only other dense index) and prints its build
time, search time and how many of the exact top 50 it finds (this changes the database's index).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import scale  # noqa: E402

from qa.index.keyword import tokenize  # noqa: E402
from qa.index.milvus_store import CHUNK_FIELDS, FACT_FIELDS, MilvusStore, literal  # noqa: E402


def median_ms(call, repeat: int) -> float:  # noqa: ANN001
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return round(float(np.median(times)), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "runs" / "scale" / "milvus.db")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ivf", action="store_true")
    args = parser.parse_args()
    store = MilvusStore(str(args.db), name="scale")
    client, chunks = store.client, store.collection("chunks")  # before pymilvus is imported: quiets gRPC's logs
    from pymilvus import AnnSearchRequest, RRFRanker

    store.load()
    visible = store.require_state().visible()
    rng = np.random.default_rng(7)
    vocab = scale.words()
    query = " ".join(vocab[int(r)] for r in np.minimum(rng.zipf(1.3, size=5) + 20, scale.VOCAB - 1))
    vector = scale.HashEmbedder().embed([query])[0].tolist()
    words = " ".join(tokenize([query])[0])
    dense = {"metric_type": "IP"}
    print(f"{store.count('chunks', visible):,} chunks; median of {args.repeat} runs, ms")
    timed = {
        "dense, 200, live filter": lambda: client.search(chunks, [vector], anns_field="dense", limit=200,
                                                          filter=visible, search_params=dense),
        "dense, 200, no filter": lambda: client.search(chunks, [vector], anns_field="dense", limit=200,
                                                        search_params=dense),
        "BM25, 200, live filter": lambda: client.search(chunks, [words], anns_field="sparse", limit=200,
                                                         filter=visible, search_params={"metric_type": "BM25"}),
        "hybrid (dense + 2 x BM25, RRF), 400": lambda: client.hybrid_search(
            chunks, [AnnSearchRequest([vector], "dense", dense, 200, expr=visible)]
            + [AnnSearchRequest([words], "sparse", {"metric_type": "BM25"}, 200, expr=visible)] * 2,
            RRFRanker(20), limit=400, output_fields=FACT_FIELDS),
    }
    ids = [int(i) for i in rng.integers(1, 1_000_000, size=40)]
    timed["40 chunks by id, retriever's fields"] = lambda: client.query(
        chunks, filter=f"chunk_id in {literal(ids)}", output_fields=CHUNK_FIELDS, limit=40)
    timed["40 chunks by id, id only"] = lambda: client.query(
        chunks, filter=f"chunk_id in {literal(ids)}", output_fields=["chunk_id"], limit=40)
    for name, call in timed.items():
        print(f"{name}: {median_ms(call, args.repeat)}")
    if args.ivf:
        exact = {hit["id"] for hit in client.search(chunks, [vector], anns_field="dense", limit=50, search_params=dense)[0]}
        started = time.perf_counter()
        client.release_collection(chunks)
        client.drop_index(chunks, "dense")
        index = client.prepare_index_params()
        index.add_index("dense", index_type="IVF_FLAT", metric_type="IP", params={"nlist": 1024})
        client.create_index(chunks, index)
        client.load_collection(chunks)
        print(f"IVF_FLAT build and load: {time.perf_counter() - started:.0f} s")
        ivf = {"metric_type": "IP", "params": {"nprobe": 32}}
        found = {hit["id"] for hit in client.search(chunks, [vector], anns_field="dense", limit=50, search_params=ivf)[0]}
        ms = median_ms(lambda: client.search(chunks, [vector], anns_field="dense", limit=200, filter=visible,
                                             search_params=ivf), args.repeat)
        print(f"IVF_FLAT nprobe 32, 200, live filter: {ms}; exact top 50 found: {len(found & exact)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
