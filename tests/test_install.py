"""The lean install: `make serve` installs the runtime lock and nothing of the tests' or the
benchmarks'; the `registry` command answers without loading the map and spreadsheet libraries.

A runtime-only install is what requirements/runtime.txt lists (the Makefile installs exactly
that, then the project with --no-deps), so the lock is what is inspected here; building a
throwaway virtualenv from it would take minutes and test pip rather than the project."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("geopandas", "pandas", "folium", "shapely", "numpy", "openpyxl", "pyogrio", "pyproj", "psycopg")


def setup_requirements(key: str, section: str = "options") -> list[Requirement]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config[section][key].splitlines()
    return [Requirement(line) for line in (line.strip() for line in lines) if line and not line.startswith("#")]


def locked(name: str) -> dict[str, str]:
    """Distribution → pinned version in requirements/<name>.txt."""
    pins = {}
    for line in (ROOT / "requirements" / f"{name}.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;]+)", line)
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def test_the_runtime_lock_pins_every_runtime_requirement_within_its_range() -> None:
    pins = locked("runtime")
    for requirement in setup_requirements("install_requires"):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is required by setup.cfg but not in requirements/runtime.txt"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {requirement.specifier}"


def test_a_runtime_only_install_holds_no_test_or_benchmark_distribution() -> None:
    runtime = locked("runtime")
    extras_only = set()
    for extra in ("test", "bench"):
        extras_only |= {canonicalize_name(r.name) for r in setup_requirements(extra, "options.extras_require")}
        # Everything the extra's lock adds to the runtime lock (pytest's own dependencies too).
        extras_only |= set(locked(extra)) - set(runtime)
    assert {"pytest", "playwright", "schemathesis", "matplotlib", "mapclassify"} <= extras_only
    assert not extras_only & set(runtime), sorted(extras_only & set(runtime))


def test_the_runtime_lock_holds_every_distribution_the_registry_needs_to_run() -> None:
    """The closure of the installed project's requirements (no extras), from the metadata of
    the environment the tests run in, is all in the runtime lock: nothing is missing on a
    server that was installed from it."""
    pins = locked("runtime")
    needed, queue = set(), [Requirement(str(r)) for r in setup_requirements("install_requires")]
    while queue:
        requirement = queue.pop()
        name = canonicalize_name(requirement.name)
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        if name in needed:
            continue
        needed.add(name)
        try:
            dependencies = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here (a platform's own); the lock is checked against setup.cfg above
        for dependency in map(Requirement, dependencies):
            extras = requirement.extras or {""}
            if dependency.marker is None or any(dependency.marker.evaluate({"extra": e}) for e in extras):
                queue.append(dependency)
    assert needed - set(pins) == set()


def test_the_makefile_serves_from_the_runtime_lock_and_tests_install_their_own() -> None:
    makefile = (ROOT / "Makefile").read_text()
    runtime_recipe = makefile.split("$(BIN)/.installed:", 1)[1].split("\n\n", 1)[0]
    assert "-r requirements/runtime.txt" in runtime_recipe
    assert "--no-deps -e ." in runtime_recipe
    assert "[test" not in runtime_recipe and "[bench" not in runtime_recipe
    assert re.search(r"^serve: install$", makefile, re.M)


def test_the_registry_command_answers_without_the_map_and_spreadsheet_libraries() -> None:
    probe = ("import sys\nfrom api.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    found = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                           check=True, timeout=60)
    assert found.stdout.strip().splitlines()[-1] == "[]"
