"""Which questions failed, how badly, and which changed between two runs: what an evaluator reads first.

A question's checks, each from its record alone (those that apply to it):

- the decision: an answerable question answered, an unanswerable one declined;
- its short answer right (questions scored on accuracy; a declined question is not counted twice);
- its key facts: at least half stated (the check's value is the recall);
- its claims: every judged claim supported by the judge (the value is the share supported);
- no unfounded name or number; the shape it asked for.

A question fails when a check does; its score is the mean of its checks' values, and the worst
question is the one with the lowest score (then the most problems). A retrieval-only record fails
when no gold passage or article is in its top 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa.answering.markers import strip_markers
from qa.evaluation.metrics import key_fact_recall

KEY_FACTS_PASS = 0.5  # a question stating fewer than half its key facts failed


@dataclass(frozen=True)
class Outcome:
    """Whether a question failed, its score (1.0: every check passed) and what went wrong, in words
    (`problems`) and by kind (`kinds`: "declined", "wrong answer", … — what `changed` compares)."""

    failed: bool
    score: float
    problems: tuple[str, ...]
    kinds: frozenset[str]

    @property
    def label(self) -> str:
        return ("failed: " + "; ".join(self.problems)) if self.failed else "passed"


def outcome(record: dict[str, Any]) -> Outcome:
    """The checks of one record (see the module docstring)."""
    checks: list[tuple[str, float, bool, str]] = []  # kind, value, passed, problem
    answer = record.get("answer")
    if answer is None:
        scores = record.get("retrieval") or {}
        found = scores.get("hits@10") if scores.get("hits@10") is not None else scores.get("recall@10")
        if found is not None:
            checks.append(("retrieval", float(found > 0), found > 0, "no gold passage or article in the top 10"))
        return _outcome(checks)
    abstained = answer["abstained"]
    if record["answerable"] and abstained:
        checks.append(("declined", 0.0, False, "declined an answerable question"))
    elif not record["answerable"] and not abstained:
        checks.append(("answered unanswerable", 0.0, False, "answered a question the articles cannot answer"))
    else:
        checks.append(("decision", 1.0, True, ""))
    correct = record.get("correct")
    if correct is not None and not abstained:
        short = answer["short_answer"].strip()
        gold = record["gold_answers"][0] if record["gold_answers"] else ""
        problem = f"wrong short answer {short!r} (gold: {gold!r})" if short else "no short answer"
        checks.append(("wrong answer", float(correct["accuracy"]), bool(correct["accuracy"]), problem))
    recall = (record.get("coverage") or {}).get("key_fact_recall")
    if recall is not None and not abstained:
        missed = missed_key_facts(record)
        stated = f"states {round(recall * len(record['key_facts']))} of {len(record['key_facts'])} key facts" if record.get("key_facts") \
            else f"key-fact recall {recall:.2f}"
        problem = stated + (f" (not: {'; '.join(missed)})" if missed else "")
        checks.append(("key facts", recall, recall >= KEY_FACTS_PASS, problem))
    judged = [c["judged_supported"] for c in answer["claims"] if c.get("judged_supported") is not None]
    if judged and not abstained:
        supported = sum(judged) / len(judged)
        problem = f"the judge does not support {len(judged) - sum(judged)} of {len(judged)} claims"
        checks.append(("unsupported claims", supported, supported == 1.0, problem))
    read = record.get("read") or {}
    if read.get("unfounded_name_or_number"):
        checks.append(("unfounded", 0.0, False, f"unfounded name or number: {answer['short_answer']!r}"))
    if read.get("shape_correct") is False:
        checks.append(("shape", 0.0, False, f"answered as {answer['shape']}, asked for {record['expected_shape']}"))
    return _outcome(checks)


def missed_key_facts(record: dict[str, Any]) -> list[str]:
    """The key facts (first phrasing of each) the answer does not state; [] when the record has none."""
    if not record.get("key_facts") or record["answer"] is None:
        return []
    text = strip_markers(record["answer"]["text"])
    return [facts[0] for facts in record["key_facts"] if not key_fact_recall(text, [facts], record["question"])]


def failed_first(records: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Outcome]]:
    """The records that failed, worst first (lowest score, then most problems, then file order)."""
    failed = [(i, r, outcome(r)) for i, r in enumerate(records)]
    failed = [item for item in failed if item[2].failed]
    return [(r, o) for _, r, o in sorted(failed, key=lambda item: (item[2].score, -len(item[2].problems), item[0]))]


def changed(records: list[dict[str, Any]], other: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Outcome, Outcome]]:
    """Questions in both runs whose outcome changed (passed/failed, or the kinds of problem), as
    (record of this run, outcome in the other run, outcome in this run): newly failed first, then
    newly passed, then those whose problems changed."""
    before = {r["id"]: outcome(r) for r in other}
    moves = []
    for i, record in enumerate(records):
        if record["id"] not in before:
            continue
        was, now = before[record["id"]], outcome(record)
        if was.failed != now.failed or was.kinds != now.kinds:
            order = 0 if now.failed and not was.failed else 1 if was.failed and not now.failed else 2
            moves.append((order, i, record, was, now))
    return [(record, was, now) for _, _, record, was, now in sorted(moves, key=lambda m: m[:2])]


def _outcome(checks: list[tuple[str, float, bool, str]]) -> Outcome:
    failing = [c for c in checks if not c[2]]
    score = sum(c[1] for c in checks) / len(checks) if checks else 1.0
    return Outcome(bool(failing), score, tuple(c[3] for c in failing), frozenset(c[0] for c in failing))
