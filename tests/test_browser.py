"""The real app in a real browser: Chromium (headless, driven by Playwright) against the server on
loopback, with the fake LLM over the tiny corpus. `make install-test` installs both."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from qa.answering.answer import Answerer
from qa.answering.llm import FakeLLM
from qa.index.build import ingest_corpus
from qa.retrieval.retrieve import Retriever

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
GLACIER_QUESTION = "What did the survey find at the Zorblax glacier's edge?"
HOSTILE_ARTICLE = """---
title: Snorkwater council <b>hears</b> about its website
source: Borough Bulletin
published_at: 2023-10-10
---

The Snorkwater council heard that <script>window.__pwned = 1</script> had been posted on its website.
The Snorkwater clerk said <img src=x onerror="window.__pwned=1"> also appeared in the published minutes.
"""
# Records every text the last answer showed, to see it stream.
WATCH_ANSWERS = """() => {
  window.__shown = [];
  new MutationObserver(() => {
    const bots = document.querySelectorAll('[data-testid="bot"]');
    const text = bots.length ? bots[bots.length - 1].innerText : '';
    if (text && window.__shown[window.__shown.length - 1] !== text) window.__shown.push(text);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium; missing Chromium or Playwright fails (not skips) the browser tests."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: run `make install-test` (it installs playwright and Chromium).", pytrace=False)
    if not CHROMIUM.exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: run `make install-test` (it apt-installs Debian's chromium).", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, serve):  # noqa: ARG001 - after `serve`, so the page closes before the server stops
    """A fresh page that may only talk to loopback (the suite runs offline, the browser too)."""
    context = browser.new_context()
    refused: list[str] = []

    def loopback_only(route) -> None:  # noqa: ANN001
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", loopback_only)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
    assert not [url for url in refused if not url.startswith("data:")], f"the page tried to go online: {refused}"


def _serve(serve, corpus: Path, index_dir: Path, embedder, llm: FakeLLM | None = None, **app_kwargs) -> str:  # noqa: ANN001
    from qa.serving.server import build_app

    ingest_corpus(corpus, index_dir, embedder)
    answerer = Answerer(Retriever(index_dir, embedder), llm or FakeLLM())
    return serve(build_app(answerer, **app_kwargs))


@pytest.fixture
def app_url(serve, tiny_corpus, index_dir, embedder) -> str:
    """The app over the tiny corpus plus one article whose text is hostile markup."""
    (tiny_corpus / "snorkwater.md").write_text(HOSTILE_ARTICLE)
    return _serve(serve, tiny_corpus, index_dir, embedder)


def _ask(page, question: str) -> None:  # noqa: ANN001
    box = page.get_by_role("textbox", name=re.compile("message", re.I)).or_(page.locator("textarea")).first
    box.fill(question)
    box.press("Enter")


def _last_answer(page):  # noqa: ANN001, ANN202
    return page.locator('[data-testid="bot"]').last


def test_an_answer_streams_with_a_clickable_citation_and_the_quote_highlighted(page, app_url) -> None:
    page.goto(app_url + "/")
    page.evaluate(WATCH_ANSWERS)
    _ask(page, GLACIER_QUESTION)
    answer = _last_answer(page)
    answer.locator(".qa-sources mark").wait_for()
    assert "meltwater" in answer.locator(".qa-sources mark").inner_text()
    shown = page.evaluate("window.__shown")
    assert len(shown) >= 2 and "Sources" not in shown[0], f"the answer did not stream: {shown}"
    citation = answer.locator("a.qa-cite").first
    assert citation.inner_text() == "[1]"
    citation.click()
    assert page.evaluate("location.hash") == "#source-1-1"
    source = page.locator("#source-1-1")
    assert "Polar Times" in source.inner_text() and "2023-10-05" in source.inner_text()
    assert source.locator("a").get_attribute("href") == "https://example.org/polar/zorblax-glacier"


def _sentences(text: str) -> list[str]:
    """A chat message's sentences, markers and layout aside."""
    flat = " ".join(re.sub(r"\[\d+(?:, \d+)*\]", " ", text).split())
    return [s for s in re.split(r"(?<=[.!?”])\s+", flat) if s]


def _answer_text(message: str) -> str:
    """A chat message without the passages being read or the sources under it."""
    return re.split(r"Reading \d+ passages|\bSources\b", message)[0]


def test_the_chat_never_shows_a_sentence_the_final_answer_does_not_contain(page, serve, tiny_corpus, index_dir, embedder) -> None:
    from tests.test_answer import MIXED_REPLY, WHY_QUESTION

    page.goto(_serve(serve, tiny_corpus, index_dir, embedder, llm=FakeLLM([MIXED_REPLY])) + "/")
    page.evaluate(WATCH_ANSWERS)
    _ask(page, WHY_QUESTION)
    answer = _last_answer(page)
    answer.locator(".qa-sources").wait_for()
    final = " ".join(_sentences(_answer_text(answer.inner_text())))
    shown = page.evaluate("window.__shown")
    streamed = [sentence for text in shown for sentence in _sentences(_answer_text(text))]
    assert streamed, f"no answer text was shown before the final message: {shown}"
    assert all(sentence in final for sentence in streamed), f"shown, then taken back: {streamed} / final: {final}"
    assert "ice-free" not in " ".join(shown) and "Polar Times: “Researchers said" in final


def test_markup_in_an_article_is_shown_as_text_and_never_runs(page, app_url) -> None:
    page.goto(app_url + "/")
    _ask(page, "What did the Snorkwater council hear about its website?")
    answer = _last_answer(page)
    answer.locator(".qa-sources mark").first.wait_for()
    text = answer.inner_text()
    assert "<script>window.__pwned = 1</script>" in text and "Snorkwater council <b>hears</b>" in text
    assert '<img src=x onerror="window.__pwned=1">' in text
    assert answer.locator("script, img, b:text('hears')").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_abstentions_look_different_bad_filters_explain_and_new_chat_clears(page, app_url) -> None:
    page.goto(app_url + "/")
    _ask(page, "Who won the Quuxland snail derby in 1850?")
    note = _last_answer(page).locator(".qa-abstained")
    note.wait_for()
    assert "No answer in the corpus" in note.inner_text() and page.locator(".qa-sources").count() == 0

    page.get_by_text("Filters").first.click()
    page.get_by_label("Since").fill("5 October 2023")
    _ask(page, GLACIER_QUESTION)
    error = _last_answer(page).locator(".qa-error")
    error.wait_for()
    assert "'5 October 2023' is not a date: write the 'since' date as YYYY-MM-DD" in error.inner_text()
    assert page.locator(".qa-abstained").is_visible() and "Traceback" not in page.content()  # the chat is intact

    page.get_by_role("button", name="New chat").click()
    page.wait_for_function("document.querySelectorAll('[data-testid=\"bot\"]').length === 0")
    assert page.get_by_text("Who won the Quuxland snail derby").count() == 0


def test_the_embed_is_a_compact_chat_that_answers_with_sources(page, app_url) -> None:
    page.goto(app_url + "/embed/")
    assert page.get_by_text("Filters").count() == 0 and page.get_by_text("Newsroom QA").count() == 0
    _ask(page, GLACIER_QUESTION)
    answer = _last_answer(page)
    answer.locator(".qa-sources mark").wait_for()
    assert "meltwater" in answer.locator("mark").inner_text() and answer.locator("a.qa-cite").count() >= 1


def test_an_admin_adds_and_deletes_an_article_from_the_page(page, serve, tiny_corpus, index_dir, embedder, tmp_path) -> None:
    from qa.index.library import Library
    from qa.settings import Settings

    url = _serve(serve, tiny_corpus, index_dir, embedder, settings=Settings(admin_keys="admin-secret", api_keys="reader-key"),
                 library=Library(tiny_corpus, index_dir, embedder))
    upload = tmp_path / "plover.md"
    upload.write_text("---\ntitle: Plover count doubles\nsource: Wader Weekly\npublished_at: 2023-11-30\n---\n\n"
                      "Volunteers counted 412 Grixwold plovers on the estuary this autumn, twice last year's number.\n")
    page.goto(url + "/")
    page.get_by_test_id("textbox").fill("editor")
    page.get_by_test_id("password").fill("reader-key")
    page.get_by_role("button", name="Login").click()
    page.get_by_text("Admin", exact=True).click()

    page.get_by_label("Admin key").fill("reader-key")  # a reader may sign in, but not change the corpus
    page.locator('input[type="file"]').set_input_files(str(upload))
    page.get_by_role("button", name="Add to the corpus").click()
    page.get_by_text("That is not an admin key").first.wait_for()

    page.get_by_label("Admin key").fill("admin-secret")
    page.get_by_role("button", name="Add to the corpus").click()
    page.get_by_text("Added 1 article:").wait_for()
    assert page.get_by_text("Plover count doubles — Wader Weekly, 2023-11-30").count() == 1
    assert page.get_by_text("6 articles").count() == 1

    _ask(page, "How many Grixwold plovers did volunteers count on the estuary?")
    _last_answer(page).locator(".qa-sources mark").wait_for()
    assert "Wader Weekly" in _last_answer(page).inner_text()

    page.get_by_label("Document").click()
    page.get_by_role("option", name=re.compile("Plover count doubles")).click()
    page.get_by_role("button", name="Delete document").click()
    page.get_by_text("Deleted Plover count doubles").wait_for()
    assert page.get_by_text("5 articles").count() == 1 and not (tiny_corpus / "uploads" / "plover.md").exists()
