"""How long the `registry` command takes to answer `--help`, and what it imports on the way.

Run as separate processes, as an operator runs them: the wall time of `registry --help`
(median of a few runs), and `python -X importtime`'s total for `api.cli` with the heavy
libraries that must not be among it (they are imported only by the commands and pages that
draw maps or read spreadsheets).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 1.0
# Imported only where a map is drawn, a boundary file read or a workbook opened.
HEAVY = ("geopandas", "pandas", "folium", "shapely", "numpy", "openpyxl", "pyogrio", "pyproj")
ROOT = Path(__file__).resolve().parent.parent


def run(*, repeats: int = 5) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from api.cli import main; main()", "--help"]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    imported = subprocess.run([sys.executable, "-X", "importtime", "-c", "import api.cli"], env=env, cwd=ROOT,
                              check=True, capture_output=True, text=True).stderr
    return {"help_seconds": statistics.median(times), "runs": repeats,
            "import_seconds": import_total(imported, "api.cli"),
            "heavy_imported": sorted(top_level_modules(imported) & set(HEAVY)),
            "target_seconds": TARGET_SECONDS}


def import_total(report: str, module: str) -> float:
    """The cumulative time -X importtime gives `module` (microseconds in the report)."""
    for line in report.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1e6
    raise ValueError(f"{module} is not in the import report")


def top_level_modules(report: str) -> set[str]:
    names = set()
    for line in report.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and not parts[0].strip().startswith("self"):
            names.add(parts[2].strip().split(".")[0])
    return names
