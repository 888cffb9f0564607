"""Reading question sets: generic JSONL, MultiHop-RAG query files, malformed lines, selection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.evaluation.questions import (
    Question,
    detect_format,
    load_questions,
    select_questions,
)

MULTIHOP = [
    {
        "query": "Did both The Verge and TechCrunch report on the FTX trial?",
        "answer": "Yes",
        "question_type": "comparison_query",
        "evidence_list": [
            {"title": "a", "url": "https://verge.example/ftx", "source": "The Verge", "fact": "The trial began."},
            {"title": "b", "url": "https://tc.example/ftx", "source": "TechCrunch", "fact": "Jurors were picked."},
            {"title": "b", "url": "https://tc.example/ftx", "source": "TechCrunch", "fact": "A second fact."},
        ],
    },
    {"query": "Which film character of Sridevi won a posthumous award?", "answer": "Insufficient information.",
     "question_type": "null_query", "evidence_list": []},
    {"query": "Who leads the team?", "answer": "Ada Frost", "question_type": "inference_query",
     "evidence_list": [{"url": "https://polar.example/z", "fact": "Ada Frost leads the team."}]},
]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(*records: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


def test_multihop_rag_file_maps_fields_and_null_queries(tmp_path: Path) -> None:
    path = write(tmp_path / "queries.json", json.dumps(MULTIHOP))
    assert detect_format(path, path.read_text()) == "multihop-rag"
    first, null, third = load_questions(path)
    assert first == Question(
        id="q0000", question=MULTIHOP[0]["query"], answers=["Yes"],
        evidence=["The trial began.", "Jurors were picked.", "A second fact."],
        gold_articles=["https://verge.example/ftx", "https://tc.example/ftx"],
        answerable=True, question_type="comparison_query",
    )
    assert (null.id, null.answerable, null.evidence, null.gold_articles) == ("q0001", False, [], [])
    assert null.answers == ["Insufficient information."]
    assert (third.id, third.question_type, third.answerable) == ("q0002", "inference_query", True)


def test_jsonl_reads_every_field_with_defaults(tmp_path: Path) -> None:
    path = write(tmp_path / "set.jsonl", jsonl(
        {"id": "glacier", "question": "What melts?", "answers": ["the glacier"], "evidence": ["It melts."],
         "gold_articles": ["https://example.org/z"], "type": "inference_query"},
        "",
        {"id": 7, "question": "  Who won?  ", "answer": "Mira"},
        {"id": "n", "question": "What did the moon say?", "answerable": False, "type": "null_query"},
        {"id": "t", "question": "Anything?", "type": "null_query"},
    ))
    glacier, seven, moon, typed_null = load_questions(path)
    assert glacier == Question("glacier", "What melts?", ["the glacier"], ["It melts."],
                               ["https://example.org/z"], True, "inference_query")
    assert (seven.id, seven.question, seven.answers, seven.answerable, seven.question_type) == (
        "7", "Who won?", ["Mira"], True, "untyped")
    assert moon.answerable is False and moon.answers == []
    assert typed_null.answerable is False


def test_auto_format_recognises_both_and_asks_when_it_cannot(tmp_path: Path) -> None:
    one_per_line = write(tmp_path / "set.json", jsonl({"id": "a", "question": "Q1?"}, {"id": "b", "question": "Q2?"}))
    assert [q.id for q in load_questions(one_per_line)] == ["a", "b"]
    forced = write(tmp_path / "list.txt", json.dumps(MULTIHOP))
    assert len(load_questions(forced, "multihop-rag")) == 3
    other = write(tmp_path / "other.json", json.dumps([{"question": "x"}]))
    with pytest.raises(QAError, match="--format"):
        load_questions(other)


def test_malformed_lines_are_all_reported_with_their_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.jsonl", jsonl(
        {"id": "ok", "question": "Fine?"},                       # line 1
        '{"id": "broken", "question": ',                          # line 2: bad JSON
        "",                                                       # line 3: blank, allowed
        {"id": "empty", "answers": ["x"]},                        # line 4: no question
        {"id": "list", "question": "Q?", "answers": "not a list"},  # line 5
        {"id": "ok", "question": "Again?"},                       # line 6: repeated id
        '["not", "an", "object"]',                                # line 7
    ))
    with pytest.raises(QAError) as caught:
        load_questions(path)
    message = str(caught.value)
    assert "5 malformed line(s)" in message and "\n" not in message
    for expected in ("line 2: not valid JSON", 'line 4: missing "question"', 'line 5: "answers"',
                     'line 6: id "ok" is already used on line 1', "line 7: expected a JSON object"):
        assert expected in message
    assert "line 1:" not in message and "line 3" not in message


def test_malformed_multihop_entries_are_reported_by_position(tmp_path: Path) -> None:
    entries = [MULTIHOP[0], {"answer": "x", "evidence_list": []}, {**MULTIHOP[2], "evidence_list": [{"url": "u", "fact": " "}]}]
    path = write(tmp_path / "q.json", json.dumps(entries))
    with pytest.raises(QAError, match=r'entry 1: missing "query".*entry 2: "evidence_list\[\*\]\.fact"'):
        load_questions(path, "multihop-rag")


def test_empty_or_unreadable_sets_are_errors(tmp_path: Path) -> None:
    with pytest.raises(QAError, match="no questions"):
        load_questions(write(tmp_path / "empty.jsonl", "\n\n"))
    with pytest.raises(QAError, match="Cannot read"):
        load_questions(tmp_path / "missing.jsonl")


def test_limit_and_seeded_sample_keep_file_order() -> None:
    questions = [Question(f"q{i}", f"Question {i}?", [], [], [], True, "t") for i in range(50)]
    assert [q.id for q in select_questions(questions, limit=3)] == ["q0", "q1", "q2"]
    sample = select_questions(questions, sample=10, seed=7)
    assert len(sample) == 10 and sample == select_questions(questions, sample=10, seed=7)
    assert [questions.index(q) for q in sample] == sorted(questions.index(q) for q in sample)
    assert sample != select_questions(questions, sample=10, seed=8)
    assert select_questions(questions, sample=10, seed=7, limit=4) == sample[:4]
    assert select_questions(questions, sample=500) == questions


def test_realistic_fields_are_read_and_checked() -> None:
    from qa.evaluation.questions import read_jsonl

    line = ('{"id": "r1", "question": "And what did he say?", "key_facts": [["cease hostilities", "ceasefire"]], '
            '"history": [{"question": "Who is Blinken?", "answer": "The US secretary of state."}], "now": "2023-09-21"}')
    (question,) = read_jsonl(line)
    assert question.key_facts == [["cease hostilities", "ceasefire"]] and question.now == "2023-09-21"
    assert question.history == [{"question": "Who is Blinken?", "answer": "The US secretary of state."}]
    for bad in ('"now": "yesterday"', '"history": [{"question": "q"}]', '"key_facts": [["ok", ""]]', '"key_facts": "x"'):
        with pytest.raises(QAError, match="line 1"):
            read_jsonl('{"id": "r1", "question": "q", ' + bad + "}")


def test_the_committed_realistic_set_reads() -> None:
    from pathlib import Path

    from qa.evaluation.questions import load_questions

    questions = load_questions(Path(__file__).resolve().parents[1] / "benchmarks" / "questions" / "dev.jsonl")
    answerable = [q for q in questions if q.answerable]
    assert len(answerable) >= 60 and all(q.key_facts and q.gold_articles for q in answerable)
    assert {"summary", "timeline", "compare", "why", "followup", "relative_date"} <= {q.question_type for q in questions}
