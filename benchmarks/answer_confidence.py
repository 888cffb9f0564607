"""Where should the answer-confidence threshold (QA_MIN_ANSWER_CONFIDENCE) sit for the local model?

    python benchmarks/answer_confidence.py [--answerable N] [--unanswerable N] [--out FILE]

Answers MultiHop-RAG dev questions with the confidence check off, recording for each reply the
probability the model gave the first token of its answer (the value the check compares), then
shows what each threshold would do: unanswerable questions abstained, answerable questions
declined, answer accuracy (benchmark's lenient rule). Answerable questions come from the README's
300-question sample (`--sample 300 --seed 1`), unanswerable ones are all of dev's. Replies go to
--out as JSON lines (resumed when the file exists). The 1.5B model takes ~10 s a question on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa.answering.gate import answer_confidence, is_unsure  # noqa: E402
from qa.compose import build_answerer  # noqa: E402
from qa.evaluation.metrics import is_lenient_correct  # noqa: E402
from qa.evaluation.questions import load_questions, select_questions  # noqa: E402
from qa.settings import load_settings  # noqa: E402

THRESHOLDS = (0.0, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)


class _Recording:
    """Wraps the LLM to keep the token probabilities of the answer prompt (not of a rewrite)."""

    def __init__(self, llm) -> None:  # noqa: ANN001
        self.llm, self.name, self.probs = llm, llm.name, []

    def stream(self, messages, max_tokens=256, probs=None):  # noqa: ANN001, ANN201
        self.probs = [] if probs is None else probs
        yield from self.llm.stream(messages, max_tokens, self.probs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answerable", type=int, default=130)
    parser.add_argument("--unanswerable", type=int, default=115)
    parser.add_argument("--dev", type=Path, default=Path("../shared/datasets/multihop_rag/queries.dev.json"))
    parser.add_argument("--out", type=Path, default=Path("runs/answer_confidence.jsonl"))
    args = parser.parse_args()

    questions = load_questions(args.dev)
    answerable = [q for q in select_questions(questions, None, 300, 1) if q.answerable][: args.answerable]
    unanswerable = [q for q in questions if not q.answerable][: args.unanswerable]
    answerer = build_answerer(load_settings(os.environ))
    answerer.min_confidence = 0.0  # withhold nothing for confidence; the thresholds are applied below
    recording = _Recording(answerer.llm)
    answerer.llm = recording  # type: ignore[assignment]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = {json.loads(line)["id"]: json.loads(line) for line in args.out.open()} if args.out.exists() else {}
    with args.out.open("a") as out:
        for question in answerable + unanswerable:
            if question.id in done:
                continue
            recording.probs = []
            answer = answerer.ask(question.question)
            row = {
                "id": question.id, "answerable": question.answerable, "abstained": answer.abstained,
                "short_answer": answer.short_answer, "confidence": answer_confidence(recording.probs),
                "correct": not answer.abstained and any(is_lenient_correct(answer.short_answer or answer.answer, gold)
                                                         for gold in question.answers),
            }
            done[question.id] = row
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(f"{question.id} conf={row['confidence']} {row['short_answer'][:40]!r}", file=sys.stderr)
    rows = [done[q.id] for q in answerable + unanswerable]
    in_sample = {q.id for q in select_questions(questions, None, 300, 1)}
    answered = [r for r in rows if r["confidence"] is not None and not r["abstained"]]
    print(json.dumps({
        "model": recording.name,
        "questions": {"answerable": len(answerable), "unanswerable": len(unanswerable)},
        # first-token probabilities of what was answered: names/numbers (what the threshold applies
        # to) and, for comparison, yes/no answers right and wrong
        "names_to_answerable": _spread(r["confidence"] for r in answered if r["answerable"] and not _yes_no(r)),
        "names_to_unanswerable": _spread(r["confidence"] for r in answered if not r["answerable"] and not _yes_no(r)),
        "yes_no_right": _spread(r["confidence"] for r in answered if _yes_no(r) and r["correct"]),
        "yes_no_wrong": _spread(r["confidence"] for r in answered if _yes_no(r) and not r["correct"]),
        "thresholds": [_effect(rows, t, in_sample) for t in THRESHOLDS],
    }, indent=2))


def _yes_no(row: dict) -> bool:
    return row["short_answer"] in ("Yes", "No")


def _spread(values: Iterable[float]) -> dict:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    quartile = lambda q: round(ordered[int(q * (len(ordered) - 1))], 2)  # noqa: E731
    return {"n": len(ordered), "p25": quartile(0.25), "median": quartile(0.5), "p75": quartile(0.75),
            "below_0.4": sum(v < 0.4 for v in ordered)}


def _effect(rows: list[dict], threshold: float, in_sample: set[str]) -> dict:
    def withheld(row: dict) -> bool:
        return row["abstained"] or is_unsure(row["short_answer"], row["confidence"], threshold)

    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    return {
        "threshold": threshold,
        "unanswerable_abstained": round(sum(map(withheld, unanswerable)) / max(1, len(unanswerable)), 3),
        "unanswerable_abstained_in_eval_sample": f"{sum(withheld(r) for r in unanswerable if r['id'] in in_sample)}"
                                                 f" of {sum(r['id'] in in_sample for r in unanswerable)}",
        "unanswerable_abstained_outside_it": f"{sum(withheld(r) for r in unanswerable if r['id'] not in in_sample)}"
                                             f" of {sum(r['id'] not in in_sample for r in unanswerable)}",
        "answerable_declined": round(sum(map(withheld, answerable)) / max(1, len(answerable)), 3),
        "accuracy": round(sum(r["correct"] and not withheld(r) for r in answerable) / max(1, len(answerable)), 3),
    }


if __name__ == "__main__":
    main()
