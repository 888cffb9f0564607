"""The incremental check of a longer answer (qa/answering/streaming.py), fed a scripted reply word by word."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from qa.answering.prompt import make_passages
from qa.answering.shapes import EXPLAIN
from qa.answering.streaming import ClaimStream, Transcript
from qa.index.keyword import tokenize
from qa.types import Hit

TEXT = ("The town council approved a new budget for the library on Monday. "
        "Meltwater lakes formed at the edge of the Zorblax glacier this summer, the survey found. "
        "Local officials plan to open a monitoring station at the glacier next spring.")
QUESTION = "What did the survey find at the Zorblax glacier?"


def _stream(focus_words: str = "Zorblax meltwater") -> tuple[ClaimStream, Transcript]:
    hit = Hit(1, "a1", 0, 0, len(TEXT), TEXT, 1.0, "Town news", "Polar Times", "https://e.org/1", "2023-10-05")
    passages = make_passages(QUESTION, [hit], max_chars=2000)
    focus = [(term, 1.0) for term in tokenize([focus_words])[0]]

    def encode(texts: list[str]) -> np.ndarray:  # never close: word overlap decides
        return np.eye(len(texts), 8)

    form = replace(EXPLAIN, claims=0)  # no completion: only what the model wrote
    return ClaimStream(form, passages, QUESTION, focus, encode), Transcript(passages)


def _feed(stream: ClaimStream, reply: str) -> list[tuple[int, list[str]]]:
    """Feed the reply word by word; (words written, claims sent) whenever something is sent."""
    sent, written = [], ""
    pieces = re.findall(r"\S+\s*", reply)
    for i, piece in enumerate(pieces, 1):
        written += piece
        if out := stream.feed(written):
            sent.append((i, [v.claim.text for v in out]))
    if out := stream.finish(written):
        sent.append((len(pieces) + 1, [v.claim.text for v in out]))
    return sent


def test_verified_claims_wait_until_together_they_hold_the_focus_then_each_goes_out_at_once() -> None:
    stream, _ = _stream()
    reply = ("The town council approved a new budget for the library on Monday [1]. "
             "Meltwater lakes formed at the edge of the Zorblax glacier this summer [1]. "
             "The council approved the budget on Monday [1]. "  # restates the first: never sent
             "The survey found meltwater lakes at the Zorblax glacier's edge this summer [1]. "  # restates the second
             "This proves the planet will freeze over by next year [1]. "  # unsupported
             "Officials plan to open a monitoring station at the glacier next spring [1]. Done.")
    sent = _feed(stream, reply)
    # The library sentence alone holds nothing of the focus: held, then sent with the lakes sentence
    # as soon as that one is complete (the next sentence has begun), in the order written; then
    # each new verified sentence on its own, while the model still writes.
    lakes_done = len("The town council approved a new budget for the library on Monday [1]. Meltwater lakes "
                     "formed at the edge of the Zorblax glacier this summer [1]. The".split())
    assert sent == [(lakes_done, ["The town council approved a new budget for the library on Monday.",
                                  "Meltwater lakes formed at the edge of the Zorblax glacier this summer."]),
                    (len(reply.split()), ["Officials plan to open a monitoring station at the glacier next spring."])]


def test_claims_that_never_hold_the_focus_are_never_sent() -> None:
    stream, _ = _stream(focus_words="Quimperle merger")
    assert _feed(stream, "The town council approved a new budget for the library on Monday [1]. It was late [1].") == []


def test_a_reply_that_opens_by_declining_sends_nothing() -> None:
    stream, _ = _stream()
    reply = "Insufficient information [1]. Meltwater lakes formed at the edge of the Zorblax glacier this summer [1]. And more."
    assert _feed(stream, reply) == []


def test_the_transcript_is_the_answer_text_sentence_by_sentence() -> None:
    stream, shown = _stream()
    written = ""
    for piece in re.findall(r"\S+\s*", "Meltwater lakes formed at the edge of the Zorblax glacier this summer [1]. The survey found it."):
        written += piece
        shown.add(stream.feed(written))
    shown.add(stream.finish(written))
    assert shown.text == "Meltwater lakes formed at the edge of the Zorblax glacier this summer [1]."
    assert shown.first_at is not None and [v.cited for v in shown.items] == [(1,)]
