"""How an answer looks on the page: pure functions from answers and events to HTML, with [n]
markers linked to their sources and the supporting sentence highlighted. Everything from the corpus
or the model is escaped here; the chat window (`qa.serving.ui`) only places the result."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from qa.answering.answer import Queued, Sources
from qa.types import Answer, Citation, CitedClaim

_ABSTAINED_STYLE = (
    "border:1px solid #d97706;border-left:6px solid #d97706;border-radius:8px;padding:8px 12px;"
    "background:rgba(217,119,6,0.10)"
)
_ERROR_STYLE = _ABSTAINED_STYLE.replace("#d97706", "#dc2626").replace("217,119,6", "220,38,38")
_SOURCE_STYLE = "border-top:1px solid var(--border-color-primary,#ddd);padding:6px 0"
_QUOTE_STYLE = "margin:4px 0 0 0;padding-left:10px;border-left:3px solid var(--border-color-primary,#ccc);font-size:0.92em"
_MARKER = re.compile(r"\[(\d+(?:, \d+)*)\]")
SOURCES_TAG = '<details class="qa-sources" open>'


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
    return f"{SOURCES_TAG}<summary>Sources</summary>{items}{evidence}</details>"


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
