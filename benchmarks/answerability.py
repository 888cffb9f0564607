"""How much of each question's focus do its passages hold? The answerability threshold, measured
without the language model.

    python benchmarks/answerability.py benchmarks/questions/dev.jsonl [MORE.json …] [--sample N] [--thresholds 0.5 0.6 0.7]

For every single-turn question: the shape it is given, the chunks retrieved for it, and the share
of the focus weight (idf of its names and rare words) those chunks hold — 0 when words no article
contains carry more than `MAX_UNSEEN_FOCUS` of it, or when it asks what someone said and no chunk
names them. Printed per set:
answerable and unanswerable questions declined before the model at each threshold, and shape
accuracy where the set labels shapes (the shapes given where it does not). Follow-ups are left out (resolving them needs the model).
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa.answering.answerability import MAX_UNSEEN_FOCUS, MIN_EVIDENCE_FOCUS, evidence_holds, held_share  # noqa: E402
from qa.compose import build_answerer  # noqa: E402
from qa.evaluation.questions import load_questions, select_questions  # noqa: E402
from qa.settings import load_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, nargs="+")
    parser.add_argument("--sample", type=int, help="a seeded sample of N questions per set")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[0.4, 0.5, 0.6, 0.7, MIN_EVIDENCE_FOCUS])
    args = parser.parse_args()
    settings = load_settings(os.environ, llm="fake")
    answerer = build_answerer(settings)
    for path in args.questions:
        questions = [q for q in select_questions(load_questions(path), sample=args.sample, seed=1) if not q.history]
        rows = []
        for q in questions:
            now = date.fromisoformat(q.now) if q.now else None
            asked, _, hits, _ = answerer.grounded(q.question, now=now)
            total = sum(w for _, w in asked.focus) or 1.0
            unseen = sum(w for _, w in asked.focus if w >= asked.unseen) / total
            # A question whose unseen words carry too much of its focus is declined whatever the chunks hold.
            # So is one asking what someone said when no chunk names them.
            unheard = not evidence_holds((), hits, asked.unseen, asked.speakers)
            share = 0.0 if unseen > MAX_UNSEEN_FOCUS or unheard else held_share(asked.focus, [f"{h.title} {h.text}" for h in hits])
            rows.append((q, asked, share))
        print(f"\n{path} ({len(rows)} single-turn questions)")
        for threshold in sorted(set(args.thresholds)):
            answerable = [s < threshold for q, _, s in rows if q.answerable]
            unanswerable = [s < threshold for q, _, s in rows if not q.answerable]
            print(f"  threshold {threshold:.2f}: answerable declined {_share(answerable)}, unanswerable declined {_share(unanswerable)}")
        shaped = [(q.shape, a.shape) for q, a, _ in rows if q.shape]
        if shaped:
            print(f"  shape accuracy {_share([e == g for e, g in shaped])}")
            for shape in sorted({e for e, _ in shaped}):
                print(f"    {shape:9s} {_share([g == shape for e, g in shaped if e == shape])}")
        else:  # a benchmark set without shape labels: the shapes its questions are given
            given = Counter(a.shape for _, a, _ in rows)
            print("  shapes given: " + ", ".join(f"{shape} {n}" for shape, n in given.most_common()))
        if os.environ.get("VERBOSE"):
            for q, a, s in sorted(rows, key=lambda r: r[2]):
                print(f"  {s:.2f} {'A' if q.answerable else 'U'} {q.shape or '-':9s}->{a.shape:9s} {q.question[:90]}"
                      f"  focus={[t for t, _ in a.focus[:4]]}")


def _share(flags: list[bool]) -> str:
    return f"{sum(flags) / len(flags):.3f} ({sum(flags)}/{len(flags)})" if flags else "—"


if __name__ == "__main__":
    main()
