"""Which host names and proxies the app believes.

Only the configured host names are answered (Flask's TRUSTED_HOSTS): under a forged Host
header, redirects and links would point at another site. X-Forwarded-For, -Proto and -Host
are believed only from as many proxies in front of the app as PROXY_HOPS says (werkzeug's
ProxyFix): without it they are the caller's own word and ignored, so nobody can pass for
another address (the sign-in limit counts per address) or for HTTPS.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import BadRequest, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    """Call before anything else registers a before_request: an untrusted host is refused
    before a token is checked or a form read."""
    if hops := app.config["PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.before_request(_refuse_untrusted_host)


def _refuse_untrusted_host() -> None:
    try:
        request.host  # noqa: B018  (werkzeug checks the name against TRUSTED_HOSTS on reading it)
    except SecurityError:
        raise BadRequest("this server does not answer to that host name") from None
