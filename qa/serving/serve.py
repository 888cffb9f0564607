"""Start the app (`qa serve`, `python app.py`): load everything, choose where to listen, run uvicorn."""

from __future__ import annotations

import ipaddress
import sys

from qa.serving.access import Access
from qa.settings import Settings

LOOPBACK = "127.0.0.1"


def listen_host(settings: Settings, access: Access) -> tuple[str, str | None]:
    """The address to bind and, when it differs from what was asked, why.

    Without keys the API is open, so the server binds to loopback only, whatever QA_HOST says.
    With keys it binds to QA_HOST, by default every interface.
    """
    if access.enabled:
        return settings.host or "0.0.0.0", None
    asked = settings.host or LOOPBACK
    if asked == "localhost" or _is_loopback(asked):
        return asked, None
    return LOOPBACK, (f"no API keys are set, so the server listens on {LOOPBACK} only (not {asked}); "
                      "set QA_API_KEYS / QA_ADMIN_KEYS to serve other machines")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(settings: Settings, follow: bool = False) -> int:
    """Load everything and serve; with `follow`, also check the followed sources in the background."""
    import uvicorn

    from qa.compose import build_answerer, build_follower, build_library
    from qa.errors import QAError
    from qa.serving.server import build_app

    access = Access.from_settings(settings)
    try:
        answerer = build_answerer(settings)
        print(f"Loading the index and {answerer.llm.name} …", file=sys.stderr)
        answerer.warm_up()  # fail early, with the fix, when there is no index yet
        library = build_library(settings, answerer.retriever)
        follower = build_follower(settings, library.sync)
        app = build_app(answerer, settings, library, follower)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    host, why = listen_host(settings, access)
    if why:
        print(f"note: {why}", file=sys.stderr)
    elif not access.enabled:
        print(f"note: no API keys are set: the API is open to this machine only ({host}).", file=sys.stderr)
    shown = LOOPBACK if host == "0.0.0.0" else host
    print(f"Newsroom QA on http://{shown}:{settings.port}/  (API docs: /docs, embeddable chat: /embed)", file=sys.stderr)
    background = None
    if follow:
        from qa.serving.background import BackgroundFollower

        background = BackgroundFollower(follower)
        background.start()
        print(f"Following {len(follower.sources())} sources in the background (qa follow add URL adds more).", file=sys.stderr)
    try:
        uvicorn.run(app, host=host, port=settings.port, log_level="warning")
    finally:
        if background is not None:
            background.stop()
    return 0
