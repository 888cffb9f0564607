"""Answer again only the questions of a finished run that a change can touch; score the merged run.

    python benchmarks/reanswer.py runs/RUN QUESTIONS [--sample N --seed S] [--declined] [--withheld] [--reshaped] [--ids q1,q2] --out DIR

For a change that can only alter known questions — a post-model check that only admits more
answers can change only the questions the run declined; a new shape classifier only those it
now shapes differently — answering the other questions again would give the same text (greedy
decoding, same prompts). The chosen questions are answered with the current code through the same
path as `qa eval`, their records replace the run's, and the merged run is written to DIR and scored
with `qa rescore`'s rules (metrics.json, reports). Printed: how many were answered again and the
merged summary. The selection flags may be combined (their union is answered again): `--declined`,
the answerable questions the run declined; `--withheld`, every question (answerable or not) the run
declined, answered with the closest sentences only or with a bare "No" (what a retry of a failed
fact, or a stricter reading of a decline, can change); `--reshaped`, those the current classifier shapes
differently; `--ids`, any others.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa.answering.answer import EVIDENCE_LEAD  # noqa: E402
from qa.compose import build_answerer  # noqa: E402
from qa.evaluation.evaluate import evaluate_question, read_results, rescore_run  # noqa: E402
from qa.evaluation.questions import load_questions, select_questions  # noqa: E402
from qa.evaluation.report import summary_text  # noqa: E402
from qa.settings import load_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a finished `qa eval` run folder")
    parser.add_argument("questions", type=Path, help="the question file the run was made from")
    parser.add_argument("--sample", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ids", default="", help="comma-separated question ids to answer again")
    parser.add_argument("--declined", action="store_true", help="answer again every answerable question the run declined")
    parser.add_argument("--withheld", action="store_true",
                        help="answer again every question, answerable or not, the run declined, answered with the closest sentences only, or answered with a bare no")
    parser.add_argument("--reshaped", action="store_true", help="answer again every question the current classifier shapes differently")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    records = read_results(args.run / "results.jsonl")
    questions = {q.id: q for q in select_questions(load_questions(args.questions), sample=args.sample, seed=args.seed)}
    missing = [r["id"] for r in records if r["id"] not in questions]
    if missing:
        sys.exit(f"{len(missing)} of the run's questions are not in this selection (first: {missing[0]}); give the run's --sample/--seed")
    answerer = build_answerer(load_settings(os.environ))
    chosen = {i for i in args.ids.split(",") if i}
    if args.declined:
        chosen |= {r["id"] for r in records if r["answerable"] and r["answer"] and r["answer"]["abstained"]}
    if args.withheld:
        chosen |= {r["id"] for r in records if r["answer"] and (
            r["answer"]["abstained"] or r["answer"]["text"].startswith((EVIDENCE_LEAD, "No.", "No [", "No,")))}
    if args.reshaped:
        chosen |= {r["id"] for r in records if r["answer"] and not questions[r["id"]].history
                   and answerer.understand(questions[r["id"]].question).shape != r["answer"].get("shape")}
    merged = [evaluate_question(questions[r["id"]], answerer.retriever, answerer.ask) if r["id"] in chosen else r for r in records]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in merged), encoding="utf-8")
    for name in ("run.json", "metrics.json"):
        if (args.run / name).exists():
            shutil.copyfile(args.run / name, args.out / name)
    metrics = rescore_run(args.out)
    print(f"answered again: {len(chosen)} of {len(records)} ({', '.join(sorted(chosen))})\n")
    print(summary_text(metrics))


if __name__ == "__main__":
    main()
