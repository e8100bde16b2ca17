"""Benchmark the protected release for field workers and the board; prints figures.

    .venv/bin/python bench/bench_release.py [--incidents 200000] [--keep]

Creates its own database (pax_bench_release), loads the demo data set and measures, for the
windows the pages use (24 h, 7 d, 30 d, 90 d, a quarter, year to date, 1 year):

1. utility: the error of the board's released per-area and municipality counts against the
   exact counts (mean absolute error and the 95th percentile over areas x kinds, and the
   municipality total's error per kind);
2. speed: one ``incident_counts`` call as the police analyst (exact) and as the field worker
   (lattice + noise), and the area card's 365 back-to-back 24-hour windows in one query.

Best of a few runs after one warm-up for times. Nothing is asserted.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text
from support import best, scratch_arguments, scratch_database

from pax_geo import db

DB = "pax_bench_release"
TZ = ZoneInfo("Europe/Stockholm")


def main() -> int:
    args = scratch_arguments(200_000)
    with scratch_database(DB, args.incidents, keep=args.keep) as s:
        with s.owner.begin() as c:
            c.execute(text("analyze"))
        measure(args.incidents)
    return 0


def measure(incidents: int) -> None:
    board = create_engine(db.reader_url("board_viewer", database=DB))
    field = create_engine(db.reader_url("field_worker", database=DB))
    police = create_engine(db.reader_url("police_analyst", database=DB))

    now = datetime.now(TZ).replace(second=0, microsecond=0)
    q_start = datetime(now.year, (now.month - 1) // 3 * 3 + 1, 1, tzinfo=TZ)
    prev_q = (q_start - timedelta(days=1)).replace(day=1)
    prev_q = prev_q.replace(month=(prev_q.month - 1) // 3 * 3 + 1)
    windows = {
        "24 h": (now - timedelta(hours=24), now),
        "7 d": (now - timedelta(days=7), now),
        "30 d": (now - timedelta(days=30), now),
        "90 d": (now - timedelta(days=90), now),
        "last quarter": (prev_q, q_start),
        "year to date": (datetime(now.year, 1, 1, tzinfo=TZ), now),
        "1 year": (now - timedelta(days=365), now),
    }
    sql = text("select area_id, kind, n, suppressed from pax_api.incident_counts(:a, :b)")
    print(f"demo data: {incidents} incidents; release_alpha 0.3 (default)")
    print("window        | area MAE | area p95 | municipality |error| per kind")
    for name, (a, b) in windows.items():
        with police.connect() as c:
            exact = {(r.area_id, r.kind): r.n for r in c.execute(sql, {"a": a, "b": b})}
        with board.connect() as c:
            rel = {
                (r.area_id, r.kind): (r.n, r.suppressed) for r in c.execute(sql, {"a": a, "b": b})
            }
        keys = set(exact) | set(rel)
        errors = []
        for k in keys:
            n, supp = rel.get(k, (0, False))
            value = 1.5 if supp else (n or 0)
            errors.append(abs(value - exact.get(k, 0)))
        errors.sort()
        kinds = sorted({k for _a, k in keys})
        tot = []
        for kind in kinds:
            t_exact = sum(v for (_a, k), v in exact.items() if k == kind)
            t_rel = sum((1.5 if s else (n or 0)) for (_a, k), (n, s) in rel.items() if k == kind)
            tot.append(f"{kind} {abs(t_rel - t_exact):.1f}/{t_exact}")
        p95 = errors[int(0.95 * (len(errors) - 1))] if errors else 0
        mae = statistics.fmean(errors) if errors else 0
        print(f"{name:13} | {mae:8.2f} | {p95:8.1f} | {', '.join(tot)}")

    print()
    print("speed (best of 3):")
    for label, eng in (("police (exact)", police), ("field worker (release)", field)):
        for name in ("24 h", "30 d", "year to date"):
            a, b = windows[name]
            with eng.connect() as c:
                t = best(lambda c=c, a=a, b=b: c.execute(sql, {"a": a, "b": b}).all())
            print(f"  {label:24} {name:13} {t * 1000:8.1f} ms")
        with eng.connect() as c:
            t = best(
                lambda c=c: c.execute(
                    text(
                        "select count(*) from generate_series(0, 364) w(i), lateral "
                        "pax_api.incident_counts(:now - (w.i + 1) * interval '1 day', "
                        ":now - w.i * interval '1 day') x"
                    ),
                    {"now": now},
                ).all(),
                repeat=2,
            )
        print(f"  {label:24} 365 x 24 h     {t * 1000:8.1f} ms  (the area card's baseline)")

    for e in (board, field, police):
        e.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
