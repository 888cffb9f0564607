"""How is a model's reply cut into claims? Line by line, then sentence by sentence, each with the
passage numbers its `[n]` markers cite (ranges and runs expanded: `[1-3]`, `[1][2]`, `[1, 2]`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.ingest.sentences import sentence_spans

# One marker or a run of them: [1], [1, 2], [1-3], [1–3], [1; 2], [1][2], [1] [2].
_ONE_MARKER = r"\[\s*\d+(?:\s*(?:[-–—,;]|and)\s*\d+)*\s*\]"
_MARKER = re.compile(rf"\s*{_ONE_MARKER}(?:\s*{_ONE_MARKER})*")
_MAX_RANGE = 20  # "[1-300]" is a typo, not three hundred citations
_BULLET = re.compile(r"^\s*[-*•]\s+")
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+")  # a list item only in a reply of several lines ("27." is an answer)
_LABEL = re.compile(r"^(?:\*\*)?([A-Z0-9][\w.,'’&/ -]{0,40}?)(?:\*\*)?:\s+(?=\S)")


@dataclass(frozen=True)
class Claim:
    """One answer sentence: its text without markers, the passage numbers it cites, and how it was
    laid out (`bullet` starts a list item, `label` is a lead such as "2023-11-17" or "TechCrunch",
    `newline` when it starts a line)."""

    text: str
    cited: tuple[int, ...]
    bullet: bool = False
    label: str = ""
    newline: bool = False


def read_markers(text: str) -> list[int]:
    """The passage numbers in a run of markers, ranges expanded: "[1-3][5]" → [1, 2, 3, 5]."""
    numbers: list[int] = []
    for group in re.findall(r"\[([^\]]*)\]", text):
        for part in re.split(r"\s*(?:,|;|\band\b)\s*", group):
            bounds = [int(b) for b in re.findall(r"\d+", part)]
            if len(bounds) == 2 and 0 <= bounds[1] - bounds[0] <= _MAX_RANGE:
                numbers.extend(range(bounds[0], bounds[1] + 1))
            else:
                numbers.extend(bounds)
    return list(dict.fromkeys(numbers))


def parse_claims(answer: str) -> list[Claim]:
    """Split an answer into claims — line by line, then sentence by sentence — and read their
    markers (a marker right after a sentence's end belongs to that sentence)."""
    claims = []
    lines = answer.strip().split("\n")
    for line in lines:
        bullet = _BULLET.match(line) or (_NUMBERED.match(line) if len(lines) > 1 else None)
        body = line[bullet.end() :] if bullet else line
        label = _LABEL.match(body)
        label_text = label.group(1).strip() if label and len(label.group(1).split()) <= 4 else ""
        if label_text:
            body = body[label.end() :]
        first = True
        for start, end in sentence_spans(body):
            sentence = body[start:end]
            trailing = _MARKER.match(body, end)
            cited = [n for m in _MARKER.finditer(sentence) for n in read_markers(m.group())]
            if trailing:
                cited += read_markers(trailing.group())
            text = _MARKER.sub("", sentence).strip()
            if not text or not re.search(r"\w", text):
                continue
            claims.append(Claim(text, tuple(dict.fromkeys(cited)), bool(bullet) and first,
                                label_text if first else "", first and bool(claims)))
            first = False
    return claims


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text).strip()
