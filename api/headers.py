"""The security headers of every answer, set here and nowhere else.

Every answer, JSON or page, says `X-Content-Type-Options: nosniff`, `Referrer-Policy:
no-referrer` (a page's address can name a network or a place) and a Content-Security-Policy:
the pages' policy allows scripts and styles from this site only, never inline, and no
framing; the map documents (`shown_in_frame`) are framed by the dashboard and run the inline
script folium writes, in a sandboxed frame.

Caching happens outside the app, by these headers (the app keeps no page of its own, so a
write is seen by the very next request that reaches it). An answer that depends on who is
asking (a token or the sign-in cookie came with it, or it holds a form token or sets a cookie)
says `Cache-Control: private, no-store`, so no browser or proxy keeps it. A successful anonymous
GET is public: it carries `Cache-Control: public, no-cache` (or `max-age=PUBLIC_MAX_AGE` where
the operator chose to let copies be served unasked), varies by language, cookie and token, and
carries a strong ETag computed from its body (a single resource keeps its version tag instead,
which a write's If-Match names); a request whose If-None-Match names that ETag is answered 304
with no body, which spares a slow link the page. By default every copy is checked with the app
before it is served again, so an organisation that stops being listed leaves every public answer
with the next request; with PUBLIC_MAX_AGE above 0 a proxy (deploy/nginx) may serve a public
answer for up to that many seconds after a write, and revalidates it after that;
answers about the service now or about the caller (`answered_now`: health, readiness, who am I)
are never kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

from api.auth import COOKIE, current_actor
from api.csrf import form_token_issued
from api.coverage import configured_tiles

_COMMON = {"object-src": "'none'", "base-uri": "'none'", "form-action": "'self'"}
PAGE_POLICY = {"default-src": "'self'", "img-src": "'self' data:", **_COMMON, "frame-ancestors": "'none'"}
FRAMED_POLICY = {"default-src": "'self'", "script-src": "'self' 'unsafe-inline'",
                 "style-src": "'self' 'unsafe-inline'", "img-src": "'self' data:", **_COMMON,
                 "frame-ancestors": "'self'"}


# What a public answer depends on besides its address: a cache keeps one copy per value.
PUBLIC_VARY = ("Accept-Language", "Cookie", "Authorization")


def init_app(app: Flask) -> None:
    app.after_request(_secure)


def answered_now(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose answer is never kept: it is about this moment (is the service up?) or
    about the caller (who am I?)."""
    view.answered_now = True  # type: ignore[attr-defined]
    return view


def shown_in_frame(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose documents the dashboard shows in a frame (a folium map)."""
    view.shown_in_frame = True  # type: ignore[attr-defined]
    return view


def _secure(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = "; ".join(f"{k} {v}" for k, v in _policy().items())
    if _personal(response) or _marked("answered_now"):
        response.headers["Cache-Control"] = "private, no-store"
    elif _public(response):
        response.headers["Cache-Control"] = _kept_for(current_app.config["PUBLIC_MAX_AGE"])
        for header in PUBLIC_VARY:
            response.vary.add(header)
        response.add_etag()  # the body's; a row's version tag, which a write's If-Match names, is kept
        response.make_conditional(request)  # If-None-Match naming it: 304, no body
    return response


def _kept_for(seconds: int) -> str:
    # no-cache: a copy may be stored, but is never served again without asking (If-None-Match).
    return f"public, max-age={seconds}" if seconds > 0 else "public, no-cache"


def _marked(mark: str) -> bool:
    return getattr(current_app.view_functions.get(request.endpoint or ""), mark, False)


def _public(response: Response) -> bool:
    """An anonymous caller's successful GET whose body is at hand. Files sent as they are (the
    stylesheet, the API docs' assets) carry their own validators; a view that says how its
    answer is kept is believed."""
    return (request.method in ("GET", "HEAD") and response.status_code == 200
            and not response.direct_passthrough and not response.is_streamed
            and "Cache-Control" not in response.headers)


def _policy() -> dict[str, str]:
    if not _marked("shown_in_frame"):
        return PAGE_POLICY
    tiles = configured_tiles(current_app.config)
    if tiles is None:
        return FRAMED_POLICY
    # A configured basemap is the one outside host a map may load images from.
    origin = urlsplit(tiles[0])._replace(path="", query="", fragment="").geturl()
    return {**FRAMED_POLICY, "img-src": f"{FRAMED_POLICY['img-src']} {origin}"}


def _personal(response: Response) -> bool:
    return (current_actor().signed_in or "Authorization" in request.headers
            or COOKIE in request.cookies or form_token_issued() or "Set-Cookie" in response.headers)
