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

from qa.errors import ConfigError
from qa.index.build import IngestOptions, ingest_corpus
from qa.index.embedding import PASSAGE_TEMPLATE
from qa.index.milvus_build import ingest_into_milvus
from qa.index.milvus_lease import writer_lease
from qa.index.milvus_store import MilvusStore
from qa.retrieval.milvus import MilvusIndex
from qa.retrieval.retrieve import Filters, Retriever
from tests.test_library import KILN

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
    # float rounding and tie order differ from FAISS and bm25s by the last bits: "Karabakh
    # Azerbaijan" swaps two Reuters chunks at ranks 2 and 3 whose BM25 scores nearly tie).
    for query in ("How did the Zorblax glacier change, and what did Sports Daily report?",
                  "Karabakh Azerbaijan", "What happened last week?", "bank merger shares"):
        expected = [(h.article_id, h.start) for h in local.search(query, k=6)]
        found = [(h.article_id, h.start) for h in remote.search(query, k=6)]
        assert found[0] == expected[0] and set(found[:3]) == set(expected[:3])
        assert len(set(found) & set(expected)) >= 5


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
    """`python -m qa.index.milvus_server` stands in for a Milvus cluster: the ingest and two
    `qa search` processes reach it by URI, and hold no index state of their own."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "qa.index.milvus_server", str(tmp_path / "server" / "milvus.db"), "--port", str(port)],
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

        with pytest.raises(ConfigError, match="another process holds it"):
            MilvusStore(str(tmp_path / "server" / "milvus.db")).client  # noqa: B018 - the server holds the file
        ingest_into_milvus(tiny_corpus, MilvusStore(uri), embedder)
        assert search("Zorblax glacier")[0]["source"] == "Polar Times"
        (tiny_corpus / "glacier.md").unlink()
        ingest_into_milvus(tiny_corpus, MilvusStore(uri), embedder)
        assert all(hit["source"] != "Polar Times" for hit in search("Zorblax glacier"))
        assert not (tmp_path / "unused").exists()
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0  # the engine stopped with it



def test_the_library_lists_adds_and_deletes_documents_on_milvus(tiny_corpus, tmp_path, milvus, embedder) -> None:
    """The documents API's library on Milvus: the same steps as on the local store."""
    from qa.errors import DocumentConflict, DocumentNotFound

    ingest_into_milvus(tiny_corpus, milvus, embedder)
    from types import SimpleNamespace

    from qa.compose import build_library
    from qa.settings import Settings

    settings = Settings(store="milvus", milvus_uri=milvus.uri, corpus_dir=tiny_corpus, index_dir=tmp_path / "index")
    library = build_library(settings, SimpleNamespace(embedder=embedder))  # what `qa serve` mounts on Milvus
    assert library.milvus is not None and library.milvus.uri == milvus.uri
    retriever = _retriever(milvus, embedder)
    before = library.documents()
    assert len(before) == 5 and [d.path for d in before] == sorted(d.path for d in before)
    assert sum(d.chunks for d in before) == retriever.store.counts()["chunks"]

    added = library.add("kiln.md", KILN)
    assert [(d.title, d.source, d.path) for d in added] == [
        ("Glassblowers relight the Quillfeather kiln", "Craft Gazette", "uploads/kiln.md")]
    assert added[0].chunks > 0 and len(library.documents()) == 6
    assert retriever.search("Quillfeather kiln Vantorra", k=1)[0].article_id == added[0].id
    with pytest.raises(DocumentConflict, match="identical to uploads/kiln.md"):
        library.add("copy.md", KILN)

    assert library.delete(added[0].id) == added[0]
    assert not (tiny_corpus / "uploads" / "kiln.md").exists() and library.documents() == before
    assert all(h.article_id != added[0].id for h in retriever.search("Quillfeather kiln Vantorra", k=5))
    with pytest.raises(DocumentNotFound):
        library.delete(added[0].id)


def test_retiring_never_hides_a_row_and_a_crash_inside_it_is_undone(milvus) -> None:
    """Rows are retired by a copy under a mirrored key, then the original deleted (no upsert,
    which Milvus Lite 2.5 runs as delete-then-insert); recovery from a crash between the two leaves
    each row once, alive."""
    from qa.index.milvus_store import State

    milvus.create(4)
    milvus.insert("files", [{"pk": f"f{i}", "born": 1, "died": 0, "path": f"p{i}", "sha256": "x", "size": 1}
                            for i in range(5)])
    milvus.switch(State(live=1, floor=1))
    visible = State(live=1, floor=1).visible()
    assert milvus.retire("files", "pk in ['f0', 'f1']", 2) == 2
    assert milvus.count("files", visible) == 5 and milvus.count("files", "died == 2") == 2
    assert sorted(r["pk"] for r in milvus.rows("files", "died == 2", ["pk"])) == ["f0~", "f1~"]
    # A crash after the copies were written, before the originals were deleted:
    copies = milvus.rows("files", "pk in ['f2', 'f3']", ["*"])
    milvus.insert("files", [{**row, "pk": row["pk"] + "~", "died": 2} for row in copies])
    milvus.recover(State(live=1, floor=1))
    rows = milvus.rows("files", "born >= 0", ["pk", "died"])
    assert sorted((r["pk"], r["died"]) for r in rows) == [(f"f{i}", 0) for i in range(5)]


def test_a_reader_during_commits_and_retirements_always_sees_the_whole_generation(milvus) -> None:
    """With upserts, about one read in ten during these writes found no state row or missed rows."""
    import threading

    from qa.index.milvus_store import State

    milvus.create(4)
    milvus.insert("files", [{"pk": f"f{i}", "born": 1, "died": 0, "path": f"p{i}", "sha256": "x", "size": 1}
                            for i in range(200)])
    milvus.switch(State(live=1, floor=1))
    reads: list[tuple[int | None, int]] = []
    done = threading.Event()

    def read() -> None:
        reader = MilvusStore(milvus.uri)
        while not done.is_set():
            state = reader.state()
            reads.append((state and state.live, reader.count("files", State(live=1, floor=1).visible())))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for generation in range(2, 14):
            milvus.retire("files", "died == 0 or died > 1", generation)
            milvus.switch(State(live=generation, floor=1))
    finally:
        done.set()
        thread.join()
    assert len(reads) > 20
    assert all(live is not None and count >= 200 for live, count in reads)
    assert milvus.require_state().live == 13 and milvus.count("state", "born >= 0") == 1


def test_a_milvus_lite_path_it_cannot_use_is_refused_with_the_reason(tmp_path) -> None:
    (tmp_path / "old.db").mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        MilvusStore(str(tmp_path / "old.db")).client  # noqa: B018
    with pytest.raises(ConfigError, match="1-36 letters"):
        MilvusStore(str(tmp_path / "a name with spaces.db")).client  # noqa: B018


def test_one_writer_at_a_time_from_any_process(tiny_corpus, milvus, embedder) -> None:
    """The writer lease lives in Milvus, so it holds across machines (here: a second store client
    standing for another machine's `qa ingest`)."""
    import json as jsonlib

    from qa.errors import IndexBusyError

    other = MilvusStore(milvus.uri)
    with writer_lease(milvus):
        with pytest.raises(IndexBusyError, match="Another ingest"):
            ingest_into_milvus(tiny_corpus, other, embedder)
        assert other.state() is None  # it wrote nothing
    report = ingest_into_milvus(tiny_corpus, other, embedder)  # free again once the first is done
    assert report.added == 5 and milvus.count("state", 'pk like "lease-%"') == 0
    # A writer that died leaves its lease; once not renewed for `stale_after` seconds it is ignored.
    milvus.client.insert(milvus.collection("state"), [{
        "pk": "lease-00000000000000000001-deadhost:1:dead", "born": 0, "died": 0, "_unused": [0.0, 0.0],
        "value": jsonlib.dumps({"owner": "deadhost:1:dead", "at": 1.0})}])
    with writer_lease(other):
        assert milvus.count("state", 'pk like "lease-%"') == 1  # its own; the dead one deleted


def test_the_lease_is_renewed_while_the_writer_works(milvus) -> None:
    import time as timelib

    with writer_lease(milvus, stale_after=0.4):
        first = milvus.rows("state", 'pk like "lease-%"', ["pk"])
        timelib.sleep(0.5)
        second = milvus.rows("state", 'pk like "lease-%"', ["pk"])
    assert len(first) == len(second) == 1 and first != second


def test_a_row_and_its_retired_copy_are_one_hit(milvus_retriever, milvus) -> None:
    """The moment inside `retire` when a chunk's copy is written and the original not yet deleted."""
    top = milvus_retriever.search("Zorblax glacier", k=1)[0]
    row = milvus.rows("chunks", f"chunk_id == {top.chunk_id}", ["*"])[0]
    row.pop("sparse", None)
    milvus.insert("chunks", [{**row, "chunk_id": -top.chunk_id, "died": 99}])
    hits = milvus_retriever.search("Zorblax glacier", k=10)
    assert abs(hits[0].chunk_id) == top.chunk_id
    assert len({(h.article_id, h.start) for h in hits}) == len(hits)
