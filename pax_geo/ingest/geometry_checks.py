"""Checks of a file's geometry, each a small named step: present, of the layer's type, valid
(or repaired with ``--make-valid``), transformable to EPSG:3006, inside Sweden and the working
area (a WGS84 point with latitude and longitude exchanged is reported as such). The result is
hex EWKB in EPSG:3006, ready for COPY."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiLineString, MultiPolygon

from pax_geo.config import STORAGE_SRID
from pax_geo.ewkb import ewkb_points_hex
from pax_geo.ingest import fields as F
from pax_geo.ingest.context import Context
from pax_geo.ingest.geo import WGS84, transform_geoms, transform_xy
from pax_geo.ingest.geometry_read import GeometryRead
from pax_geo.ingest.issues import IssueCollector
from pax_geo.ingest.options import ImportOptions

#: Names of shapely's geometry type ids.
TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}

#: Fields whose issues mean a row's location is already reported (so "missing location" is not
#: reported again for it).
GEOM_FIELDS = {"geometry", "lon/lat", "x/y", "area"}

#: Type ids of each geometry family, the parts kept after make_valid.
_FAMILY_TYPE_IDS = {"polygon": (3, 6), "line": (1, 5), "point": (0, 4)}


@dataclass
class CheckedGeometry:
    """The geometry to load, per file row."""

    ewkb: pd.Series  # hex EWKB in 3006, None where absent
    x: np.ndarray  # point coordinates in 3006 (NaN where absent / not points)
    y: np.ndarray
    present: np.ndarray
    repaired: int = 0


@dataclass(frozen=True)
class _Checks:
    """What every check needs: where issues go and how they are labelled."""

    issues: IssueCollector
    ctx: Context
    label: str
    column: str | None
    n: int
    crs: int

    def flag(self, mask: np.ndarray, code: str, values: object = None, **params: object) -> None:
        self.issues.add(mask, code, self.label, self.column, values, **params)


def check_geometry(
    g: GeometryRead,
    tgt: F.Target,
    opts: ImportOptions,
    ctx: Context,
    iss: IssueCollector,
    n: int,
) -> CheckedGeometry:
    """Check the geometry read from the file and turn it into EWKB in EPSG:3006."""
    if g.mode == "none":
        return _nothing(n)
    family = tgt.geometry
    if family is None:
        raise RuntimeError(f"internal error: geometry read for {tgt.layer}, which has none")
    chk = _Checks(iss, ctx, g.field_label, g.column, n, g.known_crs())
    if g.mode == "points":
        return _check_point_columns(chk, g, family)
    return _check_shapes(chk, g.shapes(), family, tgt.geom_required, opts)


def _nothing(n: int) -> CheckedGeometry:
    return CheckedGeometry(
        pd.Series([None] * n, dtype=object),
        np.full(n, np.nan),
        np.full(n, np.nan),
        np.zeros(n, bool),
    )


# --- points from coordinate columns -------------------------------------------------------------


def _check_point_columns(chk: _Checks, g: GeometryRead, family: str) -> CheckedGeometry:
    x, y = g.points()
    present = np.isfinite(x) & np.isfinite(y)
    if family != "point":
        chk.flag(present, "wrong_geometry_type", expected=family, got="Point")
        return _nothing(chk.n)
    return _points_out(chk, x, y, present)


def _points_out(
    chk: _Checks, file_x: np.ndarray, file_y: np.ndarray, present: np.ndarray, repaired: int = 0
) -> CheckedGeometry:
    """Points given in the file's CRS (one per row, NaN where absent) -> EPSG:3006, checked for
    bad coordinates and for where they are."""
    n = chk.n
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    tx, ty = transform_xy(file_x[present], file_y[present], chk.crs)
    x[present], y[present] = tx, ty
    bad_t = present.copy()
    bad_t[present] = ~(np.isfinite(tx) & np.isfinite(ty))
    chk.flag(bad_t, "bad_coordinates")
    present &= ~bad_t
    _where_checks(chk, present, x, y, file_x, file_y)
    hexes = np.full(n, None, dtype=object)
    if present.any():
        hexes[present] = ewkb_points_hex(x[present], y[present], STORAGE_SRID)
    return CheckedGeometry(pd.Series(hexes, dtype=object), x, y, present, repaired)


# --- geometries ---------------------------------------------------------------------------------


def _check_shapes(
    chk: _Checks, file_geoms: np.ndarray, family: str, required: bool, opts: ImportOptions
) -> CheckedGeometry:
    geoms, present = _present_geoms(file_geoms, chk.n)
    if required:
        already = chk.issues.flagged(GEOM_FIELDS, chk.n)
        chk.flag(~present & ~already, "empty_geometry")
    present &= ~_wrong_types(chk, geoms, present, family)
    present, repaired = _check_validity(chk, geoms, present, family, opts.make_valid)
    if family == "point":
        return _single_points(chk, geoms, present, repaired)
    out = _transform_shapes(chk, geoms, present)
    _flag_outside_shapes(chk, out, present)
    out = _to_multi(out, family)
    hexes = np.full(chk.n, None, dtype=object)
    if present.any():
        with_srid = shapely.set_srid(out[present], STORAGE_SRID)
        hexes[present] = shapely.to_wkb(with_srid, hex=True, include_srid=True)
    return CheckedGeometry(
        pd.Series(hexes, dtype=object),
        np.full(chk.n, np.nan),
        np.full(chk.n, np.nan),
        present,
        repaired,
    )


def _present_geoms(geoms: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(a copy of the geometries with None where missing, rows with a non-empty geometry)."""
    missing = pd.isna(geoms) | shapely.is_missing(geoms)
    geoms = geoms.astype(object)  # a copy
    geoms[missing] = None
    is_empty = np.zeros(n, bool)
    is_empty[~missing] = shapely.is_empty(geoms[~missing])
    return geoms, ~missing & ~is_empty


def _wrong_types(chk: _Checks, geoms: np.ndarray, present: np.ndarray, family: str) -> np.ndarray:
    """Rows whose geometry is not of the layer's family (flagged, per type found)."""
    allowed = F.GEOM_TYPES[family]
    type_names = np.full(chk.n, "", dtype=object)
    if present.any():
        type_names[present] = [
            TYPE_NAMES.get(int(t), "?") for t in shapely.get_type_id(geoms[present])
        ]
    wrong = present & ~np.isin(type_names, allowed)
    if family == "point":
        _unwrap_single_multipoints(geoms, wrong, type_names)
    for t in sorted(set(type_names[wrong])):
        chk.flag(
            wrong & (type_names == t), "wrong_geometry_type", expected="/".join(allowed), got=t
        )
    return wrong


def _unwrap_single_multipoints(
    geoms: np.ndarray, wrong: np.ndarray, type_names: np.ndarray
) -> None:
    """A MultiPoint of a single point is still a point (both arrays changed in place)."""
    single = wrong & (type_names == "MultiPoint")
    for i in np.flatnonzero(single):
        if len(geoms[i].geoms) == 1:
            geoms[i] = geoms[i].geoms[0]
            wrong[i] = False


def _check_validity(
    chk: _Checks, geoms: np.ndarray, present: np.ndarray, family: str, make_valid: bool
) -> tuple[np.ndarray, int]:
    """(rows still present, geometries repaired): invalid geometries are repaired with
    make_valid when asked, else reported with GEOS's reason."""
    valid = np.ones(chk.n, bool)
    valid[present] = shapely.is_valid(geoms[present])
    invalid = present & ~valid
    if not invalid.any():
        return present, 0
    if make_valid:
        return _repair(chk, geoms, present, invalid, family)
    reasons = shapely.is_valid_reason(geoms[invalid])
    reason_col = np.full(chk.n, "", dtype=object)
    reason_col[invalid] = reasons
    for r in sorted(set(reasons)):
        chk.flag(invalid & (reason_col == r), "invalid_geometry", reason=r)
    return present & ~invalid, 0


def _repair(
    chk: _Checks, geoms: np.ndarray, present: np.ndarray, invalid: np.ndarray, family: str
) -> tuple[np.ndarray, int]:
    """make_valid the invalid geometries (in place); those that come back empty are issues."""
    fixed = _extract(shapely.make_valid(geoms[invalid]), family)
    geoms[invalid] = fixed
    still = pd.isna(fixed) | shapely.is_empty(np.where(pd.isna(fixed), shapely.Point(), fixed))
    bad = np.zeros(chk.n, bool)
    bad[np.flatnonzero(invalid)[still]] = True
    chk.flag(bad, "invalid_geometry", reason="make_valid left nothing")
    return present & ~bad, int(invalid.sum() - bad.sum())


def _single_points(
    chk: _Checks, geoms: np.ndarray, present: np.ndarray, repaired: int
) -> CheckedGeometry:
    """Point geometries -> their coordinates, then the checks of points."""
    pts = geoms[present]
    coords = shapely.get_coordinates(pts)
    if len(coords) != len(pts):  # pragma: no cover - points have one coordinate each
        raise RuntimeError("point count mismatch")
    ox = np.full(chk.n, np.nan)
    oy = np.full(chk.n, np.nan)
    ox[present], oy[present] = coords[:, 0], coords[:, 1]
    return _points_out(chk, ox, oy, present, repaired)


def _transform_shapes(chk: _Checks, geoms: np.ndarray, present: np.ndarray) -> np.ndarray:
    """The geometries in EPSG:3006; those invalid after the transformation are issues (and
    no longer present: ``present`` is changed in place)."""
    out = np.full(chk.n, None, dtype=object)
    if not present.any():
        return out
    moved = transform_geoms(geoms[present], chk.crs)
    ok = ~shapely.is_empty(moved) & shapely.is_valid(moved)
    if not ok.all():
        bad = np.zeros(chk.n, bool)
        bad[np.flatnonzero(present)[~ok]] = True
        chk.flag(bad, "invalid_geometry", reason="invalid after transformation to EPSG:3006")
    out[present] = moved
    present[np.flatnonzero(present)[~ok]] = False
    return out


def _flag_outside_shapes(chk: _Checks, out: np.ndarray, present: np.ndarray) -> None:
    where = np.full(chk.n, "", dtype=object)
    where[present] = chk.ctx.working_area.check_geoms(out[present])
    for code in ("outside_sweden", "outside_working_area"):
        chk.flag(where == code, code)


def _to_multi(geoms: np.ndarray, family: str) -> np.ndarray:
    out = geoms.copy()
    for i, g in enumerate(geoms):
        if g is None:
            continue
        t = g.geom_type
        if family == "polygon" and t == "Polygon":
            out[i] = MultiPolygon([g])
        elif family == "line" and t == "LineString":
            out[i] = MultiLineString([g])
    return out


def _family_parts(g: object, family: str) -> object:
    """The parts of a collection that belong to the family, as one geometry (None if none)."""
    want = _FAMILY_TYPE_IDS[family]
    parts = [p for p in getattr(g, "geoms", []) if shapely.get_type_id(p) in want]
    if not parts:
        return None
    if family == "polygon":
        polys = [q for p in parts for q in (p.geoms if p.geom_type == "MultiPolygon" else [p])]
        return MultiPolygon(polys)
    if family == "line":
        lines = [q for p in parts for q in (p.geoms if p.geom_type == "MultiLineString" else [p])]
        return MultiLineString(lines)
    return parts[0]


def _extract(geoms: np.ndarray, family: str) -> np.ndarray:
    """After make_valid: keep the parts of the layer's family (a collection may come back)."""
    want = _FAMILY_TYPE_IDS[family]
    out = geoms.copy()
    for i, g in enumerate(geoms):
        if g is None or shapely.get_type_id(g) in want:
            continue
        out[i] = _family_parts(g, family)
    return out


# --- where the points are -----------------------------------------------------------------------


def _lonlat_text(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], list]:
    """Positions for messages, in WGS84 (what people recognise), labelled, for flagged rows only."""

    def at(idx: np.ndarray) -> list:
        from pax_geo.ingest.geo import transformer

        lon, lat = transformer(STORAGE_SRID, 4326).transform(x[idx], y[idx])
        return [f"lat {la:.5f}, lon {lo:.5f}" for lo, la in zip(lon, lat, strict=True)]

    return at


def _where_checks(
    chk: _Checks,
    present: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    file_x: np.ndarray,
    file_y: np.ndarray,
) -> None:
    """Points (EPSG:3006) outside Sweden / the working area. A WGS84 point outside Sweden whose
    latitude and longitude exchanged would be in Sweden is reported as swapped, with both
    readings labelled (file_x/file_y: the file's own lon/lat)."""
    codes = np.full(chk.n, "", dtype=object)
    codes[present] = chk.ctx.working_area.check_points(x[present], y[present])
    swapped = _swapped_lonlat(chk, codes, file_x, file_y)
    for code in ("outside_sweden", "outside_working_area"):
        chk.flag((codes == code) & ~swapped, code, _lonlat_text(x, y))


def _swapped_lonlat(
    chk: _Checks, codes: np.ndarray, file_x: np.ndarray, file_y: np.ndarray
) -> np.ndarray:
    """WGS84 points outside Sweden that are inside with latitude and longitude exchanged
    (each one an issue)."""
    swapped = np.zeros(chk.n, bool)
    out = np.flatnonzero(codes == "outside_sweden")
    if chk.crs != WGS84 or not len(out):
        return swapped
    sx, sy = transform_xy(file_y[out], file_x[out], WGS84)
    fine = np.isfinite(sx) & np.isfinite(sy)
    again = np.full(len(out), "outside_sweden", dtype=object)
    if fine.any():
        again[fine] = chk.ctx.working_area.check_points(sx[fine], sy[fine])
    for i in out[again != "outside_sweden"]:
        lon, lat = float(file_x[i]), float(file_y[i])
        swapped[i] = True
        chk.issues.add_one(
            i,
            "lonlat_swapped",
            chk.label,
            chk.column,
            f"lat {lat:.5f}, lon {lon:.5f}",
            lat=f"{lat:.5f}",
            lon=f"{lon:.5f}",
        )
    return swapped
