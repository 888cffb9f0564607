"""OpenAI-compatible endpoints under /v1, so OpenAI clients (the `openai` package, chat UIs) can ask the corpus.

- `GET /v1/models` lists one model, `newsroom-qa` (the whole retrieval pipeline); `llm` names the
  language model behind it.
- `POST /v1/chat/completions`: the last user message is the question, earlier user/assistant pairs
  are the history, system messages are ignored. Any `model` name is accepted and answered by
  `newsroom-qa`; sampling fields (`temperature`, `max_tokens`, ...) are accepted and ignored, as are
  unknown fields. Extensions: `k` (passages, 1-20) and `filters` ({sources, since, until}).

The citations travel as extra top-level fields, next to `choices`:

- non-stream `chat.completion`: `citations` (the objects `/api/ask` returns), `abstained`, `timings`;
  `choices[0].message.content` is the answer with its `[n]` markers.
- stream: `chat.completion.chunk`s with the role, then the content one verified sentence at a time
  (each chunk also carries that sentence as `claim`, with its citations and quotes; nothing the
  checks reject is sent), then a final chunk with `finish_reason: "stop"`, an empty delta, `usage`,
  the same three fields and `answer`: the whole text, equal to what was streamed. Then `data: [DONE]`. An error mid-stream is sent as `data: {"error": {...}}`
  (the `openai` client raises `APIError`), then `[DONE]`.

With the `openai` client the fields are attributes: `completion.citations`, `chunk.citations`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from qa.answering.answer import Answerer, Claimed, Event, Token, Turn
from qa.errors import QAError
from qa.serving.access import Access
from qa.serving.api import FiltersIn, answer_payload, claim_payload
from qa.types import Answer

MODEL_ID = "newsroom-qa"
OWNER = "newsroom-qa"
CREATED = 1_700_000_000  # a fixed date: the model is the pipeline, not a dated checkpoint


class TextPart(BaseModel):
    """One part of list-form content; parts other than text (images) are ignored."""

    model_config = ConfigDict(extra="ignore")
    type: str
    text: str = ""


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content if part.type == "text")
        return self.content or ""


class ChatIn(BaseModel):
    """A chat completion request; the fields OpenAI defines that we cannot honour are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")
    model: str = MODEL_ID
    messages: list[MessageIn] = Field(min_length=1, max_length=100)
    stream: bool = False
    n: int = Field(default=1, ge=1, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    k: int | None = Field(default=None, ge=1, le=20)
    filters: FiltersIn | None = None

    @model_validator(mode="after")
    def _has_a_question(self) -> "ChatIn":
        question = self.question()
        if not question.strip():
            raise ValueError("messages needs a user message with text: the last one is the question")
        if len(question) > 2000:
            raise ValueError("the question (last user message) is longer than 2000 characters")
        return self

    def question(self) -> str:
        users = [m for m in self.messages if m.role == "user"]
        return users[-1].text() if users else ""

    def history(self) -> list[Turn]:
        """User/assistant pairs before the last user message."""
        last_user = max(i for i, m in enumerate(self.messages) if m.role == "user")
        turns: list[Turn] = []
        pending: str | None = None
        for message in self.messages[:last_user]:
            if message.role == "user":
                pending = message.text()
            elif message.role == "assistant" and pending is not None:
                turns.append(Turn(pending, message.text()))
                pending = None
        return turns

    def prompt_text(self) -> str:
        return "\n".join(m.text() for m in self.messages if m.role in ("user", "assistant"))


def build_router(answerer: Answerer, access: Access) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[Depends(access.reader)])

    @router.get("/models")
    def models() -> dict:
        """The one model, in OpenAI's list format."""
        return {"object": "list", "data": [_model(answerer.llm.name)]}

    @router.get("/models/{model_id}")
    def model(model_id: str) -> dict:
        """One model by id: only `newsroom-qa` exists (though chat completions answer any name)."""
        if model_id != MODEL_ID:
            raise HTTPException(404, f"No model {model_id!r}: the one model here is {MODEL_ID!r}.")
        return _model(answerer.llm.name)

    @router.post("/chat/completions")
    def chat_completions(body: ChatIn):  # noqa: ANN202
        """Answer the last user message from the corpus, with citations (see the module docs)."""
        filters = body.filters.to_filters() if body.filters else None
        events = answerer.stream(body.question(), body.history(), body.k, filters)
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if body.stream:
            chunks = _chunks(events, completion_id, created, body.prompt_text())
            return StreamingResponse(chunks, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        final = [e for e in events if isinstance(e, Answer)][-1]
        return {
            "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": final.answer}, "finish_reason": "stop"}],
            "usage": _usage(body.prompt_text(), final.answer),
            **_extras(final),
        }

    return router


def _model(llm_name: str) -> dict:
    return {"id": MODEL_ID, "object": "model", "created": CREATED, "owned_by": OWNER, "llm": llm_name}


def _extras(answer: Answer) -> dict:
    payload = answer_payload(answer)
    return {"citations": payload["citations"], "claims": payload["claims"], "abstained": answer.abstained,
            "timings": answer.timings, "shape": answer.shape}


def _usage(prompt: str, completion: str) -> dict:
    """Rough token counts (about four characters a token): the real prompt holds passages we don't count."""
    prompt_tokens, completion_tokens = -(-len(prompt) // 4), -(-len(completion) // 4)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def _chunks(events: Iterator[Event], completion_id: str, created: int, prompt: str) -> Iterator[str]:
    """The events as `chat.completion.chunk` Server-Sent Events, ending with `[DONE]`."""
    def chunk(delta: dict, finish: str | None = None, **extra: object) -> str:
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    try:
        for event in events:
            if isinstance(event, Claimed):
                yield chunk({"content": event.text}, claim=claim_payload(event)["claim"])
            elif isinstance(event, Token):
                yield chunk({"content": event.text})
            elif isinstance(event, Answer):  # the OpenAI protocol has no place for early sources
                yield chunk({}, "stop", usage=_usage(prompt, event.answer), answer=event.answer, **_extras(event))
    except QAError as exc:
        error = {"message": str(exc), "type": type(exc).__name__, "code": None}
        yield f"data: {json.dumps({'error': error}, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"
