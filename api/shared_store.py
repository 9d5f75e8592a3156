"""Redis, when REDIS_URL names one: what several app servers must share lives there (the count
of failed sign-ins) or in the database, never in one process's memory.

One storage per process, built on first use; its connection pool is made after gunicorn forks
(nothing connects at import or in the preloaded master), so workers never share a socket.
"""

from __future__ import annotations

import threading

from flask import Flask
from limits.storage import RedisStorage

_KEY = "registry.redis"
_LOCK = threading.Lock()


def configured(app: Flask) -> bool:
    return bool(app.config.get("REDIS_URL"))


def storage(app: Flask) -> RedisStorage:
    """The app's Redis storage (limits' client, which wraps redis-py), keys under REDIS_PREFIX."""
    found = app.extensions.get(_KEY)
    if found is None:
        with _LOCK:
            found = app.extensions.get(_KEY)
            if found is None:
                found = app.extensions[_KEY] = RedisStorage(
                    app.config["REDIS_URL"], key_prefix=app.config["REDIS_PREFIX"], wrap_exceptions=True,
                    socket_timeout=app.config["REDIS_TIMEOUT"], socket_connect_timeout=app.config["REDIS_TIMEOUT"])
    return found


def reachable(app: Flask) -> bool:
    """Whether Redis answers a PING (limits' check() never raises: it answers False)."""
    return storage(app).check()
