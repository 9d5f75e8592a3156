"""Benchmarks: each module measures one thing and exposes run(); `python -m bench` runs them all."""
