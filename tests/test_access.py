"""Keys, rate limits, size limits and CORS: unit cases, then the real app over HTTP (fake LLM)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlparse

import httpx
import pytest

from qa.answering.answer import Answerer
from qa.answering.llm import FakeLLM
from qa.index.build import ingest_corpus
from qa.retrieval.retrieve import Retriever
from qa.serving.access import Access, RateLimiter
from qa.serving.serve import listen_host
from qa.settings import Settings

QUESTION = {"question": "What did the survey find at the Zorblax glacier's edge?"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_allows_the_budget_then_says_how_long_to_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock)
    assert [limiter.check("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.check("a") == pytest.approx(20.0)
    assert limiter.check("b") == 0.0  # buckets are per identity
    clock.now += 20.0
    assert limiter.check("a") == 0.0 and limiter.check("a") > 0


def test_rate_limit_zero_means_unlimited() -> None:
    limiter = RateLimiter(0, FakeClock())
    assert all(limiter.check("a") == 0.0 for _ in range(1000))


def test_keys_have_roles_and_unknown_keys_none() -> None:
    access = Access.from_settings(Settings(api_keys="r1, r2", admin_keys="a1"))
    assert access.enabled
    assert access.check_key("r2").admin is False and access.check_key("a1").admin is True
    assert access.check_key("r3") is None and access.check_key("") is None
    assert not Access.from_settings(Settings()).enabled


def test_without_keys_the_server_binds_to_loopback_and_says_why() -> None:
    host, why = listen_host(Settings(host="0.0.0.0"), Access())
    assert host == "127.0.0.1" and "QA_API_KEYS" in why
    assert listen_host(Settings(), Access()) == ("127.0.0.1", None)
    assert listen_host(Settings(), Access(("r1",))) == ("0.0.0.0", None)
    assert listen_host(Settings(host="10.0.0.5"), Access(("r1",))) == ("10.0.0.5", None)


@pytest.fixture
def answerer(tiny_corpus, index_dir, embedder) -> Answerer:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    return Answerer(Retriever(index_dir, embedder), FakeLLM())


@pytest.fixture
def start(answerer, serve):
    from qa.serving.server import build_app

    return lambda settings: serve(build_app(answerer, settings))


def test_keys_are_required_when_set(start) -> None:
    url = start(Settings(api_keys="reader-key", admin_keys="admin-key"))
    missing = httpx.post(url + "/api/ask", json=QUESTION)
    assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["detail"]
    assert missing.headers["www-authenticate"] == "Bearer"
    assert httpx.post(url + "/api/ask", json=QUESTION, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert httpx.get(url + "/api/stats").status_code == 401
    for key in ("reader-key", "admin-key"):
        ok = httpx.post(url + "/api/ask", json=QUESTION, headers={"Authorization": f"Bearer {key}"}, timeout=60)
        assert ok.status_code == 200 and ok.json()["citations"]
    assert httpx.get(url + "/api/health").status_code == 200  # health stays open for load balancers


def test_open_api_without_keys_serves_stats_and_docs(start) -> None:
    url = start(Settings())
    stats = httpx.get(url + "/api/stats").json()
    assert stats["articles"] >= 4 and "Polar Times" in stats["outlets"] and stats["llm"] == "fake"
    assert httpx.get(url + "/docs").status_code == 200
    paths = httpx.get(url + "/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/search", "/api/stats", "/api/health", "/v1/chat/completions"} <= set(paths)


def test_rate_limit_per_key_gives_429_with_retry_after(start) -> None:
    url = start(Settings(api_keys="k1,k2", rate_limit=2))
    first = {"Authorization": "Bearer k1"}
    assert [httpx.get(url + "/api/search?q=glacier", headers=first).status_code for _ in range(2)] == [200, 200]
    limited = httpx.get(url + "/api/search?q=glacier", headers=first)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert httpx.get(url + "/api/search?q=glacier", headers={"Authorization": "Bearer k2"}).status_code == 200


def test_bodies_over_the_limit_get_413(start) -> None:
    url = start(Settings(max_body_bytes=2000))
    big = {"question": "x" * 1900, "history": [{"question": "q", "answer": "a" * 500}]}
    declared = httpx.post(url + "/api/ask", json=big)
    assert declared.status_code == 413 and "2,000 bytes" in declared.json()["detail"]
    assert httpx.post(url + "/api/ask", json=QUESTION, timeout=60).status_code == 200

    # A chunked body declares no length: it is counted as it arrives.
    parts = urlparse(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    payload = json.dumps(big).encode()
    connection.request("POST", "/api/ask", body=iter([payload[:1000], payload[1000:]]),
                       headers={"Content-Type": "application/json"}, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 413
    connection.close()


def test_cors_allows_only_the_configured_origins(start) -> None:
    url = start(Settings(cors_origins="https://portal.example.com"))
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    allowed = httpx.options(url + "/api/ask", headers={"Origin": "https://portal.example.com", **preflight})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://portal.example.com"
    other = httpx.options(url + "/api/ask", headers={"Origin": "https://evil.example.net", **preflight})
    assert "access-control-allow-origin" not in other.headers


def test_the_chat_ui_asks_for_a_key_when_keys_are_set(start) -> None:
    url = start(Settings(api_keys="reader-key"))
    assert httpx.get(url + "/config").status_code == 401
    login = httpx.post(url + "/login", data={"username": "me", "password": "reader-key"})
    assert login.status_code == 200 and login.json().get("success") is True
    assert httpx.post(url + "/login", data={"username": "me", "password": "wrong"}).status_code == 400
