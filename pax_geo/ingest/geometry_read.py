"""Finding a file's geometry (its own geometries, a WKT/GeoJSON column, or lon/lat or x/y
columns) and its coordinate system: given, from the file, or recognised from the coordinates,
with rows that look like another system than a clear majority reported one by one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from pax_geo.ingest import fields as F
from pax_geo.ingest.convert import as_number, as_text
from pax_geo.ingest.errors import file_error
from pax_geo.ingest.geo import class_label_key, classify_rows, crs_label, detect_crs, majority_class
from pax_geo.ingest.issues import IssueCollector
from pax_geo.ingest.mapping import find_column
from pax_geo.ingest.options import ImportOptions
from pax_geo.ingest.readers import RawTable


@dataclass
class GeometryRead:
    """A file's geometry as read, before any check, in the file's CRS (``crs``)."""

    mode: str  # 'points' (x, y arrays), 'geoms' (shapely array) or 'none'
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    geoms: np.ndarray | None = None
    crs: int | None = None
    note: str = ""
    field_label: str = "geometry"
    column: str | None = None

    def _missing(self, what: str) -> RuntimeError:
        return RuntimeError(f"internal error: geometry read as {self.mode!r} has no {what}")

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """The coordinate arrays (x, y) of ``mode='points'``."""
        if self.x is None or self.y is None:
            raise self._missing("x/y coordinates")
        return self.x, self.y

    def shapes(self) -> np.ndarray:
        """The geometry array of ``mode='geoms'``."""
        if self.geoms is None:
            raise self._missing("geometries")
        return self.geoms

    def known_crs(self) -> int:
        """The CRS, which every read that found a geometry has decided (given or detected)."""
        if self.crs is None:
            raise self._missing("CRS")
        return self.crs


def read_geometry(
    raw: RawTable, tgt: F.Target, opts: ImportOptions, iss: IssueCollector
) -> GeometryRead:
    """The file's geometry (``mode='none'`` when it has none)."""
    if raw.geoms is not None:
        return _read_file_geoms(raw, raw.geoms, opts, iss)
    m = opts.mapping
    lon = find_column(raw, F.LON_ALIASES, m.get("lon"))
    lat = find_column(raw, F.LAT_ALIASES, m.get("lat"))
    xcol = find_column(raw, F.X_ALIASES, m.get("x"))
    ycol = find_column(raw, F.Y_ALIASES, m.get("y"))
    wkt = find_column(raw, F.WKT_ALIASES, m.get("geometry"))
    if lon and lat:
        return _read_coordinate_columns(raw, opts, iss, (lon, lat), "lonlat")
    if xcol and ycol:
        return _read_coordinate_columns(raw, opts, iss, (xcol, ycol), "xy")
    if wkt:
        return _read_geometry_text(raw, opts, iss, wkt)
    return GeometryRead("none")


def _detect_geoms_crs(
    raw: RawTable,
    geoms: np.ndarray,
    ok: np.ndarray,
    iss: IssueCollector,
    col: str | None,
) -> int:
    """The CRS the coordinates of geometries look like; refuse the file when undecidable.
    Geometries that look like another CRS than a clear majority are flagged and blanked."""
    coords = shapely.get_coordinates(geoms[ok]) if ok.any() else np.empty((0, 2))
    crs, swap = detect_crs(coords[:, 0], coords[:, 1]) if len(coords) else (None, False)
    if crs is None:
        ok = ok & ~shapely.is_empty(np.where(ok, geoms, shapely.Point()))
        crs, swap = mixed_geoms(raw, geoms, ok, iss, "geometry", col)
    if crs is None or swap:
        raise file_error(raw.file, "crs_undecidable")
    return crs


def _read_file_geoms(
    raw: RawTable, geoms: np.ndarray, opts: ImportOptions, iss: IssueCollector
) -> GeometryRead:
    """Geometries the file format carries (``raw.geoms``: GeoJSON, GeoPackage, Shapefile,
    GeoParquet)."""
    crs = opts.crs or raw.crs
    note = ""
    if opts.crs and raw.crs and opts.crs != raw.crs:
        note = f"file says {crs_label(raw.crs)}, --crs {crs_label(opts.crs)} used"
    if crs is None:
        present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
        coords = shapely.get_coordinates(geoms[present])
        crs, swap = detect_crs(coords[:, 0], coords[:, 1]) if len(coords) else (None, False)
        if crs is None:
            geoms = geoms.copy()
            crs, swap = mixed_geoms(raw, geoms, present, iss, "geometry", None)
        if crs is None or swap:
            raise file_error(raw.file, "crs_undecidable")
        note = f"no CRS in the file; coordinates look like {crs_label(crs)}"
    return GeometryRead("geoms", geoms=geoms, crs=crs, note=note)


def _read_geometry_text(
    raw: RawTable, opts: ImportOptions, iss: IssueCollector, wkt: str
) -> GeometryRead:
    """A column of WKT or GeoJSON text."""
    n = len(raw)
    t = as_text(raw.attrs[wkt])
    geoms = np.full(n, None, dtype=object)
    present = t.notna().to_numpy()
    parsed = parse_geometry_text(t[present])
    geoms[present] = parsed
    iss.add(present & pd.isna(geoms), "bad_geometry_text", "geometry", wkt, t)
    crs = opts.crs
    note = ""
    if crs is None:
        crs = _detect_geoms_crs(raw, geoms, ~pd.isna(geoms), iss, wkt)
        note = f"no CRS given; coordinates look like {crs_label(crs)}"
    return GeometryRead("geoms", geoms=geoms, crs=crs, note=note, column=wkt)


def _read_coordinate_columns(
    raw: RawTable, opts: ImportOptions, iss: IssueCollector, pair: tuple[str, str], kind: str
) -> GeometryRead:
    """Two number columns: lon/lat (``kind='lonlat'``) or x/y (``kind='xy'``)."""
    xs, bad_x = as_number(raw.attrs[pair[0]])
    ys, bad_y = as_number(raw.attrs[pair[1]])
    label = "lon/lat" if kind == "lonlat" else "x/y"
    iss.add(bad_x, "not_a_number", label, pair[0], raw.attrs[pair[0]])
    iss.add(bad_y & ~bad_x, "not_a_number", label, pair[1], raw.attrs[pair[1]])
    x = xs.to_numpy(dtype=float, na_value=np.nan)
    y = ys.to_numpy(dtype=float, na_value=np.nan)
    one_missing = np.isnan(x) ^ np.isnan(y)
    iss.add(one_missing & ~bad_x & ~bad_y, "coordinate_missing", label, f"{pair[0]}/{pair[1]}")
    crs, note = opts.crs, ""
    if crs is None:
        crs, note, x, y = _detect_points_crs(raw, iss, x, y, kind, label, "/".join(pair))
    return GeometryRead(
        "points", x=x, y=y, crs=crs, note=note, field_label=label, column="/".join(pair)
    )


def _detect_points_crs(
    raw: RawTable,
    iss: IssueCollector,
    x: np.ndarray,
    y: np.ndarray,
    kind: str,
    label: str,
    col: str,
) -> tuple[int, str, np.ndarray, np.ndarray]:
    """(crs, note, x, y): the CRS the coordinates look like, rows of another CRS blanked, the
    axes swapped when the file's X is the northing; refuse the file when undecidable."""
    ok = np.isfinite(x) & np.isfinite(y)
    crs, swap = detect_crs(x[ok], y[ok], kind)
    if crs is None:
        # mixed rows: name the ones that differ from a clear majority (or give up)
        crs, swap, odd = mixed_points(x, y, ok, kind, iss, label, col)
        x = np.where(odd, np.nan, x)
        y = np.where(odd, np.nan, y)
    if crs is None:
        raise file_error(raw.file, "crs_undecidable")
    note = f"no CRS given; {label} columns look like {crs_label(crs)}"
    if swap:
        x, y = y, x
        note += " (axes swapped: the file's X is the northing)"
    return crs, note, x, y


def _num(v: float) -> str:
    """A coordinate for a message: metres whole, degrees with up to 5 decimals."""
    if abs(v) >= 1000:
        return f"{v:.0f}"
    return f"{v:.5f}".rstrip("0").rstrip(".")


def mixed_points(
    x: np.ndarray,
    y: np.ndarray,
    ok: np.ndarray,
    kind: str,
    iss: IssueCollector,
    label: str,
    col: str,
) -> tuple[int | None, bool, np.ndarray]:
    """Rows whose coordinates look like another CRS than a clear majority of the rows: each
    is an issue naming the row, the values and both CRSs. Returns (epsg, swap, odd rows)."""
    odd = np.zeros(len(x), bool)
    idx = np.flatnonzero(ok)
    classes = classify_rows(x[idx], y[idx], kind)
    major, _k = majority_class(classes)
    if major is None:
        return None, False, odd
    for i, c in zip(idx, classes, strict=True):
        if c == major:
            continue
        odd[i] = True
        iss.add_one(
            i,
            "crs_mixed_row",
            label,
            col,
            f"{_num(x[i])}, {_num(y[i])}",
            label=label,
            looks_i18n=class_label_key(c),
            others_i18n=class_label_key(major),
        )
    return major[0], major[1], odd


def _geometry_classes(geoms: np.ndarray, idx: np.ndarray) -> tuple[list, dict]:
    """Per geometry: its coordinates' common CRS class (None when they differ), and its
    first coordinate (for the message)."""
    coords, owner = shapely.get_coordinates(geoms[idx], return_index=True)
    per_coord = classify_rows(coords[:, 0], coords[:, 1])
    classes: list = [None] * len(idx)
    seen = np.zeros(len(idx), bool)
    for j, c in zip(owner, per_coord, strict=True):
        if not seen[j]:
            classes[j], seen[j] = c, True
        elif classes[j] != c:
            classes[j] = None
    first: dict = {}
    for j, xy in zip(owner, coords, strict=True):
        first.setdefault(j, xy)
    return classes, first


def mixed_geoms(
    raw: RawTable,
    geoms: np.ndarray,
    ok: np.ndarray,
    iss: IssueCollector,
    label: str,
    col: str | None,
) -> tuple[int | None, bool]:
    """Like mixed_points for geometries: a geometry's class is its coordinates' common class.
    The odd geometries are flagged and blanked (in place)."""
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return None, False
    classes, first = _geometry_classes(geoms, idx)
    major, _k = majority_class(classes)
    if major is None:
        return None, False
    for j, c in enumerate(classes):
        if c == major:
            continue
        i = idx[j]
        fx, fy = first[j]
        iss.add_one(
            i,
            "crs_mixed_row",
            label,
            col,
            f"{_num(fx)}, {_num(fy)}",
            label_i18n="ingest_crs_coordinates",
            looks_i18n=class_label_key(c),
            others_i18n=class_label_key(major),
        )
        geoms[i] = None
    return major


def parse_geometry_text(t: pd.Series) -> np.ndarray:
    """WKT or GeoJSON text -> 2D shapely geometries (None where unreadable)."""
    vals = t.to_numpy(dtype=object)
    out = np.full(len(vals), None, dtype=object)
    is_json = np.array([v.lstrip().startswith("{") for v in vals], bool)
    if (~is_json).any():
        out[~is_json] = shapely.from_wkt(vals[~is_json], on_invalid="ignore")
    for i in np.flatnonzero(is_json):
        try:
            out[i] = shapely.from_geojson(vals[i])
        except Exception:  # shapely raises GEOSException for bad GeoJSON
            out[i] = None
    return shapely.force_2d(out)
