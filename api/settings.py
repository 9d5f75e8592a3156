"""Settings from the environment, with safe defaults for a single-machine install."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from registry.db import LOCK_TIMEOUT_SECONDS

CONTACT_KEYS_FILE = "REGISTRY_CONTACT_KEYS_FILE"


def from_environment(instance_path: str) -> dict[str, Any]:
    """DATABASE_URL names PostgreSQL in production; by default SQLite in the instance folder."""
    default_db = f"sqlite:///{Path(instance_path) / 'registry.sqlite'}"
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL", default_db),
        # The keys that seal contacts (registry/contact_keys.py): a file, never in the database.
        # Created on first use; keep it, and its backups, apart from the database's.
        "CONTACT_KEYS_FILE": os.environ.get(CONTACT_KEYS_FILE, str(Path(instance_path) / "contact-keys.json")),
        # Seconds a request waits for a lock another request holds before it is answered 503.
        "DATABASE_LOCK_TIMEOUT": float(os.environ.get("REGISTRY_DATABASE_LOCK_TIMEOUT", str(LOCK_TIMEOUT_SECONDS))),
        # Failed bearer-token attempts per client address per minute before 429.
        "AUTH_FAILURES_PER_MINUTE": int(os.environ.get("REGISTRY_AUTH_FAILURES_PER_MINUTE", "10")),
        # Uploads (spreadsheet import) are refused above this many bytes.
        "MAX_CONTENT_LENGTH": int(os.environ.get("REGISTRY_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024))),
        # Counts below this are shown as "fewer than N" in public output.
        "PUBLIC_COUNT_THRESHOLD": int(os.environ.get("REGISTRY_PUBLIC_COUNT_THRESHOLD", "5")),
        # Public pages kept in memory per worker (api/page_cache.py): the budget in MB (0: off)
        # and the longest a page is kept, which bounds how long a write made outside the
        # registry (psql) goes unseen; writes through the registry are seen at once.
        "PAGE_CACHE_BYTES": int(float(os.environ.get("REGISTRY_PAGE_CACHE_MB", "32")) * 1024 * 1024),
        "PAGE_CACHE_SECONDS": float(os.environ.get("REGISTRY_PAGE_CACHE_SECONDS", "300")),
        # Basemap tiles are off: a tile server would learn who looks at which place.
        # To switch one on, give both, e.g. a tile server the network runs itself.
        "MAP_TILES_URL": os.environ.get("REGISTRY_MAP_TILES_URL") or None,
        "MAP_TILES_ATTRIBUTION": os.environ.get("REGISTRY_MAP_TILES_ATTRIBUTION") or None,
    }
