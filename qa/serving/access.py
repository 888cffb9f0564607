"""Who may call the API and how much: bearer keys (readers, admins), a per-key rate limit and
request size limits.

With no keys configured the API is open, and `qa serve` binds to 127.0.0.1 only; with keys, every
/api and /v1 request needs `Authorization: Bearer <key>` (401 without a valid one, 403 for a reader
key on an admin route).
"""

from __future__ import annotations

import hmac
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request

from qa.settings import Settings, split_list


@dataclass(frozen=True)
class Caller:
    """Who made a request: a key's short id (or the client address without keys) and its role."""

    identity: str
    admin: bool


class RateLimiter:
    """A token bucket per identity: `per_minute` requests, refilled evenly over the minute."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, identity: str) -> float:
        """Take one request from `identity`'s bucket; 0.0 if allowed, else seconds until one is."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(identity, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[identity] = (tokens, now)
                return (1.0 - tokens) / rate
            self._buckets[identity] = (tokens - 1.0, now)
            return 0.0


class Access:
    """FastAPI dependencies for reader and admin routes, built from the settings."""

    def __init__(self, reader_keys: tuple[str, ...] = (), admin_keys: tuple[str, ...] = (), rate_limit: int = 0) -> None:
        self.reader_keys = reader_keys
        self.admin_keys = admin_keys
        self.limiter = RateLimiter(rate_limit)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Access":
        return cls(split_list(settings.api_keys), split_list(settings.admin_keys), settings.rate_limit)

    @property
    def enabled(self) -> bool:
        """True when keys are configured (and therefore required)."""
        return bool(self.reader_keys or self.admin_keys)

    def check_key(self, key: str) -> Caller | None:
        """The caller a key belongs to, or None for an unknown key."""
        for role_admin, keys in ((True, self.admin_keys), (False, self.reader_keys)):
            for index, known in enumerate(keys):
                if hmac.compare_digest(key.encode(), known.encode()):
                    return Caller(f"{'admin' if role_admin else 'reader'}-{index}", role_admin)
        return None

    def reader(self, request: Request) -> Caller:
        """Dependency for routes any valid key (or anyone, without keys) may call."""
        return self._limit(self._caller(request))

    def admin(self, request: Request) -> Caller:
        """Dependency for routes that change the corpus: an admin key when keys are configured."""
        caller = self._caller(request)
        if not caller.admin:
            raise HTTPException(403, "This route needs an admin key (QA_ADMIN_KEYS); the key given is a reader key.")
        return self._limit(caller)

    def _caller(self, request: Request) -> Caller:
        if not self.enabled:
            host = request.client.host if request.client else "unknown"
            return Caller(f"client-{host}", True)
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        caller = self.check_key(key.strip()) if scheme.lower() == "bearer" and key.strip() else None
        if caller is None:
            reason = "Missing API key" if not key.strip() else "Invalid API key"
            raise HTTPException(
                401, f"{reason}: send 'Authorization: Bearer <key>' with a key from QA_API_KEYS or QA_ADMIN_KEYS.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return caller

    def _limit(self, caller: Caller) -> Caller:
        wait = self.limiter.check(caller.identity)
        if wait > 0:
            raise HTTPException(
                429, f"Rate limit of {self.limiter.per_minute} requests per minute reached; retry in {math.ceil(wait)} s.",
                headers={"Retry-After": str(math.ceil(wait))},
            )
        return caller


class BodyLimitMiddleware:
    """ASGI middleware: a request body over the limit gets 413 before the route reads it.

    Paths starting with one of `upload_prefixes` get the (larger) upload limit.
    """

    def __init__(self, app, max_body: int, max_upload: int, upload_prefixes: tuple[str, ...] = ()) -> None:  # noqa: ANN001
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.upload_prefixes = upload_prefixes

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.max_upload if path.startswith(self.upload_prefixes) else self.max_body
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        seen = 0
        state = {"responded": False, "rejected": False}

        async def counting_receive():  # noqa: ANN202
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit and not state["responded"]:
                    # Answer now and tell the app the client went away; whatever it sends later is dropped.
                    state["rejected"] = state["responded"] = True
                    await _too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message) -> None:  # noqa: ANN001
            if state["rejected"]:
                return
            state["responded"] = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not state["rejected"]:
                raise


async def _too_large(send, limit: int) -> None:  # noqa: ANN001
    body = json.dumps({"detail": f"Request body too large: the limit is {limit:,} bytes."}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
