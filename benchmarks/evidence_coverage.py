"""How many of a question's key facts reach the model? Key-fact recall of the evidence, no model.

    python benchmarks/evidence_coverage.py [--questions benchmarks/questions/dev.jsonl] [--deep 20]

For every answerable question of a `qa eval` JSON-lines set that lists key facts, this scores with the
evaluator's own `key_fact_recall` (a key fact counts when all content words of one of its phrasings
appear):
  passages   the text the model reads (the shape's passages, as `Answerer.evidence` builds them)
  hits       the whole chunks those passages were cut from
  deep       the best `--deep` chunks the retriever finds (what a larger budget could reach)
and whether a gold article is among the hits. `--k` and `--chars` try other budgets for the longer
shapes (explanations, quotes, summaries, timelines, comparisons). The answer's key-fact recall cannot exceed `passages`
(unless the model adds facts from its own knowledge), so this is the ceiling the model works under.
Follow-ups are asked as "<previous question> <follow-up>" (the fallback rewrite, no model).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections import defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["QA_LLM"] = "fake"  # never called

from qa.compose import build_answerer  # noqa: E402
from qa.evaluation.metrics import key_fact_recall  # noqa: E402
from qa.settings import load_settings  # noqa: E402


def coverage(answerer, row: dict) -> dict:  # noqa: ANN001
    """Key-fact recall of the passages, their whole chunks and the deep pool for one question."""
    history = row.get("history") or []
    question = f"{history[-1]['question']} {row['question']}" if history else row["question"]
    now = date.fromisoformat(row["now"]) if row.get("now") else None
    form = answerer.shape_of(question)
    if not form.short_answer and (ARGS.k or ARGS.chars):
        form = replace(form, k=ARGS.k or form.k, passage_chars=ARGS.chars or form.passage_chars)
    hits, passages = answerer.evidence(question, form, now=now)
    deep = answerer.retriever.search(question, k=ARGS.deep, now=now)
    facts = row["key_facts"]
    gold = set(row.get("gold_articles") or [])
    return {
        "type": row["type"],
        "shape": form.name,
        "passages": key_fact_recall(" ".join(p.text for p in passages), facts) if passages else 0.0,
        "hits": key_fact_recall(" ".join(h.text for h in hits), facts) if hits else 0.0,
        "deep": key_fact_recall(" ".join(h.text for h in deep), facts) if deep else 0.0,
        "gold": float(bool(gold & {h.article_id for h in hits} or gold & {h.url for h in hits})),
        "chars": sum(len(p.text) for p in passages),
    }


def main() -> None:
    rows = [json.loads(line) for line in ARGS.questions.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r.get("answerable", True) and r.get("key_facts")]
    answerer = build_answerer(load_settings(os.environ))
    results = [coverage(answerer, row) for row in rows]
    by_type: dict[str, list[dict]] = defaultdict(list)
    for result in results:
        by_type["all"].append(result)
        by_type[result["type"]].append(result)
    print(f"{'type (n)':<20} {'passages':>9} {'hits':>6} {'deep@' + str(ARGS.deep):>8} {'gold hit':>9} {'chars':>6}")
    for name, group in sorted(by_type.items(), key=lambda kv: (kv[0] != "all", kv[0])):
        means = {key: statistics.mean(r[key] for r in group) for key in ("passages", "hits", "deep", "gold", "chars")}
        print(f"{name + f' ({len(group)})':<20} {means['passages']:>9.3f} {means['hits']:>6.3f} "
              f"{means['deep']:>8.3f} {means['gold']:>9.2f} {means['chars']:>6.0f}")
    if ARGS.json:
        ARGS.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=Path("benchmarks/questions/dev.jsonl"))
    parser.add_argument("--deep", type=int, default=20, help="chunks in the deep pool (default 20)")
    parser.add_argument("--k", type=int, help="passages for the longer shapes (default: each shape's own)")
    parser.add_argument("--chars", type=int, help="characters per passage for the longer shapes (default: each shape's own)")
    parser.add_argument("--json", type=Path, help="also write each question's figures here")
    ARGS = parser.parse_args()
    main()
