"""Does the name-or-number check tell a right answer from a wrong one? Measured without the model.

    python benchmarks/name_check.py ../shared/datasets/multihop_rag/queries.dev.json --sample 300

For every answerable question whose gold answer is a name or a number (MultiHop-RAG's inference
questions; chat questions with a short gold answer), the passages the fact shape reads are built;
the gold answer and five other names or numbers of those passages (`rival_names`: the wrong
answers a small model picks — another person, company or number of the same articles) are put
through each variant of `answer_in_focus`: the answer's sentences must hold a share of the focus,
and nearly as much as the best-placed other name. A good
rule passes the gold answers and stops the others. Printed per rule: gold passed, others passed;
the last line is the product's own `answer_in_focus`, where a number competes only with numbers of
its kind (`answer_kind`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa.answering import answerability  # noqa: E402
from qa.answering.gate import is_name_or_number  # noqa: E402
from qa.compose import build_answerer  # noqa: E402
from qa.evaluation.questions import load_questions, select_questions  # noqa: E402
from qa.settings import load_settings  # noqa: E402

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, nargs="+")
    parser.add_argument("--sample", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    answerer = build_answerer(load_settings(os.environ, llm="fake"))
    rules = {
        f"pooled >= {share}, >= {near} x best rival": (share, near)
        for share in (0.2, 0.3, 0.4) for near in (0.0, 0.7, 0.8, 0.9)
    }
    for path in args.questions:
        questions = [q for q in select_questions(load_questions(path), sample=args.sample, seed=args.seed)
                     if q.answerable and not q.history and q.answers and is_name_or_number(q.answers[0])
                     and q.answers[0].lower() not in ("yes", "no")]
        passed = {name: [0, 0, 0, 0] for name in rules}  # gold passed, gold total, others passed, others total
        for q in questions:
            asked = answerer.understand(q.question)
            _, passages = answerer.evidence(asked.standalone, answerer.shapes["fact"])
            if not any(q.answers[0].lower() in p.text.lower() for p in passages):
                continue  # retrieval missed it: no rule can pass it
            gold = q.answers[0]
            rivals = answerability.rival_names(gold, asked.standalone, passages)
            wrong = rivals[:: max(1, len(rivals) // 5)][:5]  # five of them, spread over the passages
            shares = {name: answerability.pooled_share(name, asked.focus, passages) for name in [gold, *rivals]}
            for label, (share, near) in rules.items():
                def passes(name: str) -> bool:
                    best = max((v for k, v in shares.items() if k != name), default=0.0)
                    return shares[name] >= share and shares[name] >= near * best
                passed[label][0] += passes(gold)
                passed[label][1] += 1
                passed[label][2] += sum(passes(w) for w in wrong)
                passed[label][3] += len(wrong)
            product = passed.setdefault("answer_in_focus (the product's rule)", [0, 0, 0, 0])
            product[0] += answerability.answer_in_focus(gold, asked.focus, passages, asked.standalone)
            product[1] += 1
            product[2] += sum(answerability.answer_in_focus(w, asked.focus, passages, asked.standalone) for w in wrong)
            product[3] += len(wrong)
            same = [w for w in wrong if answerability.answer_kind(w) == answerability.answer_kind(gold)]
            for label, passes_rule in (
                ("pooled >= 0.2, >= 0.8 x any rival, others of the gold's kind",
                 lambda name: shares[name] >= 0.2 and shares[name] >= 0.8 * max((v for k, v in shares.items() if k != name), default=0.0)),
                ("answer_in_focus, others of the gold's kind",
                 lambda name: answerability.answer_in_focus(name, asked.focus, passages, asked.standalone)),
            ):
                kind = passed.setdefault(label, [0, 0, 0, 0])
                kind[0] += passes_rule(gold)
                kind[1] += 1
                kind[2] += sum(passes_rule(w) for w in same)
                kind[3] += len(same)
        print(f"\n{path}: {len(questions)} name/number questions")
        for name, (g, gt, o, ot) in passed.items():
            print(f"  {name:34s} gold passed {g}/{gt} = {g / max(gt, 1):.3f}   others passed {o}/{ot} = {o / max(ot, 1):.3f}")


if __name__ == "__main__":
    main()
