"""The data behind the Här och nu map, prepared in the database and sent compactly.

The role's database login decides the finest form it gets (see layers/*.toml):

* ``exact``: points while they fit the point budget, otherwise hexagons or heat, aggregated in
  SQL (the browser never receives more rows than cells);
* ``grid``: the 250 m cells the database snapped the incidents to, with counts;
* ``area``: counts per district from ``pax_api.incident_counts`` (small counts suppressed).

Coordinates go to the browser in WGS84 rounded to 5 decimals (about 1 m) for exact points and
cell centres; rows are bare arrays wherever no tooltip needs a field.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from pax_geo import i18n, queries
from pax_geo.analysis import hexgrid
from pax_geo.horizons.counts import Count, with_ranges
from pax_geo.layers import INCIDENT_KINDS, load_layers
from pax_geo.queries import Filter
from pax_geo.wgs84 import geom_to_wgs84, rings, xy_to_lonlat

MODES = ("auto", "points", "hex", "heat")


@dataclass
class IncidentLayer:
    kind: str
    mode: str  # points | hex | heat | grid | area
    rows: list[typing.Any]
    shown: int  # incidents this layer represents
    ids: list[int] = field(default_factory=list)  # row index -> incident id (points mode)


@dataclass
class MapContext:
    """What the map draws regardless of the filter (cached by pages for a few minutes)."""

    districts: list[dict]
    outline: list
    cameras: list[dict] | None
    coverage: list[dict] | None
    routes: list[dict]


@dataclass
class MapData:
    precision: dict[str, str]
    mode: str
    incidents: dict[str, IncidentLayer]
    #: kind -> count for the filter; a range when some of its per-area counts are suppressed
    counts: dict[str, Count]
    districts: list[dict]
    outline: list
    cameras: list[dict] | None
    coverage: list[dict] | None
    routes: list[dict]
    operations: list[dict] | None
    point_total: int
    hex_size_m: float
    suppress_below: int

    @property
    def shown_total(self) -> int:
        return sum(layer.shown for layer in self.incidents.values())


# --- hexagons: flat-top, axial coordinates, size = edge length in metres -----------------------
# The binning itself is pax_geo.analysis.hexgrid's; the SQL below is the same cube rounding,
# so only cells leave the database (tests compare the two).
hex_axial = hexgrid.axial_coords
hex_centre = hexgrid.centres

_HEX_SQL = (
    "select kind, q, r, n from pax_api.incident_hex_counts("
    ":s, :start, :end, :kinds, :areas, :subtypes, :ver)"
)
_GRID_SQL = (
    "select kind, x, y, n from pax_api.incident_grid_counts("
    ":start, :end, :kinds, :areas, :subtypes, :ver)"
)


def _cell_params(flt: Filter) -> dict:
    return {
        "start": flt.start,
        "end": flt.end,
        "kinds": list(flt.kinds),
        "areas": list(flt.area_ids) or None,
        "subtypes": list(flt.subtypes) or None,
        "ver": list(flt.verifications) or None,
    }


def hex_counts(conn: Connection, flt: Filter, size: float) -> pd.DataFrame:
    """Per kind and hexagon: q, r, n, with cell centres x, y in 3006.

    Binned inside the database (``pax_api.incident_hex_counts``, the same cube rounding as
    :func:`hex_axial`): exact positions for the kinds the role sees exactly, 250 m cell
    centres for its grid kinds; only cells leave the database.
    """
    df = pd.read_sql_query(
        text(_HEX_SQL),
        conn,
        params={**_cell_params(flt), "s": float(size)},
    )
    x, y = hex_centre(df["q"].to_numpy(float), df["r"].to_numpy(float), size)
    return df.assign(x=x, y=y)


def grid_cells(conn: Connection, flt: Filter) -> pd.DataFrame:
    """For grid-precision kinds: the database's cell centres with counts (kind, x, y, n)."""
    kinds = [
        k for v, ks in queries.kinds_by_view(conn, flt).items() if v.endswith("grid") for k in ks
    ]
    if not kinds:
        return pd.DataFrame(columns=["kind", "x", "y", "n"])
    params = {**_cell_params(flt), "kinds": kinds}
    return pd.read_sql_query(
        text(_GRID_SQL),
        conn,
        params=params,
    )


# --- the settled part of a window ---------------------------------------------------------
# A window ends at "now" (to the minute), so a year's map was a new read every minute. For roles
# with exact counts, what a window holds is a sum over time: its whole days before today (the
# settled span, the same all day) are read once for every kind and kept (SettledReads, cached
# by the pages), and only the part before the first midnight and today's part are read each
# time. Released counts (0009) are not sums over parts, so roles that get them read whole.


@dataclass(frozen=True)
class SettledReads:
    """Reads of a settled span ``[start, end)`` for every kind the role sees (the map keeps the
    kinds it shows): ``counts(start, end)`` as queries.incident_counts for every area,
    ``hex(start, end, size, areas, subtypes, verifications)`` as hex_counts with those filters.
    Pages pass cached ones."""

    counts: Callable[[datetime, datetime], pd.DataFrame]
    hex: Callable[[datetime, datetime, float, tuple, tuple, tuple], pd.DataFrame]


def _sum_parts(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """``n`` summed per ``keys`` over the parts of a window (a missing area is a key too)."""
    both = pd.concat([f[[*keys, "n"]] for f in frames], ignore_index=True)
    summed = both.groupby(keys, dropna=False, sort=False)["n"].sum().reset_index()
    return summed[summed["n"] > 0].reset_index(drop=True)


def _in_parts(flt: Filter) -> tuple[tuple[datetime, datetime], list[Filter]]:
    split = flt.split_settled()
    if split is None:
        raise ValueError("this window holds no whole day")
    return split


def _split_counts(conn: Connection, flt: Filter, settled: SettledReads) -> pd.DataFrame:
    span, windows = _in_parts(flt)
    body = settled.counts(*span)
    body = body[body["kind"].isin(flt.kinds)]
    if flt.area_ids:
        body = body[body["area_id"].isin(flt.area_ids)]
    parts = [queries.incident_counts(conn, part) for part in windows]
    summed = _sum_parts([body, *parts], ["area_id", "kind"])
    return summed.assign(bucket=None, suppressed=False)[list(body.columns)]


def _split_hex(
    conn: Connection,
    flt: Filter,
    size: float,
    settled: SettledReads,
) -> pd.DataFrame:
    span, windows = _in_parts(flt)
    body = settled.hex(*span, size, flt.area_ids, flt.subtypes, flt.verifications)
    body = body[body["kind"].isin(flt.kinds)]
    parts = [hex_counts(conn, part, size) for part in windows]
    cells = _sum_parts([body, *parts], ["kind", "q", "r"])
    x, y = hex_centre(cells["q"].to_numpy(float), cells["r"].to_numpy(float), size)
    return cells.assign(x=x, y=y)


# --- building the map ---------------------------------------------------------------------


def _label(prefix: str, code: object, lang: str) -> str:
    """The catalogue's word for a code (subtype_drugs -> "narkotika"); empty when absent."""
    if code is None or (isinstance(code, float) and np.isnan(code)) or code == "":
        return ""
    return i18n.t(f"{prefix}_{code}", lang)


def _fmt_time(ts: pd.Series) -> pd.Series:
    return ts.dt.strftime("%Y-%m-%d %H:%M")


def context(conn: Connection) -> MapContext:
    """Districts, outline, cameras and routes as this role may see them, in WGS84."""
    districts = []
    for row in queries.areas(conn, ("district",)).itertuples():
        c = row.geometry.representative_point()
        lo, la = xy_to_lonlat(np.array([c.x]), np.array([c.y]))
        districts.append(
            {
                "id": int(row.id),
                "name": row.name,
                "poly": rings(geom_to_wgs84(row.geometry, 15)),
                "c": [float(lo[0]), float(la[0])],
            }
        )
    outline = [rings(geom_to_wgs84(g, 30)) for g in queries.areas(conn, ("municipality",)).geometry]
    cams = cov = None
    cam_gdf = queries.cameras(conn)
    if cam_gdf is not None:
        lo, la = xy_to_lonlat(cam_gdf["x"], cam_gdf["y"])
        cam_spec = load_layers()["camera"]
        cams = [
            {"p": [float(a), float(b)], "t": cam_spec.tooltip_text({"name": n, "owner": o})}
            for a, b, n, o in zip(lo, la, cam_gdf["name"], cam_gdf["owner"], strict=True)
        ]
        cov = [
            {"poly": rings(geom_to_wgs84(g))[0]}
            for g in cam_gdf.geometry
            if g is not None and not g.is_empty
        ]
    routes_out = []
    route_spec = load_layers()["night_walk_route"]
    for r in queries.routes(conn).itertuples():
        line = geom_to_wgs84(r.geometry, 5)
        for part in getattr(line, "geoms", [line]):
            routes_out.append(
                {
                    "path": [[round(x, 5), round(y, 5)] for x, y in part.coords],
                    "t": route_spec.tooltip_text({"name": r.name, "organisation": r.organisation}),
                }
            )
    return MapContext(districts, outline, cams, cov, routes_out)


#: Points asked for explicitly are drawn up to this many times the point budget; above it the
#: map shows hexagons and says so. A year at a million incidents is about 170,000 points: 16 s
#: to build on the server and some 17 MB to a browser, for dots that cover each other anyway.
POINT_CEILING_FACTOR = 10


def operation_rings(conn: Connection, flt: Filter) -> list[dict] | None:
    """The operations in the window as map polygons, or None for a role that does not see them
    (``pax_api.operation``: every operation for a role that sees them exactly)."""
    op_gdf = queries.operations(conn, flt)
    if op_gdf is None:
        return None
    op_spec = load_layers()["operation"]
    return [
        {
            "poly": ring,
            "t": op_spec.tooltip_text(
                {
                    "name": o.name,
                    "window_text": f"{o.starts_at:%Y-%m-%d}–{o.ends_at:%Y-%m-%d}",
                }
            ),
        }
        for o in op_gdf.itertuples()
        for ring in rings(geom_to_wgs84(o.geometry, 10))
    ]


def point_ceiling(budget: int) -> int:
    return budget * POINT_CEILING_FACTOR


def choose_mode(requested: str, n_points: int, budget: int) -> str:
    if requested not in MODES:
        raise ValueError(f"unknown map mode {requested!r}")
    if requested == "points":
        return "points" if n_points <= point_ceiling(budget) else "hex"
    if requested != "auto":
        return requested
    return "points" if n_points <= budget else "hex"


def build(
    conn: Connection,
    flt: Filter,
    mode: str = "auto",
    budget: int = 5000,
    hex_size_m: float = 150.0,
    kind_labels: dict[str, str] | None = None,
    area_names: dict[int, str] | None = None,
    include_context: bool = True,
    ctx: MapContext | None = None,
    lang: str = "sv",
    settled: SettledReads | None = None,
) -> MapData:
    """Everything the Här och nu map draws for this role and filter; tooltips follow each
    layer spec's ``tooltip`` fields (layers/*.toml), in ``lang``. With ``settled``, a role with
    exact counts reads the window's settled span from it (see SettledReads).

    The database decides all of it from the role's login alone (no part depends on the signed-in
    user), so pages share it between the sessions of a role."""
    kind_labels = kind_labels or {k: k for k in INCIDENT_KINDS}
    specs = load_layers()
    prec = queries.my_precision(conn)
    suppress = int(
        conn.execute(
            text("select coalesce(max(suppress_below), 0) from pax_api.my_precision")
        ).scalar_one()
    )
    # read in parts (its settled span kept, see SettledReads) or whole
    parted = settled if suppress == 0 and flt.split_settled() is not None else None
    # Suppressed per-area counts are ranges [1, suppress-1]; sums over them stay ranges.
    counts_df = with_ranges(
        _split_counts(conn, flt, parted) if parted else queries.incident_counts(conn, flt),
        suppress,
    )
    counts = {
        str(kind): Count(int(grp["lo"].sum()), int(grp["hi"].sum()))
        for kind, grp in counts_df.groupby("kind")
    }
    exact_kinds = tuple(k for k in flt.kinds if prec.get(k) == "exact")
    grid_kinds = tuple(k for k in flt.kinds if prec.get(k) == "grid")
    area_kinds = tuple(k for k in flt.kinds if prec.get(k) == "area")

    layers: dict[str, IncidentLayer] = {}
    point_total = 0
    chosen = "area"
    if exact_kinds:
        f_exact = Filter(
            flt.start, flt.end, exact_kinds, flt.area_ids, flt.subtypes, flt.verifications
        )
        # counted only as far as the choice needs: the budget, or for explicit points the ceiling
        stop = point_ceiling(budget) if mode == "points" else budget
        point_total = queries.incident_point_count(conn, f_exact, stop_after=stop)
        chosen = choose_mode(mode, point_total, budget)
        if chosen == "points":
            pts = queries.incident_points(conn, f_exact)
            lon, lat = xy_to_lonlat(pts["x"], pts["y"])
            pts = pts.assign(lon=lon, lat=lat, when=_fmt_time(pts["occurred_at"]))
            names = area_names or {}
            for kind, grp in pts.groupby("kind", sort=False):
                spec = specs[str(kind)]
                label = kind_labels.get(str(kind), str(kind))
                rows = [
                    {
                        "p": [lo, la],
                        "t": spec.tooltip_text(
                            {
                                "kind_label": label,
                                "subtype_label": _label("subtype", sub, lang),
                                "occurred_local": w,
                                "area_name": names.get(a, ""),
                                "verification": _label("verification", ver, lang),
                            }
                        ),
                    }
                    for lo, la, w, a, sub, ver in zip(
                        grp.lon,
                        grp.lat,
                        grp["when"],
                        grp.area_id,
                        grp["subtype"],
                        grp["verification"],
                        strict=True,
                    )
                ]
                layers[str(kind)] = IncidentLayer(
                    str(kind), "points", rows, len(grp), grp["id"].astype(int).tolist()
                )
        else:
            size = hex_size_m if chosen == "hex" else max(40.0, hex_size_m / 3)
            cells = (
                _split_hex(conn, f_exact, size, parted)
                if parted
                else hex_counts(conn, f_exact, size)
            )
            lon, lat = xy_to_lonlat(cells["x"], cells["y"])
            cells = cells.assign(lon=lon, lat=lat)
            for kind, grp in cells.groupby("kind", sort=False):
                cell_rows = [
                    [lo, la, int(n)] for lo, la, n in zip(grp.lon, grp.lat, grp.n, strict=True)
                ]
                layers[str(kind)] = IncidentLayer(str(kind), chosen, cell_rows, int(grp.n.sum()))
        point_total = sum(layer.shown for layer in layers.values())
    if grid_kinds:
        f_grid = Filter(
            flt.start, flt.end, grid_kinds, flt.area_ids, flt.subtypes, flt.verifications
        )
        cells = grid_cells(conn, f_grid)
        lon, lat = xy_to_lonlat(cells["x"], cells["y"])
        cells = cells.assign(lon=lon, lat=lat)
        for kind, grp in cells.groupby("kind", sort=False):
            cell_rows = [
                [lo, la, int(n)] for lo, la, n in zip(grp.lon, grp.lat, grp.n, strict=True)
            ]
            layers[str(kind)] = IncidentLayer(str(kind), "grid", cell_rows, int(grp.n.sum()))
        if not exact_kinds:
            chosen = "grid"

    # Districts, with per-area counts for kinds the role sees only as counts.
    ctx = ctx or context(conn)
    by_area = counts_df[counts_df["kind"].isin(area_kinds)] if area_kinds else counts_df.iloc[0:0]
    sums = by_area.groupby("area_id")[["lo", "hi"]].sum()
    # The colour uses released counts only: no number below the threshold reaches the browser.
    released = by_area.groupby("area_id")["n"].sum()
    districts = []
    for d in ctx.districts:
        lo, hi = (int(v) for v in sums.loc[d["id"]]) if d["id"] in sums.index else (0, 0)
        label = Count(lo, hi).label(suppress) if area_kinds else ""
        districts.append({**d, "n": int(released.get(d["id"], 0) or 0), "label": label})
    ops = operation_rings(conn, flt) if include_context else None

    return MapData(
        precision=prec,
        mode=chosen,
        incidents=layers,
        counts=counts,
        districts=districts,
        outline=ctx.outline,
        cameras=ctx.cameras if include_context else None,
        coverage=ctx.coverage if include_context else None,
        routes=ctx.routes if include_context else [],
        operations=ops,
        point_total=point_total,
        hex_size_m=hex_size_m,
        suppress_below=suppress,
    )
