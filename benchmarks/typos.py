"""Do typos make answerable questions look unanswerable? Declines before the model, with seeded typos.

    python benchmarks/typos.py benchmarks/questions/dev.jsonl [MORE …] [--typos 0 1 2] [--seed 7]

Every single-turn question is typed the way people type (lower case, no apostrophes, no final "?"),
then 0, 1 or 2 of its words of five letters or more get one random typo each (a letter dropped,
swapped with the next, replaced, inserted or doubled). Each version goes through the product's own
path (`Answerer.grounded`: understand, retrieve, respell from the evidence, retrieve again) and the
answerability check, and the script prints, per set and typo count, the answerable and unanswerable
questions declined before the model and why (a focus word no article holds, a speaker no chunk
names, too little of the focus held). Counts only: no question is printed, so it can run on the
frozen test split.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa.answering.answerability import MAX_UNSEEN_FOCUS, MIN_EVIDENCE_FOCUS, evidence_holds, held_share  # noqa: E402
from qa.compose import build_answerer  # noqa: E402
from qa.evaluation.questions import load_questions  # noqa: E402
from qa.settings import load_settings  # noqa: E402

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo(word: str, rng: random.Random) -> str:
    """One random edit inside the word (never its first or last letter's place)."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "swap", "replace", "insert", "double"])
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "replace":
        return word[:i] + rng.choice(LETTERS) + word[i + 1 :]
    if kind == "insert":
        return word[:i] + rng.choice(LETTERS) + word[i:]
    return word[:i] + word[i] + word[i:]


def typed(question: str, typos: int, rng: random.Random) -> str:
    """The question in lower case, without apostrophes or final "?", with `typos` typos."""
    words = question.lower().replace("'", "").replace("’", "").rstrip("?").split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    for i in rng.sample(long, min(typos, len(long))):
        words[i] = typo(words[i], rng)
    return " ".join(words)


def verdict(answerer, question: str, now: date | None) -> str:  # noqa: ANN001
    """Why the product would decline the question before the model ("pass" when it would not)."""
    asked, _, hits, _ = answerer.grounded(question, now=now)
    total = sum(w for _, w in asked.focus) or 1.0
    if sum(w for _, w in asked.focus if w >= asked.unseen) / total > MAX_UNSEEN_FOCUS:
        return "unseen word"
    if not evidence_holds((), hits, asked.unseen, asked.speakers):
        return "speaker not named"
    if held_share(asked.focus, [f"{h.title} {h.text}" for h in hits]) < MIN_EVIDENCE_FOCUS:
        return "focus not held"
    return "pass"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, nargs="+")
    parser.add_argument("--typos", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    answerer = build_answerer(load_settings(os.environ, llm="fake"))
    for path in args.questions:
        questions = [q for q in load_questions(path) if not q.history]
        print(f"\n{path} ({len(questions)} single-turn questions)")
        for typos in args.typos:
            rng = random.Random(args.seed)
            counts: dict[bool, Counter] = {True: Counter(), False: Counter()}
            for q in questions:
                now = date.fromisoformat(q.now) if q.now else None
                counts[q.answerable][verdict(answerer, typed(q.question, typos, rng), now)] += 1
            parts = []
            for answerable, label in ((True, "answerable"), (False, "unanswerable")):
                total = sum(counts[answerable].values())
                declined = total - counts[answerable]["pass"]
                why = ", ".join(f"{k} {v}" for k, v in sorted(counts[answerable].items()) if k != "pass")
                parts.append(f"{label} declined {declined / total:.3f} ({declined}/{total}{'; ' + why if why else ''})" if total else f"{label} —")
            print(f"  typos {typos}: " + "; ".join(parts))


if __name__ == "__main__":
    main()
