"""The queue for a model that writes one answer at a time: arrival order, places, leaving."""

from __future__ import annotations

import threading

import pytest

from qa.answering.answer import Answerer, Claimed, Queued
from qa.answering.llm import FakeLLM
from qa.answering.turns import TurnQueue
from qa.index.build import ingest_corpus
from qa.retrieval.retrieve import Retriever
from qa.types import Answer


def test_tickets_are_served_in_arrival_order_and_know_their_place() -> None:
    queue = TurnQueue()
    first, second, third = queue.take(), queue.take(), queue.take()
    assert [queue.ahead(t) for t in (first, second, third)] == [0, 1, 2]
    assert queue.wait(first, 0) and not queue.wait(second, 0.01)
    queue.done(second)  # the second question left before its turn
    assert queue.ahead(third) == 1 and not queue.wait(third, 0.01)
    queue.done(first)
    assert queue.wait(third, 0) and queue.ahead(third) == 0
    queue.done(first)  # giving a turn up twice changes nothing
    assert queue.ahead(queue.take()) == 1


def test_a_waiter_wakes_when_the_turn_before_it_ends() -> None:
    queue = TurnQueue()
    first, second = queue.take(), queue.take()
    woke = []
    waiter = threading.Thread(target=lambda: woke.append(queue.wait(second, 5)))
    waiter.start()
    queue.done(first)
    waiter.join(5)
    assert woke == [True]


@pytest.fixture
def retriever(tiny_corpus, index_dir, embedder) -> Retriever:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    return Retriever(index_dir, embedder)


# An explanation: its first sentence is verified and sent while the model still writes the second.
REPLY = "At least 27 people have been killed in Karabakh and 200 wounded [1]. Azerbaijan pounded Nagorno-Karabakh despite calls for calm [1]."
QUESTION = "How many people had been killed in Karabakh?"
SHAPE = "explain"


def test_a_question_asked_while_the_model_is_busy_says_its_place_then_is_answered(retriever) -> None:
    answerer = Answerer(retriever, FakeLLM([REPLY], serial=True), k=3)
    busy = answerer.stream(QUESTION, shape=SHAPE)
    next(e for e in busy if isinstance(e, Claimed))  # the first question holds the model mid-answer
    waiting = answerer.stream(QUESTION, shape=SHAPE)
    assert next(e for e in waiting if not isinstance(e, Claimed) and type(e).__name__ != "Sources") == Queued(1)
    list(busy)  # the first answer finishes; the second one gets the model
    rest = list(waiting)
    assert isinstance(rest[-1], Answer) and not rest[-1].abstained and any(isinstance(e, Claimed) for e in rest)


def test_a_question_that_leaves_the_queue_does_not_block_the_next(retriever) -> None:
    answerer = Answerer(retriever, FakeLLM([REPLY], serial=True), k=3)
    busy = answerer.stream(QUESTION, shape=SHAPE)
    next(e for e in busy if isinstance(e, Claimed))
    left = answerer.stream(QUESTION, shape=SHAPE)
    assert Queued(1) in (next(left), next(left))  # sources, then its place
    left.close()  # the reader went away
    busy.close()
    answer = answerer.ask(QUESTION, shape=SHAPE)
    assert not answer.abstained


def test_a_model_that_answers_in_parallel_is_not_queued(retriever) -> None:
    answerer = Answerer(retriever, FakeLLM([REPLY]), k=3)  # e.g. a vLLM server: serial is False
    busy = answerer.stream(QUESTION, shape=SHAPE)
    next(e for e in busy if isinstance(e, Claimed))
    assert not any(isinstance(e, Queued) for e in answerer.stream(QUESTION, shape=SHAPE))


def test_the_chat_and_the_api_show_the_place_in_the_queue() -> None:
    from qa.serving.api import _sse
    from qa.serving.render import render_queued

    assert "2 questions ahead of yours" in render_queued(Queued(2))
    assert "1 question ahead" in render_queued(Queued(1)) and render_queued(Queued(0)) == ""
    events = list(_sse(iter([Queued(1)])))
    assert events[0] == 'event: queued\ndata: {"ahead": 1}\n\n'
