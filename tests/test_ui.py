"""The chat window's rendering and inputs, without a browser (tests/test_browser.py drives a real one)."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest

from qa.answering.answer import Answerer
from qa.answering.llm import FakeLLM
from qa.errors import QAError
from qa.index.build import ingest_corpus
from qa.retrieval.retrieve import Filters, Retriever
from qa.serving.access import Access
from qa.serving.ui import (
    KARABAKH_QUESTION,
    build_embed,
    build_ui,
    corpus_facts,
    example_questions,
    parse_filters,
    respond,
)
from qa.serving.render import link_markers, render_answer, render_error, render_sources
from qa.types import Answer, Article, Citation, Hit

GLACIER_QUESTION = "What did the survey find at the Zorblax glacier's edge?"


@pytest.fixture
def answerer(tiny_corpus, index_dir, embedder) -> Answerer:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    return Answerer(Retriever(index_dir, embedder), FakeLLM())


def _answer(text: str, citations: list[Citation], hits: list[Hit], abstained: bool = False) -> Answer:
    return Answer("q", text, abstained, citations, "fake", {}, hits, "")


def _cited(n: int, text: str, title: str = "Title", url: str = "https://example.org/a") -> tuple[Citation, Hit]:
    hit = Hit(n, f"a{n}", 0, 0, len(text), text, 1.0, title, "Wire", url, "2023-10-01T08:00:00+00:00")
    return Citation(n, f"a{n}", title, "Wire", url, "2023-10-01T08:00:00+00:00", text, 0, len(text), 1.0, True, n), hit


def test_chat_streams_then_shows_sources_with_the_quote_highlighted(answerer) -> None:
    shown = list(respond(answerer, GLACIER_QUESTION, []))
    assert len(shown) > 2 and "<mark>" not in shown[0]
    assert shown[0].startswith('<details class="qa-reading"') and "Polar Times" in shown[0]  # evidence first
    assert "qa-reading" not in shown[-1]
    assert "<mark>The survey found meltwater lakes forming at the glacier&#x27;s edge.</mark>" in shown[-1]
    assert "Polar Times" in shown[-1] and "2023-10-05" in shown[-1]


def test_markup_inside_an_article_is_shown_as_text() -> None:
    text = 'Officials said <script>alert("x")</script> nothing.'
    citation, hit = _cited(1, text, title="<b>Title</b>", url="javascript:alert(1)")
    html_out = render_sources(_answer("a [1].", [citation], [hit]))
    assert "<script>" not in html_out and "&lt;script&gt;" in html_out
    assert "<b>Title</b>" not in html_out and 'href="javascript' not in html_out


def test_markup_in_the_answer_text_is_escaped_and_only_our_links_are_markup() -> None:
    citation, hit = _cited(1, "Quiet day.")
    shown = render_answer(_answer('<img src=x onerror="alert(1)"> Quiet day [1].', [citation], [hit]))
    assert "<img" not in shown and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown


def test_markers_of_cited_sources_link_to_their_entries() -> None:
    linked = link_markers("Rain [1] and snow [2], wind [3].", cited={1, 3}, turn=2)
    assert linked.count("<a ") == 2 and 'href="#source-2-1"' in linked and 'href="#source-2-3"' in linked
    assert "snow [2]," in linked  # no source entry to point at: left as text
    assert link_markers("No markers.", cited={1}, turn=1) == "No markers."


def test_every_citation_link_has_a_source_entry_with_its_id() -> None:
    pairs = [_cited(1, "It rained."), _cited(2, "It snowed.")]
    shown = render_answer(_answer("It rained [1]. It snowed [2].", [c for c, _ in pairs], [h for _, h in pairs]), turn=3)
    targets = re.findall(r'href="#([^"]+)"', shown)
    assert targets == ["source-3-1", "source-3-2"]
    assert all(f'id="{target}"' in shown for target in targets)
    assert shown.count("<mark>") == 2 and "Wire · 2023-10-01" in shown


def test_a_passage_with_blank_lines_stays_one_html_block() -> None:
    citation, hit = _cited(1, "First paragraph.\n\n    Indented second paragraph.")
    shown = render_sources(_answer("x [1].", [citation], [hit]))
    assert "\n" not in shown  # a blank line would end Markdown's HTML block and render the rest as Markdown


def test_an_abstention_is_a_styled_note_without_sources() -> None:
    abstained = render_answer(_answer("Insufficient information: <nothing> here.", [], [], abstained=True))
    assert 'class="qa-abstained"' in abstained and "⚠️" in abstained and "style=" in abstained
    assert "&lt;nothing&gt;" in abstained and "qa-sources" not in abstained
    citation, hit = _cited(1, "It rained.")
    assert "qa-abstained" not in render_answer(_answer("It rained [1].", [citation], [hit]))


def test_an_error_is_one_escaped_line_and_is_left_out_of_the_history(answerer) -> None:
    shown = render_error("No index at <index/> — run `qa ingest corpus/` first.")
    assert 'class="qa-error"' in shown and "&lt;index/&gt;" in shown and "\n" not in shown
    history = [{"role": "user", "content": GLACIER_QUESTION}, {"role": "assistant", "content": shown}]
    list(respond(answerer, "And what did they plan to open?", history))
    assert len(answerer.llm.prompts) == 1  # no earlier turn, so no rewrite of the follow-up


def test_a_follow_up_sends_the_previous_answer_as_plain_text(answerer) -> None:
    first = list(respond(answerer, GLACIER_QUESTION, []))[-1]
    history = [  # what Gradio 6 passes: content as a list of text parts
        {"role": "user", "content": [{"type": "text", "text": GLACIER_QUESTION}]},
        {"role": "assistant", "content": [{"type": "text", "text": first}]},
    ]
    final = list(respond(answerer, "And what did they plan to open?", history))[-1]
    rewrite = answerer.llm.prompts[1][-1]["content"]
    assert "A: The survey found meltwater lakes forming at the glacier's edge" in rewrite
    assert "<" not in rewrite and "Sources" not in rewrite
    assert 'id="source-2-' in final or "qa-abstained" in final  # the second answer's anchors are its own


def test_example_questions_come_from_the_corpus_with_the_karabakh_question_first() -> None:
    articles = [
        Article("1", "Azerbaijan Pounds Karabakh", "b", "Reuters", published_at="2023-09-20"),
        Article("2", "Old glacier news", "b", "Polar Times", published_at="2023-01-01"),
        Article("3", "Scientists map the shrinking\xa0Zorblax glacier - Polar Times", "b", "Polar Times", published_at="2023-10-05"),
        Article("4", "Lanterns light up the festival.", "b", "Culture Post", published_at="2023-11-20"),
        Article("5", "", "b", "Empty Titles"),
        Article("6", "No outlet", "b", ""),
    ]
    questions = example_questions(articles)
    assert questions == [
        KARABAKH_QUESTION,
        'What did Polar Times report about "Scientists map the shrinking Zorblax glacier"?',
        'What did Culture Post report about "Lanterns light up the festival"?',
    ]
    assert example_questions(random.Random(7).sample(articles, len(articles))) == questions
    assert KARABAKH_QUESTION not in example_questions(articles[1:]) and len(example_questions(articles, limit=2)) == 2


def test_examples_from_the_tiny_corpus_name_its_outlets(answerer) -> None:
    questions = example_questions(answerer.retriever.store.articles())
    assert questions[0] == KARABAKH_QUESTION and len(questions) == 5
    assert 'What did Polar Times report about "Scientists map the shrinking Zorblax glacier"?' in questions


def test_filters_are_parsed_and_bad_dates_explain_the_format() -> None:
    assert parse_filters([], "", " ") is None
    assert parse_filters(["Reuters"], "2023-09-01", "2023-09-30") == Filters(("Reuters",), date(2023, 9, 1), date(2023, 9, 30))
    assert parse_filters(None, "2023-10-05", None) == Filters((), date(2023, 10, 5), None)
    for since, until in (("05/10/2023", ""), ("2023-13-01", ""), ("", "20231005"), ("", "2023-02-30")):
        with pytest.raises(QAError, match="YYYY-MM-DD"):
            parse_filters([], since, until)
    with pytest.raises(QAError, match="after the 'until' date"):
        parse_filters([], "2023-10-02", "2023-10-01")


def test_filters_reach_the_retriever(answerer) -> None:
    shown = list(respond(answerer, GLACIER_QUESTION, [], k=2, filters=parse_filters(["Reuters"], "", "")))[-1]
    assert "Polar Times" not in shown and "meltwater" not in shown


def test_corpus_facts_name_articles_outlets_and_dates() -> None:
    facts = corpus_facts({"articles": 5, "outlets": 4, "date_range": ["2023-09-20", "2023-12-02T18:00:00+00:00"]})
    assert "5 articles" in facts and "4 outlets" in facts and "2023-09-20 to 2023-12-02." in facts


def _labels(demo, kind: str) -> list[str]:  # noqa: ANN001
    return [block.label for block in demo.blocks.values() if type(block).__name__ == kind]


def test_the_admin_panel_is_only_built_for_admin_keys(answerer, tiny_corpus, index_dir) -> None:
    from qa.index.library import Library

    library = Library(tiny_corpus, index_dir, answerer.embedder)
    assert "Admin" in _labels(build_ui(answerer, library=library, access=Access(admin_keys=("secret",))), "Accordion")
    assert "Admin" not in _labels(build_ui(answerer, library=library, access=Access(reader_keys=("r",))), "Accordion")
    assert "Admin" not in _labels(build_ui(answerer, library=None, access=Access(admin_keys=("secret",))), "Accordion")
    full = build_ui(answerer)
    assert {"Filters"} <= set(_labels(full, "Accordion")) and {"Since", "Until"} <= set(_labels(full, "Textbox"))
    slider = next(b for b in full.blocks.values() if type(b).__name__ == "Slider")
    assert (slider.minimum, slider.maximum, slider.value) == (0, 10, 0)  # 0: the question's shape decides


def test_the_embed_is_only_the_conversation(answerer) -> None:
    embed = build_embed(answerer)
    assert not _labels(embed, "Accordion") and not _labels(embed, "Markdown")
    assert any(type(b).__name__ == "Chatbot" and b.sanitize_html for b in embed.blocks.values())


def test_each_claim_shows_its_own_quotes_and_every_quote_is_highlighted() -> None:
    from qa.types import CitedClaim, Quote

    text = "It rained all day. Then it snowed at night. Roads closed."
    citation, hit = _cited(1, text)
    claims = [
        CitedClaim("It rained all day.", (1,), (Quote(1, "a1", "It rained all day.", 0, 18, 1.0, 1),), True),
        CitedClaim("It snowed at night.", (1,), (Quote(1, "a1", "Then it snowed at night.", 19, 43, 0.9, 1),), True),
        CitedClaim("Schools shut.", (1,), (Quote(1, "a1", "Roads closed.", 44, 57, 0.1, 1),), False),
        CitedClaim("Roads closed.", (1,), (Quote(1, "a1", "Roads closed.", 44, 57, 1.0, 1),), True, verbatim=True),
    ]
    answer = Answer("q", "It rained all day [1]. It snowed at night [1]. Schools shut [1]. Roads closed [1].", False, [citation],
                    "fake", {}, [hit], "", claims)
    shown = render_answer(answer)
    assert shown.count("<mark>") == 3  # both supporting sentences of the one source, and the unverified one
    assert "Evidence for each sentence" in shown and shown.count("<li>") == 4
    assert "It snowed at night.<br>" in shown and "“Then it snowed at night.”" in shown
    assert "Schools shut. <span class=\"qa-unsupported\">(not verified)</span>" in shown
    assert "Roads closed. <span class=\"qa-verbatim\">(the article's own words)</span>" in shown


def test_a_marker_run_links_each_number() -> None:
    linked = link_markers("Both said so [1, 2].", cited={1, 2}, turn=1)
    assert linked.count("<a ") == 2 and 'href="#source-1-2"' in linked


def test_the_chat_shows_only_verified_sentences_and_quotes_as_quotations(answerer) -> None:
    import html

    from tests.test_answer import MIXED_REPLY, WHY_QUESTION

    scripted = Answerer(answerer.retriever, FakeLLM([MIXED_REPLY]))
    shown = list(respond(scripted, WHY_QUESTION, []))
    final = scripted.ask(WHY_QUESTION)
    assert not any("ice-free" in message for message in shown)  # never shown, not even while streaming
    streaming = [m.split('\n\n<details class="qa-reading"')[0] for m in shown[1:-1]]
    assert streaming and all(html.escape(final.answer).startswith(text) for text in streaming)
    assert streaming[-1] == html.escape(final.answer)  # the streamed text is the final answer
    assert "Polar Times: “Researchers said on Thursday" in shown[-1]
