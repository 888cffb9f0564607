"""The chat window (Gradio): streamed answers, [n] citations, sources with the quote highlighted."""

from __future__ import annotations

import html
from collections.abc import Iterator

from qa.answer import Answerer, Token, Turn
from qa.errors import QAError
from qa.types import Answer, Citation


def render_sources(answer: Answer) -> str:
    """Sources under an answer as HTML; article text is escaped so markup in it never runs."""
    if answer.abstained:
        return f'<div class="qa-abstained">⚠️ {html.escape(answer.answer)}</div>'
    if not answer.citations:
        return ""
    items = [_render_citation(c, answer) for c in answer.citations]
    return '<details open class="qa-sources"><summary>Sources</summary>' + "".join(items) + "</details>"


def _render_citation(citation: Citation, answer: Answer) -> str:
    hit = next((h for h in answer.hits if h.chunk_id == citation.chunk_id), None)
    passage = hit.text if hit else citation.quote
    offset = citation.start - hit.start if hit else 0
    before = html.escape(passage[max(0, offset - 300) : offset])
    quote = html.escape(citation.quote)
    after = html.escape(passage[offset + len(citation.quote) : offset + len(citation.quote) + 300])
    title = html.escape(citation.title or "(untitled)")
    link = f'<a href="{html.escape(citation.url)}" target="_blank" rel="noopener">{title}</a>' if citation.url.startswith(("http://", "https://")) else title
    meta = " · ".join(html.escape(p) for p in (citation.source, citation.published_at[:10]) if p)
    flag = "" if citation.supported else ' <span class="qa-unsupported">(not verified)</span>'
    return (
        f'<div class="qa-source" id="source-{citation.n}"><b>[{citation.n}]</b> {link} — {meta}{flag}'
        f'<blockquote>…{before}<mark>{quote}</mark>{after}…</blockquote></div>'
    )


def respond(answerer: Answerer, message: str, history: list[dict]) -> Iterator[str]:
    """Stream the answer text, then the final answer with its sources (what the chat shows)."""
    turns = _turns(history)
    text = ""
    for event in answerer.stream(message, turns):
        if isinstance(event, Token):
            text += event.text
            yield html.escape(text)
        else:
            body = html.escape(event.answer)
            yield (f"{body}\n\n{render_sources(event)}" if not event.abstained else render_sources(event))


def _turns(history: list[dict]) -> list[Turn]:
    turns, question = [], None
    for message in history:
        content = message.get("content")
        content = content if isinstance(content, str) else str(content)
        if message.get("role") == "user":
            question = content
        elif message.get("role") == "assistant" and question:
            turns.append(Turn(question, content.split("\n\n<")[0]))
            question = None
    return turns


def build_ui(answerer: Answerer, examples: list[str] | None = None):  # noqa: ANN201
    import gradio as gr

    def chat(message: str, history: list[dict]) -> Iterator[str]:
        if not message.strip():
            raise gr.Error("Type a question first.")
        try:
            yield from respond(answerer, message, history)
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    counts = answerer.retriever.store.counts()
    span = counts.get("date_range") or ["?", "?"]
    facts = f"{counts['articles']} articles from {counts['outlets']} outlets, {str(span[0])[:10]} to {str(span[1])[:10]}"
    return gr.ChatInterface(
        chat,
        title="Newsroom QA",
        description=f"Answers from the news corpus, with citations. Corpus: {facts}.",
        examples=examples or ["According to the Armenians in Karabakh, how many people had been killed?"],
        chatbot=gr.Chatbot(sanitize_html=True, height=560),
    )
