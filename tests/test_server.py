"""The app over real HTTP on loopback (fake LLM): UI at /, health and search under /api."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from qa.answer import Answerer
from qa.ingest import ingest_corpus
from qa.llm import FakeLLM
from qa.retrieve import Retriever
from qa.types import Answer, Citation, Hit
from qa.ui import render_sources, respond


@pytest.fixture
def answerer(tiny_corpus, index_dir, embedder) -> Answerer:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    return Answerer(Retriever(index_dir, embedder), FakeLLM())


@pytest.fixture
def server_url(answerer):
    import uvicorn

    from qa.server import build_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_app(answerer), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


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


def test_chat_streams_then_shows_sources_with_the_quote_highlighted(answerer) -> None:
    shown = list(respond(answerer, "What did the survey find at the Zorblax glacier's edge?", []))
    assert len(shown) > 2
    assert "<mark>The survey found meltwater lakes forming at the glacier&#x27;s edge.</mark>" in shown[-1]
    assert "Polar Times" in shown[-1]


def test_markup_inside_an_article_is_shown_as_text() -> None:
    text = 'Officials said <script>alert("x")</script> nothing.'
    hit = Hit(1, "a", 0, 0, len(text), text, 1.0, "<b>Title</b>", "Wire", "javascript:alert(1)", "2023-10-01")
    citation = Citation(1, "a", "<b>Title</b>", "Wire", "javascript:alert(1)", "2023-10-01", text, 0, len(text), 1.0, True, 1)
    html_out = render_sources(Answer("q", "a [1].", False, [citation], "fake", {}, [hit], "a"))
    assert "<script>" not in html_out and "&lt;script&gt;" in html_out
    assert "<b>Title</b>" not in html_out and 'href="javascript' not in html_out


def _post(url: str, body: dict) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), response.headers.get("content-type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("content-type", "")


def test_ask_returns_the_cli_json_object(server_url) -> None:
    status, body, _ = _post(server_url + "/api/ask", {"question": "What did the survey find at the Zorblax glacier's edge?"})
    answer = json.loads(body)
    assert status == 200 and set(answer) >= {"question", "answer", "abstained", "citations", "model", "timings"}
    assert answer["citations"][0]["supported"] and "meltwater" in answer["citations"][0]["quote"]


def test_ask_streams_server_sent_events_then_the_final_answer(server_url) -> None:
    status, body, kind = _post(server_url + "/api/ask", {"question": "What did the survey find at the Zorblax glacier's edge?", "stream": True})
    assert status == 200 and kind.startswith("text/event-stream")
    events = [block.split("\n", 1) for block in body.decode().strip().split("\n\n")]
    names = [head.removeprefix("event: ") for head, _ in events]
    assert names[-1] == "answer" and names.count("token") >= 2 and set(names) == {"token", "answer"}
    final = json.loads(events[-1][1].removeprefix("data: "))
    assert final["citations"] and "".join(json.loads(d.removeprefix("data: "))["text"] for h, d in events[:-1])


def test_bad_requests_get_422_with_a_reason(server_url) -> None:
    status, body, _ = _post(server_url + "/api/ask", {"question": ""})
    assert status == 422 and b"question" in body
    status, _, _ = _post(server_url + "/api/ask", {"question": "x", "k": 500})
    assert status == 422
