"""Boundaries, coverage and maps: plain records in, GeoJSON and HTML out. No Flask here."""
