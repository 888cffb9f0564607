"""How is the model's reply read as it streams? "Answer: X / Explanation: Y" becomes "X. Y", a
line the model repeats stops the reply, and the short answer is the reply's lead."""

from __future__ import annotations

import re

from qa.answering.gate import ANSWER_LABEL
from qa.answering.markers import strip_markers


class LabelFilter:
    """Turns the model's "Answer: X / Explanation: Y" reply into "X. Y" as it streams."""

    _ANSWER = ANSWER_LABEL
    _EXPLANATION = re.compile(r"\s*\n+\s*(?:\*\*)?explanation(?:\*\*)?\s*:\s*(?:\*\*)?", re.IGNORECASE)
    _HOLD = 20  # characters kept back while they could still be the start of a label

    def __init__(self) -> None:
        self.raw = ""
        self.sent = 0

    def text(self) -> str:
        return self._clean(self.raw)

    def _clean(self, raw: str) -> str:
        text = self._ANSWER.sub("", raw, count=1)
        def join(match: re.Match[str]) -> str:
            before = text[: match.start()].rstrip()
            return " " if before.endswith((".", "!", "?")) else ". "
        return self._EXPLANATION.sub(join, text, count=1)

    def feed(self, piece: str) -> str:
        self.raw += piece
        clean = self._clean(self.raw)
        ready = len(clean) - self._HOLD if "\n" in self.raw[-self._HOLD :] or len(self.raw) < self._HOLD else len(clean)
        ready = max(ready, self.sent)
        out, self.sent = clean[self.sent : ready], ready
        return out

    def rest(self) -> str:
        clean = self._clean(self.raw)
        out, self.sent = clean[self.sent :], len(clean)
        return out


def repeats_a_line(text: str) -> bool:
    """True when the last finished line of a reply says again what an earlier line said."""
    lines = [strip_markers(line).strip(" -*•").lower() for line in text.split("\n")[:-1]]
    lines = [line for line in lines if line]
    return len(lines) >= 2 and lines[-1] in lines[:-1]


_PREAMBLE = re.compile(r"^\s*(?:based on|according to|from)\s+(?:the\s+)?(?:information|passages?|articles?)[^,:]*[,:]\s*", re.I)


def short_answer(text: str) -> str:
    """The direct answer at the start ("Yes", "27", "Sam Bankman-Fried") without markers."""
    text = _PREAMBLE.sub("", strip_markers(text), count=1)
    first = re.split(r"(?<=[.!?])\s|[,;:](?=\s)", text, maxsplit=1)[0]
    first = first.strip().rstrip(".!?").strip()
    lead = first.split()[0].lower().strip(",.") if first.split() else ""
    if lead in ("yes", "no"):
        return lead.capitalize()
    return first
