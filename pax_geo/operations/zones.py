"""The zones of an evaluation and the incidents counted in them.

* target: the operation's polygon;
* buffer: a ring of ``buffer_m`` metres around it, where crime may move to (displacement) or
  fall too (diffusion of benefits);
* comparison: by default the rest of the municipality minus target and buffer; or an area the
  analyst picks, minus target and buffer.

Counting happens in the database (``pax_api.zone_day_counts``): per zone, type and local day,
incidents with a position only (those known to the area or the municipality cannot be placed
in a zone). A point on the edge between two zones counts once, in the first of target, buffer,
comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

ZONES: tuple[str, ...] = ("target", "buffer", "comparison")


@dataclass(frozen=True)
class Zones:
    target: BaseGeometry
    buffer: BaseGeometry
    comparison: BaseGeometry

    def items(self) -> list[tuple[str, BaseGeometry]]:
        return [(z, getattr(self, z)) for z in ZONES]

    def areas_km2(self) -> dict[str, float]:
        return {z: float(g.area) / 1e6 for z, g in self.items()}


def make_zones(
    target: BaseGeometry,
    buffer_m: float,
    municipality: BaseGeometry,
    comparison: BaseGeometry | None = None,
) -> Zones:
    """Target, its buffer ring and the comparison area (EPSG:3006), disjoint."""
    if buffer_m <= 0:
        raise ValueError("the buffer must be wider than 0 m")
    target = shapely.make_valid(target)
    grown = target.buffer(buffer_m)
    ring = grown.difference(target)
    base = comparison if comparison is not None else municipality
    comp = shapely.make_valid(base).difference(grown)
    if comp.is_empty:
        raise ValueError("the comparison area lies wholly inside the target and its buffer")
    return Zones(target=target, buffer=ring, comparison=comp)


def day_counts(
    conn: Connection,
    zones: list[tuple[str, BaseGeometry]],
    start: datetime,
    end: datetime,
    kinds: tuple[str, ...],
) -> pd.DataFrame:
    """Incidents per zone, kind and local day in [start, end): columns zone, kind, day, n."""
    res = conn.execute(
        text(
            "select zone, kind, day, n from pax_api.zone_day_counts("
            "cast(:zones as text[]), cast(:wkt as text[]), :a, :b, cast(:kinds as text[]))"
        ),
        {
            "zones": [z for z, _ in zones],
            "wkt": [shapely.to_wkt(g, rounding_precision=3) for _, g in zones],
            "a": start,
            "b": end,
            "kinds": list(kinds),
        },
    )
    return pd.DataFrame(res.all(), columns=["zone", "kind", "day", "n"])


def incident_times(
    conn: Connection, target: BaseGeometry, start: datetime, end: datetime, kinds: tuple[str, ...]
) -> pd.DataFrame:
    """The target's incidents in [start, end): kind, occurred_at, occurred_from, occurred_to."""
    # epoch seconds, not datetimes: a frame of 60,000 aware datetimes built from row objects
    # took about 1 s (bench_operations), from float arrays a few milliseconds
    res = conn.execute(
        text(
            "select kind, extract(epoch from occurred_at)::float8, "
            "extract(epoch from occurred_from)::float8, extract(epoch from occurred_to)::float8 "
            "from pax_api.zone_incident_times(:wkt, :a, :b, cast(:kinds as text[]))"
        ),
        {
            "wkt": shapely.to_wkt(target, rounding_precision=3),
            "a": start,
            "b": end,
            "kinds": list(kinds),
        },
    )
    rows = res.all()
    cols = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]

    def times(values) -> pd.Series:
        return pd.to_datetime(pd.Series(values, dtype="float64"), unit="s", utc=True)

    return pd.DataFrame(
        {
            "kind": pd.Series(cols[0], dtype="object"),
            "occurred_at": times(cols[1]),
            "occurred_from": times(cols[2]),
            "occurred_to": times(cols[3]),
        }
    )


def count(
    conn: Connection, geom: BaseGeometry, start: datetime, end: datetime, kinds: tuple[str, ...]
) -> int:
    """How many incidents (with a position) lie inside geom in [start, end)."""
    return int(
        conn.execute(
            text("select pax_api.zone_count(:wkt, :a, :b, cast(:kinds as text[]))"),
            {
                "wkt": shapely.to_wkt(geom, rounding_precision=3),
                "a": start,
                "b": end,
                "kinds": list(kinds),
            },
        ).scalar_one()
    )
