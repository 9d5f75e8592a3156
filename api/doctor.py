"""`registry doctor`: what in a deployment's settings is unsafe for the people in the registry.

Each check reads the settings the app runs with (api/settings.py) and the environment that
gunicorn.conf.py reads, and says what to change; none connects anywhere or shows a secret.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from api.settings import default_workers

UNSAFE = "unsafe"
WARNING = "warning"
# Shorter than this, a signing key can be guessed offline from one signed cookie.
MIN_SECRET_KEY = 32


@dataclass(frozen=True)
class Finding:
    level: str
    message: str


def examine(config: Mapping[str, Any], *, workers: int | None = None,
            environ: Mapping[str, str] = os.environ) -> list[Finding]:
    workers = workers or default_workers(environ)
    found: list[Finding] = []
    secret = environ.get("REGISTRY_SECRET_KEY", "")
    if not secret:
        found.append(Finding(UNSAFE if config.get("REDIS_URL") else WARNING,
                             "no REGISTRY_SECRET_KEY: each server makes its own key in its instance folder, so "
                             "forms signed on one server fail on another; set one key for every server"))
    elif len(secret) < MIN_SECRET_KEY:
        found.append(Finding(UNSAFE, f"REGISTRY_SECRET_KEY is shorter than {MIN_SECRET_KEY} characters: make one "
                                     "with `python -c 'import secrets; print(secrets.token_hex(32))'`"))
    if make_url(config["DATABASE_URL"]).get_backend_name() == "sqlite" and (workers > 1 or config.get("REDIS_URL")):
        found.append(Finding(UNSAFE, f"SQLite behind {workers} workers: writers wait on one lock and several "
                                     "servers cannot share the file; use PostgreSQL (DATABASE_URL)"))
    if not config.get("PROXY_HOPS"):
        found.append(Finding(UNSAFE, "no HTTPS in front of the app (REGISTRY_PROXY_HOPS is 0): the sign-in cookie "
                                     "and tokens travel in the clear; put deploy/'s proxy in front and set "
                                     "REGISTRY_PROXY_HOPS=1"))
    if config.get("DEBUG") or environ.get("FLASK_DEBUG", "").lower() in ("1", "true", "yes"):
        found.append(Finding(UNSAFE, "debug is on: an error page shows code and lets whoever sees it run code; "
                                     "unset FLASK_DEBUG"))
    if config.get("MAP_TILES_URL"):
        found.append(Finding(WARNING, "map tiles are on: the tile server learns who looks at which place; keep them "
                                      "off, or use a tile server the network runs itself"))
    if set(config.get("TRUSTED_HOSTS", ())) <= {"127.0.0.1", "localhost"}:
        found.append(Finding(WARNING, "REGISTRY_TRUSTED_HOSTS names only this machine: set the public host name"))
    keys = Path(config["CONTACT_KEYS_FILE"])
    if keys.exists() and stat.S_IMODE(keys.stat().st_mode) & 0o077:
        found.append(Finding(UNSAFE, f"{keys} can be read by others than its owner: chmod 600 it"))
    return found
