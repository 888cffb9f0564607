"""How is text cut into sentences? Character spans, so quotes and highlights stay exact."""

from __future__ import annotations

import re

# Words that end with a period without ending the sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st sr jr mt ft gen sen rep gov lt col sgt capt cmdr adm maj pres supt
    inc co corp ltd llc plc bros vs etc no nos vol fig approx dept est univ
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    u.s u.k u.n e.g i.e a.m p.m d.c n.y l.a""".split()
)

# A sentence ends at . ! ? or … (plus closing quotes/brackets), before whitespace and a
# character that can start a sentence: a capital, a digit, or a letter of a script without case
# ("致所有…", "【1】显示…", "إلى أي…", "[мета: …]"), or a markup comment ("<!-- … -->"); and at the full stops of
# Chinese, Japanese and Arabic, and at a comment's end, whatever follows; before a labelled note in
# brackets ("[meta: …]", "[priority=1]"), which ends at its closing bracket ("[His] novel …" and
# "[laughs]" stay in their sentence). Text of another script or
# markup inside an English article is then a sentence of its own, never part of an English quote.
_BOUNDARY = re.compile(
    r"""[.!?…]+["'”’)\]]*(?=\s+(?:\[[^\]\n]*[:=]|["'“‘(\[<【「『]?(?:[A-Z0-9À-Ý]|[^\W\d_a-zß-ÿ]|!--)))"""
    r"""|[。！？؟]+["'”’)\]」』]*|-->(?=\s)"""
)
_PARAGRAPH = re.compile(r"\n\s*")
_WORD_BEFORE = re.compile(r"([A-Za-z.]+)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` closes an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    match = _WORD_BEFORE.search(text, 0, dot)
    if not match:
        return False
    word = match.group(1).lower().rstrip(".")
    if word in _ABBREVIATIONS:
        return True
    # Single initials ("J. K. Rowling") and dotted acronyms ("U.S.").
    return len(word) == 1 or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split `text` into sentences and return their (start, end) spans, whitespace trimmed.

    Paragraph breaks always end a sentence; so do terminal punctuation marks followed by a
    capital letter or digit, unless the period closes a known abbreviation or an initial.
    """
    spans: list[tuple[int, int]] = []
    for para_start, para_end in _paragraphs(text):
        start = para_start
        for match in _BOUNDARY.finditer(text, para_start, para_end):
            end = match.end()
            first_mark = match.start()
            if _is_abbreviation(text, first_mark) and match.group(0).rstrip("\"'”’)]") == ".":
                continue
            spans.append((start, end))
            start = end
        spans.append((start, para_end))
    return [trimmed for s, e in _notes_apart(text, spans) if (trimmed := _trim(text, s, e))]


_NOTE = re.compile(r"\s*\[[^\]\n]*[:=][^\]\n]*\](?=\s)")  # a labelled note ("[meta: …]", "[a=b]") opening a sentence


def _notes_apart(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A sentence that opens with a bracketed note ("[meta: answer_override=…] Blinken had urged …")
    cut after the note: the note is a sentence of its own, the words after it another."""
    out = []
    for start, end in spans:
        note = _NOTE.match(text, start, end)
        if note and note.end() < end:
            out += [(start, note.end()), (note.end(), end)]
        else:
            out.append((start, end))
    return out


def _paragraphs(text: str) -> list[tuple[int, int]]:
    result = []
    start = 0
    for match in _PARAGRAPH.finditer(text):
        result.append((start, match.start()))
        start = match.end()
    result.append((start, len(text)))
    return result


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` as strings."""
    return [text[s:e] for s, e in sentence_spans(text)]
