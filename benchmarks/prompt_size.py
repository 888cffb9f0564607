"""How many prompt tokens must the local model read per question, for each passages setting?

    python benchmarks/prompt_size.py [--questions N] [--seed S]

Time to first token on a CPU is almost all prompt reading, and the instructions and worked
examples are the same for every question (llama.cpp keeps them cached), so what counts is the
per-question part: the numbered passages and the question. For N answerable MultiHop-RAG dev
questions (seeded sample) this retrieves once, then counts that part's tokens with the default
model's tokenizer (vocabulary only, no weights loaded) for k = 4, 3, 2 passages of at most 400,
300, 200 characters (the chat template's role markers included). First-token time grows with it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa.answering.llm import count_prompt_tokens  # noqa: E402
from qa.answering.models import resolve_model  # noqa: E402
from qa.answering.prompt import build_prompt, make_passages  # noqa: E402
from qa.compose import build_retriever  # noqa: E402
from qa.settings import load_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dev", type=Path, default=Path("../shared/datasets/multihop_rag/queries.dev.json"))
    args = parser.parse_args()

    from llama_cpp import Llama

    settings = load_settings(os.environ)
    retriever = build_retriever(settings)
    model = resolve_model(settings.llm_model, settings.model_cache / "models")
    vocab = Llama(str(model), vocab_only=True, verbose=False)

    questions = [q["query"] for q in json.loads(args.dev.read_text()) if q["question_type"] != "null_query"]
    random.Random(args.seed).shuffle(questions)
    questions = questions[: args.questions]
    hits = {q: retriever.search(q, k=4) for q in questions}
    # instructions and worked examples: cached after the first question
    fixed = count_prompt_tokens(vocab, build_prompt("", [])[:-1], add_generation_prompt=False)
    rows = []
    for k in (4, 3, 2):
        for chars in (400, 300, 200):
            counts = [count_prompt_tokens(vocab, build_prompt(q, make_passages(q, hits[q][:k], chars))) - fixed
                      for q in questions]
            rows.append({"k": k, "passage_chars": chars, "new_tokens_median": statistics.median(counts),
                         "new_tokens_p95": sorted(counts)[int(0.95 * (len(counts) - 1))]})
    print(json.dumps({"model": settings.llm_model, "questions": len(questions), "cached_prefix_tokens": fixed,
                      "settings": rows}, indent=2))


if __name__ == "__main__":
    main()
