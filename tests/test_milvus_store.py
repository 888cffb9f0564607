"""The Milvus backend against a real Milvus Lite (no mocks): ingest, filters, deletes, re-ingest,
crashes mid-ingest, and several app instances over one store. Real MiniLM embeddings."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from qa.index.build import IngestOptions, ingest_corpus
from qa.index.embedding import PASSAGE_TEMPLATE
from qa.index.milvus_build import ingest_into_milvus
from qa.index.milvus_store import MilvusStore
from qa.retrieval.milvus import MilvusIndex
from qa.retrieval.retrieve import Filters, Retriever

pytest.importorskip("milvus_lite")


@pytest.fixture
def milvus(tmp_path: Path):
    """A fresh Milvus Lite database in the test's folder."""
    store = MilvusStore(str(tmp_path / "milvus.db"))
    yield store
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(str(tmp_path / "milvus.db"))


def _retriever(store: MilvusStore, embedder) -> Retriever:  # noqa: ANN001
    expected = {"embed_model": embedder.name, "passage_template": PASSAGE_TEMPLATE}
    return Retriever(MilvusIndex(store, expected, refresh_seconds=0), embedder)


def _all_rows(store: MilvusStore, kind: str) -> int:
    return store.count(kind, "born >= 0")


@pytest.fixture
def milvus_retriever(tiny_corpus, milvus, embedder) -> Retriever:
    report = ingest_into_milvus(tiny_corpus, milvus, embedder)
    assert (report.added, report.removed, report.skipped) == (5, 0, [])
    return _retriever(milvus, embedder)


def test_spy_words_rank_their_article_first(milvus_retriever) -> None:
    assert milvus_retriever.search("Zorblax glacier", k=1)[0].source == "Polar Times"
    assert milvus_retriever.search("Velloran chess", k=1)[0].source == "Sports Daily"
    assert milvus_retriever.search("Brindlemoor lantern parade trains", k=1)[0].source == "Culture Post"
    hit = milvus_retriever.search("Quimperle Bank merger", k=1)[0]
    assert hit.title.startswith("Quimperle Bank") and hit.end - hit.start == len(hit.text)


def test_filters_are_engine_side_hard_constraints(milvus_retriever) -> None:
    hits = milvus_retriever.search("Zorblax glacier", k=5, filters=Filters(sources=("market wire",)))
    assert hits and {h.source for h in hits} == {"Market Wire"}
    hits = milvus_retriever.search("news", k=10, filters=Filters(since=date(2023, 11, 15)))
    assert hits and all(h.published_at[:10] >= "2023-11-15" for h in hits)
    hits = milvus_retriever.search("news", k=10, filters=Filters(until=date(2023, 10, 31)))
    assert hits and all(h.published_at[:10] <= "2023-10-31" for h in hits)
    assert milvus_retriever.search("anything", filters=Filters(sources=("No Such Outlet",))) == []


def test_same_passages_as_the_local_backend(tiny_corpus, index_dir, milvus, embedder) -> None:
    options = IngestOptions(chunk_chars=120)
    ingest_corpus(tiny_corpus, index_dir, embedder, options)
    ingest_into_milvus(tiny_corpus, milvus, embedder, options)
    local, remote = Retriever(index_dir, embedder), _retriever(milvus, embedder)
    assert remote.store.counts() == {**local.store.counts(), "date_range": remote.store.counts()["date_range"]}
    assert remote.outlets() == local.outlets()
    tokens = {"zorblax", "glacier", "bank", "karabakh", "nosuchword"}
    assert remote._open().query_weights(tokens) == pytest.approx(local._open().query_weights(tokens))
    # Same words, same vectors, same fusion: the rankings agree but for near-ties (the engine's
    # float rounding and tie order differ from FAISS and bm25s by the last bits).
    for query in ("How did the Zorblax glacier change, and what did Sports Daily report?",
                  "Karabakh Azerbaijan", "What happened last week?", "bank merger shares"):
        expected = [(h.article_id, h.start) for h in local.search(query, k=6)]
        found = [(h.article_id, h.start) for h in remote.search(query, k=6)]
        assert found[:3] == expected[:3] and len(set(found) & set(expected)) >= 5


def test_reingest_unchanged_changes_nothing(tiny_corpus, milvus, embedder, milvus_retriever) -> None:
    from milvus_lite.server_manager import server_manager_instance

    before = milvus.require_state()
    milvus.client.close()  # as a later `qa ingest` process finds it: the database closed, nothing loaded
    server_manager_instance.release_server(milvus.uri)
    reopened = MilvusStore(milvus.uri)
    report = ingest_into_milvus(tiny_corpus, reopened, embedder)
    assert not report.changed and report.chunks == 0 and report.unchanged == 4
    assert reopened.require_state() == before


def test_changed_and_deleted_files(tiny_corpus, milvus, embedder, milvus_retriever) -> None:
    chunks_before = milvus_retriever.store.counts()["chunks"]
    glacier = tiny_corpus / "glacier.md"
    glacier.write_text(glacier.read_text().replace("Zorblax", "Plimsworth"))
    (tiny_corpus / "festival.html").unlink()
    report = ingest_into_milvus(tiny_corpus, milvus, embedder)
    assert (report.added, report.updated, report.removed) == (0, 1, 1)
    assert "Plimsworth" in milvus_retriever.search("Plimsworth glacier", k=1)[0].text
    assert all("Zorblax" not in h.text for h in milvus_retriever.search("Zorblax glacier", k=10))
    assert all(h.source != "Culture Post" for h in milvus_retriever.search("Brindlemoor lantern parade", k=10))
    counts = milvus_retriever.store.counts()
    assert counts["articles"] == 4 and counts["chunks"] < chunks_before
    # Retired rows are gone from the engine, not just hidden.
    assert _all_rows(milvus, "chunks") == counts["chunks"] and _all_rows(milvus, "files") == counts["files"] == 3
    view = milvus_retriever._open()
    assert view.query_weights({"plimsworth"})["plimsworth"] > 0 and view.query_weights({"brindlemoor"})["brindlemoor"] == 0
    assert _all_rows(milvus, "terms") == milvus.count("terms", view.state.visible())


class Crash(Exception):
    pass


@pytest.mark.slow
@pytest.mark.parametrize("step", ["planned", "chunks written", "rows retired"])
def test_crash_mid_ingest_keeps_the_previous_generation(tiny_corpus, milvus, embedder, milvus_retriever, step) -> None:
    state = milvus.require_state()
    rows = _all_rows(milvus, "chunks")
    glacier = tiny_corpus / "glacier.md"
    glacier.write_text(glacier.read_text().replace("Zorblax", "Plimsworth"))
    (tiny_corpus / "festival.html").unlink()

    def crash(at: str) -> None:
        if at == step:
            raise Crash(at)

    with pytest.raises(Crash):
        ingest_into_milvus(tiny_corpus, milvus, embedder, interrupt=crash)
    assert milvus.require_state() == state
    for retriever in (milvus_retriever, _retriever(milvus, embedder)):  # a running app and a new one
        assert retriever.search("Zorblax glacier", k=1)[0].source == "Polar Times"
        assert retriever.search("Brindlemoor lantern parade", k=1)[0].source == "Culture Post"
        assert not retriever.search("Plimsworth", k=3) or all("Plimsworth" not in h.text for h in retriever.search("Plimsworth", k=3))
    report = ingest_into_milvus(tiny_corpus, milvus, embedder)  # the next ingest recovers and completes
    assert (report.updated, report.removed) == (1, 1)
    assert "Plimsworth" in milvus_retriever.search("Plimsworth glacier", k=1)[0].text
    assert _all_rows(milvus, "chunks") == milvus_retriever.store.counts()["chunks"] != rows


def test_two_app_instances_see_each_others_ingest(tiny_corpus, tmp_path, embedder) -> None:
    path = str(tmp_path / "shared.db")
    first, second = _retriever(MilvusStore(path), embedder), _retriever(MilvusStore(path), embedder)
    ingest_into_milvus(tiny_corpus, MilvusStore(path), embedder)
    assert first.search("Zorblax glacier", k=1)[0].source == second.search("Zorblax glacier", k=1)[0].source == "Polar Times"
    (tiny_corpus / "glacier.md").unlink()
    ingest_into_milvus(tiny_corpus, first.index.milvus, embedder)  # "instance one" ingests
    assert all(h.source != "Polar Times" for h in second.search("Zorblax glacier", k=5))
    assert [h.chunk_id for h in first.search("merger", k=3)] == [h.chunk_id for h in second.search("merger", k=3)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_separate_processes_share_one_milvus_server(tiny_corpus, tmp_path, embedder) -> None:
    """`milvus-lite server` stands in for a Milvus cluster: the ingest and two `qa search`
    processes reach it by URI, and hold no index state of their own."""
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("milvus-lite")), "server", "--data-dir", str(tmp_path / "server"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        uri = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "milvus-lite server did not start"
                time.sleep(0.2)
        env = {**os.environ, "QA_STORE": "milvus", "QA_MILVUS_URI": uri, "QA_INDEX": str(tmp_path / "unused")}

        def search(query: str) -> list[dict]:
            done = subprocess.run([sys.executable, "-m", "qa.cli", "search", query, "--json", "--k", "3"], env=env,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)

        ingest_into_milvus(tiny_corpus, MilvusStore(uri), embedder)
        assert search("Zorblax glacier")[0]["source"] == "Polar Times"
        (tiny_corpus / "glacier.md").unlink()
        ingest_into_milvus(tiny_corpus, MilvusStore(uri), embedder)
        assert all(hit["source"] != "Polar Times" for hit in search("Zorblax glacier"))
        assert not (tmp_path / "unused").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)
