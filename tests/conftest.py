"""Shared fixtures: the real bundled embedding model, a tiny committed corpus, an offline guard."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TINY_CORPUS = Path(__file__).parent / "data" / "tiny_corpus"
_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address) -> None:  # noqa: ANN001
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6):
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise OSError(f"tests run offline: refused connection to {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def offline() -> None:
    """The suite runs offline: any non-loopback connection fails the test that makes it."""
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def embedder():
    """The real bundled all-MiniLM-L6-v2, loaded once per test session."""
    from qa.embedding import SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder()
    model.embed(["warm up"])
    return model


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """A writable copy of the committed five-article corpus (txt, md, jsonl, html)."""
    target = tmp_path / "corpus"
    shutil.copytree(TINY_CORPUS, target)
    return target


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"
