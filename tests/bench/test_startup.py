"""The startup benchmark measures what it says: `registry --help` run as a command, and an
import report in which the map and spreadsheet libraries are absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench import bench_startup

ROOT = Path(__file__).resolve().parents[2]

REPORT = """import time: self [us] | cumulative | imported package
import time:       120 |        120 |   flask
import time:      4000 |     572443 | api.cli
import time:        80 |        900 |     numpy.core
"""


def test_the_report_gives_the_command_s_total_and_what_it_loaded():
    assert bench_startup.import_total(REPORT, "api.cli") == 0.572443
    assert bench_startup.top_level_modules(REPORT) == {"flask", "api", "numpy"}


def test_a_run_times_the_command_and_finds_no_heavy_library():
    found = bench_startup.run(repeats=1)
    assert found["help_seconds"] > 0 and found["import_seconds"] > 0
    assert found["heavy_imported"] == []


def test_a_worker_starts_without_the_map_and_spreadsheet_libraries(tmp_path):
    """gunicorn loads wsgi.py once and forks its workers (preload_app): geopandas, folium,
    pandas and openpyxl come in with the first map or spreadsheet asked for, not at start."""
    listing = "import sys, wsgi; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    started = subprocess.run([sys.executable, "-c", listing], cwd=ROOT, capture_output=True, text=True, timeout=60,
                             env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/registry.sqlite",
                                  "PYTHONPATH": str(ROOT)})
    assert started.returncode == 0, started.stderr
    loaded = set(started.stdout.split())
    assert "api" in loaded and loaded & set(bench_startup.HEAVY) == set()
