"""One ingest at a time on a Milvus index, from any machine: a lease row in its state collection.

A writer inserts its lease ("lease-<time>-<host:pid:nonce>"), then reads the others: if any
fresh one exists it withdraws (IndexBusyError). Of two that insert at once, at least the later
reader sees the other, so two never both go on (both may withdraw; try again). The lease is
renewed every `stale_after`/4 seconds while the ingest runs (a new row, then the old one deleted:
never an update in place) and deleted at its end. A lease not renewed for `stale_after` seconds
(its writer died) is ignored and deleted, so the writing machines' clocks must agree to well
within that.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from qa.errors import IndexBusyError
from qa.index.milvus_store import MilvusStore

STALE_AFTER_S = 120.0


@contextmanager
def writer_lease(store: MilvusStore, stale_after: float = STALE_AFTER_S) -> Iterator[None]:
    """Hold `store`'s writer lease for the `with` block; IndexBusyError when another writer holds it."""
    store.create(0, kinds=("state",))
    state = store.collection("state")
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    lease = _renew(store, owner, None)
    others = [row for row in store.client.query(state, filter='pk like "lease-%"', output_fields=["pk", "value"])
              if owner not in row["pk"]]
    stale = [row["pk"] for row in others if time.time() - json.loads(row["value"])["at"] > stale_after]
    fresh = [json.loads(row["value"])["owner"] for row in others if row["pk"] not in stale]
    if stale:
        store.client.delete(state, ids=stale)
    if fresh:
        store.client.delete(state, ids=[lease])
        raise IndexBusyError(f"Another ingest ({fresh[0]}) is writing to {store.where()} — wait for it to finish "
                             f"(a writer that died frees it after {stale_after:.0f} s).")
    done = threading.Event()

    def renew() -> None:
        nonlocal lease
        while not done.wait(stale_after / 4):
            try:
                lease = _renew(store, owner, lease)
            except Exception:  # noqa: BLE001 - the next beat retries; the ingest itself reports errors
                logging.getLogger(__name__).warning("could not renew the writer lease on %s", store.where())

    beat = threading.Thread(target=renew, name="milvus-writer-lease", daemon=True)
    beat.start()
    try:
        yield
    finally:
        done.set()
        beat.join()
        store.client.delete(state, ids=[lease])


def _renew(store: MilvusStore, owner: str, previous: str | None) -> str:
    """Insert a fresh lease row for `owner`, then delete `previous`; the new row's key."""
    pk = f"lease-{time.time_ns():020d}-{owner}"
    value = json.dumps({"owner": owner, "at": time.time()})
    store.insert("state", [{"pk": pk, "born": 0, "died": 0, "value": value}])
    if previous is not None:
        store.client.delete(store.collection("state"), ids=[previous])
    return pk
