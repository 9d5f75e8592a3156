"""Public pages kept in memory, served again until the data under them changes.

The public directory is what anyone may ask for, as often as they like, and every answer is
the same until something is written: so an anonymous caller's page is kept, keyed by what it
depends on (the endpoint, host, path and query string, the reader's language, today's date and the change counter
read before the page is) and served from memory while the counter stands still. A write made
through the registry, by any worker or command, moves the counter, so the next request builds
the page afresh: a field an organisation stops publishing leaves the public pages with the
request that hides it. A page is kept at most `PAGE_CACHE_SECONDS` in any case, which bounds
how long a write made outside the registry (psql) goes unseen.

Only anonymous callers' successful answers to unconditional requests are kept: whatever a
token holder sees depends on who they are, and is always built for them. Each worker process
keeps its own pages, in at most `PAGE_CACHE_BYTES` (0 turns the cache off).
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, request
from flask_babel import get_locale

from api import database
from api.auth import current_actor
from registry.db import today

_KEY = "registry.page_cache"
# Requests whose answer depends on more than the address: those are always built.
_CONDITIONAL = ("If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range", "Range")


@dataclass(frozen=True)
class Page:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    kept_at: float


class PageCache:
    """Least recently used pages first out, within a byte budget; safe across threads."""

    def __init__(self, max_bytes: int, max_seconds: float) -> None:
        self.max_bytes, self.max_seconds = max_bytes, max_seconds
        self._pages: OrderedDict[Hashable, Page] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, now: float) -> Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if now - page.kept_at > self.max_seconds:
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: Page) -> None:
        size = len(page.body)
        if size > self.max_bytes // 4:  # one huge page must not push out everything else
            return
        with self._lock:
            if key in self._pages:
                self._drop(key)
            self._pages[key] = page
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._pages)))

    def _drop(self, key: Hashable) -> None:
        self._bytes -= len(self._pages.pop(key).body)


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = PageCache(app.config["PAGE_CACHE_BYTES"], app.config["PAGE_CACHE_SECONDS"])


def kept_for_anonymous(view: Callable[..., Any]) -> Callable[..., Any]:
    """Keep the view's answers to anonymous callers (see the module). Put it under the route
    and access decorators and over the arguments one: a page served from memory answered a
    query string that was valid when it was built."""

    @functools.wraps(view)
    def kept(*args: Any, **kwargs: Any) -> Any:
        cache: PageCache = current_app.extensions[_KEY]
        if (not cache.max_bytes or request.method not in ("GET", "HEAD") or current_actor().signed_in
                or any(header in request.headers for header in _CONDITIONAL)):
            return view(*args, **kwargs)
        key = (request.endpoint, request.host, request.path, request.query_string, str(get_locale()), today(),
               database.change_counter())
        now = time.monotonic()
        if (page := cache.get(key, now)) is not None:
            return Response(page.body, status=page.status, headers=page.headers)
        response = view(*args, **kwargs)
        if isinstance(response, Response) and response.status_code == 200 and not response.direct_passthrough:
            cache.put(key, Page(response.status_code, list(response.headers.items()), response.get_data(), now))
        return response

    return kept
