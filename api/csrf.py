"""Cross-site request forgery protection for the web pages' forms (Flask-WTF).

Every POST, PUT, PATCH or DELETE outside the JSON API must carry the token its form was given
(a hidden `csrf_token` input), bound to the browser's session cookie, so another site can
neither sign a person in with its own token nor sign them out. The JSON API is exempt: it
reads bearer tokens only, never a cookie, so a cross-site post carries no credential there.
A browser that says the post comes from another site (Sec-Fetch-Site) is refused even with
a token.

Flask's session cookie (`registry_form`) holds nothing but the form token; it is HttpOnly,
SameSite=Strict, and Secure whenever the request came over HTTPS (directly or through a
configured proxy). It is not the sign-in: that is the web session's own cookie
(api/web/signin.py), which a page rendered for a visitor never overwrites.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect


class _Protect(CSRFProtect):
    def protect(self, apply_exemptions: bool = False) -> None:
        super().protect(apply_exemptions)
        # Chromium and Firefox name the site a request comes from; a post that another site
        # (or a sibling subdomain) made is refused, whatever it carries.
        if g.get("csrf_valid") and request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
            raise CSRFError("The form was sent from another site.")


class _SessionCookie(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)


def form_token_issued() -> bool:
    """Whether this answer holds a form token (bound to the browser's session)."""
    return current_app.config["WTF_CSRF_FIELD_NAME"] in g  # where generate_csrf keeps it


def settings() -> dict[str, Any]:
    return {
        "SESSION_COOKIE_NAME": "registry_form",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        # A form token lasts as long as the browser's session: with a clock on it, a board
        # member who kept the page open for an hour could no longer sign out.
        "WTF_CSRF_TIME_LIMIT": None,
        # Flask-WTF would also demand a Referer over HTTPS, which the pages' Referrer-Policy
        # (no-referrer) never lets a browser send; Sec-Fetch-Site above does that work.
        "WTF_CSRF_SSL_STRICT": False,
    }


def init_app(app: Flask, exempt: Iterable[Blueprint]) -> None:
    """Protect every form; `exempt` are the JSON API's blueprints."""
    app.session_interface = _SessionCookie()
    protect = _Protect(app)
    for blueprint in exempt:
        protect.exempt(blueprint)
