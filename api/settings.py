"""Settings from the environment, with safe defaults for a single-machine install."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from registry.db import LOCK_TIMEOUT_SECONDS

CONTACT_KEYS_FILE = "REGISTRY_CONTACT_KEYS_FILE"
ELECTION_KEYS_DIR = "REGISTRY_ELECTION_KEYS_DIR"


# What `make serve` serves on.
DEFAULT_HOSTS = ("127.0.0.1", "localhost")
SECRET_KEY_FILE = "secret_key"


def from_environment(instance_path: str) -> dict[str, Any]:
    """DATABASE_URL names PostgreSQL in production; by default SQLite in the instance folder."""
    default_db = f"sqlite:///{Path(instance_path) / 'registry.sqlite'}"
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL", default_db),
        # The keys that seal contacts (registry/access/contact_keys.py): a file, never in the database.
        # Created on first use; keep it, and its backups, apart from the database's.
        "CONTACT_KEYS_FILE": os.environ.get(CONTACT_KEYS_FILE, str(Path(instance_path) / "contact-keys.json")),
        # The private keys that open sealed ballots (registry/elections/ballot_keys.py): files,
        # never in the database, each destroyed once its election is counted. Keep this folder
        # out of backups and snapshots.
        "ELECTION_KEYS_DIR": os.environ.get(ELECTION_KEYS_DIR, str(Path(instance_path) / "election-keys")),
        # Seconds a request waits for a lock another request holds before it is answered 503.
        "DATABASE_LOCK_TIMEOUT": float(os.environ.get("REGISTRY_DATABASE_LOCK_TIMEOUT", str(LOCK_TIMEOUT_SECONDS))),
        # Failed sign-ins (bearer header, sign-in cookie or form) per client address per minute
        # before 429 (api/auth.py).
        "AUTH_FAILURES_PER_MINUTE": int(os.environ.get("REGISTRY_AUTH_FAILURES_PER_MINUTE", "10")),
        # Signs the session cookie that holds the forms' CSRF token; when it is not given, one is
        # made in the instance folder on first start (see `instance_secret_key`).
        "SECRET_KEY": os.environ.get("REGISTRY_SECRET_KEY") or None,
        # Redis, shared by every worker and server (api/shared_store.py): the failed-sign-in
        # counts live there when it is given; without it each worker process counts its own.
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Prefix of every key the registry writes in Redis, so one Redis can serve several registries.
        "REDIS_PREFIX": os.environ.get("REGISTRY_REDIS_PREFIX", "registry"),
        # Seconds to wait for Redis before a request is answered 503.
        "REDIS_TIMEOUT": float(os.environ.get("REGISTRY_REDIS_TIMEOUT", "2")),
        # The host names the app answers to (comma-separated); any other Host header gets 400.
        "TRUSTED_HOSTS": [host.strip() for host in os.environ.get("REGISTRY_TRUSTED_HOSTS", "").split(",")
                          if host.strip()] or list(DEFAULT_HOSTS),
        # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: none, and
        # those headers are ignored).
        "PROXY_HOPS": int(os.environ.get("REGISTRY_PROXY_HOPS", "0")),
        # Uploads (spreadsheet import) are refused above this many bytes.
        "MAX_CONTENT_LENGTH": int(os.environ.get("REGISTRY_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024))),
        # Counts below this are shown as "fewer than N" in public output.
        "PUBLIC_COUNT_THRESHOLD": int(os.environ.get("REGISTRY_PUBLIC_COUNT_THRESHOLD", "5")),
        # How long a browser or proxy may keep a public answer before asking again (seconds). 0:
        # ask every time (by ETag: a 304 when nothing changed), so that an organisation that stops
        # being listed leaves every public answer with the next request, at a proxy too.
        "PUBLIC_MAX_AGE": int(os.environ.get("REGISTRY_PUBLIC_MAX_AGE", "0")),
        # Basemap tiles are off: a tile server would learn who looks at which place.
        # To switch one on, give both, e.g. a tile server the network runs itself.
        "MAP_TILES_URL": os.environ.get("REGISTRY_MAP_TILES_URL") or None,
        "MAP_TILES_ATTRIBUTION": os.environ.get("REGISTRY_MAP_TILES_ATTRIBUTION") or None,
    }


def default_workers(environ: Mapping[str, str] = os.environ) -> int:
    """gunicorn's worker processes (gunicorn.conf.py): WEB_CONCURRENCY, else two per core and
    one more, the usual rule for sync workers that wait on the database."""
    if environ.get("WEB_CONCURRENCY"):
        return max(1, int(environ["WEB_CONCURRENCY"]))
    return 2 * (os.cpu_count() or 1) + 1


def instance_secret_key(instance_path: str) -> str:
    """The key in the instance folder, made on first start, readable by its owner only.

    Several workers may start at once and must all sign with the same key: each writes a
    complete key to a file of its own and links it into place, which only the first does;
    every one then reads back the key that is there."""
    folder = Path(instance_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / SECRET_KEY_FILE
    if not path.exists():
        descriptor, draft = tempfile.mkstemp(dir=folder, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(descriptor, "w") as written:
                written.write(secrets.token_hex(32))
                written.flush()
                os.fsync(written.fileno())
            os.link(draft, path)
        except FileExistsError:
            pass  # another worker's key is in place
        finally:
            os.unlink(draft)
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it, or set REGISTRY_SECRET_KEY")
    return key
