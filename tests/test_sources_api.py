"""Following through the API and the CLI: /api/sources, POST /api/documents {"url"}, `qa follow`,
`qa ingest URL`, and `qa ask` citing a newly followed article — over real HTTP on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qa.answering.answer import Answerer
from qa.answering.llm import FakeLLM
from qa.cli.main import main
from qa.index.build import ingest_corpus
from qa.index.follow import Follower
from qa.index.follow_state import local_state
from qa.index.library import Library
from qa.retrieval.retrieve import Retriever
from qa.settings import Settings
from tests.newssite import NewsSite, spy_word
from tests.test_follow import LIMITS, loopback_policy

ADMIN = {"Authorization": "Bearer admin1"}
READER = {"Authorization": "Bearer reader1"}


@pytest.fixture
def site() -> Iterator[NewsSite]:
    running = NewsSite().start()
    yield running
    running.stop()


@pytest.fixture
def numeric_site() -> Iterator[NewsSite]:
    """The site with 127.0.0.1 in its URLs: the CLI resolves host names with the system resolver,
    which tests never ask (a DNS query would leave the machine)."""
    running = NewsSite(host="127.0.0.1").start()
    yield running
    running.stop()


@pytest.fixture
def client(tiny_corpus: Path, index_dir: Path, embedder, serve) -> Iterator[httpx.Client]:  # noqa: ANN001
    """The whole app with keys, a library over the tiny corpus and a follower of the simulated site."""
    from qa.serving.server import build_app

    ingest_corpus(tiny_corpus, index_dir, embedder)
    library = Library(tiny_corpus, index_dir, embedder)
    follower = Follower(tiny_corpus, local_state(index_dir), library.sync, loopback_policy(), LIMITS)
    answerer = Answerer(Retriever(index_dir, embedder), FakeLLM())
    app = build_app(answerer, Settings(api_keys="reader1", admin_keys="admin1", rate_limit=0), library, follower)
    with httpx.Client(base_url=serve(app), timeout=60, trust_env=False) as http:
        yield http


def test_sources_are_listed_by_readers_and_changed_by_admins(client, site) -> None:
    feed = site.url("/feeds/world.rss")
    assert client.post("/api/sources", json={"url": feed}, headers=READER).status_code == 403
    response = client.post("/api/sources", json={"url": feed, "every": "30m"}, headers=ADMIN)
    assert response.status_code == 201, response.text
    added = response.json()
    assert (added["url"], added["every_s"], added["last_fetch"], added["articles"]) == (feed, 1800, "", 0)
    listed = client.get("/api/sources", headers=READER).json()
    assert [s["id"] for s in listed] == [added["id"]] and "etag" not in listed[0]
    refused = client.post("/api/sources", json={"url": "file:///etc/passwd"}, headers=ADMIN)
    assert refused.status_code == 422 and "only http:// and https://" in refused.json()["detail"]
    bad_interval = client.post("/api/sources", json={"url": feed, "every": "often"}, headers=ADMIN)
    assert bad_interval.status_code == 422 and "15m" in bad_interval.json()["detail"]
    assert client.delete("/api/sources/nope", headers=ADMIN).status_code == 404
    assert client.delete(f"/api/sources/{added['id']}", headers=READER).status_code == 403
    assert client.delete(f"/api/sources/{added['id']}", headers=ADMIN).json()["url"] == feed
    assert client.get("/api/sources", headers=READER).json() == []
    assert site.requests == []  # following is lazy: nothing was fetched


def test_an_article_is_added_by_url(client, site) -> None:
    url = site.article_url(42)
    assert client.post("/api/documents", json={"url": url}, headers=READER).status_code == 403
    response = client.post("/api/documents", json={"url": url}, headers=ADMIN)
    assert response.status_code == 201, response.text
    [document] = response.json()["documents"]
    assert (document["url"], document["source"], document["published_at"]) == (url, "Harbour Herald", "2024-02-12")
    assert response.json()["ingest"]["added"] == 1
    hits = client.get("/api/search", params={"q": f"{spy_word(42)} project", "k": 1}, headers=READER).json()
    assert hits[0]["url"] == url
    again = client.post("/api/documents", json={"url": url}, headers=ADMIN).json()
    assert again["documents"] == [document] and again["ingest"] is None  # unchanged: nothing re-ingested
    refused = client.post("/api/documents", json={"url": "http://127.0.0.2/news"}, headers=ADMIN)
    assert refused.status_code == 422 and "loopback" in refused.json()["detail"]
    assert client.post("/api/documents", json={"link": url}, headers=ADMIN).status_code == 422


def test_follow_from_the_cli_then_ask_cites_the_new_article(numeric_site, tiny_corpus, tmp_path, monkeypatch, capsys) -> None:
    index = tmp_path / "index"
    monkeypatch.setenv("QA_CORPUS", str(tiny_corpus))
    monkeypatch.setenv("QA_FETCH_ALLOW", "127.0.0.1")
    monkeypatch.setenv("QA_FETCH_HOST_DELAY", "0")
    assert main(["ingest", "--index", str(index)]) == 0
    url = numeric_site.article_url(77)
    assert main(["follow", "add", url, "--every", "30m", "--index", str(index)]) == 0
    assert main(["follow", "add", "http://127.0.0.2:1/feed", "--index", str(index)]) == 2  # not allow-listed
    assert "127.0.0.2 is a loopback address" in capsys.readouterr().err
    question = f"What did officials in {spy_word(77).capitalize()} say the project number is?"
    assert main(["ask", question, "--llm", "fake", "--json", "--index", str(index)]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before["abstained"] and before["citations"] == []  # only the followed article answers it
    assert main(["follow", "run", "--index", str(index)]) == 0
    assert "1 new" in capsys.readouterr().out
    assert main(["follow", "list", "--json", "--index", str(index)]) == 0
    [source] = json.loads(capsys.readouterr().out)
    assert (source["url"], source["kind"], source["articles"], source["last_error"]) == (url, "article", 1, "")
    assert main(["follow", "run", "--index", str(index)]) == 0  # not due again for 30 minutes
    assert capsys.readouterr().out.startswith("checked 0 sources")

    assert main(["ask", question, "--llm", "fake", "--json", "--index", str(index)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert not answer["abstained"] and url in {c["url"] for c in answer["citations"]}
    assert "77" in answer["answer"]

    assert main(["follow", "remove", source["id"], "--index", str(index)]) == 0
    assert main(["follow", "list", "--index", str(index)]) == 0
    assert "no sources followed" in capsys.readouterr().out


def test_follow_run_exits_1_when_a_source_fails_and_still_checks_the_others(numeric_site, tiny_corpus, tmp_path,
                                                                            monkeypatch, capsys) -> None:
    index = tmp_path / "index"
    for name, value in {"QA_CORPUS": str(tiny_corpus), "QA_FETCH_ALLOW": "127.0.0.1", "QA_FETCH_HOST_DELAY": "0",
                        "QA_FETCH_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)
    broken, article = numeric_site.url("/broken/500.xml"), numeric_site.article_url(12)
    for url in (broken, article):
        assert main(["follow", "add", url, "--index", str(index)]) == 0
    capsys.readouterr()
    assert main(["follow", "run", "--index", str(index)]) == 1  # cron sees the failure
    out, err = capsys.readouterr()
    assert "1 new" in out and "added 6" in out  # the page was still fetched and ingested, with the tiny corpus
    assert f"error: {broken}: {broken}: HTTP 500" in err
    assert "1 of 2 sources failed, the others were checked (exit status 1)" in err
    assert main(["follow", "list", "--json", "--index", str(index)]) == 0
    listed = {s["url"]: (s["articles"], s["last_error"]) for s in json.loads(capsys.readouterr().out)}
    assert listed[article] == (1, "") and "HTTP 500" in listed[broken][1]
    assert main(["follow", "remove", broken, "--index", str(index)]) == 0
    assert main(["follow", "run", "--all", "--index", str(index)]) == 0  # nothing failed this time
    assert "error" not in capsys.readouterr().err


def test_qa_ingest_takes_urls_and_refuses_other_schemes(numeric_site, tiny_corpus, tmp_path, monkeypatch, capsys) -> None:
    index = tmp_path / "index"
    monkeypatch.setenv("QA_FETCH_ALLOW", "127.0.0.1")
    monkeypatch.setenv("QA_FETCH_HOST_DELAY", "0")
    assert main(["ingest", "file:///etc/passwd", "ftp://example.org/feed.xml", "--index", str(index)]) == 1
    err = capsys.readouterr().err
    assert "not file://" in err and "not ftp://" in err and numeric_site.requests == []
    feed = numeric_site.url("/feeds/live.atom")
    assert main(["ingest", str(tiny_corpus), feed, "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "40 new" in out and "added 45" in out  # the Atom feed's 40 articles and the tiny corpus's 5
