"""Import speed: 1,000,000 synthetic incidents, once from GeoParquet and once from CSV.

Runs in a scratch database (created and dropped here), so the dev database is untouched.
Prints rows per second for each format, split into reading+validation and loading, plus an
idempotent re-import of the same CSV (nothing changes). The issue's goal: >= 50,000 rows/s.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pax_geo import config, db, migrate  # noqa: E402
from pax_geo.demo import geography  # noqa: E402
from pax_geo.ingest import ImportOptions, import_file  # noqa: E402

KINDS = np.array(["car_fire", "shooting", "explosion", "cache"])
KIND_P = [0.76, 0.07, 0.05, 0.12]


def synthetic(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    """n incidents scattered over Södertälje's districts, in the last three years."""
    rng = np.random.default_rng(seed)
    districts = geography.districts()
    weights = districts["population"].to_numpy(dtype=float)
    pick = rng.choice(len(districts), size=n, p=weights / weights.sum())
    cx = districts["cx"].to_numpy()[pick]
    cy = districts["cy"].to_numpy()[pick]
    x = cx + rng.normal(0, 500, n)
    y = cy + rng.normal(0, 500, n)
    outline = geography.municipality_outline()
    inside = shapely.contains_xy(outline, x, y)
    x[~inside], y[~inside] = cx[~inside], cy[~inside]
    end = pd.Timestamp.now(tz="UTC").floor("s") - pd.Timedelta(days=1)
    occurred = end - pd.to_timedelta(rng.integers(0, 3 * 365 * 86400, n), unit="s")
    return gpd.GeoDataFrame(
        {
            "id": np.char.add("B", np.arange(n).astype(str)),
            "kind": KINDS[rng.choice(4, size=n, p=KIND_P)],
            "occurred_at": occurred.tz_convert("Europe/Stockholm"),
            "x": x.round(1),
            "y": y.round(1),
        },
        geometry=gpd.points_from_xy(x.round(1), y.round(1)),
        crs=3006,
    )


def timed_import(path: Path, url, label: str, n: int) -> dict:
    stamps: dict[str, float] = {}

    def progress(_f: float, stage: str) -> None:
        stamps.setdefault(stage, time.perf_counter())

    engine = create_engine(url)
    t0 = time.perf_counter()
    report = import_file(
        path, "incident", ImportOptions(source=f"bench_{label}"), engine=engine, progress=progress
    )
    total = time.perf_counter() - t0
    engine.dispose()
    load_start = stamps.get("load", t0)
    return {
        "label": label,
        "rows": report.rows_valid,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "bulk": report.bulk,
        "read_validate_s": load_start - t0,
        "load_s": total - (load_start - t0),
        "total_s": total,
        "rows_per_s": n / total,
        "phases": report.extra.get("load_seconds", {}),
    }


def truncate(url) -> None:
    eng = create_engine(url)
    with eng.begin() as c:
        c.execute(text("truncate pax_data.incident restart identity cascade"))
        c.execute(text("analyze pax_data.incident"))
    eng.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = ap.parse_args()
    cfg = config.settings()
    name = f"pax_bench_import_{os.getpid()}"
    db.drop_database(name, cfg)
    url = db.ensure_database(cfg, name)
    try:
        migrate.upgrade(url, cfg)
        from pax_geo.demo import load_demo

        eng = create_engine(url)
        with eng.begin() as c:
            load_demo(c, incidents=200, seed=3)
        eng.dispose()
        print(f"scratch database {name}; generating {args.rows:,} incidents …", flush=True)
        t = time.perf_counter()
        gdf = synthetic(args.rows)
        with tempfile.TemporaryDirectory() as tmp:
            pq = Path(tmp) / "incidents.parquet"
            csv = Path(tmp) / "incidents.csv"
            gdf[["id", "kind", "occurred_at", "geometry"]].to_parquet(pq)
            out = pd.DataFrame(gdf.drop(columns="geometry"))
            out["occurred_at"] = out["occurred_at"].dt.strftime("%Y-%m-%d %H:%M:%S%z")
            out.to_csv(csv, index=False)
            print(
                f"files written in {time.perf_counter() - t:.1f} s: GeoParquet "
                f"{pq.stat().st_size / 1e6:.0f} MB, CSV {csv.stat().st_size / 1e6:.0f} MB",
                flush=True,
            )
            results = []
            for label, path in (("geoparquet", pq), ("csv", csv)):
                truncate(url)
                results.append(timed_import(path, url, label, args.rows))
            again = timed_import(csv, url, "csv", args.rows)
            again["label"] = "csv re-import (no change)"
            results.append(again)
        print()
        print(
            f"{'run':28} {'rows':>9} {'read+validate s':>16} {'load s':>8} {'total s':>8} {'rows/s':>9}"
        )
        for r in results:
            print(
                f"{r['label']:28} {r['rows']:>9,} {r['read_validate_s']:>16.1f} {r['load_s']:>8.1f} "
                f"{r['total_s']:>8.1f} {r['rows_per_s']:>9,.0f}"
                f"   (new {r['inserted']:,}, changed {r['updated']:,}, unchanged {r['unchanged']:,}"
                f"{', bulk index rebuild' if r['bulk'] else ''})"
            )
            print(
                f"{'':28} load phases (s): "
                + ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items())
            )
        load = os.getloadavg()
        print(
            f"\nload average during the run: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
            f"on {os.cpu_count()} cores; goal >= 50,000 rows/s"
        )
    finally:
        if not args.keep:
            db.drop_database(name, cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
