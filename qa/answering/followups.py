"""When is a question a follow-up, and what does it ask on its own? The model rewrites it from the
last turns; a rewrite that resolves nothing falls back to joining it to the previous question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answering.abstention import is_abstention
from qa.answering.llm import LLM, Message
from qa.answering.markers import strip_markers
from qa.answering.prompt import content_words
from qa.answering.understand import Weights, focus_terms
from qa.index.keyword import tokenize

_POINTS_BACK = re.compile(r"\b(he|she|they|it|its|his|him|her|their|them|that|this|those|these)\b", re.IGNORECASE)
_FOLLOW_UP = re.compile(rf"^(and|but|so|also|what about|how about|why|then)\b|{_POINTS_BACK.pattern}", re.IGNORECASE)
FOLLOW_UP_WORDS = 4  # a question this short, asked after others, leans on them
REWRITE_PROMPT = (
    "Rewrite the follow-up question as one standalone question, using the conversation for names "
    "and context. Reply with the question only."
)


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


def needs_rewrite(question: str, history: Sequence[Turn]) -> bool:
    """Whether a question reads as a follow-up to rewrite with the model: it opens like one ("and
    what did Russia say?"), points back with a pronoun, or is too short to stand alone ("How did
    Apple respond?", "Who won?")."""
    return bool(history) and (bool(_FOLLOW_UP.search(question)) or len(question.split()) <= FOLLOW_UP_WORDS)


SUBJECT_TERMS = 2  # the rarest words of the last question: the conversation's subject


def rewrite_follow_up(llm: LLM, question: str, history: Sequence[Turn], weights: Weights | None = None) -> str:
    """A follow-up ("and what did Russia say?") as a standalone question, using the history; with
    `weights` (the corpus's idf), one that lost the conversation's subject gets it back."""
    if not needs_rewrite(question, history):
        return question
    standalone = _rewritten(llm, question, history)
    return with_subject(standalone, history, weights) if weights else standalone


def with_subject(standalone: str, history: Sequence[Turn], weights: Weights) -> str:
    """The standalone question, with the last question appended when it names none of that
    question's rarest words: a small model's rewrite of "did anyone get sent off in it?" can drop
    the match it is about."""
    subject = [term for term, _ in focus_terms(history[-1].question, weights)[:SUBJECT_TERMS]]
    if not subject or set(subject) & set(tokenize([standalone])[0]):
        return standalone
    return f"{standalone} ({history[-1].question})"


def _rewritten(llm: LLM, question: str, history: Sequence[Turn]) -> str:
    recent = history[-3:]
    conversation = "\n".join(f"Q: {t.question}\nA: {strip_markers(t.answer)[:300]}" for t in recent)
    messages: list[Message] = [
        {"role": "system", "content": REWRITE_PROMPT},
        {"role": "user", "content": f"Conversation:\n{conversation}\n\nFollow-up: {question}\nStandalone question:"},
    ]
    rewritten = "".join(llm.stream(messages, 60)).strip().split("\n")[0].strip()
    usable = 8 <= len(rewritten) <= 300 and not is_abstention(rewritten) and "[" not in rewritten
    # A rewrite that takes nothing from the conversation while the question points back at it
    # ("How did Michigan do without him?" returned as it was) has not resolved anything.
    told = content_words(" ".join(f"{t.question} {t.answer}" for t in recent))
    resolved = bool((content_words(rewritten) - content_words(question)) & told)
    if usable and (resolved or not _POINTS_BACK.search(question)):
        return rewritten
    return f"{history[-1].question} {question}"
