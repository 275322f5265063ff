"""Benchmarks: scripts that print figures. Run from the repository root, e.g. ``python -m bench.http_rate``."""
