"""Start the app: the chat UI at http://127.0.0.1:7860/ and the HTTP API under /api.

Settings come from QA_* environment variables (see README); `QA_HOST` / `QA_PORT` choose where
to listen.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import uvicorn

    from qa.compose import build_answerer
    from qa.errors import QAError
    from qa.server import build_app
    from qa.settings import load_settings

    try:
        settings = load_settings(os.environ)
        answerer = build_answerer(settings)
        print(f"Loading the index and {answerer.llm.name} …", file=sys.stderr)
        answerer.warm_up()  # fail early, with the fix, when there is no index yet
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    host, port = os.environ.get("QA_HOST", "127.0.0.1"), int(os.environ.get("QA_PORT", "7860"))
    print(f"Newsroom QA on http://{host}:{port}/", file=sys.stderr)
    uvicorn.run(build_app(answerer), host=host, port=port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
