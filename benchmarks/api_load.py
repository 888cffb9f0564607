"""Concurrent load on POST /api/ask over loopback, against the real app in its own process.

    python benchmarks/api_load.py [--llm fake|local] [--requests N] [--concurrency C]

Starts `python app.py` on a free loopback port with the demo index (QA_LLM as given, the rate
limit switched off), waits for /api/health, then sends N requests, C at a time, each a different
MultiHop-RAG dev question, and reports errors, latency p50/p95 and requests per second. With the
local model, generation is serialised (one llama.cpp context), so latency grows with concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT.parent / "shared" / "datasets" / "multihop_rag" / "queries.dev.json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(llm: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "QA_LLM": llm, "QA_PORT": str(port), "QA_HOST": "127.0.0.1", "QA_RATE_LIMIT": "0"}
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the app exited: {server.stderr.read()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("the app did not start within 300 s")


async def _load(url: str, questions: list[str], concurrency: int, timeout: float) -> tuple[list[float], list[str], float]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        async def one(question: str) -> None:
            async with gate:
                started = time.perf_counter()
                try:
                    response = await client.post(url + "/api/ask", json={"question": question})
                    body = response.json()
                    if response.status_code != 200 or "answer" not in body:
                        errors.append(f"{response.status_code}: {str(body)[:200]}")
                        return
                except (httpx.HTTPError, ValueError) as exc:
                    errors.append(repr(exc))
                    return
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(one(q) for q in questions))
        return latencies, errors, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm", choices=["fake", "local"], default="fake")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=None, help="requests in flight (default: all of them)")
    parser.add_argument("--timeout", type=float, default=900.0, help="per-request timeout, seconds")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here too")
    args = parser.parse_args()

    dev = json.loads(QUESTIONS.read_text())
    questions = [q["query"] for q in dev[: args.requests]]
    concurrency = args.concurrency or args.requests
    port = _free_port()
    server = _start_server(args.llm, port)
    try:
        latencies, errors, wall = asyncio.run(_load(f"http://127.0.0.1:{port}", questions, concurrency, args.timeout))
    finally:
        server.terminate()
        server.wait(timeout=30)
    ordered = sorted(latencies)
    figures = {
        "llm": args.llm,
        "requests": len(questions),
        "concurrency": concurrency,
        "errors": len(errors),
        "p50_s": round(statistics.median(ordered), 3) if ordered else None,
        "p95_s": round(ordered[max(0, int(0.95 * len(ordered)) - 1)], 3) if ordered else None,
        "requests_per_s": round(len(latencies) / wall, 2),
        "wall_s": round(wall, 1),
    }
    for error in errors[:5]:
        print(f"error: {error}", file=sys.stderr)
    print(json.dumps(figures))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
