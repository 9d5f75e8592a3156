"""Times and weighs the coverage maps: Vietnam's 63 provinces and the world's provinces and states.

Not a test: run `.venv/bin/python bench/bench_maps.py [--quick]` (or `make bench` for everything). Each map is built end to end (records →
coverage → folium → HTML with local asset URLs) after one untimed warm-up; the figure is the
median of several runs. Ratios are against the targets (≤ 1.0 is on target). The same data is
then drawn with geopandas' `.explore()` for comparison (needs matplotlib and mapclassify).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.boundaries import BoundarySet, load_bundled  # noqa: E402
from geo.coverage import Coverage, OrgPresence, View, compute_coverage  # noqa: E402
from geo.maps import coverage_map, render_map  # noqa: E402

PREFIX = "/static/vendor/"
TARGETS = {  # set id: (bytes, seconds warm)
    "vn-63-2008": (150_000, 0.100),
    "ne-admin1": (5_000_000, 1.5),
}
RUNS = {"vn-63-2008": 20, "ne-admin1": 5}
ORGANISATIONS = {"vn-63-2008": 120, "ne-admin1": 2_000}


def records(bset: BoundarySet, n: int, rng: random.Random) -> list[OrgPresence]:
    """Organisations serving one to three areas each, clustered on a few busy areas."""
    codes = bset.codes()
    weights = [rng.random() ** 4 for _ in codes]
    return [
        OrgPresence(i, f"Organisation {i}", rng.choices(codes, weights=weights, k=rng.randint(1, 3)),
                    services=["outreach"], listed=i % 5 != 0)
        for i in range(n)
    ]


def timed(build: Callable[[], str], runs: int) -> tuple[float, int]:
    html = build()  # warm-up: caches geometry JSON and imports
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        html = build()
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(html.encode())


def ours(bset: BoundarySet, recs: list[OrgPresence], public: bool) -> Callable[[], str]:
    def build() -> str:
        coverage = compute_coverage(recs, bset, view=View.LISTED if public else View.INTERNAL)
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
    """Each boundary set's maps (internal and public) and geopandas' `.explore()` of the same
    coverage: bytes and median warm seconds, with the targets."""
    rng = random.Random(2025)
    results: dict[str, Any] = {}
    for set_id, (target_bytes, target_seconds) in TARGETS.items():
        runs = 2 if quick else RUNS[set_id]
        start = time.perf_counter()
        bset = load_bundled(set_id)
        figures: dict[str, Any] = {"title": bset.title, "areas": len(bset.codes()),
                                   "organisations": ORGANISATIONS[set_id],
                                   "boundary_load_seconds": time.perf_counter() - start,
                                   "target_bytes": target_bytes, "target_seconds": target_seconds}
        recs = records(bset, ORGANISATIONS[set_id], rng)
        for public in (False, True):
            seconds, size = timed(ours(bset, recs, public), runs)
            figures["public" if public else "internal"] = {"bytes": size, "seconds": seconds}
        build = explore(compute_coverage(recs, bset))
        if build is not None:
            seconds, size = timed(build, max(1 if quick else 3, runs // 4))
            figures["explore"] = {"bytes": size, "seconds": seconds}
        results[set_id] = figures
    return results


def main() -> None:
    print(f"{'map':<42} {'size':>12} {'warm time':>12}")
    for set_id, figures in run(quick="--quick" in sys.argv).items():
        target = (figures["target_bytes"], figures["target_seconds"])
        print(f"{set_id}: boundary set loaded in {figures['boundary_load_seconds']:.2f} s (cold, once)")
        for key, label in (("internal", "geo.maps internal"), ("public", "geo.maps public"),
                           ("explore", "geopandas .explore() (tiles, CDN assets)")):
            if key in figures:
                report(f"  {label}", figures[key]["seconds"], figures[key]["bytes"], target)
            else:
                print(f"  {label}: skipped (pip install matplotlib mapclassify)")


def report(label: str, seconds: float, size: int, target: tuple[int, float]) -> None:
    print(f"{label:<42} {size / 1e3:>9.1f} KB {seconds * 1e3:>9.1f} ms"
          f"   size {size / target[0]:.2f}× target, time {seconds / target[1]:.2f}× target")


if __name__ == "__main__":
    main()
