"""How is an answer sent while it is written? Sentence by sentence: each claim of the model's reply is
checked as soon as its sentence is complete, and only claims that stand are sent, so nothing shown
is ever taken back. A longer answer (explain, quote, summary) holds its checked claims until together
they pass the whole-answer check — a claim of the model's own its quotes support, quotes that hold
the question's focus — which can only go from failing to passing as claims are added; from then on
each claim is sent as soon as it stands. A timeline (date order) and a comparison (grouped by
outlet) are reordered after the last claim, so they are sent when the reply is complete."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

import numpy as np

from qa.answering.abstention import is_abstention
from qa.answering.answerability import Focus, quotes_hold_focus
from qa.answering.cite import MIN_CONTENT_WORDS, Verified, render, verify_claims
from qa.answering.claims import (
    completed,
    dated,
    grouped_by_outlet,
    outlet_checked,
    quoted_instead,
    restates_a_title,
    says_again,
    without_repeats,
    without_restatements,
)
from qa.answering.markers import Claim, parse_claims, strip_markers
from qa.answering.prompt import Passage, content_words
from qa.answering.shapes import Shape
from qa.types import CitedClaim

Encoder = Callable[[list[str]], np.ndarray]
_OPEN_MARKER = re.compile(r"\[[^\]]*$")  # "… [1" : the marker is still being written
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s")


def answer_holds(focus: Focus, verified: Sequence[Verified], passages: Sequence[Passage]) -> bool:
    """Does an answer stand? A claim of three words or more that its quotes support, and quotes that
    together hold the question's focus. Adding a claim can only turn a failing answer into a passing one."""
    said = any(v.supported and v.supports for v in verified if len(v.claim.text.split()) >= 3)
    return said and quotes_hold_focus(focus, verified, passages)


def finished_claims(text: str) -> list[Claim]:
    """The claims of a reply still being written whose sentence is complete: every one but the
    last (it may go on, or its marker follow). A first line that opens with "1." waits for the
    second line: only then is it read as a list item rather than an answer ("27.")."""
    text = _OPEN_MARKER.sub("", text)
    if "\n" not in text.strip() and _NUMBERED.match(text):
        return []
    return parse_claims(text)[:-1]


def remembered(encode: Encoder) -> Encoder:
    """`encode` embedding each text once: every claim is checked against the same passage sentences."""
    vectors: dict[str, np.ndarray] = {}

    def cached(texts: list[str]) -> np.ndarray:
        new = list(dict.fromkeys(t for t in texts if t not in vectors))
        if new:
            vectors.update(zip(new, encode(new), strict=True))
        return np.vstack([vectors[t] for t in texts]) if texts else encode(texts)

    return cached


class Transcript:
    """What has been sent of an answer: its text, and the claims in it."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.text = ""
        self.items: list[Verified] = []
        self.first_at: float | None = None  # when the first verified text was sent (perf_counter)
        self._rendered = ""

    def say(self, text: str) -> str:
        """Plain text (a decline, a lead, a closing line), sent as it is."""
        if text and self.first_at is None:
            self.first_at = time.perf_counter()
        self.text += text
        return text

    def add(self, items: list[Verified]) -> list[tuple[str, CitedClaim]]:
        """Send claims: for each, the text it adds to the answer (its citation markers and the
        space or line before it, as `render` lays out the whole) and the claim with its quotes."""
        sent = []
        for item in items:
            self.items.append(item)
            rendered, _, claims = render(self.items, self.passages)
            assert rendered.startswith(self._rendered), "a sent claim was rewritten"
            piece, self._rendered = rendered[len(self._rendered) :], rendered
            sent.append((self.say(piece), claims[-1]))
        return sent


class ClaimStream:
    """A longer answer's claims, checked one by one as the model writes them.

    `feed` reads the reply written so far and returns the claims to send now; `finish` reads the
    whole reply and returns the rest: its last sentences, a restated headline when the answer has
    nothing else, and the passages' own sentences that complete a short answer. Nothing is returned
    unless the answer passes its checks; `silent` lists a comparison's named outlets with nothing on
    the topic."""

    def __init__(
        self, form: Shape, passages: list[Passage], question: str, focus: Focus, encode: Encoder,
        outlets: Sequence[str] = (), compared: Sequence[str] = (), sides: Sequence[Sequence[str]] = (),
        names: Sequence[str] = (),
    ) -> None:
        self.form, self.passages, self.question, self.focus, self.encode = form, passages, question, focus, encode
        self.outlets = outlets  # the corpus's outlets, to check a claim labelled with one
        self.compared, self.sides, self.names = compared, sides, names  # for completion and grouping
        self.streams = not form.by_date and form.name != "compare"  # reordered after the last claim: sent at the end
        self.read = 0  # claims of the reply checked so far
        self.facts: list[Verified] = []  # claims that stand, not sent yet
        self.headlines: list[Verified] = []  # claims that only restate a headline: used when nothing else stands
        self.sent: list[Verified] = []
        self.backed = False  # the model wrote a claim its quotes support (an article sentence in its place does not count)
        self.declined = False
        self.silent: list[str] = []

    def feed(self, reply: str) -> list[Verified]:
        """The claims to send now, the reply read as far as it is written."""
        if not self._read(finished_claims(reply), reply) or not self.streams:
            return []  # no sentence completed since the last piece
        if self.sent:
            return self._send_new()
        kept = self._kept()
        return self._send(kept) if self._holds(kept) else []

    def finish(self, reply: str) -> list[Verified]:
        """The claims left to send once the model has finished."""
        self._read(parse_claims(reply), reply)
        if self.sent:
            rest = self._send_new()
            return rest + self._send(self._completed(self.sent)[len(self.sent) :])
        if self.declined or not strip_markers(reply) or is_abstention(strip_markers(reply)):
            return []
        answer = without_repeats(self._completed(self._kept() or without_restatements(self.headlines)))
        if self.form.by_date:
            answer = dated(answer, self.passages)
        if self.form.name == "compare":
            answer, self.silent = grouped_by_outlet(answer, self.passages, self.sides)
        return self._send(answer) if self._holds(answer) else []

    def _read(self, claims: list[Claim], reply: str) -> int:
        """Check the claims not read yet (how many there were); a reply that opens by declining is
        not used at all."""
        fresh, self.read = claims[self.read :], max(self.read, len(claims))
        if fresh and not self.sent and is_abstention(strip_markers(reply)):
            self.declined = True
        for claim in [] if self.declined else fresh:
            item = self._outlet_checked(verify_claims([claim], self.passages, self.encode, self.question)[0])
            self.backed |= item.supported and len(content_words(claim.text)) >= MIN_CONTENT_WORDS
            if not item.supported or restates_a_title(claim.text, self.passages):
                # What the quotes do not back (a paraphrase gone wrong, a headline) is said in the
                # words of the article sentence the model drew it from, when that sentence stands alone.
                item = self._outlet_checked(quoted_instead(item, self.passages, self.question))
            # A longer answer states only what its quotes back: an unsupported sentence (the model's
            # own commentary, or a fact no passage holds) is left out, not flagged. A fragment
            # ("- Outlet: The Verge [2]") says nothing, whatever its quote.
            if not item.supported or len(content_words(item.claim.text)) < MIN_CONTENT_WORDS:
                continue
            (self.headlines if restates_a_title(item.claim.text, self.passages) else self.facts).append(item)
        return len(fresh)

    def _outlet_checked(self, item: Verified) -> Verified:
        """In a comparison, a claim labelled with an outlet stands only on that outlet's article."""
        return outlet_checked([item], self.passages, self.outlets)[0] if self.form.name == "compare" else item

    def _kept(self) -> list[Verified]:
        """The claims that stand, less those another claim already says."""
        return without_restatements(self.facts)

    def _send_new(self) -> list[Verified]:
        """Once the answer stands: each new claim, unless it says what was sent already."""
        fresh, out = self.facts, []
        for item in fresh:
            if not says_again(item, self.sent):
                out += self._send([item])
        self.facts = []
        return out

    def _send(self, items: list[Verified]) -> list[Verified]:
        """Mark claims sent; what is left unsent of the reply so far is not sent later."""
        self.facts = []
        self.sent += items
        return items

    def _completed(self, verified: list[Verified]) -> list[Verified]:
        """Completed from the passages' own sentences, only when the model's own reply has a claim
        its quotes support: a reply the passages do not back is declined, not rebuilt from them."""
        if not self.backed or not self.form.claims:
            return verified
        return completed(verified, self.passages, self.question, self.form.claims, self.encode, self.compared, self.names)

    def _holds(self, answer: list[Verified]) -> bool:
        return self.backed and not self.declined and answer_holds(self.focus, answer, self.passages)
