"""`qa serve --follow`: the followed sources checked in the background of the app, each when due."""

from __future__ import annotations

import logging
import threading

from qa.index.follow import Follower

log = logging.getLogger(__name__)


class BackgroundFollower:
    """A daemon thread that runs `follower.run()` whenever a source is due (waking at least every
    `idle_s` seconds, so sources added through the API are picked up)."""

    def __init__(self, follower: Follower, idle_s: float = 60.0) -> None:
        self.follower = follower
        self.idle_s = idle_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="follow", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.follower.run()
                if report.checked:
                    log.warning("follow: %s", report.summary())
            except Exception:  # the app keeps serving; the next round tries again
                log.exception("follow: the run failed")
            due = self.follower.next_due()
            self._stop.wait(min(self.idle_s, max(1.0, due if due is not None else self.idle_s)))
