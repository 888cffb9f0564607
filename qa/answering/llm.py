"""Which language model writes the answer? One-method backends, picked by name in `make_llm`."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import ConfigError, QAError

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}
TokenProb = tuple[str, float]  # a generated token's text and the probability the model gave it
PROB_TOKENS = 32  # token probabilities are recorded for the start of a reply, where the short answer is


class LLM(Protocol):
    """Streams the reply to a chat as text pieces. A backend that knows its token probabilities
    appends the first `PROB_TOKENS` generated tokens with them to `probs` when given a list."""

    name: str

    def stream(self, messages: list[Message], max_tokens: int = 256, probs: list[TokenProb] | None = None) -> Iterator[str]: ...


class FakeLLM:
    """Deterministic stand-in for tests and demos, recording every prompt it gets.

    With `replies`, it answers each call with the next scripted reply (cycling). Without, it answers
    extractively: the passage sentence sharing most words with the question, cited as [n] — or
    "Insufficient information." when nothing overlaps. With `prob`, every piece is reported with
    that probability.
    """

    name = "fake"

    def __init__(self, replies: list[str] | None = None, prob: float | None = None, serial: bool = False) -> None:
        self.replies = list(replies or [])
        self.prob = prob
        self.serial = serial  # True: behaves like the local model, one answer at a time (queued)
        self.prompts: list[list[Message]] = []
        self._lock = threading.Lock()

    def stream(self, messages: list[Message], max_tokens: int = 256, probs: list[TokenProb] | None = None) -> Iterator[str]:
        with self._lock:
            self.prompts.append(messages)
            reply = self.replies[(len(self.prompts) - 1) % len(self.replies)] if self.replies else None
        if reply is None:
            reply = _extractive_reply(messages[-1]["content"])
        for piece in re.findall(r"\S+\s*", reply)[: max_tokens]:
            if probs is not None and self.prob is not None and len(probs) < PROB_TOKENS:
                probs.append((piece, self.prob))
            yield piece


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("the a an of to in on for and or is are was were did does do what who which how why when by with from as at that this it".split())


def _extractive_reply(prompt: str) -> str:
    question = prompt.rsplit("Question:", 1)[-1]
    wanted = set(_WORD.findall(question.lower())) - _STOP
    best, best_n, best_overlap = "", 0, 0
    for match in re.finditer(r'^<passage n="(\d+)"[^\n]*>\n(.+?)\n</passage>', prompt, re.S | re.M):
        for sentence in re.split(r"(?<=[.!?])\s+", match.group(2).strip()):
            overlap = len(wanted & set(_WORD.findall(sentence.lower())))
            if overlap > best_overlap:
                best, best_n, best_overlap = sentence.strip(), int(match.group(1)), overlap
    if best_overlap < 2:
        return "Insufficient information."
    return f"{best} [{best_n}]"


class LlamaCppLLM:
    """A GGUF model run in-process by llama.cpp (llama-cpp-python); loaded once, on first use."""

    serial = True  # one llama.cpp context writes one answer at a time: callers queue for it

    def __init__(
        self, model_path: Path, name: str, n_ctx: int = 4096, n_threads: int | None = None,
        states_dir: Path | None = None, prefix_states: bool = True,
    ) -> None:
        self.model_path = model_path
        self.name = name
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._llama = None
        self._lock = threading.Lock()  # one generation at a time per loaded model
        self._states = None
        self._states_dir = states_dir
        self.prefix_states = prefix_states
        self.last_prompt_tokens = 0  # the last prompt's tokens, and how many of them were read for it
        self.last_prompt_read = 0

    def _load(self):  # noqa: ANN202
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ConfigError("The local model needs llama-cpp-python: run `make install`.") from exc
            # llama-cpp-python decodes on half the cores by default; all of them is ~1.9x faster on 2 cores.
            threads = self.n_threads or os.cpu_count() or 1
            self._llama = Llama(
                model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=threads, n_threads_batch=threads,
                verbose=False,
            )
        return self._llama

    def stream(self, messages: list[Message], max_tokens: int = 256, probs: list[TokenProb] | None = None) -> Iterator[str]:
        with self._lock:
            llama = self._load()
            recorder = None
            if probs is not None:
                from llama_cpp import LogitsProcessorList

                recorder = LogitsProcessorList([_ProbRecorder(llama, probs)])
            self._read_fixed_prefix(llama, messages)
            chunks = llama.create_chat_completion(
                messages=messages, stream=True, max_tokens=max_tokens, temperature=0.0, top_k=1, seed=0,
                logits_processor=recorder,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece


    def _read_fixed_prefix(self, llama, messages: list[Message]) -> None:  # noqa: ANN001
        """Restore (or read once and keep) the state after the messages before the question — the
        shape's instructions and worked examples — so the prompt reads only what is new."""
        from qa.answering.prefix_states import PrefixStates, common_length, read_prefix, state_folder

        if "tokenizer.chat_template" not in llama.metadata:
            self.last_prompt_tokens = self.last_prompt_read = 0  # not counted: llama.cpp's own format
            return
        prompt = prompt_tokens(llama, messages)
        known = common_length(llama.input_ids[: llama.n_tokens].tolist(), prompt)
        if self.prefix_states and len(messages) > 1:
            if self._states is None:
                folder = state_folder(self._states_dir, self.model_path, self.n_ctx) if self._states_dir else None
                self._states = PrefixStates(folder)
            fixed = prompt_tokens(llama, messages[:-1], add_generation_prompt=False)
            prefix = prompt[: common_length(fixed, prompt)]
            known = max(known, read_prefix(llama, prefix, self._states))
        self.last_prompt_tokens, self.last_prompt_read = len(prompt), len(prompt) - known


class _ProbRecorder:
    """A llama.cpp logits processor that notes each greedy token and its softmax probability (it sees
    only the logits llama.cpp computes anyway for the next token, so prompt reading costs the same)."""

    def __init__(self, llama, probs: list[TokenProb]) -> None:  # noqa: ANN001
        self.llama, self.probs = llama, probs

    def __call__(self, input_ids, scores):  # noqa: ANN001, ANN204
        if len(self.probs) < PROB_TOKENS:
            best = int(scores.argmax())
            prob = 1.0 / float(np.exp(scores.astype(np.float64) - float(scores[best])).sum())
            self.probs.append((self.llama.detokenize([best]).decode("utf-8", "replace"), prob))
        return scores


def prompt_tokens(llama, messages: list[Message], add_generation_prompt: bool = True) -> list[int]:  # noqa: ANN001
    """The tokens llama.cpp reads for `messages`, rendered with the model's own chat template."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llama.metadata["tokenizer.chat_template"]
    render = Jinja2ChatFormatter(template, eos_token="", bos_token="", add_generation_prompt=add_generation_prompt)
    return llama.tokenize(render(messages=messages).prompt.encode(), add_bos=False, special=True)


def count_prompt_tokens(llama, messages: list[Message], add_generation_prompt: bool = True) -> int:  # noqa: ANN001
    """How many tokens llama.cpp reads for `messages`."""
    return len(prompt_tokens(llama, messages, add_generation_prompt))


class OpenAICompatibleLLM:
    """Any OpenAI-compatible server (vLLM, Ollama, llama.cpp server, hosted) via LangChain's ChatOpenAI."""

    def __init__(self, base_url: str, model: str, api_key: str = "not-needed", timeout: float = 120.0) -> None:
        from langchain_openai import ChatOpenAI

        self.name = f"openai:{model}"
        self._chat = ChatOpenAI(
            base_url=base_url, model=model, api_key=api_key, temperature=0.0, timeout=timeout, max_retries=1
        )

    def stream(self, messages: list[Message], max_tokens: int = 256, probs: list[TokenProb] | None = None) -> Iterator[str]:  # noqa: ARG002
        try:
            for chunk in self._chat.stream(messages, max_tokens=max_tokens):
                if chunk.content:
                    yield str(chunk.content)
        except Exception as exc:  # the client raises many transport/HTTP error types
            raise QAError(f"The language model server failed: {exc}") from exc


@dataclass(frozen=True)
class LLMSettings:
    backend: str = "local"  # local | openai | fake
    model: str = "qwen2.5-1.5b"  # bundled name or .gguf path (local); model id (openai)
    base_url: str = ""
    api_key: str = "not-needed"
    cache_dir: Path = Path.home() / ".cache" / "newsroom-qa"
    n_ctx: int = 4096
    prefix_states: bool = True  # keep llama.cpp's state after each shape's instructions (memory and disk)


def make_llm(settings: LLMSettings) -> LLM:
    """The composition root for language models."""
    if settings.backend == "fake":
        return FakeLLM()
    if settings.backend == "openai":
        if not settings.base_url:
            raise ConfigError("The openai backend needs a base URL: set QA_LLM_BASE_URL (e.g. http://127.0.0.1:8000/v1).")
        return OpenAICompatibleLLM(settings.base_url, settings.model, settings.api_key)
    if settings.backend == "local":
        from qa.answering.models import resolve_model

        path = resolve_model(settings.model, settings.cache_dir / "models")
        return LlamaCppLLM(
            path, f"local:{settings.model}", n_ctx=settings.n_ctx, states_dir=settings.cache_dir,
            prefix_states=settings.prefix_states,
        )
    raise ConfigError(f"Unknown LLM backend {settings.backend!r}: choose local, openai or fake.")
