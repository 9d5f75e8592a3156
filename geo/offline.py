"""Maps without a CDN: the vendor files a rendered map needs, copied from installed PyPI packages
at install or run time, and the rewrite of folium's CDN URLs to the app's own static prefix.

No third-party JS or CSS lives in this repository; a page that would still fetch a script or
stylesheet from elsewhere is refused rather than served.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from geo.errors import OfflineAssetError

__all__ = ["ASSETS", "VendorAsset", "install_assets", "localise_assets", "remote_assets",
           "required_assets"]

LEAFLET_JS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"


@dataclass(frozen=True)
class VendorAsset:
    """One file or folder the browser fetches, and the installed package that provides it."""

    path: str  # under the static prefix, e.g. "leaflet/leaflet.js"
    package: str  # an importable XStatic module with a BASE_DIR
    source: str  # under that BASE_DIR
    pip_name: str
    url: str | None = None  # the CDN address folium writes; None for files a stylesheet pulls in
    needs: tuple[str, ...] = ()  # paths of assets this one loads itself (leaflet.css → images)


ASSETS: tuple[VendorAsset, ...] = (
    VendorAsset("leaflet/leaflet.js", "xstatic.pkg.leaflet", "leaflet.js", "XStatic-Leaflet",
                LEAFLET_JS_URL),
    VendorAsset("leaflet/leaflet.css", "xstatic.pkg.leaflet", "leaflet.css", "XStatic-Leaflet",
                LEAFLET_CSS_URL, needs=("leaflet/images",)),
    # Layer-control and marker icons, referenced from leaflet.css as images/...
    VendorAsset("leaflet/images", "xstatic.pkg.leaflet", "images", "XStatic-Leaflet"),
)
_BY_PATH = {a.path: a for a in ASSETS}

_REMOTE = re.compile(
    r"""<script\b[^>]*?\bsrc\s*=\s*["']?(?P<script>(?:https?:)?//[^"'\s>]+)"""
    r"""|<link\b[^>]*?\bhref\s*=\s*["']?(?P<link>(?:https?:)?//[^"'\s>]+)"""
    r"""|@import\s+(?:url\()?\s*["']?(?P<import>(?:https?:)?//[^"')\s;]+)""",
    re.IGNORECASE,
)


def localise_assets(html: str, prefix: str) -> str:
    """Point every known CDN script and stylesheet at `prefix` (e.g. "/static/vendor/").

    Raises OfflineAssetError naming each script, stylesheet or @import that would still be
    fetched from another host (a folium plugin this module does not know, say).
    """
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    for asset in ASSETS:
        if asset.url:
            html = html.replace(asset.url, prefix + asset.path)
    remaining = remote_assets(html)
    if remaining:
        raise OfflineAssetError(
            [f"still loaded from outside: {url} (add it to geo.offline.ASSETS or drop it from "
             "the map)" for url in remaining]
        )
    return html


def remote_assets(html: str) -> list[str]:
    """URLs of scripts, stylesheets and CSS imports that `html` loads from another host."""
    return list(dict.fromkeys(
        m.group("script") or m.group("link") or m.group("import") for m in _REMOTE.finditer(html)
    ))


def required_assets(html: str, prefix: str | None = None) -> list[VendorAsset]:
    """The assets a page refers to (by CDN URL, or by path under `prefix`), with what they need."""
    wanted: list[VendorAsset] = []
    for asset in ASSETS:
        if not asset.url:
            continue
        if asset.url in html or (prefix is not None and _join(prefix, asset.path) in html):
            wanted.append(asset)
            wanted.extend(_BY_PATH[p] for p in asset.needs)
    return list(dict.fromkeys(wanted))


def install_assets(target_dir: str | Path, assets: Iterable[VendorAsset] = ASSETS) -> list[Path]:
    """Copy `assets` from their installed packages into `target_dir` (the folder served at the
    static prefix); returns the paths written. Run at install or start-up, never committed."""
    target = Path(target_dir)
    written = []
    for asset in assets:
        source = _package_dir(asset) / asset.source
        if not source.exists():
            raise OfflineAssetError(f"{asset.pip_name} has no {asset.source}; reinstall it")
        dest = target / asset.path
        files = [(f, dest / f.relative_to(source)) for f in sorted(source.rglob("*")) if f.is_file()] \
            if source.is_dir() else [(source, dest)]
        for origin, copy in files:
            _copy_atomically(origin, copy)
        written.append(dest)
    return written


def _copy_atomically(origin: Path, copy: Path) -> None:
    """Several workers (or apps) may install while another serves the file: write a temporary
    file and rename it into place, so a reader sees the old file or the new one, never half of
    one; and leave a file that is already the same alone. The copy is readable by all (0644),
    as the file it replaces would have been: mkstemp makes it 0600, and a folder shared with
    others or served by a web server would then show a blank map."""
    if copy.exists() and copy.stat().st_size == origin.stat().st_size \
            and copy.read_bytes() == origin.read_bytes():
        return
    copy.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=copy.parent, prefix=f".{copy.name}.")
    os.close(handle)
    try:
        shutil.copyfile(origin, temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, copy)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _package_dir(asset: VendorAsset) -> Path:
    try:
        module = importlib.import_module(asset.package)
    except ImportError as exc:
        raise OfflineAssetError(
            f"{asset.path} comes from the PyPI package {asset.pip_name}, which is not installed"
        ) from exc
    return Path(module.BASE_DIR)


def _join(prefix: str, path: str) -> str:
    return (prefix if prefix.endswith("/") else prefix + "/") + path
