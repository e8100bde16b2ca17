"""Benchmark the horizons reads (Medellång sikt, Lång sikt, Områdeskort); prints figures.

    .venv/bin/python bench/bench_horizons.py [--incidents 200000] [--keep]

Creates its own database (pax_bench_horizons) on the configured server, loads the demo data
set with the given number of incidents, and times, as the police analyst (no suppression) and
as the field worker (suppressed counts):

1. the area card (``pax_geo.horizons.card.build``), and its 24-hour baseline read two ways:
   365 back-to-back 24-hour windows in one query (what the card does: exact windows) vs the
   365 calendar days in one daily-bucket read (the cheaper-looking alternative);
2. the weekly trend per incident type and the monthly trend per area (two years of buckets);
3. "what changed since" 30 days ago;
4. the choropleth data of one indicator, and the size of the map as sent to the browser with
   and without the 15 m simplification.

Best of a few runs after one warm-up. No figure is asserted: the script prints what it measures.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from support import best, scratch_arguments, scratch_database

from pax_geo import db, queries
from pax_geo.horizons import card, long, medium
from pax_geo.horizons import queries as hq
from pax_geo.ui import charts

DB = "pax_bench_horizons"
TZ = ZoneInfo("Europe/Stockholm")


def main() -> int:
    args = scratch_arguments(200_000)
    with scratch_database(DB, args.incidents, keep=args.keep) as s:
        print(s.loaded)
        measure()
    return 0


def measure() -> None:
    now = datetime.now(TZ).replace(second=0, microsecond=0)
    rows = []
    for role in ("police_analyst", "field_worker"):
        with db.reader_engine(role).connect() as c:
            area_id = int(queries.area_table(c).set_index("name").loc["Ronna", "id"])
            kinds = queries.visible_kinds(c)

            def daily(c=c, area_id=area_id, kinds=kinds):
                last = (now - timedelta(hours=24)).astimezone(TZ).date()
                from pax_geo.horizons.periods import Period, local_midnight

                hq.incident_cells(
                    c,
                    Period(local_midnight(last - timedelta(days=365)), local_midnight(last)),
                    "day",
                    kinds,
                    [area_id],
                )

            def windows(c=c, area_id=area_id, kinds=kinds):
                hq.incident_window_cells(c, now, timedelta(hours=24), 366, kinds, [area_id])

            rows.append(
                (
                    role,
                    "area card (all three horizons)",
                    best(lambda a=area_id: card.build(c, a, now)),
                )
            )
            rows.append((role, "24 h baseline alt.: 1 daily-bucket read", best(daily)))
            rows.append((role, "24 h baseline: 365 windows, 1 query", best(windows, repeat=1)))
            rows.append(
                (
                    role,
                    "weekly trend per type (2 y)",
                    best(lambda: medium.incident_trend(c, now, "week", "kind")),
                )
            )
            rows.append(
                (
                    role,
                    "monthly trend per area (3 y)",
                    best(lambda: medium.incident_trend(c, now, "month", "area_id")),
                )
            )
            day = (now - timedelta(days=30)).date()
            rows.append(
                (
                    role,
                    "what changed since 30 days ago",
                    best(lambda d=day: medium.changes(c, d, now)),
                )
            )
            rows.append(
                (
                    role,
                    "indicator view (quantiles, 5)",
                    best(lambda: long.indicator_view(c, "employment_rate", "quantiles", 5)),
                )
            )

    with db.reader_engine("board_viewer").connect() as c:
        view = long.indicator_view(c, "employment_rate")
        simplified = long.area_shapes(c)
        raw = queries.areas(c, ("district",)).to_crs(4326)[["id", "name", "population", "geometry"]]
    labels = [f"{a:.1f}–{b:.1f}" for a, b in view.classes.bounds()]
    colors = charts.class_colors(view.classes.k, True)
    year = view.year(view.years[-1])

    def size(shapes) -> int:
        spec = charts.choropleth(
            shapes, year, labels, colors, "sv", legend_title=["x"], value_title="x"
        ).to_dict()
        return len(json.dumps(spec))

    print()
    print(f"{'role':<16} {'what':<38} {'seconds':>9}")
    for role, what, secs in rows:
        print(f"{role:<16} {what:<38} {secs:>9.3f}")
    print()
    print(
        f"choropleth spec sent to the browser: {size(simplified) / 1024:,.0f} KiB simplified (15 m), "
        f"{size(raw) / 1024:,.0f} KiB unsimplified"
    )


if __name__ == "__main__":
    raise SystemExit(main())
