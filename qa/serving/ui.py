"""The chat window (Gradio): streamed answers (rendered by `qa.serving.render`), filters, examples
and facts from the index, and an admin panel.

Everything from the corpus or the model is escaped before it reaches the page; the Chatbot's
sanitizer (kept on) is the second line. Styles are inline because the sanitizer drops <style>
elements and `mount_gradio_app` replaces a Blocks' css.
"""

from __future__ import annotations

import html
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path

from qa.answering.answer import Answerer, Claimed, Queued, Sources, Token, Turn
from qa.errors import QAError
from qa.ingest.loaders import SUPPORTED_SUFFIXES
from qa.retrieval.retrieve import Filters
from qa.serving.render import SOURCES_TAG, render_answer, render_error, render_queued, render_reading
from qa.types import Article

log = logging.getLogger(__name__)

KARABAKH_QUESTION = "According to the Armenians in Karabakh, how many people had been killed?"
MAX_K = 10
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_filters(outlets: Iterable[str] | None, since: str | None, until: str | None) -> Filters | None:
    """The filter panel's values as `Filters` (None when nothing is set); a bad date raises QAError."""
    first, last = _parse_day(since, "since"), _parse_day(until, "until")
    if first and last and first > last:
        raise QAError(f"The 'since' date {first} is after the 'until' date {last}: swap them or clear one.")
    sources = tuple(outlets or ())
    return Filters(sources, first, last) if sources or first or last else None


def _parse_day(text: str | None, label: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise QAError(f"'{text}' is not a date: write the '{label}' date as YYYY-MM-DD, e.g. 2023-09-20.") from None


def example_questions(articles: Iterable[Article], limit: int = 5) -> list[str]:
    """Questions about real articles: the newest titled one of each of the biggest outlets.

    The Karabakh question comes first when there is a Reuters article (it is the seed article's)."""
    articles = [a for a in articles if a.source and a.title.strip()]
    counts = Counter(a.source for a in articles)
    newest: dict[str, Article] = {}
    for article in sorted(articles, key=lambda a: (a.published_at, a.title), reverse=True):
        newest.setdefault(article.source, article)
    questions = [KARABAKH_QUESTION] if "Reuters" in counts else []
    for outlet in sorted(newest, key=lambda s: (-counts[s], s)):
        if outlet != "Reuters" and len(questions) < limit:
            questions.append(f'What did {outlet} report about "{_clean_title(newest[outlet].title, outlet)}"?')
    return questions


def _clean_title(title: str, outlet: str) -> str:
    title = " ".join(title.split())
    for separator in (" - ", " | ", " — "):
        if title.endswith(separator + outlet):
            title = title[: -len(separator + outlet)]
    return title.rstrip(" .?!")


def corpus_facts(counts: dict) -> str:
    """The page header (Markdown): what the app does and the corpus's articles, outlets and dates."""
    span = counts.get("date_range") or ["?", "?"]
    return (f"## Newsroom QA\nAnswers from the news corpus, with citations. Corpus: **{counts['articles']} articles** from "
            f"**{counts['outlets']} outlets**, {str(span[0])[:10]} to {str(span[1])[:10]}.")


def follow_line(sources: list, articles: dict[str, int]) -> str:
    """The header's line about followed sources (Markdown): how many, the last fetch, articles
    brought in and sources whose last check failed; "" when nothing is followed."""
    if not sources:
        return ""
    last = max((s.last_fetch for s in sources), default="") or "never"
    failing = [s for s in sources if s.last_error]
    line = (f"\n\nFollowing **{len(sources)} source{'s' if len(sources) != 1 else ''}** "
            f"({sum(articles.values())} articles), last fetch {last.replace('T', ' ').rstrip('Z')} UTC")
    if failing:
        shown = html.escape(failing[0].url)
        line += f"; ⚠️ {len(failing)} failing (e.g. {shown}: {html.escape(failing[0].last_error[:120])})"
    return line + "."


# --- the chat loop --------------------------------------------------------------------------------
def respond(answerer: Answerer, message: str, history: list[dict], k: int | None = None,
            filters: Filters | None = None) -> Iterator[str]:
    """Stream the answer one verified sentence at a time, then the same answer with its sources
    (what the chat shows): a sentence the checks reject is never shown."""
    turns = _turns(history)
    text, reading = "", ""
    for event in answerer.stream(message, turns, k, filters):
        if isinstance(event, Sources):
            reading = render_reading(event)
            yield reading
        elif isinstance(event, Queued):
            yield render_queued(event) + reading
        elif isinstance(event, Token | Claimed):
            text += event.text
            yield f"{html.escape(text)}\n\n{reading}" if reading else html.escape(text)
        else:
            yield render_answer(event, turn=len(turns) + 1)


def _turns(history: list[dict]) -> list[Turn]:
    turns, question = [], None
    for message in history:
        content = _text(message.get("content"))
        if message.get("role") == "user":
            question = content
        elif message.get("role") == "assistant" and content.startswith('<div class="qa-error"'):
            question = None  # a failed question is not part of the conversation
        elif message.get("role") == "assistant" and question:
            answer = content.split(SOURCES_TAG)[0].split('<details class="qa-reading"')[0]  # a stopped answer keeps its reading list
            turns.append(Turn(question, html.unescape(re.sub(r"<[^>]+>", "", answer)).strip()))
            question = None
    return turns


def _text(content: object) -> str:
    """A message's text: Gradio 6 passes content as a list of {"type": "text", "text": ...} parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


def _chat_fn(answerer: Answerer) -> Callable[..., Iterator[str]]:
    # Errors become a message in the conversation: a raised gr.Error would cover the chat with an overlay.
    def chat(message: str, history: list[dict], outlets=None, since="", until="", k=None) -> Iterator[str]:  # noqa: ANN001
        try:
            if not message.strip():
                raise QAError("Type a question first.")
            yield from respond(answerer, message, history, int(k) if k else None, parse_filters(outlets, since, until))
        except QAError as exc:
            yield render_error(str(exc))
        except Exception as exc:
            log.exception("answering %r failed", message)
            yield render_error(f"Answering failed ({type(exc).__name__}); the server log has the details.")

    return chat


def _chatbot(height: int | str):  # noqa: ANN202
    import gradio as gr

    return gr.Chatbot(sanitize_html=True, allow_tags=False, latex_delimiters=[], buttons=["copy"],
                      feedback_options=None, height=height, show_label=False)


# Conversations answered at once (Gradio's default is one for everybody). A local model still
# writes one answer at a time; a server backend (QA_LLM=openai) answers these in parallel.
CHAT_CONCURRENCY = 8


# --- the pages ----------------------------------------------------------------------------------
def build_ui(answerer: Answerer, examples: list[str] | None = None, library=None, access=None,  # noqa: ANN001, ANN201
             follower=None):  # noqa: ANN001
    """The full page: chat with filters and examples, and an admin panel when admin keys exist;
    with a `follower`, the header says how the followed sources are doing."""
    import gradio as gr

    store = answerer.retriever.store

    def header(counts: dict) -> str:
        following = follow_line(follower.sources(), follower.articles()) if follower is not None else ""
        return corpus_facts(counts) + following

    with gr.Blocks(title="Newsroom QA", fill_height=True) as demo:
        with gr.Row():
            facts = gr.Markdown(header(store.counts()))
            new_chat = gr.Button("New chat", size="sm", scale=0, min_width=110)
        outlets = gr.Dropdown([s for s, _ in store.outlets()], multiselect=True, label="Outlets", render=False,
                              info="Only these outlets (all when empty).")
        since = gr.Textbox(label="Since", placeholder="YYYY-MM-DD", render=False)
        until = gr.Textbox(label="Until", placeholder="YYYY-MM-DD", render=False)
        k = gr.Slider(0, MAX_K, value=0, step=1, label="Passages (top-k; 0 = by question shape)", render=False)
        chat = gr.ChatInterface(
            _chat_fn(answerer), chatbot=_chatbot(560), additional_inputs=[outlets, since, until, k],
            additional_inputs_accordion=gr.Accordion("Filters", open=False, render=False),
            examples=[[q] for q in (examples or example_questions(store.articles()))], fill_height=True,
            concurrency_limit=CHAT_CONCURRENCY,
        )
        new_chat.click(lambda: ([], [], ""), None, [chat.chatbot, chat.chatbot_state, chat.textbox], queue=False)
        refresh = [facts, outlets]

        def current() -> tuple:  # the index changes under a running app (uploads, `qa ingest`)
            live = answerer.retriever.store
            return header(live.counts()), gr.update(choices=[s for s, _ in live.outlets()])

        demo.load(current, None, refresh, queue=False)
        if library is not None and access is not None and access.admin_keys:
            _admin_panel(demo, library, access, current, refresh)
    return demo


def build_embed(answerer: Answerer):  # noqa: ANN201
    """A compact chat for an iframe: the conversation and a text box, with citations and sources."""
    import gradio as gr

    with gr.Blocks(title="Newsroom QA", fill_height=True) as demo:
        gr.ChatInterface(_chat_fn(answerer), chatbot=_chatbot("70vh"), fill_height=True, concurrency_limit=CHAT_CONCURRENCY)
    return demo


# --- administration -------------------------------------------------------------------------------
def _admin_panel(demo, library, access, current: Callable[[], tuple], refresh: list) -> None:  # noqa: ANN001
    import gradio as gr

    def choices() -> list[tuple[str, str]]:
        return [(f"{d.title or d.path} · {d.source or '?'} · {d.published_at[:10] or '?'} ({d.id})", d.id)
                for d in library.documents()]

    def check(key: str) -> None:
        caller = access.check_key((key or "").strip())
        if caller is None or not caller.admin:
            raise QAError("That is not an admin key: enter one of the keys in QA_ADMIN_KEYS.")

    def refused(exc: QAError) -> tuple:  # the message only; the page stays as it was
        return (f"⚠️ {html.escape(str(exc))}", gr.skip(), *[gr.skip() for _ in refresh])

    def add(key: str, path: str | None, progress=gr.Progress()) -> tuple:  # noqa: ANN001, B008
        try:
            check(key)
            if not path:
                raise QAError("Choose a file to upload first.")
            added = library.add(Path(path).name, Path(path).read_bytes(), _progress(progress))
        except QAError as exc:
            return refused(exc)
        lines = [f"- {html.escape(d.title or d.path)} — {html.escape(d.source or '?')}, "
                 f"{html.escape(d.published_at[:10] or 'no date')} ({d.chunks} passages, id `{d.id}`)" for d in added]
        message = f"Added {len(added)} article{'' if len(added) == 1 else 's'}:\n" + "\n".join(lines)
        return (message, gr.update(choices=choices(), value=None), *current())

    def delete(key: str, document_id: str | None) -> tuple:
        try:
            check(key)
            if not document_id:
                raise QAError("Choose a document to delete first.")
            gone = library.delete(document_id)
        except QAError as exc:
            return refused(exc)
        message = f"Deleted {html.escape(gone.title or gone.path)} ({html.escape(gone.path)})."
        return (message, gr.update(choices=choices(), value=None), *current())

    with gr.Accordion("Admin", open=False):
        gr.Markdown("Add or delete articles. Changes are indexed at once and answer the next question.")
        key = gr.Textbox(label="Admin key", type="password")
        suffixes = sorted(SUPPORTED_SUFFIXES)
        upload = gr.File(label=f"Article file ({' '.join(suffixes)})", file_types=suffixes, type="filepath")
        add_button = gr.Button("Add to the corpus", variant="primary")
        document = gr.Dropdown(choices(), label="Document", filterable=True)
        delete_button = gr.Button("Delete document", variant="stop")
        result = gr.Markdown()
    demo.load(lambda: gr.update(choices=choices()), None, document, queue=False)
    add_button.click(add, [key, upload], [result, document, *refresh])
    delete_button.click(delete, [key, document], [result, document, *refresh])


def _progress(bar) -> Callable[[int], Callable[[int], None]]:  # noqa: ANN001
    """Library progress (`progress(total)` returns a per-batch callback) shown on a gr.Progress bar."""

    def start(total: int) -> Callable[[int], None]:
        done = [0]

        def step(n: int) -> None:
            done[0] += n
            bar((done[0], total), desc="Embedding passages", unit="passages")

        return step

    return start
