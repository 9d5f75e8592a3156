"""Times and weighs the coverage maps a network's board and the public open: VNSW on Vietnam's
63 and 34 provinces, WNU on Cambodia's districts and khans, APNSW on its twelve countries (a
country map cut to its region), and the world's provinces and states as the largest case.

Not a test: run `.venv/bin/python bench/bench_maps.py [--quick]` (or `make bench` for everything).
Each map is built end to end (records → coverage → folium → HTML with local asset URLs) after one
untimed warm-up; the figures are the median CPU time (and wall time) of several runs, and the
document's size. The same coverage is then drawn with geopandas' `.explore()` for comparison
(needs matplotlib and mapclassify). WNU's districts are read from shared/geo (never shipped);
without it that case is left out.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.boundaries import BoundarySet, load_bundled, read_boundary_file  # noqa: E402
from geo.bundle import shared_geo_dir  # noqa: E402
from geo.coverage import Coverage, OrgPresence, View, compute_coverage  # noqa: E402
from geo.maps import coverage_map, render_map  # noqa: E402
from geo.region import around  # noqa: E402

PREFIX = "/static/vendor/"
TARGET_BYTES, TARGET_CPU_SECONDS = 150_000, 0.080
TARGET_RATIO_TO_EXPLORE = 3.0
APNSW_COUNTRIES = ("VN", "KH", "LA", "TH", "MM", "ID", "PH", "MY", "IN", "NP", "BD", "CN")


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    boundaries: Callable[[], BoundarySet | None]
    organisations: int
    areas_used: int | None  # how many of the set's areas the members work in (None: any)
    scope: tuple[str, ...] | None
    # Public maps stop at provinces: a district case's public map is drawn on this set instead.
    public_boundaries: Callable[[], BoundarySet | None] | None = None
    target_bytes: int = TARGET_BYTES
    target_seconds: float = TARGET_CPU_SECONDS
    runs: int = 20


def _licensed(key: str) -> BoundarySet | None:
    from seeds.boundaries import licensed_sets
    from seeds.load import read_yaml

    for spec, path, reader in licensed_sets(shared_geo_dir(), read_yaml("licensed_boundaries.yaml")):
        if spec["key"] == key:
            return read_boundary_file(path, valid_from=None, valid_to=None, set_id=spec["key"],
                                      title=spec["title"], level=spec["level"], country=spec["country"],
                                      attribution=spec["attribution"], licence=spec["licence"], **reader)
    return None


CASES = (
    Case("vnsw-63", "VNSW on the 63 provinces (2008-2025)", lambda: load_bundled("vn-63-2008"), 120, 21, ("VN",)),
    Case("vnsw-34", "VNSW on the 34 provinces (2025-)", lambda: load_bundled("vn-34-2025"), 120, 21, ("VN",)),
    Case("wnu-khans", "WNU on Cambodia's 197 districts and khans (public: its 25 provinces)",
         lambda: _licensed("kh-admin2-2014"), 14, 7, ("KH",), public_boundaries=lambda: _licensed("kh-admin1-2014")),
    Case("apnsw-countries", "APNSW's twelve countries, cut to their region",
         lambda: around(load_bundled("ne-admin0"), APNSW_COUNTRIES), 2_000, None, APNSW_COUNTRIES),
    Case("world-admin1", "Provinces and states of the world", lambda: load_bundled("ne-admin1"), 2_000, None, None,
         target_bytes=5_000_000, target_seconds=1.5, runs=5),
)


def records(bset: BoundarySet, case: Case, rng: random.Random) -> list[OrgPresence]:
    """Organisations serving one to three areas each, clustered on a few busy areas."""
    codes = [c for c in bset.codes() if case.scope is None or c[:2] in case.scope]
    if case.areas_used:
        codes = rng.sample(codes, case.areas_used)
    weights = [rng.random() ** 4 for _ in codes]
    return [
        OrgPresence(i, f"Organisation {i}", rng.choices(codes, weights=weights, k=rng.randint(1, 3)),
                    services=["outreach"], listed=i % 5 != 0)
        for i in range(case.organisations)
    ]


def timed(build: Callable[[], str], runs: int) -> dict[str, float | int]:
    html = build()  # warm-up: caches packed geometry, label points and imports
    cpu, wall = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        html = build()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return {"bytes": len(html.encode()), "cpu_seconds": statistics.median(cpu), "seconds": statistics.median(wall)}


def ours(bset: BoundarySet, recs: list[OrgPresence], scope: tuple[str, ...] | None,
         public: bool, parents: dict[str, str]) -> Callable[[], str]:
    def build() -> str:
        coverage = compute_coverage(recs, bset, view=View.LISTED if public else View.INTERNAL, scope=scope,
                                    parents=parents)
        return render_map(coverage_map(coverage, title=bset.title), static_prefix=PREFIX)
    return build


def explore(coverage: Coverage) -> Callable[[], str] | None:
    try:
        import geopandas
        import mapclassify  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError:
        return None
    bset = coverage.boundary_set
    frame = geopandas.GeoDataFrame.from_features(
        [{"type": "Feature", "geometry": bset.area(a.code).geometry,
          "properties": {"code": a.code, "name": a.name, "count": a.count or 0}}
         for a in coverage.areas],
        crs="EPSG:4326",
    )

    def build() -> str:
        return frame.explore(column="count", tooltip=["name", "count"]).get_root().render()
    return build


def run(*, quick: bool = False) -> dict[str, Any]:
    """Each case's maps (internal and public) and geopandas' `.explore()` of the same coverage:
    bytes, median CPU and wall seconds, with the targets."""
    rng = random.Random(2025)
    results: dict[str, Any] = {}
    for case in CASES:
        runs = 2 if quick else case.runs
        start = time.perf_counter()
        bset = case.boundaries()
        if bset is None:
            continue
        figures: dict[str, Any] = {"title": case.title, "areas": len(bset.codes()),
                                   "organisations": case.organisations,
                                   "boundary_load_seconds": time.perf_counter() - start,
                                   "target_bytes": case.target_bytes, "target_seconds": case.target_seconds}
        recs = records(bset, case, rng)
        public_set = case.public_boundaries() if case.public_boundaries else bset
        for public, drawn in ((False, bset), (True, public_set)):
            if drawn is not None:
                built = ours(drawn, recs, case.scope, public, bset.parents())
                figures["public" if public else "internal"] = timed(built, runs)
        build = explore(compute_coverage(recs, bset, scope=case.scope))
        if build is not None:
            figures["explore"] = timed(build, max(1 if quick else 3, runs // 4))
            figures["explore_to_internal"] = figures["explore"]["bytes"] / figures["internal"]["bytes"]
        results[case.key] = figures
    return results


def main() -> None:
    print(f"{'map':<46} {'size':>11} {'CPU':>10} {'wall':>10}")
    for figures in run(quick="--quick" in sys.argv).values():
        target = (figures["target_bytes"], figures["target_seconds"])
        print(f"{figures['title']} ({figures['areas']} areas, {figures['organisations']} organisations)")
        for key, label in (("internal", "geo.maps internal"), ("public", "geo.maps public"),
                           ("explore", "geopandas .explore() (tiles, CDN assets)")):
            if key in figures:
                report(f"  {label}", figures[key], target if key != "explore" else None)
            else:
                print(f"  {label}: skipped (pip install matplotlib mapclassify)")
        if "explore_to_internal" in figures:
            print(f"  .explore() is {figures['explore_to_internal']:.1f}× the internal map's size "
                  f"(target ≥ {TARGET_RATIO_TO_EXPLORE:.0f}×)")


def report(label: str, figures: dict[str, Any], target: tuple[int, float] | None) -> None:
    line = (f"{label:<46} {figures['bytes'] / 1e3:>8.1f} KB {figures['cpu_seconds'] * 1e3:>7.1f} ms "
            f"{figures['seconds'] * 1e3:>7.1f} ms")
    if target:
        line += f"   size {figures['bytes'] / target[0]:.2f}× target, CPU {figures['cpu_seconds'] / target[1]:.2f}× target"
    print(line)


if __name__ == "__main__":
    main()
