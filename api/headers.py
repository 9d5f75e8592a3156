"""The security headers of every answer, set here and nowhere else.

Every answer, JSON or page, says `X-Content-Type-Options: nosniff`, `Referrer-Policy:
no-referrer` (a page's address can name a network or a place) and a Content-Security-Policy:
the pages' policy allows scripts and styles from this site only, never inline, and no
framing; the map documents (`shown_in_frame`) are framed by the dashboard and run the inline
script folium writes, in a sandboxed frame. An answer that depends on who is asking (a token
or the sign-in cookie came with it, or it holds a form token or sets a cookie) says
`Cache-Control: no-store`, so no browser or proxy keeps it; anonymous public answers are left
as they are.
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


def init_app(app: Flask) -> None:
    app.after_request(_secure)


def shown_in_frame(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose documents the dashboard shows in a frame (a folium map)."""
    view.shown_in_frame = True  # type: ignore[attr-defined]
    return view


def _secure(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = "; ".join(f"{k} {v}" for k, v in _policy().items())
    if _personal(response):
        response.headers["Cache-Control"] = "no-store"
    return response


def _policy() -> dict[str, str]:
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "shown_in_frame", False):
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
