"""The startup benchmark measures what it says: `registry --help` run as a command, and an
import report in which the map and spreadsheet libraries are absent."""

from __future__ import annotations

from bench import bench_startup

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
