"""Answer latency with the default local model on this machine's CPU.

    python benchmarks/answer_latency.py [--questions N] [--seed S]

For N typical questions (a seeded sample of the MultiHop-RAG dev questions that reach the model;
questions declined up front because they name an outlet the corpus lacks are counted, not timed):
- time to first token (question in -> first answer token out: retrieval, prompt building and
  prompt processing), p50 and p95 — target p50 <= 3 s on 2 cores;
- generation speed through our pipeline (tokens after the first / seconds after the first),
  against llama.cpp's own decode speed for the same prompts in the same process (its internal
  perf counters for a plain completion of the same messages) — target ratio >= 0.90.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa.answering.llm import LlamaCppLLM, count_prompt_tokens  # noqa: E402
from qa.answering.prompt import build_prompt, make_passages  # noqa: E402
from qa.compose import build_answerer  # noqa: E402
from qa.settings import load_settings  # noqa: E402


class _Timed:
    """Wraps the LLM to timestamp every streamed piece (one piece per token with llama.cpp)."""

    def __init__(self, llm: LlamaCppLLM) -> None:
        self.llm, self.name, self.stamps = llm, llm.name, []

    def stream(self, messages, max_tokens=256, probs=None):  # noqa: ANN001, ANN201
        self.stamps = []
        for piece in self.llm.stream(messages, max_tokens, probs):
            self.stamps.append(time.perf_counter())
            yield piece


def _llama_own_speed(llm: LlamaCppLLM, messages, max_tokens: int) -> float:  # noqa: ANN001
    import llama_cpp

    llama = llm._load()
    llama.reset()
    llama_cpp.llama_perf_context_reset(llama._ctx.ctx)
    llama.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0, top_k=1, seed=0)
    perf = llama_cpp.llama_perf_context(llama._ctx.ctx)
    return perf.n_eval / (perf.t_eval_ms / 1000) if perf.t_eval_ms else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dev", type=Path, default=Path("../shared/datasets/multihop_rag/queries.dev.json"))
    args = parser.parse_args()

    settings = load_settings(os.environ)
    answerer = build_answerer(settings)
    if not isinstance(answerer.llm, LlamaCppLLM):
        sys.exit("This benchmark measures the local llama.cpp model (QA_LLM=local).")
    answerer.warm_up()
    timed = _Timed(answerer.llm)
    answerer.llm = timed  # type: ignore[assignment]
    questions = [q["query"] for q in json.loads(args.dev.read_text())]
    random.Random(args.seed).shuffle(questions)
    first_ms, claim_ms, ours, theirs, prompt_tokens, declined = [], [], [], [], [], 0
    for question in questions:
        if len(first_ms) == args.questions:
            break
        timed.stamps = []
        answer = answerer.ask(question)
        stamps = timed.stamps
        if not stamps:  # declined before the model (an outlet the corpus lacks): not a typical question
            declined += 1
            continue
        first_ms.append(answer.timings["first_token_ms"])
        claim_ms.append(answer.timings["first_claim_ms"])  # the first verified sentence sent
        if len(stamps) >= 8:
            ours.append((len(stamps) - 1) / (stamps[-1] - stamps[0]))
            messages = build_prompt(question, make_passages(question, answer.hits, answerer.shapes["fact"].passage_chars))
            prompt_tokens.append(count_prompt_tokens(timed.llm._load(), messages))
            theirs.append(_llama_own_speed(timed.llm, messages, len(stamps)))
        print(f"{answer.timings['first_token_ms']:7.0f} ms to first token | {question[:70]}", file=sys.stderr)
    first_ms.sort()
    result = {
        "model": timed.name,
        "questions": len(first_ms),
        "declined_without_model": declined,
        "first_token_ms_p50": round(statistics.median(first_ms)),
        "first_token_ms_p95": round(first_ms[min(len(first_ms) - 1, int(0.95 * len(first_ms)))]),
        "first_claim_ms_p50": round(statistics.median(claim_ms)),
        "prompt_tokens_median": round(statistics.median(prompt_tokens)) if prompt_tokens else None,
        "pipeline_tokens_per_s": round(statistics.median(ours), 1) if ours else None,
        "llama_cpp_tokens_per_s": round(statistics.median(theirs), 1) if theirs else None,
        "ratio": round(statistics.median(o / t for o, t in zip(ours, theirs)), 3) if ours else None,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
