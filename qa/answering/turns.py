"""Whose turn is it? A first-come, first-served queue for a model that writes one answer at a time,
so each waiting question knows how many are ahead of it."""

from __future__ import annotations

import threading


class TurnQueue:
    """Tickets in arrival order; the holder of the lowest unfinished ticket has the model."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._next = 0
        self._done: set[int] = set()
        self._serving = 0  # the lowest ticket not yet done

    def take(self) -> int:
        with self._changed:
            ticket = self._next
            self._next += 1
            return ticket

    def ahead(self, ticket: int) -> int:
        """How many questions hold the model or wait before this ticket (0: its turn)."""
        with self._changed:
            return sum(1 for t in range(self._serving, ticket) if t not in self._done)

    def wait(self, ticket: int, timeout: float) -> bool:
        """Block until it is this ticket's turn (True) or `timeout` seconds pass (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._serving >= ticket, timeout)

    def done(self, ticket: int) -> None:
        """Give the turn up (also when the ticket never had it: a question that left the queue)."""
        with self._changed:
            if ticket < self._serving:
                return  # given up already
            self._done.add(ticket)
            while self._serving in self._done:
                self._done.discard(self._serving)
                self._serving += 1
            self._changed.notify_all()
