"""The app over real HTTP on loopback (fake LLM): UI at /, health and search under /api."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from qa.answering.answer import Answerer
from qa.answering.llm import FakeLLM
from qa.index.build import ingest_corpus
from qa.retrieval.retrieve import Retriever


@pytest.fixture
def answerer(tiny_corpus, index_dir, embedder) -> Answerer:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    return Answerer(Retriever(index_dir, embedder), FakeLLM())


@pytest.fixture
def server_url(answerer, serve) -> str:
    from qa.serving.server import build_app

    return serve(build_app(answerer))


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read()


def test_ui_health_and_search_are_served(server_url) -> None:
    status, page = _get(server_url + "/")
    assert status == 200 and b"gradio" in page.lower()
    status, body = _get(server_url + "/api/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, body = _get(server_url + "/api/search?q=Zorblax%20glacier&k=2")
    hits = json.loads(body)
    assert status == 200 and hits[0]["source"] == "Polar Times" and len(hits) == 2


def _post(url: str, body: dict) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), response.headers.get("content-type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("content-type", "")


def test_ask_returns_the_cli_json_object(server_url) -> None:
    status, body, _ = _post(server_url + "/api/ask", {"question": "What did the survey find at the Zorblax glacier's edge?", "shape": "fact"})
    answer = json.loads(body)
    assert status == 200 and set(answer) >= {"question", "answer", "abstained", "citations", "model", "timings"}
    assert answer["citations"][0]["supported"] and "meltwater" in answer["citations"][0]["quote"]
    (claim,) = answer["claims"]  # every sentence with its own quotes
    assert claim["supported"] and "meltwater" in claim["quotes"][0]["quote"] and answer["shape"] == "fact"
    status, body, _ = _post(server_url + "/api/ask", {"question": "Zorblax glacier", "shape": "summary"})
    assert status == 200 and json.loads(body)["shape"] == "summary"
    status, body, _ = _post(server_url + "/api/ask", {"question": "Zorblax glacier", "shape": "poem"})
    assert status == 422 and b"shape" in body


def test_ask_streams_server_sent_events_then_the_final_answer(server_url) -> None:
    status, body, kind = _post(server_url + "/api/ask", {"question": "What did the survey find at the Zorblax glacier's edge?", "stream": True})
    assert status == 200 and kind.startswith("text/event-stream")
    events = [block.split("\n", 1) for block in body.decode().strip().split("\n\n")]
    names = [head.removeprefix("event: ") for head, _ in events]
    assert names == ["sources", "claim", "token", "answer"]  # one verified sentence: its claim, then its text
    sources = json.loads(events[0][1].removeprefix("data: "))
    first = sources["sources"][0]
    assert first["n"] == 1 and first["source"] and first["title"] and first["sentence"] and sources["retrieve_ms"] > 0
    claim = json.loads(events[1][1].removeprefix("data: "))
    assert claim["claim"]["supported"] and claim["claim"]["cited"] == [1] and "meltwater" in claim["claim"]["quotes"][0]["quote"]
    final = json.loads(events[-1][1].removeprefix("data: "))
    assert final["citations"] and json.loads(events[2][1].removeprefix("data: "))["text"] == claim["text"] == final["answer"]


def test_bad_requests_get_422_with_a_reason(server_url) -> None:
    status, body, _ = _post(server_url + "/api/ask", {"question": ""})
    assert status == 422 and b"question" in body
    status, _, _ = _post(server_url + "/api/ask", {"question": "x", "k": 500})
    assert status == 422


def test_the_event_stream_sends_only_verified_sentences_and_quotes_as_quotations(answerer, serve) -> None:
    from qa.serving.server import build_app
    from tests.test_answer import MIXED_REPLY, WHY_QUESTION

    url = serve(build_app(Answerer(answerer.retriever, FakeLLM([MIXED_REPLY]))))
    status, body, _ = _post(url + "/api/ask", {"question": WHY_QUESTION, "stream": True})
    events = [(head.removeprefix("event: "), json.loads(data.removeprefix("data: ")))
              for head, data in (block.split("\n", 1) for block in body.decode().strip().split("\n\n"))]
    assert status == 200 and "ice-free" not in body.decode()  # the unsupported sentence is never sent
    claims = [data for name, data in events if name == "claim"]
    tokens = "".join(data["text"] for name, data in events if name == "token")
    final = events[-1][1]
    assert tokens == "".join(c["text"] for c in claims) == final["answer"]
    assert all(c["claim"]["supported"] and c["claim"]["quotes"] for c in claims)
    quoted = claims[0]
    assert quoted["claim"]["verbatim"] is True and quoted["claim"]["label"] == "Polar Times"
    assert quoted["text"] == f"Polar Times: “{quoted['claim']['text']}” [1]" and quoted["claim"]["cited"] == [1]
    assert final["claims"][0]["verbatim"] is True and final["answer"].startswith("Polar Times: “Researchers said")
