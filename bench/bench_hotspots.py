"""Benchmark the Hotspots methods at scale; prints figures.

    .venv/bin/python bench/bench_hotspots.py [--incidents 1000000] [--keep]

Creates its own database (pax_bench_hotspots) on the configured server, loads the demo data set
with the given number of incidents, and times, as the police analyst, car fires and shootings:

1. per analysis period (90 days, a year, three years) the read of the window's whole past days
   (what the page keeps for ten minutes: pax_geo.ui.analysis_data._settled_points), and each
   method twice: reading its own points (``service.load_points``, as before the pages kept
   them) and with the past days kept (``service.split_points``: only the first and last hours
   read);
2. the near-repeat bound (``PAX_NEAR_REPEAT_MAX_PAIRS``): per type over a year, its events, its
   close pairs within 500 m (counted, not listed), the search for the most recent events that
   fit (``nearrepeat.recent_within``) and the Knox test on them.

One run each (the first read of a window is what a user meets once per ten minutes; the
methods' own numba code is compiled before timing). No figure is asserted.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from support import scratch_arguments, scratch_database, signed_in

from pax_geo import queries
from pax_geo.analysis import nearrepeat, service
from pax_geo.config import settings
from pax_geo.horizons import periods

DB = "pax_bench_hotspots"
KINDS = ("car_fire", "shooting")
PERIODS = {"90d": 90, "1y": 365, "3y": 3 * 365}
STEPS = {"90d": "week", "1y": "month", "3y": "quarter"}


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def methods(conn, flt: queries.Filter, period: str, now: datetime, points) -> dict[str, object]:
    perms = settings().gi_permutations
    return {
        "hot spots (Gi*)": lambda: service.hot_spots(conn, flt, 250, 1, perms, points=points),
        "density": lambda: service.density(conn, flt, points=points),
        "emerging": lambda: service.emerging(conn, flt, 500, STEPS[period], points=points),
        "near repeat": lambda: service.near_repeat(conn, flt, now=now, points=points),
        "temporal": lambda: service.temporal(conn, flt, points=points),
        "coverage": lambda: service.coverage(conn, flt, 250, 1, perms, points=points),
    }


def main() -> int:
    args = scratch_arguments(1_000_000)
    # the Knox kernel compiled (or loaded from numba's cache) before anything is timed
    t = pd.Series(pd.date_range("2026-01-01", periods=50, tz="UTC"))
    nearrepeat.knox(np.arange(50.0), np.arange(50.0), t, simulations=2)
    with scratch_database(DB, args.incidents, keep=args.keep) as s:
        print(s.loaded)
        end = datetime.fromisoformat(s.summary["end"])
        with signed_in("police_analyst") as conn:
            every = queries.visible_kinds(conn, queries.POSITION_PRECISIONS)
            kept: dict[tuple, pd.DataFrame] = {}

            def settled(a: datetime, b: datetime) -> pd.DataFrame:
                if (a, b) not in kept:
                    kept[(a, b)] = service.load_points(conn, queries.Filter(a, b, every))
                return kept[(a, b)]

            def split(c, f):
                return service.split_points(c, f, settled)

            print("\nmethod, seconds: own read of the points / past days kept")
            for period, days in PERIODS.items():
                flt = queries.Filter(end - timedelta(days=days), end, KINDS)
                span = periods.settled_span(flt.start, flt.end)
                assert span is not None
                secs, pts = timed(lambda span=span: settled(*span))
                print(
                    f"{period}: the past days' points of every kind: {len(pts):,} in {secs:.2f} s"
                )
                own = methods(conn, flt, period, end, service.load_points)
                quick = methods(conn, flt, period, end, split)
                for name in own:
                    a, _ = timed(own[name])
                    b, _ = timed(quick[name])
                    print(f"  {name:16s} {a:6.2f} / {b:6.2f}")

            print("\nnear repeat over a year, per type (bound: PAX_NEAR_REPEAT_MAX_PAIRS)")
            bound = settings().near_repeat_max_pairs
            flt = queries.Filter(end - timedelta(days=365), end, KINDS)
            pts = split(conn, flt)
            for kind in KINDS:
                ev = pts[pts["kind"] == kind].sort_values("occurred_at", kind="stable")
                x, y = ev.x.to_numpy(float), ev.y.to_numpy(float)
                secs_n, pairs = timed(lambda x=x, y=y: nearrepeat.count_close_pairs(x, y, 500.0))
                secs_s, first = timed(lambda x=x, y=y: nearrepeat.recent_within(x, y, 500.0, bound))
                tested = ev.iloc[first:]
                secs_k, res = timed(
                    lambda tested=tested: nearrepeat.knox(
                        tested.x.to_numpy(), tested.y.to_numpy(), tested["occurred_at"]
                    )
                )
                print(
                    f"  {kind}: {len(ev):,} events, {pairs:,} close pairs (counted in "
                    f"{secs_n:.2f} s); the latest {len(tested):,} fit {bound:,} "
                    f"(found in {secs_s:.2f} s, {res.n_pairs:,} pairs); Knox, 999 "
                    f"simulations: {secs_k:.2f} s"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
