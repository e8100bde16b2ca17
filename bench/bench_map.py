"""Benchmark: load N demo incidents, then build the Här och nu map payload.

Prints the load time, and for the 30-day and 1-year windows the time to build the payload
(query, aggregate, serialise) cold and warm, its size raw and gzip-compressed, and the bytes per
shown incident, next to a naive baseline: every point as pydeck records (Streamlit's default).

Runs in its own scratch database, which it drops at the end.
Usage: .venv/bin/python bench/bench_map.py [--incidents 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import time
from datetime import datetime, timedelta

import pydeck as pdk
from sqlalchemy import create_engine, text

from pax_geo import cluster, config, db, mapdata, migrate, queries
from pax_geo.demo import load_demo
from pax_geo.demo.generate import default_end
from pax_geo.layers import INCIDENT_KINDS
from pax_geo.ui.deck import build_deck
from pax_geo.wgs84 import xy_to_lonlat

BENCH_DB = "pax_bench_map"


def payload_bytes(deck: pdk.Deck) -> tuple[int, int]:
    raw = deck.to_json().encode()
    return len(raw), len(gzip.compress(raw, 6))


_CONTEXT: dict[str, mapdata.MapContext] = {}


def build_once(role: str, flt, mode: str, warm: bool = True) -> tuple[float, int, int, int, str]:
    """One payload build. Warm = the filter-independent context is cached, as on the page."""
    t0 = time.perf_counter()
    with db.reader_engine(role).connect() as conn:
        if not warm or role not in _CONTEXT:
            _CONTEXT[role] = mapdata.context(conn)
        data = mapdata.build(
            conn, flt, mode=mode, budget=config.settings().point_budget, ctx=_CONTEXT[role]
        )
    deck = build_deck(data, set(INCIDENT_KINDS) | {"area", "camera", "night_walk_route"}, {})
    raw, gz = payload_bytes(deck)
    return time.perf_counter() - t0, raw, gz, data.shown_total, data.mode


def naive_baseline(role: str, flt) -> tuple[float, int, int, int]:
    """All points as pydeck records, the way a first version would send them."""
    t0 = time.perf_counter()
    with db.reader_engine(role).connect() as conn:
        pts = queries.incident_points(conn, flt)
    lon, lat = xy_to_lonlat(pts["x"], pts["y"], 6)
    df = pts.assign(lon=lon, lat=lat, occurred_at=pts["occurred_at"].astype(str))[
        ["id", "kind", "occurred_at", "lon", "lat", "verification"]
    ]
    deck = pdk.Deck(layers=[pdk.Layer("ScatterplotLayer", df, get_position="[lon, lat]")])
    raw, gz = payload_bytes(deck)
    return time.perf_counter() - t0, raw, gz, len(df)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--incidents", type=int, default=1_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--reuse", action="store_true", help="reuse a kept scratch database")
    args = ap.parse_args()

    import os

    cfg = config.settings()
    if cfg.embedded:
        cluster.start(cfg)
    if not args.reuse:
        db.drop_database(BENCH_DB, cfg)
    url = db.ensure_database(cfg, BENCH_DB)
    migrate.upgrade(url, cfg)
    os.environ["PAX_DB_NAME"] = BENCH_DB
    config.settings.cache_clear()

    eng = create_engine(url)
    t0 = time.perf_counter()
    summary = {"seconds_generate": "-", "seconds_copy_incidents": "-"}
    if not args.reuse:
        with eng.begin() as conn:
            summary = load_demo(conn, incidents=args.incidents, seed=1)
    load_s = time.perf_counter() - t0
    with eng.connect() as conn:
        n = conn.execute(text("select count(*) from pax_data.incident")).scalar()
    eng.dispose()
    print(f"# Här och nu map payload benchmark ({n:,} incidents, {os.cpu_count()} cores)")
    print(
        f"load: {load_s:.1f} s total ({n / load_s:,.0f} rows/s); generate {summary['seconds_generate']} s, "
        f"COPY incidents {summary['seconds_copy_incidents']} s"
    )

    end = default_end() - timedelta(hours=1)
    print()
    print(
        "| role | window | mode | shown incidents | cold ms | warm ms (median) | raw KB | gzip KB | gzip bytes/shown |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for role in ("police_analyst", "security_chief", "field_worker"):
        for window in ("30d", "1y"):
            flt = queries.Filter(start=end - queries.WINDOWS[window], end=end)
            cold, raw, gz, shown, mode = build_once(role, flt, "auto", warm=False)
            warm = statistics.median(build_once(role, flt, "auto")[0] for _ in range(args.repeat))
            per = gz / max(shown, 1)
            print(
                f"| {role} | {window} | {mode} | {shown:,} | {cold * 1000:.0f} | {warm * 1000:.0f} | "
                f"{raw / 1024:.1f} | {gz / 1024:.1f} | {per:.2f} |"
            )
    print()
    print("Forced points for the police (the budget is bypassed):")
    print("| window | points | warm ms | raw KB | gzip KB | raw bytes/point | gzip bytes/point |")
    print("|---|---|---|---|---|---|---|")
    for window in ("7d", "30d"):
        flt = queries.Filter(start=end - queries.WINDOWS[window], end=end)
        build_once("police_analyst", flt, "points")
        warm, raw, gz, shown, _ = build_once("police_analyst", flt, "points")
        print(
            f"| {window} | {shown:,} | {warm * 1000:.0f} | {raw / 1024:.1f} | {gz / 1024:.1f} | "
            f"{raw / max(shown, 1):.1f} | {gz / max(shown, 1):.1f} |"
        )
    print()
    print("Naive baseline: every point as pydeck records (6 fields):")
    print("| window | points | ms | raw KB | gzip KB | raw bytes/point | gzip bytes/point |")
    print("|---|---|---|---|---|---|---|")
    for window in ("30d", "1y"):
        flt = queries.Filter(start=end - queries.WINDOWS[window], end=end)
        secs, raw, gz, shown = naive_baseline("police_analyst", flt)
        print(
            f"| {window} | {shown:,} | {secs * 1000:.0f} | {raw / 1024:.1f} | {gz / 1024:.1f} | "
            f"{raw / max(shown, 1):.1f} | {gz / max(shown, 1):.1f} |"
        )
    if not args.keep:
        db.drop_database(BENCH_DB, cfg)
    print(f"\n(run at {datetime.now():%Y-%m-%d %H:%M})")


if __name__ == "__main__":
    main()
