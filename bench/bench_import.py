"""Benchmark: import 10,000 member rows (dry run, then apply) into a fresh database.

Target: ≤ 5 s for 10,000 rows applied. The database is a temporary SQLite file, or with
--database a scratch database created (and dropped) on that PostgreSQL server. The seeds are
loaded first; both runs use one session, as a request would, and the apply is rolled back.

    .venv/bin/python bench/bench_import.py [--rows N] [--database postgresql+psycopg://postgres@127.0.0.1:5432/]

`run()` returns the figures for the combined runner (python -m bench).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.engine import make_url  # noqa: E402

from registry.db import make_engine, make_sessionmaker, scratch_database  # noqa: E402
from registry.exchange.member_import import import_members  # noqa: E402
from registry.exchange.spreadsheets import read_table  # noqa: E402
from registry.migrate import upgrade  # noqa: E402
from registry.organisations.models import Organisation  # noqa: E402
from registry.access.permissions import Actor  # noqa: E402
from registry.access.sealing import KeyRing, use_keys  # noqa: E402
from seeds.load import load_all  # noqa: E402

TARGET_SECONDS, TARGET_ROWS = 5.0, 10_000
PROVINCES = ["VN-HN", "VN-SG", "VN-HP", "VN-DN", "VN-CT", "VN-13", "VN-22", "VN-21", "VN-34"]


def spreadsheet(rows: int) -> bytes:
    rng = random.Random(7)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "Areas served", "Priority areas", "Services", "Member since"])
    for n in range(rows):
        writer.writerow([f"Sample benchmark group {n:05d}", rng.choice(PROVINCES),
                         "; ".join(rng.sample(["health", "stigma", "violence"], 2)), "outreach", "2015-01-01"])
    return out.getvalue().encode()


@contextmanager
def fresh_database(database_url: str | None) -> Iterator[str]:
    """A new database for one run: a temporary SQLite file, a SQLite file that does not exist
    yet, or a scratch database on a PostgreSQL server (never the registry's own)."""
    if database_url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite"
        return
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        with scratch_database(database_url, "registry_bench_import") as scratch:
            yield scratch
        return
    if url.database and Path(url.database).exists():
        raise SystemExit(f"{url.database} exists; the benchmark wants a new database")
    try:
        yield database_url
    finally:
        if url.database:
            Path(url.database).unlink(missing_ok=True)


def run(rows: int = TARGET_ROWS, database_url: str | None = None) -> dict[str, Any]:
    """Import `rows` rows into a fresh database, as a dry run and then applied; the seconds
    of each, the applied rows per second and the applied time at 10,000 rows over the target."""
    with fresh_database(database_url) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            session = use_keys(make_sessionmaker(engine)(), KeyRing.generate())  # a scratch database's keys
            actor = Actor.system("benchmark")
            load_all(session, actor, sample=False)
            session.commit()
            network = session.query(Organisation).filter_by(acronym="VNSW").one()
            table = read_table("bench.csv", spreadsheet(rows))
            seconds, cpu = {}, {}
            for apply in (False, True):
                started, cpu_started = time.perf_counter(), time.process_time()
                report = import_members(session, actor, network, table, apply=apply)
                seconds[apply] = time.perf_counter() - started
                cpu[apply] = time.process_time() - cpu_started
                if report.errors or report.applied is not apply:
                    raise RuntimeError(f"the import did not run clean: {report.errors[:3]}")
            session.rollback()
            session.close()
        finally:
            engine.dispose()
    scale = TARGET_ROWS / rows
    # The CPU seconds are this process's alone (not PostgreSQL's, whose server does its own work
    # on the same machine): beside the wall-clock figures they tell a busy machine from a slow
    # import. Both are held to the target.
    return {"rows": rows, "database": make_url(url).get_backend_name(), "dry_run_seconds": seconds[False],
            "apply_seconds": seconds[True], "rows_per_second": rows / seconds[True],
            "target_seconds": TARGET_SECONDS, "ratio_to_target": seconds[True] * scale / TARGET_SECONDS,
            "cpu_ratio_to_target": cpu[True] * scale / TARGET_SECONDS,
            "dry_run_cpu_seconds": cpu[False], "apply_cpu_seconds": cpu[True]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--database", metavar="URL",
                        help="a PostgreSQL server to make a scratch database on (or a new SQLite file); "
                             "default: a temporary SQLite file")
    args = parser.parse_args()
    figures = run(args.rows, args.database)
    rows = figures["rows"]
    print(f"spreadsheet import, {rows:,} rows, {figures['database']}")
    for label, key in (("dry run", "dry_run"), ("apply", "apply")):
        seconds = figures[f"{key}_seconds"]
        print(f"  {label:8} {seconds:6.2f} s  {rows / seconds:8,.0f} rows/s  "
              f"(at {TARGET_ROWS:,} rows ≈ {seconds * TARGET_ROWS / rows:.1f} s; "
              f"{figures[f'{key}_cpu_seconds']:.2f} s of this process's CPU)")
    for what, key in (("this process's CPU", "cpu_ratio_to_target"), ("wall time", "ratio_to_target")):
        verdict = "met" if figures[key] <= 1 else "missed"
        print(f"  target: apply {TARGET_ROWS:,} rows in ≤ {TARGET_SECONDS:.0f} s; in {what}, "
              f"ratio {figures[key]:.2f} ({verdict})")


if __name__ == "__main__":
    main()
