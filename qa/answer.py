"""The answer loop, top to bottom: rewrite a follow-up, retrieve, prompt, stream, verify, cite."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from qa.cite import is_grounded, parse_claims, render, strip_markers, verify_claims
from qa.embedding import Embedder
from qa.llm import LLM, Message, TokenProb
from qa.metrics import is_abstention
from qa.outlets import missing_outlets
from qa.prompt import build_prompt, make_passages
from qa.retrieve import Filters, Retriever
from qa.types import Answer

# Below this probability for the first token of a name or number, the answer is withheld: tuned on
# dev replies of the default model (README "Answers").
MIN_ANSWER_CONFIDENCE = 0.4
ABSTENTION_TEXT = "Insufficient information: the articles in the corpus do not answer this question."
_FOLLOW_UP = re.compile(
    r"^(and|but|so|also|what about|how about|why|then)\b|\b(he|she|they|it|its|his|her|their|them|that|this|those|these)\b",
    re.IGNORECASE,
)
REWRITE_PROMPT = (
    "Rewrite the follow-up question as one standalone question, using the conversation for names "
    "and context. Reply with the question only."
)


@dataclass(frozen=True)
class Token:
    """A piece of the answer as the model streams it."""

    text: str


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


class Answerer:
    """Answers questions from the index with a language model; shared by the CLI, UI and API."""

    def __init__(
        self, retriever: Retriever, llm: LLM, k: int = 4, passage_chars: int = 400, max_tokens: int = 160,
        min_confidence: float = MIN_ANSWER_CONFIDENCE,
    ) -> None:
        self.retriever = retriever
        self.llm = llm
        self.min_confidence = min_confidence
        self.k = k
        self.passage_chars = passage_chars
        self.max_tokens = max_tokens

    def warm_up(self) -> None:
        """Load the embedding model, the index and the language model now rather than on first use."""
        self.retriever.search("warm up", k=1)
        load = getattr(self.llm, "_load", None)
        if load:
            load()

    @property
    def embedder(self) -> Embedder:
        return self.retriever.embedder

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        k: int | None = None,
        filters: Filters | None = None,
    ) -> Iterator[Token | Answer]:
        """Yield the answer's tokens as they come, then the verified `Answer`."""
        started = time.perf_counter()
        standalone = self.rewrite(question, history)
        missing = missing_outlets(standalone, self.retriever.outlets())
        hits = [] if missing else self.retriever.search(standalone, k=k or self.k, filters=filters)
        retrieved = time.perf_counter()
        passages = make_passages(standalone, hits, self.passage_chars)
        first_token = None
        labels = _LabelFilter()
        probs: list[TokenProb] | None = [] if self.min_confidence > 0 else None  # recorded only for the check
        if passages:
            for piece in self.llm.stream(build_prompt(standalone, passages), self.max_tokens, probs):
                first_token = first_token or time.perf_counter()
                shown = labels.feed(piece)
                if shown:
                    yield Token(shown)
            if rest := labels.rest():
                yield Token(rest)
        reply = labels.text()
        abstained = not passages or is_abstention(strip_markers(reply)) or not strip_markers(reply)
        if missing:
            text, citations = f"Insufficient information: the corpus has no articles from {' or '.join(missing)}.", []
        elif abstained:
            text, citations = ABSTENTION_TEXT, []
        else:
            verified = verify_claims(parse_claims(reply), passages, lambda t: self.embedder.embed(t), standalone)
            text, citations = render(verified, passages)
            short = short_answer(text)
            unsure = is_unsure(short, answer_confidence(probs or []), self.min_confidence)
            if unsure or not is_grounded(short, [p.hit.text for p in passages], standalone):
                # The direct answer is in none of the articles retrieved (the model's memory, not the
                # corpus), or the model itself was unsure of it.
                abstained, text, citations = True, ABSTENTION_TEXT, []
        finished = time.perf_counter()
        yield Answer(
            question=standalone,
            answer=text,
            abstained=abstained,
            citations=citations,
            model=self.llm.name,
            timings={
                "retrieve_ms": round((retrieved - started) * 1000, 1),
                "first_token_ms": round(((first_token or finished) - started) * 1000, 1),
                "total_ms": round((finished - started) * 1000, 1),
            },
            hits=hits,
            short_answer="" if abstained else short_answer(text),
        )

    def ask(self, question: str, history: Sequence[Turn] = (), k: int | None = None, filters: Filters | None = None) -> Answer:
        """The verified answer, without streaming."""
        for event in self.stream(question, history, k, filters):
            if isinstance(event, Answer):
                return event
        raise AssertionError("stream ended without an answer")

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        """A follow-up ("and what did Russia say?") as a standalone question, using the history."""
        if not history or not _FOLLOW_UP.search(question):
            return question
        previous = history[-1]
        conversation = "\n".join(f"Q: {t.question}\nA: {strip_markers(t.answer)[:300]}" for t in history[-3:])
        messages: list[Message] = [
            {"role": "system", "content": REWRITE_PROMPT},
            {"role": "user", "content": f"Conversation:\n{conversation}\n\nFollow-up: {question}\nStandalone question:"},
        ]
        rewritten = "".join(self.llm.stream(messages, 60)).strip().split("\n")[0].strip()
        if 8 <= len(rewritten) <= 300 and not is_abstention(rewritten) and "[" not in rewritten:
            return rewritten
        return f"{previous.question} {question}"


class _LabelFilter:
    """Turns the model's "Answer: X / Explanation: Y" reply into "X. Y" as it streams."""

    _ANSWER = re.compile(r"^\s*(?:\*\*)?answer(?:\*\*)?\s*:\s*(?:\*\*)?", re.IGNORECASE)
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


def answer_confidence(probs: Sequence[TokenProb]) -> float | None:
    """The probability of the reply's first answer token (right after "Answer:"), where the model
    chooses what to answer; None when the backend reports no probabilities or there is no label."""
    text = ""
    for piece, prob in probs:
        if piece.strip() and _LabelFilter._ANSWER.fullmatch(text.rstrip()):
            return prob
        text += piece
    return None


def is_unsure(short: str, confidence: float | None, threshold: float) -> bool:
    """A name or number answered with low probability: the passages did not settle it. Yes/no
    answers are left out (the model's yes/no probability barely tracks correctness on dev)."""
    return confidence is not None and short not in ("Yes", "No") and confidence < threshold


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
