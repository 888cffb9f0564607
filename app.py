"""Start the app: the chat UI at http://127.0.0.1:7860/, the API under /api and /v1, docs at /docs.

Settings come from QA_* environment variables (see README); `QA_HOST` / `QA_PORT` choose where
to listen. Same as `qa serve`.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from qa.errors import QAError
    from qa.serving.serve import serve
    from qa.settings import load_settings

    try:
        settings = load_settings(os.environ)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())
