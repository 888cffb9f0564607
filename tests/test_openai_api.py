"""The /v1 OpenAI-compatible endpoints over real HTTP on loopback, called with the official `openai` client."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import openai
import pytest

from qa.answering.answer import ABSTENTION_TEXT, EVIDENCE_LEAD, Answerer
from qa.answering.followups import REWRITE_PROMPT
from qa.answering.llm import FakeLLM, Message
from qa.errors import QAError
from qa.index.build import ingest_corpus
from qa.retrieval.retrieve import Retriever
from qa.settings import Settings

QUESTION = "What did the survey find at the Zorblax glacier's edge?"
MARKER = re.compile(r"\[\d+\]")


class BrokenLLM:
    """A model that writes a few words, then fails the way a crashed runtime would."""

    name = "broken"

    def stream(self, messages: list[Message], max_tokens: int = 256, probs: list | None = None) -> Iterator[str]:  # noqa: ARG002
        yield "The survey "
        raise QAError("The language model stopped: restart the server.")


@pytest.fixture
def llm() -> FakeLLM:
    return FakeLLM()


@pytest.fixture
def answerer(tiny_corpus, index_dir, embedder, llm) -> Answerer:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    return Answerer(Retriever(index_dir, embedder), llm)


@pytest.fixture
def server_url(answerer, serve) -> str:
    from qa.serving.server import build_app

    return serve(build_app(answerer))


@pytest.fixture
def client(server_url) -> openai.OpenAI:
    return openai.OpenAI(base_url=server_url + "/v1", api_key="x", max_retries=0, timeout=60)


def test_models_lists_the_pipeline(client) -> None:
    models = client.models.list().data
    assert [m.id for m in models] == ["newsroom-qa"]
    assert models[0].owned_by == "newsroom-qa" and models[0].object == "model" and models[0].llm == "fake"
    assert client.models.retrieve("newsroom-qa").id == "newsroom-qa"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_completion_carries_the_answer_with_markers_and_citations(client) -> None:
    completion = client.chat.completions.create(
        model="anything", messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}])
    message = completion.choices[0].message
    assert completion.id.startswith("chatcmpl-") and completion.object == "chat.completion"
    assert message.role == "assistant" and MARKER.search(message.content) and "meltwater" in message.content
    assert completion.choices[0].finish_reason == "stop" and completion.usage.completion_tokens > 0
    assert completion.abstained is False and completion.timings["total_ms"] > 0
    citation = completion.citations[0]
    assert citation["n"] == 1 and citation["supported"] and citation["source"] == "Polar Times"
    assert "meltwater" in citation["quote"] and "hits" not in completion.model_extra


def test_list_form_content_is_read_as_text(client) -> None:
    parts = [{"type": "text", "text": "What did the survey find"}, {"type": "text", "text": " at the Zorblax glacier's edge?"}]
    completion = client.chat.completions.create(model="newsroom-qa", messages=[{"role": "user", "content": parts}])
    assert "meltwater" in completion.choices[0].message.content and completion.citations


def test_stream_sends_verified_sentences_then_a_final_chunk_with_citations(client) -> None:
    chunks = list(client.chat.completions.create(
        model="newsroom-qa", messages=[{"role": "user", "content": QUESTION}], stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len(chunks) == 3 and "meltwater" in streamed and streamed == chunks[-1].answer  # role, the one sentence, stop
    assert chunks[1].claim["supported"] and "meltwater" in chunks[1].claim["quotes"][0]["quote"]
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop" and not final.choices[0].delta.content
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    assert MARKER.search(final.answer) and final.abstained is False and final.usage.total_tokens > 0
    assert final.citations[0]["supported"] and "meltwater" in final.citations[0]["quote"]
    assert "meltwater" in final.claims[0]["quotes"][0]["quote"]


def test_a_reply_the_checks_reject_is_never_streamed(client, llm) -> None:
    llm.replies = ["I am not able to answer that."]
    chunks = list(client.chat.completions.create(
        model="newsroom-qa", messages=[{"role": "user", "content": QUESTION}], stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    final = chunks[-1]
    assert "not able" not in streamed and streamed == final.answer
    # declined, or (the passages hold what the question is about) their best sentences as quotations
    assert final.answer == ABSTENTION_TEXT or final.answer.startswith(EVIDENCE_LEAD)
    assert (final.abstained is True and final.citations == []) or all(c["supported"] for c in final.citations)


def test_history_and_filters_reach_the_answerer(client, llm) -> None:
    messages = [{"role": "system", "content": "Answer like a pirate."},
                {"role": "user", "content": "Who led the Zorblax glacier survey?"},
                {"role": "assistant", "content": "Ada Frost [1]."},
                {"role": "user", "content": "What did they find at its edge?"}]
    client.chat.completions.create(model="newsroom-qa", messages=messages)
    rewrite = [p for p in llm.prompts if p[0]["content"] == REWRITE_PROMPT]
    conversation = rewrite[0][1]["content"] if rewrite else ""
    assert "Q: Who led the Zorblax glacier survey?\nA: Ada Frost." in conversation and "pirate" not in conversation
    assert "Follow-up: What did they find at its edge?" in conversation

    elsewhere = client.chat.completions.create(model="newsroom-qa", messages=[{"role": "user", "content": QUESTION}],
                                               extra_body={"filters": {"sources": ["Market Wire"]}, "k": 1})
    assert elsewhere.abstained is True and elsewhere.citations == []
    assert "meltwater" not in elsewhere.choices[0].message.content


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_bad_requests_get_422_with_a_reason(server_url, client) -> None:
    url = server_url + "/v1/chat/completions"
    status, body = _post(url, {"model": "newsroom-qa", "messages": [{"role": "system", "content": "Be brief."}]})
    assert status == 422 and "user message" in json.dumps(body)
    status, body = _post(url, {"messages": [{"role": "user", "content": QUESTION}], "k": 500})
    assert status == 422 and body["detail"][0]["loc"][-1] == "k"
    status, body = _post(url, {"messages": []})
    assert status == 422 and body["detail"][0]["loc"][-1] == "messages"
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="newsroom-qa", messages=[{"role": "assistant", "content": "Hi"}])


def test_keys_are_required_when_configured(answerer, serve) -> None:
    from qa.serving.server import build_app

    url = serve(build_app(answerer, Settings(api_keys="r1"))) + "/v1"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(url + "/models", timeout=30)
    assert missing.value.code == 401 and b"Missing API key" in missing.value.read()
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=url, api_key="wrong", max_retries=0).models.list()
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=url, api_key="wrong", max_retries=0).chat.completions.create(
            model="newsroom-qa", messages=[{"role": "user", "content": QUESTION}])
    keyed = openai.OpenAI(base_url=url, api_key="r1", max_retries=0, timeout=60)
    assert [m.id for m in keyed.models.list().data] == ["newsroom-qa"]
    assert keyed.chat.completions.create(model="newsroom-qa", messages=[{"role": "user", "content": QUESTION}]).citations


@pytest.mark.parametrize("llm", [BrokenLLM()])
def test_an_error_mid_stream_ends_the_stream_cleanly(client) -> None:
    stream = client.chat.completions.create(
        model="newsroom-qa", messages=[{"role": "user", "content": QUESTION}], stream=True)
    received = []
    with pytest.raises(openai.APIError, match="restart the server"):
        for chunk in stream:
            received.append(chunk)
    assert received and received[0].choices[0].delta.role == "assistant"


def test_the_stream_sends_only_verified_sentences_with_quotes_as_quotations(client, llm) -> None:
    from tests.test_answer import MIXED_REPLY, WHY_QUESTION

    llm.replies = [MIXED_REPLY]
    chunks = list(client.chat.completions.create(
        model="newsroom-qa", messages=[{"role": "user", "content": WHY_QUESTION}], stream=True))
    pieces = [c.choices[0].delta.content for c in chunks[1:-1]]
    streamed, final = "".join(pieces), chunks[-1]
    assert "ice-free" not in streamed and streamed == final.answer and not final.choices[0].delta.content
    assert len(pieces) == 2 and all(c.claim["supported"] for c in chunks[1:-1])  # one chunk per verified sentence
    assert pieces[0] == f"Polar Times: “{chunks[1].claim['text']}” [1]" and chunks[1].claim["verbatim"] is True
    assert final.claims[0]["label"] == "Polar Times" and final.claims[0]["verbatim"] is True
