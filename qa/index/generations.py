"""How is the index kept on disk? Complete generations, switched atomically, never half-written.

Layout of an index folder:
    CURRENT            name of the live generation (replaced atomically with os.replace)
    gen-<stamp>/       store.sqlite (articles, chunks, vectors), dense.faiss, keyword/ (BM25)
    tmp-<stamp>/       a generation being written; ignored by readers, removed by the next writer
A writer copies the live store into a tmp folder, applies its changes there, writes the FAISS and
BM25 files, fsyncs, renames the folder to gen-*, and only then points CURRENT at it. A crash at any
point leaves CURRENT naming the previous, complete generation.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
import uuid
from pathlib import Path

from qa.errors import IndexBusyError, IndexMismatchError, IndexMissingError

STORE_FILE = "store.sqlite"
DENSE_FILE = "dense.faiss"
KEYWORD_DIR = "keyword"
_CURRENT = "CURRENT"


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or None when the index has never been built."""
    try:
        name = (index_dir / _CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    folder = index_dir / name
    return folder if (folder / STORE_FILE).exists() else None


def require_generation(index_dir: Path) -> Path:
    folder = current_generation(index_dir)
    if folder is None:
        raise IndexMissingError(f"No index at {index_dir}/ — run `qa ingest corpus/` first.")
    return folder


def begin_generation(index_dir: Path) -> Path:
    """A fresh tmp folder holding a copy of the live store (or an empty folder for a new index)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    for stale in index_dir.glob("tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    folder = index_dir / f"tmp-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    live = current_generation(index_dir)
    if live is not None:
        src = sqlite3.connect(f"file:{live / STORE_FILE}?mode=ro", uri=True)
        dst = sqlite3.connect(folder / STORE_FILE)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
    return folder


def commit_generation(index_dir: Path, folder: Path) -> Path:
    """Make the finished tmp `folder` the live generation and delete older ones."""
    _fsync_tree(folder)
    final = index_dir / folder.name.replace("tmp-", "gen-", 1)
    os.replace(folder, final)
    pointer = index_dir / f"{_CURRENT}.{uuid.uuid4().hex[:6]}"
    with open(pointer, "w") as handle:
        handle.write(final.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / _CURRENT)
    _fsync_dir(index_dir)
    for old in index_dir.glob("gen-*"):
        if old != final:
            shutil.rmtree(old, ignore_errors=True)
    return final


def abandon_generation(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def check_compatible(meta: dict[str, str], expected: dict[str, str], index_dir: Path) -> None:
    """Raise IndexMismatchError when the index was built with other embedding settings."""
    for key, want in expected.items():
        have = meta.get(key)
        if have is not None and have != want:
            raise IndexMismatchError(
                f"The index at {index_dir}/ was built with {key}={have!r}, but the settings ask for "
                f"{want!r}. Rebuild it with `qa ingest corpus/ --rebuild` (or point --index elsewhere)."
            )


def disk_size(index_dir: Path) -> int:
    folder = current_generation(index_dir)
    if folder is None:
        return 0
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class WriterLock:
    """One writer at a time per index folder (an flock, released by the OS if the process dies)."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / ".lock"
        self._fd: int | None = None

    def __enter__(self) -> "WriterLock":
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise IndexBusyError(f"Another ingest is writing to {self.path.parent}/ — wait for it to finish.") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
