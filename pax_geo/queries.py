"""Named read queries. Every function takes a connection opened as an application role's own
database login (:func:`pax_geo.db.reader_engine`), so the database decides what it may see:
exact points, grid-snapped points, or suppressed per-area counts.

All SQL here uses bound parameters; geometry stays in EPSG:3006 unless a function says WGS84.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from pax_geo import clock
from pax_geo.clock import TZ
from pax_geo.horizons import periods as _periods
from pax_geo.layers import INCIDENT_KINDS

#: The map's quick windows: pax_geo.horizons.periods.QUICK_WINDOWS (one definition for every
#: page), plus "custom" (whole calendar days chosen by the user).
WINDOWS: dict[str, timedelta | None] = {
    **{key: _periods.QUICK_WINDOWS[key] for key in _periods.MAP_WINDOWS},
    "custom": None,
}


@dataclass(frozen=True)
class Filter:
    """What the user asked to see. start/end are timezone-aware; end is exclusive."""

    start: datetime
    end: datetime
    kinds: tuple[str, ...] = INCIDENT_KINDS
    area_ids: tuple[int, ...] = ()
    subtypes: tuple[str, ...] = ()
    verifications: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Filter times must be timezone-aware")
        if self.start >= self.end:
            raise ValueError("Filter start must be before its end")
        unknown = set(self.kinds) - set(INCIDENT_KINDS)
        if unknown:
            raise ValueError(f"unknown incident kind(s): {', '.join(sorted(unknown))}")

    @classmethod
    def last(cls, window: str, now: datetime | None = None, **kw) -> Filter:
        length = WINDOWS.get(window)
        if length is None:
            raise ValueError(f"unknown window {window!r}")
        end = now or clock.now()
        return cls(start=end - length, end=end, **kw)

    def split_settled(self) -> tuple[tuple[datetime, datetime], list[Filter]] | None:
        """``(span, parts)``: the window's whole past days (periods.settled_span) and the
        filters of what lies before and after them (read each time), or None when the window
        holds no whole day."""
        span = _periods.settled_span(self.start, self.end)
        if span is None:
            return None
        a, b = span
        parts = [replace(self, end=a)] if self.start < a else []
        return span, parts + ([replace(self, start=b)] if b < self.end else [])

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "kinds": list(self.kinds),
            "area_ids": list(self.area_ids),
            "subtypes": list(self.subtypes),
        }


def my_precision(conn: Connection) -> dict[str, str]:
    """layer -> precision for the connected role (from the database, not the page)."""
    rows = conn.execute(text("select layer, precision from pax_api.my_precision")).all()
    return {layer: prec for layer, prec in rows}


#: Precisions at which a role sees an incident kind at all, and those that carry a position.
ANY_PRECISION = ("exact", "grid", "area")
POSITION_PRECISIONS = ("exact", "grid")


def kinds_at(
    precisions: dict[str, str], allowed: tuple[str, ...] = ANY_PRECISION
) -> tuple[str, ...]:
    """The incident kinds, in the standard order, that a role with these layer precisions
    sees at one of the allowed precisions: the one rule every page and reader uses."""
    return tuple(k for k in INCIDENT_KINDS if precisions.get(k, "none") in allowed)


def visible_kinds(conn: Connection, allowed: tuple[str, ...] = ANY_PRECISION) -> tuple[str, ...]:
    """Incident kinds the connected role sees (at one of the allowed precisions)."""
    return kinds_at(my_precision(conn), allowed)


def point_view(precision: str) -> str | None:
    return {"exact": "pax_api.incident_exact", "grid": "pax_api.incident_grid"}.get(precision)


def where_clause(flt: Filter, kinds: list[str]) -> tuple[str, dict]:
    clauses = ["i.occurred_at >= :start", "i.occurred_at < :end", "i.kind = any(:kinds)"]
    params: dict = {"start": flt.start, "end": flt.end, "kinds": kinds}
    if flt.area_ids:
        clauses.append("i.area_id = any(:areas)")
        params["areas"] = list(flt.area_ids)
    if flt.subtypes:
        clauses.append("(i.kind <> 'cache' or i.subtype = any(:subtypes))")
        params["subtypes"] = list(flt.subtypes)
    if flt.verifications:
        clauses.append("i.verification = any(:ver)")
        params["ver"] = list(flt.verifications)
    return " and ".join(clauses), params


def kinds_by_view(conn: Connection, flt: Filter) -> dict[str, list[str]]:
    prec = my_precision(conn)
    by_view: dict[str, list[str]] = {}
    for kind in flt.kinds:
        view = point_view(prec.get(kind, "none"))
        if view:
            by_view.setdefault(view, []).append(kind)
    return by_view


#: The definer function behind each point view. It filters inside, so a plan (EXPLAIN) shows
#: only the rows the role may see, and it takes the filter, so the time index is used.
ROW_FUNCTIONS = {
    "pax_api.incident_exact": "pax_api.incident_exact_rows",
    "pax_api.incident_grid": "pax_api.incident_grid_rows",
}

_ROW_ARGS = (
    "(cast(:start as timestamptz), cast(:end as timestamptz), cast(:kinds as text[]), "
    "cast(:areas as int[]), cast(:subtypes as text[]), cast(:ver as text[]), "
    "cast(:located as boolean), cast(:limit as int))"
)


def row_source(
    view: str, flt: Filter, kinds: list[str], located: bool = True, limit: int | None = None
) -> tuple[str, dict]:
    """A FROM item with the rows of ``view`` (incident_exact/incident_grid) for the filter, read
    through the view's definer function, and its bound parameters.

    Grid rows have no id and hour-truncated times; their window is widened to whole hours.
    """
    params = {
        "start": flt.start,
        "end": flt.end,
        "kinds": list(kinds),
        "areas": list(flt.area_ids) or None,
        "subtypes": list(flt.subtypes) or None,
        "ver": list(flt.verifications) or None,
        "located": located,
        "limit": limit,
    }
    return ROW_FUNCTIONS[view] + _ROW_ARGS, params


_POINT_COLUMNS = (
    "i.kind, i.subtype, i.occurred_at, i.occurred_from, i.occurred_to, i.verification, "
    "i.area_id, i.x, i.y"
)


def incident_points(conn: Connection, flt: Filter, limit: int | None = None) -> pd.DataFrame:
    """Incidents with positions (x, y in EPSG:3006) at the finest precision the role has.

    Columns: id, kind, subtype, occurred_at, occurred_from, occurred_to, verification, area_id,
    x, y, precision. Incidents without a point (area/municipality precision) are left out.
    Grid-precision rows carry no id (None) and times truncated to the hour.
    """
    frames = []
    for view, kinds in kinds_by_view(conn, flt).items():
        precision = "exact" if view.endswith("exact") else "grid"
        source, params = row_source(view, flt, kinds, located=True, limit=limit)
        cols = ("i.id, " if precision == "exact" else "") + _POINT_COLUMNS
        sql = f"select {cols} from {source} i order by i.occurred_at desc"  # noqa: S608 (allowlisted)
        df = pd.read_sql_query(text(sql), conn, params=params)
        if precision == "grid":
            df.insert(0, "id", pd.Series([None] * len(df), dtype=object))
        df["precision"] = precision
        frames.append(df)
    if not frames:
        return pd.DataFrame(
            columns=[
                "id",
                "kind",
                "subtype",
                "occurred_at",
                "occurred_from",
                "occurred_to",
                "verification",
                "area_id",
                "x",
                "y",
                "precision",
            ]
        )
    out = pd.concat(frames, ignore_index=True)
    out["occurred_at"] = pd.to_datetime(out["occurred_at"], utc=True).dt.tz_convert(TZ)
    return out


def incident_point_count(conn: Connection, flt: Filter, stop_after: int | None = None) -> int:
    """How many incidents with positions the filter gives; with stop_after, counting stops
    there (enough to decide between points and aggregation without a full count)."""
    n = 0
    for view, kinds in kinds_by_view(conn, flt).items():
        limit = max(0, stop_after - n) + 1 if stop_after is not None else None
        source, params = row_source(view, flt, kinds, located=True, limit=limit)
        n += conn.execute(text(f"select count(*) from {source} i"), params).scalar_one()  # noqa: S608
        if stop_after is not None and n > stop_after:
            break
    return int(n)


_DETAIL_SQL = (
    "select i.id, i.kind, i.subtype, i.title, i.description, i.source, i.source_url, "
    "i.reported_at, i.location_precision, i.occurred_at, i.occurred_from, i.occurred_to, "
    "i.verification, a.name as area_name, st_x(st_transform(i.geom, 4326)) as lon, "
    "st_y(st_transform(i.geom, 4326)) as lat "
    "from pax_api.incident_exact i left join pax_api.area a on a.id = i.area_id where i.id = :id"
)


def incident_detail(conn: Connection, incident_id: int) -> dict | None:
    """One incident with its exact details, or None when the role may not open single records.

    Only roles with exact precision for some incident kind read pax_api.incident_exact; the view
    itself returns no row of a kind the role may not see exactly.
    """
    if "exact" not in {p for k, p in my_precision(conn).items() if k in INCIDENT_KINDS}:
        return None
    row = conn.execute(text(_DETAIL_SQL), {"id": incident_id}).mappings().first()
    return dict(row) if row else None


def incident_counts(conn: Connection, flt: Filter, bucket: str = "all") -> pd.DataFrame:
    """Counts per area and kind (and time bucket) as the database releases them to this role.

    Columns: area_id (NaN for no area), kind, bucket, n (NaN when suppressed), suppressed.
    """
    df = pd.read_sql_query(
        text("select * from pax_api.incident_counts(:start, :end, :bucket, :kinds)"),
        conn,
        params={"start": flt.start, "end": flt.end, "bucket": bucket, "kinds": list(flt.kinds)},
    )
    # numbers, NaN where suppressed or "no area" (a read whose cells are all suppressed, or all
    # outside any area, would give None objects, and a concatenation of reads mixed types)
    df["n"] = pd.to_numeric(df["n"])
    df["area_id"] = pd.to_numeric(df["area_id"])
    if flt.area_ids:
        df = df[df["area_id"].isin(flt.area_ids)]
    return df.reset_index(drop=True)


def municipalities(conn: Connection) -> pd.DataFrame:
    """code, name, population of the session's municipalities, by name."""
    return pd.read_sql_query(
        text("select code, name, population from pax_api.municipality order by name"), conn
    )


def area_table(conn: Connection, kinds: tuple[str, ...] = ("district",)) -> pd.DataFrame:
    """Areas without geometry, by name: id, code, name, kind, population."""
    return pd.read_sql_query(
        text(
            "select id, code, name, kind, population from pax_api.area "
            "where kind = any(:kinds) order by name"
        ),
        conn,
        params={"kinds": list(kinds)},
    )


def areas(conn: Connection, kinds: tuple[str, ...] = ("district",)) -> gpd.GeoDataFrame:
    """Areas in EPSG:3006 with id, code, name, kind, population (area_table's rows, in the
    same order, with their geometry)."""
    sql = text(
        "select id, code, name, kind, population, st_asbinary(geom) as wkb "
        "from pax_api.area where kind = any(:kinds) order by name"
    )
    df = pd.read_sql_query(sql, conn, params={"kinds": list(kinds)})
    geoms = shapely.from_wkb(df.pop("wkb").map(bytes).to_numpy()) if len(df) else []
    return gpd.GeoDataFrame(df, geometry=list(geoms), crs=3006)


def cameras(conn: Connection) -> gpd.GeoDataFrame | None:
    """Cameras with coverage polygons, or None when the role may not see them."""
    if my_precision(conn).get("camera") != "exact":
        return None
    df = pd.read_sql_query(
        text(
            "select id, name, owner, status, direction_deg, st_x(geom) as x, st_y(geom) as y, "
            "st_asbinary(coverage) as cov from pax_api.camera order by id"
        ),
        conn,
    )
    cov = shapely.from_wkb(df.pop("cov").map(lambda b: bytes(b) if b is not None else None))
    return gpd.GeoDataFrame(df, geometry=list(cov), crs=3006)


def routes(conn: Connection) -> gpd.GeoDataFrame:
    """Night-walk routes with their schedule and ``held``: the dates of the walks logged on
    each (an empty list when none are)."""
    df = pd.read_sql_query(
        text(
            "select r.id, r.name, r.organisation, r.schedule, st_asbinary(r.geom) as wkb, "
            "coalesce((select array_agg(distinct w.walked_on order by w.walked_on) "
            "          from pax_api.night_walk w where w.route_id = r.id), '{}') as held "
            "from pax_api.night_walk_route r order by r.name"
        ),
        conn,
    )
    geoms = shapely.from_wkb(df.pop("wkb").map(bytes).to_numpy()) if len(df) else []
    return gpd.GeoDataFrame(df, geometry=list(geoms), crs=3006)


def operations(conn: Connection, flt: Filter) -> gpd.GeoDataFrame | None:
    if my_precision(conn).get("operation") != "exact":
        return None
    df = pd.read_sql_query(
        text(
            "select id, name, description, starts_at, ends_at, st_asbinary(geom) as wkb "
            "from pax_api.operation where starts_at < :end and ends_at >= :start order by starts_at"
        ),
        conn,
        params={"start": flt.start, "end": flt.end},
    )
    geoms = shapely.from_wkb(df.pop("wkb").map(bytes).to_numpy()) if len(df) else []
    return gpd.GeoDataFrame(df, geometry=list(geoms), crs=3006)


def observations(conn: Connection, flt: Filter) -> pd.DataFrame:
    """Observation rows the role may see as points (all, or its own), x/y in EPSG:3006."""
    if my_precision(conn).get("observation") not in ("exact", "own"):
        return pd.DataFrame(
            columns=["id", "observed_at", "category", "reporter", "area_id", "x", "y"]
        )
    return pd.read_sql_query(
        text(
            "select id, observed_at, category, reporter, area_id, st_x(geom) as x, st_y(geom) as y "
            "from pax_api.observation where observed_at >= :start and observed_at < :end "
            "and geom is not null order by observed_at desc"
        ),
        conn,
        params={"start": flt.start, "end": flt.end},
    )


__all__ = [
    "Filter",
    "WINDOWS",
    "areas",
    "cameras",
    "incident_counts",
    "incident_detail",
    "incident_point_count",
    "incident_points",
    "my_precision",
    "observations",
    "operations",
    "routes",
]
