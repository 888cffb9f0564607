"""The chat window (Gradio). Until answering lands it shows the best-matching passages."""

from __future__ import annotations

import html

from qa.errors import QAError
from qa.retrieve import Retriever
from qa.types import Hit


def format_hits(hits: list[Hit]) -> str:
    """Passages as Markdown; article text is escaped so markup in an article never runs."""
    if not hits:
        return "No matching passages in the corpus."
    lines = []
    for rank, hit in enumerate(hits, 1):
        title = html.escape(hit.title)
        link = f"[{title}]({html.escape(hit.url)})" if hit.url.startswith(("http://", "https://")) else title
        meta = " · ".join(html.escape(p) for p in (hit.source, hit.published_at[:10]) if p)
        text = html.escape(" ".join(hit.text.split()))
        lines.append(f"**[{rank}] {link}** — {meta}\n\n> {text}")
    return "\n\n".join(lines)


def build_ui(retriever: Retriever, k: int = 5):  # noqa: ANN201
    import gradio as gr

    def respond(message: str, history: list) -> str:  # noqa: ARG001
        if not message.strip():
            raise gr.Error("Type a question first.")
        try:
            return format_hits(retriever.search(message, k=k))
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    return gr.ChatInterface(
        respond,
        title="Newsroom QA",
        description="Ask about the news in the corpus. (Search preview: the best-matching passages.)",
        examples=["How many people had been killed in Karabakh?", "What did the FTX trial reveal?"],
    )
