"""How fast does this machine run the local model? Prompt reading and decoding, llama.cpp alone.

    python benchmarks/llm_speed.py [--tokens 600]

Every latency figure of the answerer scales with these two numbers, so they are printed next to
the CPU model: compare them before comparing latencies measured on different machines.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa.answering.models import resolve_model  # noqa: E402
from qa.settings import load_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=600, help="prompt tokens to read (default 600)")
    args = parser.parse_args()
    from llama_cpp import Llama

    settings = load_settings(os.environ)
    threads = os.cpu_count() or 1
    llama = Llama(
        model_path=str(resolve_model(settings.llm_model, settings.model_cache / "models")), n_ctx=4096,
        n_threads=threads, n_threads_batch=threads, verbose=False,
    )
    text = "Officials said the talks would resume on Monday after a week of delays. " * 80
    tokens = llama.tokenize(text.encode())[: args.tokens]
    started = time.perf_counter()
    llama.eval(tokens)
    prompt_speed = len(tokens) / (time.perf_counter() - started)
    started, decoded = time.perf_counter(), 64
    for _ in range(decoded):
        llama.eval([llama.sample(top_k=1, temp=0.0)])
    decode_speed = decoded / (time.perf_counter() - started)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    print(f"{settings.llm_model} on {cpu}, {threads} threads: prompt {prompt_speed:.1f} tokens/s, decode {decode_speed:.1f} tokens/s")


if __name__ == "__main__":
    main()
