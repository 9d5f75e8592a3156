"""Who is asking: turns a presented access token into `g.actor`, and limits failed attempts.

A credential comes by one of three paths: the Authorization header (the JSON API, bearer tokens
only), the sign-in form (a person's sign-in code, api/web/signin.py) and the web session's
cookie that the form gives (the pages only). The first two call `identify`, the cookie
`count_failure` for a session secret nobody was given, so one count of failures per client
address covers all three. The presented
token is checked first: a valid one is always accepted, whatever others failed from the same
address (a NAT or a proxy shared with someone guessing). An unknown, expired or revoked one
counts one failure; once an address has AUTH_FAILURES_PER_MINUTE failures in the last minute,
its further failures are refused with 429 and Retry-After. Tokens carry 256 random bits, so
the limit is not what stops guessing: it makes a scan loud and tells a misconfigured client
at once.

No header: the anonymous actor. A bad header: 401, never silently anonymous, so a client with
an expired token learns it at once.

Failures are counted in Redis when REDIS_URL is set (SharedFailures: every worker and server
shares one count per address), otherwise per worker process (LocalFailures), behind the
one-method FailureCount interface.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Protocol

from flask import Flask, Response, current_app, g, request
from flask_babel import gettext, lazy_gettext
from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import ServiceUnavailable, TooManyRequests

from api import database, shared_store
from api.errors import error_response
from registry.access.permissions import Actor
from registry.access.tokens import authenticate

WINDOW_SECONDS = 60
# The web session's cookie (api/web/signin.py): it holds a session secret, never a sign-in code.
# The JSON API never reads it.
COOKIE = "registry_session"
_KEY = "registry.auth_failures"


class FailureCount(Protocol):
    """Where failed attempts are counted, per client address, over the last WINDOW_SECONDS."""

    def admit_failure(self, client: str, limit: int) -> bool:
        """Count one failed attempt from `client` and answer True; or, when `limit` failures
        from it already fall in the window, count nothing and answer False (refuse it).
        One call, so a shared store can do both at once."""
        ...


class LocalFailures:
    """A sliding window per address, in this process's memory."""

    # Addresses whose failures are all older than the window are dropped once this many are held.
    _SWEEP_AT = 10_000

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit_failure(self, client: str, limit: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= self._SWEEP_AT:
                self._sweep(now)
            window = self._failures.setdefault(client, deque())
            while window and window[0] <= now - WINDOW_SECONDS:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now)
            return True

    def _sweep(self, now: float) -> None:
        for client in [c for c, window in self._failures.items() if not window or window[-1] <= now - WINDOW_SECONDS]:
            del self._failures[client]


class SharedFailures:
    """A moving window per address in Redis (the `limits` library's, one atomic script per
    call), shared by every process that uses the same Redis and key prefix."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    def admit_failure(self, client: str, limit: int) -> bool:
        limiter = MovingWindowRateLimiter(shared_store.storage(self._app))
        try:
            return limiter.hit(RateLimitItemPerMinute(limit, namespace="signin-failures"), client)
        except StorageError:
            # The attempt failed anyway; without the shared count it cannot be let through.
            raise ServiceUnavailable(gettext("the service cannot check sign-in attempts just now; try again shortly")) \
                from None


class TooManyFailures(TooManyRequests):
    description = lazy_gettext("too many failed sign-in attempts from your address; wait a minute and try again")

    def __init__(self) -> None:
        super().__init__(retry_after=WINDOW_SECONDS)


def init_app(app: Flask, failures: FailureCount | None = None) -> None:
    if failures is None:
        failures = SharedFailures(app) if shared_store.configured(app) else LocalFailures()
    app.extensions[_KEY] = failures
    app.before_request(_identify_by_header)


def current_actor() -> Actor:
    return g.get("actor") or Actor.anonymous()


def identify(secret: str) -> Actor | None:
    """The actor a presented token belongs to, or None for an unknown, expired or revoked one,
    counted as a failure against the caller's address. Raises TooManyFailures instead when the
    address has used up its failures."""
    actor = authenticate(database.session(), secret)
    if actor is None:
        count_failure()
    return actor


def count_failure() -> None:
    """Count one failed attempt against the caller's address; TooManyFailures when it has used
    up its failures."""
    failures: FailureCount = current_app.extensions[_KEY]
    if not failures.admit_failure(request.remote_addr or "unknown", current_app.config["AUTH_FAILURES_PER_MINUTE"]):
        raise TooManyFailures()


def _identify_by_header() -> Response | None:
    header = request.headers.get("Authorization", "")
    if not header:
        g.actor = Actor.anonymous()
        return None
    scheme, _, secret = header.partition(" ")
    actor = identify(secret.strip() if scheme.lower() == "bearer" else "")
    if actor is None:
        return error_response(401, gettext("the access token is missing, unknown, expired or revoked"),
                              headers={"WWW-Authenticate": 'Bearer realm="registry"'})
    g.actor = actor
    return None
