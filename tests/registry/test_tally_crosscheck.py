"""Runs the STV cross-checks (Scottish and Meek) against pref_voting (tests/crosscheck/stv_crosscheck.py)
in its own virtualenv, so pref_voting and its numba never become a dependency of the project itself.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "crosscheck" / "stv_crosscheck.py"
REQUIREMENTS = SCRIPT.with_name("requirements.txt")
ELECTIONS = 300
MEEK_ELECTIONS = 150


def crosscheck_python() -> Path:
    return Path(os.environ.get("STV_CROSSCHECK_PYTHON") or REPO / ".venv-stv" / "bin" / "python")


def test_stv_agrees_with_an_independent_implementation():
    summary = crosscheck("scottish_stv", ELECTIONS)
    # Setting aside lot-decided elections must stay the exception (about 1 in 300 when written),
    # or a broken lot rule could hide behind it.
    assert summary["excluded_by_lot"] <= ELECTIONS // 20, summary


def test_meek_stv_agrees_with_an_independent_implementation():
    # pref_voting's Meek is slower (it iterates in floats to 1e-10), hence fewer elections. It is
    # told how our lots broke ties (stv_crosscheck.theirs_meek), so none needs setting aside.
    summary = crosscheck("meek_stv", MEEK_ELECTIONS)
    assert summary["excluded_by_lot"] == 0, summary


def crosscheck(method: str, elections: int) -> dict[str, int]:
    python = crosscheck_python()
    if not python.exists():
        pytest.fail(
            f"The STV cross-check needs its own virtualenv and {python} does not exist. Create it with\n"
            f"    python3 -m venv {REPO / '.venv-stv'}\n"
            f"    {REPO / '.venv-stv' / 'bin' / 'pip'} install -r {REQUIREMENTS}\n"
            "or point STV_CROSSCHECK_PYTHON at an interpreter that has pref_voting installed.",
            pytrace=False,
        )

    run = subprocess.run(
        [str(python), str(SCRIPT), "--elections", str(elections), "--method", method],
        capture_output=True, text=True, timeout=900, cwd=REPO,
    )

    report = f"exit {run.returncode}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    assert run.returncode == 0, report
    summary = re.search(
        r"elections=(\d+) agreed=(\d+) disagreements=(\d+) excluded_by_lot=(\d+)", run.stdout
    )
    assert summary, report
    counted, agreed, disagreements, excluded_by_lot = map(int, summary.groups())
    assert (counted, disagreements) == (elections, 0), report
    assert agreed + excluded_by_lot == elections, report
    return {"agreed": agreed, "excluded_by_lot": excluded_by_lot}
