"""Each shape's instructions read once: prompt tokens read and time to first token, per shape, with
llama.cpp's state after the fixed prefix kept (`QA_LLM_PREFIX_STATES=1`, the default) and without.

    python benchmarks/prefix_states.py [--per-shape N]

N dev questions of each labelled shape (`benchmarks/questions/dev.jsonl`, seeded), asked in turn —
fact, explain, quote, summary, timeline, compare, fact, … — so the shape changes at every question,
as in a chat where people ask different things. Their prompts are built from the demo index once;
the same prompts then go to the default model three times in this process: without kept states,
with them (a new process's first questions: states are read from an empty folder, then kept), and
with them again from disk in a fresh model ("cold": a process that starts with the states saved).
Printed per shape: p50 of prompt tokens, tokens read and first token for each run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa.answering.llm import LlamaCppLLM  # noqa: E402
from qa.answering.models import resolve_model  # noqa: E402
from qa.answering.prompt import build_prompt  # noqa: E402
from qa.compose import build_answerer  # noqa: E402
from qa.evaluation.questions import load_questions  # noqa: E402
from qa.settings import load_settings  # noqa: E402

SHAPE_ORDER = ("fact", "explain", "quote", "summary", "timeline", "compare")


def first_token(llm: LlamaCppLLM, messages: list, max_tokens: int) -> tuple[float, int, int]:
    """Seconds to the first streamed piece, prompt tokens, tokens read."""
    started = time.perf_counter()
    pieces = llm.stream(messages, max_tokens)
    next(pieces, None)
    elapsed = time.perf_counter() - started
    for _ in pieces:  # let it finish, as an answer would (the next prompt starts from its state)
        pass
    return elapsed, llm.last_prompt_tokens, llm.last_prompt_read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-shape", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=24, help="tokens written per answer (only the first is timed)")
    args = parser.parse_args()
    settings = load_settings(os.environ, llm="fake")
    answerer = build_answerer(settings)
    rng = random.Random(1)
    by_shape = {s: [q for q in load_questions(Path("benchmarks/questions/dev.jsonl")) if q.shape == s and not q.history] for s in SHAPE_ORDER}
    chosen = {s: rng.sample(qs, min(args.per_shape, len(qs))) for s, qs in by_shape.items()}
    prompts = []
    for i in range(args.per_shape):
        for shape in SHAPE_ORDER:
            if i < len(chosen[shape]):
                q = chosen[shape][i]
                _, passages = answerer.evidence(q.question, answerer.shapes[shape])
                prompts.append((shape, build_prompt(q.question, passages, shape)))
    model = resolve_model(settings.llm_model, settings.model_cache / "models")
    with tempfile.TemporaryDirectory() as folder:
        runs = {
            "plain": LlamaCppLLM(model, "plain", prefix_states=False),
            "kept": LlamaCppLLM(model, "kept", states_dir=Path(folder)),
        }
        results: dict[str, list[tuple[str, float, int, int]]] = {}
        for name, llm in runs.items():
            first_token(llm, [{"role": "user", "content": "Hello"}], 1)  # load the model outside the timings
            results[name] = [(shape, *first_token(llm, messages, args.max_tokens)) for shape, messages in prompts]
            del llm
        runs.clear()
        cold = LlamaCppLLM(model, "cold", states_dir=Path(folder))
        first_token(cold, [{"role": "user", "content": "Hello"}], 1)
        results["cold"] = [(prompts[0][0], *first_token(cold, prompts[0][1], args.max_tokens))]
    print(f"{len(prompts)} questions, shapes in turn; p50 per shape: prompt tokens / tokens read / first token (s)")
    for shape in SHAPE_ORDER:
        cells = []
        for name in ("plain", "kept"):
            rows = [r for r in results[name] if r[0] == shape]
            if rows:
                cells.append(f"{name}: {statistics.median(r[2] for r in rows):.0f} / {statistics.median(r[3] for r in rows):.0f} / "
                             f"{statistics.median(r[1] for r in rows):.2f}")
        print(f"  {shape:9s} " + "   ".join(cells))
    shape, seconds, tokens, read = results["cold"][0]
    plain_first = next(r for r in results["plain"] if r[0] == shape)
    print(f"  cold process, first question ({shape}): {tokens} / {read} / {seconds:.2f} "
          f"(plain, same prompt: {plain_first[2]} / {plain_first[3]} / {plain_first[1]:.2f})")


if __name__ == "__main__":
    main()
