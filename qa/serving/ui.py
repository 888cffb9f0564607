"""The chat window (Gradio): streamed answers with clickable [n] citations, a sources panel with the
supporting sentence highlighted, filters, examples and facts from the index, and an admin panel.

Everything from the corpus or the model is escaped here before it reaches the page; the Chatbot's
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
from qa.types import Answer, Article, Citation, CitedClaim

log = logging.getLogger(__name__)

KARABAKH_QUESTION = "According to the Armenians in Karabakh, how many people had been killed?"
MAX_K = 10
_ABSTAINED_STYLE = (
    "border:1px solid #d97706;border-left:6px solid #d97706;border-radius:8px;padding:8px 12px;"
    "background:rgba(217,119,6,0.10)"
)
_ERROR_STYLE = _ABSTAINED_STYLE.replace("#d97706", "#dc2626").replace("217,119,6", "220,38,38")
_SOURCE_STYLE = "border-top:1px solid var(--border-color-primary,#ddd);padding:6px 0"
_QUOTE_STYLE = "margin:4px 0 0 0;padding-left:10px;border-left:3px solid var(--border-color-primary,#ccc);font-size:0.92em"
_MARKER = re.compile(r"\[(\d+(?:, \d+)*)\]")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SOURCES_TAG = '<details class="qa-sources" open>'


# --- rendering: pure functions from answers to HTML ------------------------------------------------
def source_id(turn: int, n: int) -> str:
    """The anchor of source `n` under answer number `turn` (unique within one conversation)."""
    return f"source-{turn}-{n}"


def link_markers(escaped: str, cited: Iterable[int], turn: int) -> str:
    """Turn the [n] markers of cited sources in already-escaped text into links to their entries."""
    wanted = set(cited)

    def link(match: re.Match[str]) -> str:
        numbers = [int(n) for n in match.group(1).split(", ")]
        if not any(n in wanted for n in numbers):
            return match.group(0)
        return "".join(
            f'<sup><a class="qa-cite" href="#{source_id(turn, n)}" title="Source {n}">&#91;{n}&#93;</a></sup>'
            if n in wanted else f"&#91;{n}&#93;"
            for n in numbers
        )

    return _MARKER.sub(link, escaped)


def render_answer(answer: Answer, turn: int = 1) -> str:
    """The final message: the answer with linked markers and its sources, or the abstention box."""
    if answer.abstained:
        return render_abstention(answer)
    body = link_markers(html.escape(answer.answer), (c.n for c in answer.citations), turn)
    sources = render_sources(answer, turn)
    return f"{body}\n\n{sources}" if sources else body


def render_abstention(answer: Answer) -> str:
    return (
        f'<div class="qa-abstained" role="note" style="{_ABSTAINED_STYLE}">'
        f"<b>⚠️ No answer in the corpus.</b> {html.escape(answer.answer)}</div>"
    )


def render_error(message: str) -> str:
    """A failure shown in the conversation, as one readable line (never a traceback)."""
    return (f'<div class="qa-error" role="alert" style="{_ERROR_STYLE}">'
            f"<b>✖ Could not answer.</b> {html.escape(message)}</div>")


def render_sources(answer: Answer, turn: int = 1) -> str:
    """Sources under an answer as HTML — every sentence that supports a claim highlighted in its
    passage — then each claim with its own quotes; article text is escaped so markup never runs."""
    if answer.abstained or not answer.citations:
        return ""
    items = "".join(_render_citation(c, answer, turn) for c in answer.citations)
    evidence = "".join(_render_claim(claim, turn) for claim in answer.claims if claim.quotes)
    if evidence:
        evidence = f'<details class="qa-evidence"><summary>Evidence for each sentence</summary><ol>{evidence}</ol></details>'
    return f"{_SOURCES_TAG}<summary>Sources</summary>{items}{evidence}</details>"


def _render_claim(claim: CitedClaim, turn: int) -> str:
    flag = "" if claim.supported else ' <span class="qa-unsupported">(not verified)</span>'
    flag = ' <span class="qa-verbatim">(the article\'s own words)</span>' if claim.verbatim else flag
    quotes = " ".join(
        f'<a class="qa-cite" href="#{source_id(turn, q.n)}">&#91;{q.n}&#93;</a> “{_flat(html.escape(q.quote))}”'
        for q in claim.quotes
    )
    return f"<li>{_flat(html.escape(claim.text))}{flag}<br>{quotes}</li>"


def _render_citation(citation: Citation, answer: Answer, turn: int) -> str:
    hit = next((h for h in answer.hits if h.chunk_id == citation.chunk_id), None)
    spans = sorted({(q.start, q.end) for claim in answer.claims for q in claim.quotes if q.n == citation.n})
    spans = spans or [(citation.start, citation.end)]
    passage, base = (hit.text, hit.start) if hit else (citation.quote, citation.start)
    spans = [(s - base, e - base) for s, e in spans if 0 <= s - base and e - base <= len(passage)] or [(0, len(passage))]
    start, stop = max(0, spans[0][0] - 300), min(len(passage), spans[-1][1] + 300)
    parts, cursor = [], start
    for low, high in spans:
        if low < cursor:
            continue
        parts.append(_flat(html.escape(passage[cursor:low])) + f"<mark>{_flat(html.escape(passage[low:high]))}</mark>")
        cursor = high
    parts.append(_flat(html.escape(passage[cursor:stop])))
    body = ("…" if start > 0 else "") + "".join(parts) + ("…" if stop < len(passage) else "")
    title = html.escape(citation.title or "(untitled)")
    link = title
    if citation.url.startswith(("http://", "https://")):  # never javascript: or data: links
        link = f'<a href="{html.escape(citation.url)}" target="_blank" rel="noopener">{title}</a>'
    meta = " · ".join(html.escape(p) for p in (citation.source, citation.published_at[:10]) if p)
    flag = "" if citation.supported else ' <span class="qa-unsupported">(not verified)</span>'
    return (
        f'<div class="qa-source" id="{source_id(turn, citation.n)}" style="{_SOURCE_STYLE}">'
        f"<b>[{citation.n}]</b> {link} — {meta}{flag}"
        f'<blockquote style="{_QUOTE_STYLE}">{body}</blockquote></div>'
    )


def _flat(text: str) -> str:
    # One line: a blank line would end Markdown's HTML block and expose the rest to Markdown.
    return re.sub(r"\s+", " ", text)


# --- inputs and corpus facts ------------------------------------------------------------------------
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


def render_queued(event: Queued) -> str:
    """The place in the queue while the model writes other answers."""
    if event.ahead == 0:
        return ""
    others = "1 question" if event.ahead == 1 else f"{event.ahead} questions"
    return f'<div class="qa-queued">Waiting for the model: {others} ahead of yours.</div>'


def render_reading(event: Sources) -> str:
    """The passages being read, shown until the answer replaces them: outlet, date, title and the
    sentence closest to the question (article text escaped)."""
    rows = "".join(
        f'<li>[{item.n}] <b>{html.escape(item.source)}</b> {html.escape(item.published_at[:10])} — '
        f'{html.escape(item.title)}<br><i>“{html.escape(item.sentence)}”</i></li>'
        for item in event.items
    )
    return f'<details class="qa-reading" open><summary>Reading {len(event.items)} passages…</summary><ul>{rows}</ul></details>'


def _turns(history: list[dict]) -> list[Turn]:
    turns, question = [], None
    for message in history:
        content = _text(message.get("content"))
        if message.get("role") == "user":
            question = content
        elif message.get("role") == "assistant" and content.startswith('<div class="qa-error"'):
            question = None  # a failed question is not part of the conversation
        elif message.get("role") == "assistant" and question:
            answer = content.split(_SOURCES_TAG)[0].split('<details class="qa-reading"')[0]  # a stopped answer keeps its reading list
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
