"""Serve one Milvus Lite database over TCP, so several processes on one machine can share it.

    python -m qa.index.milvus_server PATH.db [--host 127.0.0.1] [--port 19530]

A `.db` URI opens the file in the calling process's own Milvus Lite engine, and only one process
may hold it. For several `qa serve` replicas and an ingest on one machine without a cluster, run
this and point every process at `QA_MILVUS_URI=http://127.0.0.1:19530`. It runs the engine that
milvus-lite ships (Milvus's C++ segcore and knowhere, one process) until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
from pathlib import Path


def serve(db: Path, host: str, port: int, stop: threading.Event) -> int:
    """Run the engine on `db` at host:port until `stop` is set or the engine exits; its exit status."""
    from milvus_lite.server import Server

    db.parent.mkdir(parents=True, exist_ok=True)
    server = Server(str(db), f"{host}:{port}")
    if not server.init() or not server.start():
        print(f"error: Milvus Lite could not serve {db} on {host}:{port} (another process holds the file, "
              "or the port is taken)", file=sys.stderr)
        return 1
    process = server._p
    print(f"Milvus Lite serving {db} at http://{host}:{port}", flush=True)
    try:
        while not stop.wait(0.5):
            if process.poll() is not None:
                print(f"error: the engine exited with status {process.returncode}", file=sys.stderr)
                return 1
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, help="the Milvus Lite database file (created when missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=19530)
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return serve(args.db.resolve(), args.host, args.port, stop)


if __name__ == "__main__":
    sys.exit(main())
