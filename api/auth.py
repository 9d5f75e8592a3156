"""Bearer-token authentication: turns the Authorization header into `g.actor`.

No header: the anonymous actor. A bad token: 401, never silently anonymous, so a client with
an expired token learns it at once. Failed attempts are counted per client address and
refused with 429 past the configured rate (per worker process; a shared limiter belongs in
front of the app when it runs with several workers).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from flask import Flask, Response, current_app, g, request

from api import database
from api.errors import error_response
from registry.permissions import Actor
from registry.tokens import authenticate

_WINDOW_SECONDS = 60.0


class FailureLimiter:
    """Sliding one-minute window of failed authentications per client address."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, client: str, limit: int, now: float) -> bool:
        with self._lock:
            window = self._failures[client]
            while window and window[0] <= now - _WINDOW_SECONDS:
                window.popleft()
            return len(window) >= limit

    def fail(self, client: str, now: float) -> None:
        with self._lock:
            self._failures[client].append(now)


def init_app(app: Flask) -> None:
    app.extensions["registry.auth_limiter"] = FailureLimiter()
    app.before_request(_identify)


def current_actor() -> Actor:
    return g.get("actor") or Actor.anonymous()


def _identify() -> Response | None:
    header = request.headers.get("Authorization", "")
    if not header:
        g.actor = Actor.anonymous()
        return None
    limiter: FailureLimiter = current_app.extensions["registry.auth_limiter"]
    client = request.remote_addr or "unknown"
    now = time.monotonic()
    if limiter.blocked(client, current_app.config["AUTH_FAILURES_PER_MINUTE"], now):
        return error_response(429, "too many failed sign-in attempts; wait a minute",
                              headers={"Retry-After": str(int(_WINDOW_SECONDS))})
    scheme, _, secret = header.partition(" ")
    actor = authenticate(database.session(), secret.strip()) if scheme.lower() == "bearer" else None
    if actor is None:
        limiter.fail(client, now)
        return error_response(401, "the access token is missing, unknown, expired or revoked",
                              headers={"WWW-Authenticate": 'Bearer realm="registry"'})
    g.actor = actor
    return None
