"""The errors geo/ raises: each carries the list of reasons a person can act on.

The API layer maps GeoError onto its own error shape; geo/ itself knows nothing of HTTP.
"""

from __future__ import annotations


class GeoError(Exception):
    def __init__(self, reasons: list[str] | str):
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        super().__init__("; ".join(self.reasons))


class BoundaryError(GeoError):
    """A boundary file was refused: unreadable, no CRS, bad or duplicate codes, bad shapes."""


class CoverageError(GeoError):
    """A coverage request that must not be answered, e.g. a public map finer than admin-1."""


class OfflineAssetError(GeoError):
    """A rendered map still points at a CDN, or a vendored asset is missing."""
