"""Every benchmark in one run: `make bench` (or `.venv/bin/python -m bench`).

Builds the synthetic registry (bench/dataset.py) on SQLite and on a scratch PostgreSQL
database, then measures the organisations list under gunicorn against bare Flask
(bench_list), the maps against geopandas' `.explore()` (bench_maps), the STV count
(bench_stv), the spreadsheet import (bench_import) and how fast `registry --help` answers
(bench_startup), and prints one table with every figure
and its target, as Markdown, and the same as JSON (bench/results.json). Targets are reported,
never asserted. `--quick` runs a small case to check that everything runs; its times mean
nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench import bench_import, bench_list, bench_maps, bench_requests, bench_startup, bench_stv, dataset
from registry.access.contact_keys import KeyFile
from registry.db import make_engine, scratch_database

RESULTS = Path(__file__).resolve().parent / "results.json"
TARGET_RSS_MB = 200.0  # issue 13: peak RSS per worker


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small case, to check that everything runs")
    parser.add_argument("--postgres", metavar="URL",
                        default=os.environ.get("REGISTRY_BENCH_POSTGRES",
                                               "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL server to create the scratch database on")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--json", metavar="PATH", type=Path, default=RESULTS, help=f"where to write the JSON ('-': print it); default {RESULTS}")
    parser.add_argument("--organisations", type=dataset.bounded(40, 1_000_000), default=None, metavar="N",
                        help=f"the dataset's size (default {dataset.ORGANISATIONS:,}, 1,000 with --quick; "
                             f"{dataset.EVENTS_PER_ORGANISATION} membership events per organisation)")
    args = parser.parse_args(argv)
    quick = args.quick
    organisations = args.organisations or (1_000 if quick else dataset.ORGANISATIONS)
    events = organisations * dataset.EVENTS_PER_ORGANISATION

    results: dict[str, Any] = {"quick": quick, "machine": machine(None if args.no_postgres else args.postgres)}
    step("registry --help")
    results["startup"] = bench_startup.run(repeats=1 if quick else 5)
    with tempfile.TemporaryDirectory() as folder:
        urls = {"SQLite": f"sqlite:///{folder}/bench.sqlite"}
        keys = KeyFile(Path(folder) / "contact-keys.json")  # the datasets' contacts, for their servers too
        with scratch_database(args.postgres, "registry_bench") if not args.no_postgres else nullcontext() as pg:
            if pg:
                urls["PostgreSQL"] = pg
            built = {}
            for label, url in urls.items():
                step(f"building the dataset on {label}")
                built[label] = dataset.build(url, keys=keys, organisations=organisations, events=events)
            results["dataset"] = {
                "organisations": built["SQLite"].organisations, "networks": built["SQLite"].networks,
                "memberships": built["SQLite"].memberships, "events": built["SQLite"].events,
                "build_seconds": {label: b.seconds for label, b in built.items()},
                "build_cpu_seconds": {label: b.cpu_seconds for label, b in built.items()}}
            step("SQL statements and CPU per request")
            results["requests"] = {"SQLite": bench_requests.run(Path(folder) / "bench.sqlite", keys.path,
                                                                repeats=1 if quick else 5)}
            step("organisations list under gunicorn")
            results["list"] = bench_list.run(urls, keys.path, seconds=2.0 if quick else 10.0,
                                             rounds=1 if quick else 3, warm_up=0.5 if quick else 2.0)
    step("maps")
    results["maps"] = bench_maps.run(quick=quick)
    step("STV count")
    results["stv"] = bench_stv.run(ballots_cast=10_000 if quick else bench_stv.BALLOTS, repeats=1 if quick else 3)
    results["meek_stv"] = bench_stv.run(method="meek_stv", ballots_cast=10_000 if quick else bench_stv.BALLOTS,
                                        repeats=1 if quick else 3)
    step("spreadsheet import")
    results["import"] = run_import(1_000 if quick else 10_000, None if args.no_postgres else args.postgres)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["figures"] = figures(results)
    print(table(results))
    document = json.dumps(results, indent=1, default=str) + "\n"
    if str(args.json) == "-":
        print(document)
    else:
        args.json.write_text(document)
        print(f"\nEvery figure, with the machine and the settings: {args.json}")
    return results


def step(what: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {what} ...", file=sys.stderr, flush=True)


def run_import(rows: int, postgres: str | None) -> dict[str, Any]:
    """bench_import's figures on SQLite and, given a server, on a scratch PostgreSQL database."""
    found = {"SQLite": bench_import.run(rows=rows)}
    if postgres:
        found["PostgreSQL"] = bench_import.run(rows=rows, database_url=postgres)
    return found


def figures(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure with its target: (name, value, unit, target, met)."""
    rows: list[dict[str, Any]] = []

    def add(name: str, value: float, unit: str, target: float | None = None, *, at_least: bool = False) -> None:
        met = None if target is None else (value >= target if at_least else value <= target)
        rows.append({"figure": name, "value": value, "unit": unit, "target": target,
                     "target_is_minimum": at_least, "met": met})

    startup = results["startup"]
    add("registry --help", startup["help_seconds"], "s", startup["target_seconds"])
    add("registry command: import time (python -X importtime)", startup["import_seconds"], "s")
    servers = results["list"]["servers"]
    for label, server in servers.items():
        if server.get("page_cache", False):
            continue  # measured with the page cache the app no longer has (results of before): not what it serves
        targeted = not label.startswith("bare")
        add(f"list, {label}: throughput", server["requests_per_second"], "req/s")
        if "ceiling_ratio" in server:
            add(f"list, {label}: share of bare Flask", server["ceiling_ratio"] * 100, "%",
                bench_list.TARGET_CEILING_RATIO * 100 if targeted else None, at_least=True)
        add(f"list, {label}: p50", server["p50_ms"], "ms")
        add(f"list, {label}: p95", server["p95_ms"], "ms", bench_list.TARGET_P95_SECONDS * 1e3 if targeted else None)
        add(f"list, {label}: worker CPU per request", server["worker_cpu_ms_per_request"], "ms")
    for case, maps in results["maps"].items():
        for kind in ("internal", "public", "explore"):
            if kind not in maps:
                continue
            target = kind != "explore"
            name = f"map {case} ({maps['areas']} areas), {'geopandas .explore()' if kind == 'explore' else kind}"
            add(f"{name}: size", maps[kind]["bytes"] / 1e3, "KB", maps["target_bytes"] / 1e3 if target else None)
            add(f"{name}: CPU", maps[kind]["cpu_seconds"] * 1e3, "ms", maps["target_seconds"] * 1e3 if target else None)
        if "explore_to_internal" in maps:
            add(f"map {case}: .explore() size over the internal map's", maps["explore_to_internal"], "×",
                bench_maps.TARGET_RATIO_TO_EXPLORE, at_least=True)
    for label, requests in results.get("requests", {}).items():
        for request, measured in requests.items():
            add(f"{request}, {label}: SQL statements", measured["statements"], "",
                bench_requests.BUDGETS.get(request))
            add(f"{request}, {label}: CPU", measured["cpu_ms"], "ms")
    for key, name in (("stv", "STV (Scottish rules)"), ("meek_stv", "STV (Meek's method)")):
        if key not in results:  # results written before Meek's method was timed
            continue
        stv = results[key]
        add(f"{name}, {stv['ballots']:,} ballots, {stv['candidates']} candidates, {stv['seats']} seats", stv["seconds"],
            "s", stv["target_seconds"])
    for label, imported in results["import"].items():
        for step, key in (("dry run", "dry_run"), ("applied", "apply")):
            add(f"import, {imported['rows']:,} rows, {label}: {step}, CPU of the importing process",
                imported[f"{key}_cpu_seconds"], "s", imported["target_seconds"])
            add(f"import, {imported['rows']:,} rows, {label}: {step}, wall time (a database server's work included)",
                imported[f"{key}_seconds"], "s", imported["target_seconds"])
    for label, server in servers.items():
        add(f"peak RSS per worker, {label}", max(server["peak_rss_mb"]), "MB",
            None if label == "bare Flask" else TARGET_RSS_MB)
    return rows


def table(results: dict[str, Any]) -> str:
    data, listing, machine = results["dataset"], results["list"], results["machine"]
    lines = [
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB, {machine['os']}, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}, PostgreSQL {machine.get('postgresql', '-')}; "
        f"load average {machine['load_average_at_start'][0]:.1f} at the start, "
        f"{machine['load_average_at_end'][0]:.1f} at the end.",
        f"Dataset: {data['organisations']:,} organisations ({data['networks']} networks), "
        f"{data['memberships']:,} memberships, {data['events']:,} membership events.",
        f"List: GET {listing['path']} as {listing['caller']} caller, {listing['response_bytes']:,} bytes; "
        f"{listing['clients']} clients, gunicorn {listing['workers']} sync workers; "
        f"median of {listing['rounds']} rounds of {listing['seconds']:.0f} s.",
        "",
        "| figure | value | target | |",
        "| --- | ---: | ---: | --- |",
    ]
    for row in results["figures"]:
        value = f"{row['value']:,.0f}" if row["value"] >= 100 else f"{row['value']:.3g}"
        target = "" if row["target"] is None else (
            f"{'≥' if row['target_is_minimum'] else '≤'} {row['target']:,.4g} {row['unit']}")
        verdict = {None: "", True: "met", False: "**missed**"}[row["met"]]
        lines.append(f"| {row['figure']} | {value} {row['unit']} | {target} | {verdict} |")
    return "\n".join(lines)


def machine(postgres: str | None) -> dict[str, Any]:
    """What the figures ran on: they mean little without it."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal:"))
    release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    found = {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024**2, 1),
             "os": release.get("PRETTY_NAME", platform.platform()).strip('"'), "python": platform.python_version(),
             "sqlite": sqlite3.sqlite_version, "load_average_at_start": os.getloadavg()}
    if postgres:
        engine = make_engine(postgres)
        with engine.connect() as connection:
            found["postgresql"] = connection.scalar(text("SHOW server_version"))
        engine.dispose()
    return found


if __name__ == "__main__":
    main()
