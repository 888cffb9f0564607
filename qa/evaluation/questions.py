"""How is a question set read? Generic JSONL or the MultiHop-RAG query file, into `Question` values.

A question set is evidence an evaluator must trust, so nothing malformed is skipped silently:
every bad line is reported with its number, and no question is read until all of them are fixed.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from qa.errors import QAError

FORMATS = ("auto", "jsonl", "multihop-rag")
NULL_QUERY = "null_query"  # MultiHop-RAG's type for questions the corpus cannot answer
UNTYPED = "untyped"


@dataclass(frozen=True)
class Question:
    """One evaluation question with its gold answers, gold evidence sentences and gold articles.

    `gold_articles` holds article ids or URLs; `answerable` is False when the corpus holds no answer.
    `key_facts` lists what a good answer must contain, each fact as alternative phrasings;
    `history` holds earlier turns (`{"question", "answer"}`) of a follow-up; `now` (YYYY-MM-DD) is
    when the question was asked, for relative dates.
    """

    id: str
    question: str
    answers: list[str]
    evidence: list[str]
    gold_articles: list[str]
    answerable: bool
    question_type: str
    key_facts: list[list[str]] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)
    now: str = ""
    shape: str = ""  # the answer form the question asks for (fact, explain, quote, summary, timeline, compare)


def load_questions(path: Path, format: str = "auto") -> list[Question]:  # noqa: A002 - the CLI's word
    """Read a question set; `format` is "jsonl", "multihop-rag" or "auto" (decided from the content)."""
    if format not in FORMATS:
        raise QAError(f"Unknown question format {format!r}; use one of {', '.join(FORMATS)}.")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QAError(f"Cannot read the question set {path}: {exc}") from exc
    if format == "auto":
        format = detect_format(path, text)
    questions = read_jsonl(text, path) if format == "jsonl" else read_multihop_rag(text, path)
    if not questions:
        raise QAError(f"The question set {path} holds no questions.")
    return questions


def detect_format(path: Path, text: str) -> str:
    """"jsonl" for a .jsonl file or one JSON object per line, "multihop-rag" for a JSON list of
    objects with "query" and "evidence_list"; anything else is an error that asks for --format."""
    if path.suffix.lower() == ".jsonl":
        return "jsonl"
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return "jsonl"  # several JSON values, one a line, do not parse as one document
    if isinstance(data, dict):
        return "jsonl"
    if isinstance(data, list) and data and isinstance(data[0], dict) and {"query", "evidence_list"} <= set(data[0]):
        return "multihop-rag"
    raise QAError(
        f"Cannot tell the format of {path}: expected JSON lines or a MultiHop-RAG query list; "
        "pass --format jsonl or --format multihop-rag."
    )


def read_jsonl(text: str, source: Path | str = "<questions>") -> list[Question]:
    """Questions from JSON lines `{"id", "question", "answers", "evidence"?, "gold_articles"?,
    "answerable"?, "type"?, "key_facts"?, "history"?, "now"?}`; blank lines are allowed, every
    malformed line is reported."""
    questions: list[Question] = []
    problems: list[str] = []
    first_line_of: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        try:
            question = _from_record(record, number)
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if question.id in first_line_of:
            problems.append(f'line {number}: id "{question.id}" is already used on line {first_line_of[question.id]}')
            continue
        first_line_of[question.id] = number
        questions.append(question)
    _raise_if_any(problems, source, "line")
    return questions


def read_multihop_rag(text: str, source: Path | str = "<questions>") -> list[Question]:
    """Questions from a MultiHop-RAG query list; ids are `q0000`, `q0001`, ... by position."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QAError(f"{source} is not valid JSON ({exc.msg} at line {exc.lineno}); expected a MultiHop-RAG query list.") from exc
    if not isinstance(data, list):
        raise QAError(f"{source} is not a JSON list; expected a MultiHop-RAG query list.")
    questions: list[Question] = []
    problems: list[str] = []
    for index, entry in enumerate(data):
        try:
            questions.append(_from_multihop_entry(entry, index))
        except ValueError as exc:
            problems.append(f"entry {index}: {exc}")
    _raise_if_any(problems, source, "entry")
    return questions


def select_questions(
    questions: Sequence[Question], limit: int | None = None, sample: int | None = None, seed: int = 0
) -> list[Question]:
    """A seeded random `sample` (kept in file order), then the first `limit` of what is left."""
    chosen = list(questions)
    if sample is not None and sample < len(chosen):
        keep = set(random.Random(seed).sample(range(len(chosen)), sample))
        chosen = [q for i, q in enumerate(chosen) if i in keep]
    return chosen if limit is None else chosen[:limit]


def fingerprint_questions(questions: Sequence[Question]) -> str:
    """A sha256 over every field of every question, in order."""
    payload = json.dumps([asdict(q) for q in questions], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _from_record(record: Any, number: int) -> Question:
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    question = record.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError('missing "question" text')
    question_id = record.get("id", f"line{number}")
    if not isinstance(question_id, (str, int)) or isinstance(question_id, bool) or str(question_id) == "":
        raise ValueError('"id" must be a non-empty string or number')
    answers = record.get("answers", [record["answer"]] if "answer" in record else [])
    question_type = record.get("type", record.get("question_type", UNTYPED))
    if not isinstance(question_type, str) or not question_type:
        raise ValueError('"type" must be a non-empty string')
    answerable = record.get("answerable", question_type != NULL_QUERY)
    if not isinstance(answerable, bool):
        raise ValueError('"answerable" must be true or false')
    key_facts = record.get("key_facts", [])
    if not isinstance(key_facts, list):
        raise ValueError('"key_facts" must be a list of lists of phrasings')
    history = record.get("history", [])
    if not isinstance(history, list) or not all(
        isinstance(t, dict) and isinstance(t.get("question"), str) and isinstance(t.get("answer"), str) for t in history
    ):
        raise ValueError('"history" must be a list of {"question": ..., "answer": ...} objects')
    shape = record.get("shape", "")
    if not isinstance(shape, str):
        raise ValueError('"shape" must be a string')
    now = record.get("now", "")
    if now:
        try:
            date.fromisoformat(now)
        except (TypeError, ValueError):
            raise ValueError('"now" must be a date like 2023-11-24') from None
    return Question(
        id=str(question_id),
        question=question.strip(),
        answers=_strings(answers, "answers"),
        evidence=_strings(record.get("evidence", []), "evidence"),
        gold_articles=_strings(record.get("gold_articles", []), "gold_articles"),
        answerable=answerable,
        question_type=question_type,
        key_facts=[_strings(fact, "key_facts[*]") for fact in key_facts],
        history=[{"question": t["question"], "answer": t["answer"]} for t in history],
        now=now,
        shape=shape,
    )


def _from_multihop_entry(entry: Any, index: int) -> Question:
    if not isinstance(entry, dict):
        raise ValueError(f"expected a JSON object, got {type(entry).__name__}")
    query = entry.get("query")
    if not isinstance(query, str) or not query.strip():
        raise ValueError('missing "query" text')
    evidence = entry.get("evidence_list", [])
    if not isinstance(evidence, list) or not all(isinstance(item, dict) for item in evidence):
        raise ValueError('"evidence_list" must be a list of objects')
    question_type = entry.get("question_type") or UNTYPED
    answer = entry.get("answer", "")
    return Question(
        id=f"q{index:04d}",
        question=query.strip(),
        answers=_strings([answer] if answer else [], "answer"),
        evidence=_strings([item.get("fact") for item in evidence], "evidence_list[*].fact"),
        gold_articles=list(dict.fromkeys(_strings([item.get("url") for item in evidence], "evidence_list[*].url"))),
        answerable=question_type != NULL_QUERY,
        question_type=str(question_type),
    )


def _strings(value: Any, name: str) -> list[str]:
    # An empty fact would be a substring of every chunk, so empty strings are errors, not noise.
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f'"{name}" must be a list of non-empty strings')
    return list(value)


def _raise_if_any(problems: list[str], source: Path | str, unit: str) -> None:
    if problems:
        raise QAError(
            f"The question set {source} has {len(problems)} malformed {unit}(s), so no question was read: "
            + "; ".join(problems)
            + f". Fix or remove those {unit}s and run again."
        )
