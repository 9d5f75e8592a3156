"""Benchmark: import 10,000 member rows (dry run and apply) into a fresh SQLite database.

Target: ≤ 5 s for 10,000 rows. Prints rows, seconds, rows per second and the ratio to target.
    .venv/bin/python bench/bench_import.py [--rows N]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from registry.db import make_engine, make_sessionmaker  # noqa: E402
from registry.member_import import import_members, read_table  # noqa: E402
from registry.migrate import upgrade  # noqa: E402
from registry.organisations import Organisation  # noqa: E402
from registry.permissions import Actor  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite"
        upgrade(url)
        session = make_sessionmaker(make_engine(url))()
        actor = Actor.system("benchmark")
        load_all(session, actor, sample=False)
        session.commit()
        network = session.query(Organisation).filter_by(acronym="VNSW").one()
        table = read_table("bench.csv", spreadsheet(rows))
        for apply in (False, True):
            started = time.perf_counter()
            report = import_members(session, actor, network, table, apply=apply)
            elapsed = time.perf_counter() - started
            assert not report.errors, report.errors[:3]
            scaled = elapsed * TARGET_ROWS / rows
            print(f"{'apply' if apply else 'dry run'}: {rows} rows in {elapsed:.2f} s "
                  f"({rows / elapsed:.0f} rows/s); at {TARGET_ROWS} rows ≈ {scaled:.1f} s, "
                  f"target {TARGET_SECONDS:.0f} s, ratio {scaled / TARGET_SECONDS:.1f}")
        session.rollback()


if __name__ == "__main__":
    main()
