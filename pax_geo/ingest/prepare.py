"""Validate a read file against a layer and turn it into the rows to load (vectorised).

Every problem becomes an :class:`Issue` naming the row and field. The caller decides: refuse
the file (default) or drop the rows with issues (``--skip-invalid``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiLineString, MultiPolygon
from sqlalchemy import Connection, text

from pax_geo.config import STORAGE_SRID, TIMEZONE
from pax_geo.demo.load import ewkb_points_hex
from pax_geo.ingest import fields as F
from pax_geo.ingest.errors import IngestError, Issue, file_error
from pax_geo.ingest.geo import (
    WGS84,
    WorkingArea,
    class_label_key,
    classify_rows,
    crs_label,
    detect_crs,
    majority_class,
    municipality_polygon,
    transform_geoms,
    transform_xy,
)
from pax_geo.ingest.options import ImportOptions
from pax_geo.ingest.readers import RawTable
from pax_geo.ingest.times import AmbiguousDates, DstPolicy, parse_times_checked

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

#: Clock skew tolerated before a time counts as "in the future".
FUTURE_TOLERANCE = pd.Timedelta(minutes=5)


@dataclass
class Context:
    """What validation needs from the database, read once in the import's transaction."""

    areas: pd.DataFrame
    districts: pd.DataFrame
    indicator_keys: dict[str, str]
    working_area: WorkingArea
    now: pd.Timestamp
    municipality_area_id: int | None = None
    #: night-walk routes (id, source_id, name), for the walk log
    routes: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["id", "source_id", "name"])
    )
    _tree: shapely.STRtree | None = None

    @classmethod
    def load(cls, conn: Connection, tgt: F.Target | None, opts: ImportOptions) -> Context:
        rows = conn.execute(
            text("select id, code, name, kind, st_asbinary(geom) from pax_data.area order by id")
        ).all()
        areas = pd.DataFrame(
            [(r[0], r[1], r[2], r[3]) for r in rows], columns=["id", "code", "name", "kind"]
        )
        districts = pd.DataFrame(
            {
                "id": [r[0] for r in rows if r[3] == "district"],
                "name": [r[2] for r in rows if r[3] == "district"],
                "geom": [shapely.from_wkb(bytes(r[4])) for r in rows if r[3] == "district"],
            }
        )
        keys = dict(conn.execute(text("select key, unit from pax_data.indicator_key")).all())
        area_check = tgt.area_check if tgt is not None else "none"
        wa = WorkingArea.for_import(opts.working_area, conn, area_check)
        muni_id = conn.execute(
            text(
                "select id from pax_data.area where kind = 'municipality' "
                "and lower(name) = lower(:n) order by id limit 1"
            ),
            {"n": opts.municipality},
        ).scalar()
        routes = pd.DataFrame(
            conn.execute(
                text("select id, source_id, name from pax_data.night_walk_route order by id")
            ).all(),
            columns=["id", "source_id", "name"],
        )
        return cls(
            areas=areas,
            districts=districts,
            indicator_keys=keys,
            working_area=wa,
            now=pd.Timestamp.now(tz="UTC"),
            municipality_area_id=muni_id,
            routes=routes,
        )

    def district_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """District id per point (EPSG:3006), or -1; the lowest id wins on shared borders."""
        out = np.full(len(x), -1, dtype=np.int64)
        if len(self.districts) == 0 or len(x) == 0:
            return out
        for area_id, geom in zip(self.districts["id"], self.districts["geom"], strict=True):
            shapely.prepare(geom)
            x0, y0, x1, y1 = geom.bounds
            idx = np.flatnonzero((out < 0) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
            if len(idx):
                hit = shapely.intersects_xy(geom, x[idx], y[idx])
                out[idx[hit]] = area_id
        return out


@dataclass
class Prepared:
    """The rows to load: ``frame`` has database column names; its index is the file row - 1."""

    target: F.Target
    frame: pd.DataFrame
    issues: list[Issue]
    rows_read: int
    mapping: dict[str, str | None]
    crs: int | None = None
    crs_note: str = ""
    repaired: int = 0
    new_keys: list[dict] = field(default_factory=list)
    bad_rows: np.ndarray | None = None

    @property
    def rejected(self) -> int:
        return int(self.bad_rows.sum()) if self.bad_rows is not None else 0


class _Issues:
    def __init__(self, n: int) -> None:
        self.items: list[Issue] = []
        self.bad = np.zeros(n, bool)

    def add(
        self,
        mask: np.ndarray,
        code: str,
        field_name: str | None,
        column: str | None = None,
        values: pd.Series | np.ndarray | Callable[[np.ndarray], list] | None = None,
        **params: object,
    ) -> None:
        idx = np.flatnonzero(np.asarray(mask, bool))
        if len(idx) == 0:
            return
        self.bad[idx] = True
        if values is None:
            vals = [None] * len(idx)
        elif callable(values):
            vals = list(values(idx))
        else:
            arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
            vals = [arr[i] for i in idx]
        for i, v in zip(idx, vals, strict=True):
            v = None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            self.items.append(Issue(code, int(i) + 1, field_name, column, v, dict(params)))

    def add_one(
        self,
        i: int,
        code: str,
        field_name: str | None,
        column: str | None,
        value: object = None,
        **params: object,
    ) -> None:
        self.bad[i] = True
        v = None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
        self.items.append(Issue(code, int(i) + 1, field_name, column, v, dict(params)))

    def flagged(self, fields: set[str], n: int) -> np.ndarray:
        m = np.zeros(n, bool)
        for it in self.items:
            if it.field in fields and it.row is not None:
                m[it.row - 1] = True
        return m


# --- column mapping ---------------------------------------------------------------------------


def resolve_mapping(raw: RawTable, tgt: F.Target, opts: ImportOptions) -> dict[str, str | None]:
    """field -> column of the file (explicit --map first, then the aliases)."""
    by_norm: dict[str, str] = {}
    for c in raw.attrs.columns:
        by_norm.setdefault(F.norm(c), str(c))
    out: dict[str, str | None] = {}
    used: set[str] = set()
    for f in tgt.fields:
        if f.name in opts.mapping:
            col = opts.mapping[f.name]
            if col in ("", None):
                out[f.name] = None
                continue
            if col not in raw.attrs.columns:
                raise file_error(
                    raw.file,
                    "mapped_column_missing",
                    field=f.name,
                    column=col,
                    columns=", ".join(map(str, raw.attrs.columns))[:400],
                )
            out[f.name] = col
            used.add(col)
    for f in tgt.fields:
        if f.name in out:
            continue
        out[f.name] = None
        if f.name in opts.defaults:
            continue
        for alias in (f.name, *f.aliases):
            col = by_norm.get(F.norm(alias))
            if col is not None and col not in used:
                out[f.name] = col
                used.add(col)
                break
    return out


def _missing_required(raw: RawTable, tgt: F.Target, mapping: dict, opts: ImportOptions) -> None:
    for f in tgt.fields:
        if not f.required or mapping.get(f.name) or f.name in opts.defaults:
            continue
        if f.fallback and (mapping.get(f.fallback) or f.fallback in opts.defaults):
            continue
        raise file_error(
            raw.file,
            "missing_field",
            field=f.name,
            aliases=", ".join(dict.fromkeys((f.name, *f.aliases)).keys()),
            columns=", ".join(map(str, raw.attrs.columns))[:400],
        )


# --- conversions ------------------------------------------------------------------------------


def _as_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        integral = np.isfinite(vals) & (vals == np.round(vals))
        out = s.astype("str")
        if integral.any():
            out[integral] = [str(int(v)) for v in vals[integral]]
        out = out.mask(s.isna())
    elif s.dtype == object:
        out = s.map(lambda v: v if v is None or isinstance(v, str) else str(v)).astype("str")
    else:
        out = s.astype("str")
    out = out.str.strip()
    return out.mask(out == "")


def _as_number(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = s.astype(float)
        return num, np.zeros(len(s), bool)
    t = _as_text(s)
    cleaned = t.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    cleaned = cleaned.str.replace(",", ".", regex=False)
    num = pd.to_numeric(cleaned, errors="coerce").astype(float)
    bad = (t.notna() & (num.isna() | ~np.isfinite(num.fillna(0)))).to_numpy()
    return num, bad


def _enum(f: F.Field, s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    t = _as_text(s).str.lower()
    if f.synonyms:
        t = t.replace(F.SYNONYMS[f.synonyms])
    bad = (t.notna() & ~t.isin(f.choices)).to_numpy()
    return t, bad


def _content_hash(raw: RawTable) -> np.ndarray:
    attrs = raw.attrs.astype("str")
    h = pd.util.hash_pandas_object(attrs, index=False).to_numpy()
    if raw.geoms is not None:
        wkb = shapely.to_wkb(raw.geoms, hex=True)
        hg = pd.util.hash_array(np.asarray(wkb, dtype=object))
        h = h ^ (hg * np.uint64(0x9E3779B97F4A7C15))
    return h


def derived_ids(raw: RawTable) -> pd.Series:
    """Ids for files without an id column: content hash + occurrence among identical rows, so
    re-importing the same file (in any row order) gives the same ids."""
    h = pd.Series(_content_hash(raw))
    occ = h.groupby(h).cumcount().to_numpy()
    hexes = np.char.mod("%016x", h.to_numpy())
    return pd.Series(np.char.add(np.char.add("h", hexes), np.char.add("-", occ.astype(str))))


# --- geometry ---------------------------------------------------------------------------------


@dataclass
class _Geom:
    mode: str  # 'points' (x, y arrays), 'geoms' (shapely array) or 'none'
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    geoms: np.ndarray | None = None
    crs: int | None = None
    note: str = ""
    field_label: str = "geometry"
    column: str | None = None


def _find(raw: RawTable, aliases: tuple[str, ...], override: str | None) -> str | None:
    if override:
        if override not in raw.attrs.columns:
            raise file_error(
                raw.file,
                "mapped_column_missing",
                field="geometry",
                column=override,
                columns=", ".join(map(str, raw.attrs.columns))[:400],
            )
        return override
    by_norm = {F.norm(c): str(c) for c in raw.attrs.columns}
    for a in aliases:
        if F.norm(a) in by_norm:
            return by_norm[F.norm(a)]
    return None


def _read_geometry(raw: RawTable, tgt: F.Target, opts: ImportOptions, iss: _Issues) -> _Geom:
    n = len(raw)
    if raw.geoms is not None:
        geoms = raw.geoms
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
                crs, swap = _mixed_geoms(raw, geoms, present, iss, "geometry", None)
            if crs is None or swap:
                raise file_error(raw.file, "crs_undecidable")
            note = f"no CRS in the file; coordinates look like {crs_label(crs)}"
        return _Geom("geoms", geoms=geoms, crs=crs, note=note)

    m = opts.mapping
    lon = _find(raw, F.LON_ALIASES, m.get("lon"))
    lat = _find(raw, F.LAT_ALIASES, m.get("lat"))
    xcol = _find(raw, F.X_ALIASES, m.get("x"))
    ycol = _find(raw, F.Y_ALIASES, m.get("y"))
    wkt = _find(raw, F.WKT_ALIASES, m.get("geometry"))
    if lon and lat:
        pair, kind = (lon, lat), "lonlat"
    elif xcol and ycol:
        pair, kind = (xcol, ycol), "xy"
    elif wkt:
        pair, kind = None, "wkt"
    else:
        return _Geom("none")

    if kind == "wkt":
        t = _as_text(raw.attrs[wkt])
        geoms = np.full(n, None, dtype=object)
        present = t.notna().to_numpy()
        parsed = _parse_geometry_text(t[present])
        geoms[present] = parsed
        iss.add(present & pd.isna(geoms), "bad_geometry_text", "geometry", wkt, t)
        crs = opts.crs
        note = ""
        if crs is None:
            ok = ~pd.isna(geoms)
            coords = shapely.get_coordinates(geoms[ok]) if ok.any() else np.empty((0, 2))
            crs, swap = detect_crs(coords[:, 0], coords[:, 1]) if len(coords) else (None, False)
            if crs is None:
                ok &= ~shapely.is_empty(np.where(ok, geoms, shapely.Point()))
                crs, swap = _mixed_geoms(raw, geoms, ok, iss, "geometry", wkt)
            if crs is None or swap:
                raise file_error(raw.file, "crs_undecidable")
            note = f"no CRS given; coordinates look like {crs_label(crs)}"
        return _Geom("geoms", geoms=geoms, crs=crs, note=note, column=wkt)

    xs, bad_x = _as_number(raw.attrs[pair[0]])
    ys, bad_y = _as_number(raw.attrs[pair[1]])
    label = "lon/lat" if kind == "lonlat" else "x/y"
    iss.add(bad_x, "not_a_number", label, pair[0], raw.attrs[pair[0]])
    iss.add(bad_y & ~bad_x, "not_a_number", label, pair[1], raw.attrs[pair[1]])
    x = xs.to_numpy(dtype=float, na_value=np.nan)
    y = ys.to_numpy(dtype=float, na_value=np.nan)
    one_missing = np.isnan(x) ^ np.isnan(y)
    iss.add(one_missing & ~bad_x & ~bad_y, "coordinate_missing", label, f"{pair[0]}/{pair[1]}")
    ok = np.isfinite(x) & np.isfinite(y)
    crs, note, swap = opts.crs, "", False
    if crs is None:
        crs, swap = detect_crs(x[ok], y[ok], kind)
        if crs is None:
            # mixed rows: name the ones that differ from a clear majority (or give up)
            crs, swap, odd = _mixed_points(x, y, ok, kind, iss, label, "/".join(pair))
            x = np.where(odd, np.nan, x)
            y = np.where(odd, np.nan, y)
        if crs is None:
            raise file_error(raw.file, "crs_undecidable")
        note = f"no CRS given; {label} columns look like {crs_label(crs)}"
        if swap:
            x, y = y, x
            note += " (axes swapped: the file's X is the northing)"
    return _Geom("points", x=x, y=y, crs=crs, note=note, field_label=label, column="/".join(pair))


def _num(v: float) -> str:
    """A coordinate for a message: metres whole, degrees with up to 5 decimals."""
    if abs(v) >= 1000:
        return f"{v:.0f}"
    return f"{v:.5f}".rstrip("0").rstrip(".")


def _mixed_points(
    x: np.ndarray, y: np.ndarray, ok: np.ndarray, kind: str, iss: _Issues, label: str, col: str
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


def _mixed_geoms(
    raw: RawTable, geoms: np.ndarray, ok: np.ndarray, iss: _Issues, label: str, col: str | None
) -> tuple[int | None, bool]:
    """Like _mixed_points for geometries: a geometry's class is its coordinates' common class.
    The odd geometries are flagged and blanked (in place)."""
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return None, False
    coords, owner = shapely.get_coordinates(geoms[idx], return_index=True)
    per_coord = classify_rows(coords[:, 0], coords[:, 1])
    classes: list = [None] * len(idx)
    seen = np.zeros(len(idx), bool)
    for j, c in zip(owner, per_coord, strict=True):
        if not seen[j]:
            classes[j], seen[j] = c, True
        elif classes[j] != c:
            classes[j] = None
    major, _k = majority_class(classes)
    if major is None:
        return None, False
    first = {}
    for j, xy in zip(owner, coords, strict=True):
        first.setdefault(j, xy)
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


def _parse_geometry_text(t: pd.Series) -> np.ndarray:
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


def _extract(geoms: np.ndarray, family: str) -> np.ndarray:
    """After make_valid: keep the parts of the layer's family (a collection may come back)."""
    want = {"polygon": (3, 6), "line": (1, 5), "point": (0, 4)}[family]
    out = geoms.copy()
    for i, g in enumerate(geoms):
        if g is None or shapely.get_type_id(g) in want:
            continue
        parts = [p for p in getattr(g, "geoms", []) if shapely.get_type_id(p) in want]
        if not parts:
            out[i] = None
        elif family == "polygon":
            polys = [q for p in parts for q in (p.geoms if p.geom_type == "MultiPolygon" else [p])]
            out[i] = MultiPolygon(polys)
        elif family == "line":
            lines = [
                q for p in parts for q in (p.geoms if p.geom_type == "MultiLineString" else [p])
            ]
            out[i] = MultiLineString(lines)
        else:
            out[i] = parts[0]
    return out


@dataclass
class _GeomOut:
    ewkb: pd.Series  # hex EWKB in 3006, None where absent
    x: np.ndarray  # point coordinates in 3006 (NaN where absent / not points)
    y: np.ndarray
    present: np.ndarray
    repaired: int = 0


def _check_geometry(
    g: _Geom, tgt: F.Target, opts: ImportOptions, ctx: Context, iss: _Issues, n: int
) -> _GeomOut:
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    empty = pd.Series([None] * n, dtype=object)
    if g.mode == "none":
        return _GeomOut(empty, x, y, np.zeros(n, bool))
    family = tgt.geometry
    label, col = g.field_label, g.column
    if g.mode == "points":
        present = np.isfinite(g.x) & np.isfinite(g.y)
        if family != "point":
            iss.add(present, "wrong_geometry_type", label, col, expected=family, got="Point")
            return _GeomOut(empty, x, y, np.zeros(n, bool))
        tx, ty = transform_xy(g.x[present], g.y[present], g.crs)
        x[present], y[present] = tx, ty
        bad_t = present.copy()
        bad_t[present] = ~(np.isfinite(tx) & np.isfinite(ty))
        iss.add(bad_t, "bad_coordinates", label, col)
        present &= ~bad_t
        _where_checks(ctx, iss, present, x, y, g.x, g.y, g.crs, label, col)
        hexes = np.full(n, None, dtype=object)
        if present.any():
            hexes[present] = ewkb_points_hex(x[present], y[present], STORAGE_SRID)
        return _GeomOut(pd.Series(hexes, dtype=object), x, y, present)

    geoms = g.geoms
    missing = pd.isna(geoms) | shapely.is_missing(geoms)
    geoms = np.where(missing, None, geoms)
    is_empty = np.zeros(n, bool)
    is_empty[~missing] = shapely.is_empty(geoms[~missing])
    present = ~missing & ~is_empty
    if tgt.geom_required:
        iss.add(~present & ~iss.flagged(GEOM_FIELDS, n), "empty_geometry", label, col)
    allowed = F.GEOM_TYPES[family]
    type_names = np.full(n, "", dtype=object)
    if present.any():
        type_names[present] = [
            TYPE_NAMES.get(int(t), "?") for t in shapely.get_type_id(geoms[present])
        ]
    wrong = present & ~np.isin(type_names, allowed)
    # a MultiPoint of a single point is still a point
    if family == "point":
        single = wrong & (type_names == "MultiPoint")
        for i in np.flatnonzero(single):
            if len(geoms[i].geoms) == 1:
                geoms[i] = geoms[i].geoms[0]
                wrong[i] = False
    for t in sorted(set(type_names[wrong])):
        iss.add(
            wrong & (type_names == t),
            "wrong_geometry_type",
            label,
            col,
            expected="/".join(allowed),
            got=t,
        )
    present &= ~wrong
    valid = np.ones(n, bool)
    valid[present] = shapely.is_valid(geoms[present])
    invalid = present & ~valid
    repaired = 0
    if invalid.any():
        if opts.make_valid:
            fixed = _extract(shapely.make_valid(geoms[invalid]), family)
            geoms[invalid] = fixed
            still = pd.isna(fixed) | shapely.is_empty(
                np.where(pd.isna(fixed), shapely.Point(), fixed)
            )
            bad = np.zeros(n, bool)
            bad[np.flatnonzero(invalid)[still]] = True
            iss.add(bad, "invalid_geometry", label, col, reason="make_valid left nothing")
            present &= ~bad
            repaired = int(invalid.sum() - bad.sum())
        else:
            reasons = shapely.is_valid_reason(geoms[invalid])
            reason_col = np.full(n, "", dtype=object)
            reason_col[invalid] = reasons
            for r in sorted(set(reasons)):
                iss.add(invalid & (reason_col == r), "invalid_geometry", label, col, reason=r)
            present &= ~invalid
    if family == "point":
        pts = geoms[present]
        coords = shapely.get_coordinates(pts)
        if len(coords) != len(pts):  # pragma: no cover - points have one coordinate each
            raise RuntimeError("point count mismatch")
        tx, ty = transform_xy(coords[:, 0], coords[:, 1], g.crs)
        x[present], y[present] = tx, ty
        ox = np.full(n, np.nan)
        oy = np.full(n, np.nan)
        ox[present], oy[present] = coords[:, 0], coords[:, 1]
        bad_t = present.copy()
        bad_t[present] = ~(np.isfinite(tx) & np.isfinite(ty))
        iss.add(bad_t, "bad_coordinates", label, col)
        present &= ~bad_t
        _where_checks(ctx, iss, present, x, y, ox, oy, g.crs, label, col)
        hexes = np.full(n, None, dtype=object)
        if present.any():
            hexes[present] = ewkb_points_hex(x[present], y[present], STORAGE_SRID)
        return _GeomOut(pd.Series(hexes, dtype=object), x, y, present, repaired)

    out = np.full(n, None, dtype=object)
    if present.any():
        moved = transform_geoms(geoms[present], g.crs)
        ok = ~shapely.is_empty(moved) & shapely.is_valid(moved)
        if not ok.all():
            bad = np.zeros(n, bool)
            bad[np.flatnonzero(present)[~ok]] = True
            iss.add(
                bad,
                "invalid_geometry",
                label,
                col,
                reason="invalid after transformation to EPSG:3006",
            )
        out[present] = moved
        present[np.flatnonzero(present)[~ok]] = False
    where = np.full(n, "", dtype=object)
    where[present] = ctx.working_area.check_geoms(out[present])
    for code in ("outside_sweden", "outside_working_area"):
        iss.add(where == code, code, label, col)
    out = _to_multi(out, family)
    hexes = np.full(n, None, dtype=object)
    if present.any():
        with_srid = shapely.set_srid(out[present], STORAGE_SRID)
        hexes[present] = shapely.to_wkb(with_srid, hex=True, include_srid=True)
    return _GeomOut(pd.Series(hexes, dtype=object), x, y, present, repaired)


def _lonlat_text(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], list]:
    """Positions for messages, in WGS84 (what people recognise), labelled, for flagged rows only."""

    def at(idx: np.ndarray) -> list:
        from pax_geo.ingest.geo import transformer

        lon, lat = transformer(STORAGE_SRID, 4326).transform(x[idx], y[idx])
        return [f"lat {la:.5f}, lon {lo:.5f}" for lo, la in zip(lon, lat, strict=True)]

    return at


def _where_checks(
    ctx: Context,
    iss: _Issues,
    present: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    file_x: np.ndarray,
    file_y: np.ndarray,
    crs: int | None,
    label: str,
    col: str | None,
) -> None:
    """Points (EPSG:3006) outside Sweden / the working area. A WGS84 point outside Sweden whose
    latitude and longitude exchanged would be in Sweden is reported as swapped, with both
    readings labelled (file_x/file_y: the file's own lon/lat)."""
    n = len(x)
    codes = np.full(n, "", dtype=object)
    codes[present] = ctx.working_area.check_points(x[present], y[present])
    swapped = np.zeros(n, bool)
    out = np.flatnonzero(codes == "outside_sweden")
    if crs == WGS84 and len(out):
        sx, sy = transform_xy(file_y[out], file_x[out], WGS84)
        fine = np.isfinite(sx) & np.isfinite(sy)
        again = np.full(len(out), "outside_sweden", dtype=object)
        if fine.any():
            again[fine] = ctx.working_area.check_points(sx[fine], sy[fine])
        for i in out[again != "outside_sweden"]:
            lon, lat = float(file_x[i]), float(file_y[i])
            swapped[i] = True
            iss.add_one(
                i,
                "lonlat_swapped",
                label,
                col,
                f"lat {lat:.5f}, lon {lon:.5f}",
                lat=f"{lat:.5f}",
                lon=f"{lon:.5f}",
            )
    for code in ("outside_sweden", "outside_working_area"):
        iss.add((codes == code) & ~swapped, code, label, col, _lonlat_text(x, y))


# --- area references --------------------------------------------------------------------------


#: When a name fits areas of several kinds (the district Hovsjö and the vulnerable area Hovsjö),
#: the first kind in this order wins.
KIND_PRIORITY = ("district", "municipality", "vulnerable_area", "deso")


def _pick(hits: list[tuple[int, str]]) -> int:
    """The one area meant, -1 for none, -2 when it stays ambiguous."""
    if not hits:
        return -1
    if len(hits) == 1:
        return hits[0][0]
    for kind in KIND_PRIORITY:
        of_kind = [i for i, k in hits if k == kind]
        if len(of_kind) == 1:
            return of_kind[0]
        if len(of_kind) > 1:
            return -2
    return -2


def _resolve_refs(
    t: pd.Series, first: dict[str, list], second: dict[str, list], pick: Callable[[list], int]
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Text references -> database ids, looked up case-insensitively in ``first`` (codes, ids),
    then in ``second`` (names). ``pick`` turns the hits into an id, -1 (none) or -2 (ambiguous).
    Returns (ids as Int64, unknown mask, ambiguous mask)."""
    ids = np.full(len(t), -1, dtype=np.int64)
    unknown = np.zeros(len(t), bool)
    ambiguous = np.zeros(len(t), bool)
    cache: dict[str, int] = {}
    for pos, v in enumerate(t.to_numpy(dtype=object)):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        key = str(v).strip().lower()
        if key not in cache:
            cache[key] = pick(first.get(key) or second.get(key) or [])
        r = cache[key]
        if r == -1:
            unknown[pos] = True
        elif r == -2:
            ambiguous[pos] = True
        else:
            ids[pos] = r
    return pd.Series(ids).where(ids >= 0).astype("Int64"), unknown, ambiguous


def _resolve_areas(
    t: pd.Series, ctx: Context, kind_hint: str | None
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Area code or name -> id (see _resolve_refs; ties broken by area kind)."""
    areas = ctx.areas
    if kind_hint:
        areas = areas[areas["kind"] == kind_hint]
    code_map: dict[str, list[tuple[int, str]]] = {}
    name_map: dict[str, list[tuple[int, str]]] = {}
    for i, c, nm, k in zip(areas["id"], areas["code"], areas["name"], areas["kind"], strict=True):
        code_map.setdefault(str(c).strip().lower(), []).append((int(i), str(k)))
        name_map.setdefault(str(nm).strip().lower(), []).append((int(i), str(k)))
    return _resolve_refs(t, code_map, name_map, _pick)


def _pick_route(hits: list[int]) -> int:
    if not hits:
        return -1
    return hits[0] if len(set(hits)) == 1 else -2


def _resolve_routes(t: pd.Series, routes: pd.DataFrame) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Route id (its source_id) or name -> database id (see _resolve_refs). A name shared by
    several routes (of different organisations, say) is ambiguous; the id is not."""
    by_id: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for i, sid, name in zip(routes["id"], routes["source_id"], routes["name"], strict=True):
        by_id.setdefault(str(sid).strip().lower(), []).append(int(i))
        by_name.setdefault(str(name).strip().lower(), []).append(int(i))
    return _resolve_refs(t, by_id, by_name, _pick_route)


# --- the main entry ---------------------------------------------------------------------------


def prepare(
    raw: RawTable, tgt: F.Target, opts: ImportOptions, ctx: Context, source: str
) -> Prepared:
    n = len(raw)
    iss = _Issues(n)
    mapping = resolve_mapping(raw, tgt, opts)
    _missing_required(raw, tgt, mapping, opts)
    unknown_defaults = sorted(set(opts.defaults) - set(tgt.field_names))
    if unknown_defaults:
        raise file_error(
            raw.file, "unknown_field", field=unknown_defaults[0], fields=", ".join(tgt.field_names)
        )

    vals: dict[str, pd.Series | None] = {}
    for f in tgt.fields:
        col = mapping.get(f.name)
        if col is not None:
            s = raw.attrs[col].reset_index(drop=True)
        elif f.name in opts.defaults:
            s = pd.Series([opts.defaults[f.name]] * n, dtype=object)
            col = f"--set {f.name}"
        else:
            vals[f.name] = None
            continue
        vals[f.name] = _convert(f, s, col, iss, ctx, raw, opts)
    for f in tgt.fields:  # fallbacks (area code <- name)
        if f.fallback and vals.get(f.fallback) is not None:
            if vals[f.name] is None:
                vals[f.name] = vals[f.fallback].copy()
            else:
                vals[f.name] = vals[f.name].fillna(vals[f.fallback])
    for f in tgt.fields:
        if f.required and vals.get(f.name) is not None:
            empty = vals[f.name].isna().to_numpy()
            # the converters already reported values that are present but wrong
            iss.add(
                empty & ~_already(iss, f.name, n), "required_empty", f.name, mapping.get(f.name)
            )

    geom = _read_geometry(raw, tgt, opts, iss) if tgt.geometry else _Geom("none")
    if tgt.geometry and tgt.geom_required and geom.mode == "none":
        raise file_error(
            raw.file,
            "no_geometry",
            columns=", ".join(map(str, raw.attrs.columns))[:400],
        )
    go = _check_geometry(geom, tgt, opts, ctx, iss, n)

    frame = pd.DataFrame(index=pd.RangeIndex(n))
    builder = _BUILDERS.get(tgt.table)
    new_keys = builder(frame, vals, go, geom, tgt, opts, ctx, iss, mapping, raw) if builder else []

    # identity
    if "source_id" in tgt.field_names and vals.get("source_id") is not None:
        sid = vals["source_id"]
        iss.add(sid.isna().to_numpy(), "required_empty", "source_id", mapping.get("source_id"))
    elif tgt.derived_id == "hash":
        sid = derived_ids(raw)
    else:
        sid = _format_ids(tgt.derived_id or "", frame)
    frame["source_id"] = sid.to_numpy()
    if "source" not in frame.columns:
        frame["source"] = source
    else:
        frame["source"] = frame["source"].fillna(source)
    key_cols = [c for c in tgt.conflict]
    key_frame = (
        frame[key_cols] if all(c in frame.columns for c in key_cols) else frame[["source_id"]]
    )
    dup = key_frame.duplicated(keep="first").to_numpy() & key_frame.notna().all(axis=1).to_numpy()
    if dup.any():
        first = (
            key_frame.reset_index()
            .groupby(list(key_frame.columns), dropna=True)["index"]
            .transform("min")
        )
        dup_field = "source_id" if vals.get("source_id") is not None else tgt.conflict[-1]
        if tgt.table == "pax_data.area":
            dup_field = "code"
        sids = frame["source_id"].to_numpy(dtype=object)
        for i in np.flatnonzero(dup):
            iss.add_one(
                i,
                "duplicate_id",
                dup_field,
                mapping.get(dup_field),
                sids[i],
                first=int(first.iloc[i]) + 1,
            )

    bad = iss.bad
    return Prepared(
        target=tgt,
        frame=frame,
        issues=sorted(iss.items, key=lambda i: (i.row or 0, i.field or "")),
        rows_read=n,
        mapping=mapping,
        crs=geom.crs,
        crs_note=geom.note,
        repaired=go.repaired,
        new_keys=new_keys or [],
        bad_rows=bad,
    )


def _already(iss: _Issues, field_name: str, n: int) -> np.ndarray:
    return iss.flagged({field_name}, n)


GEOM_FIELDS = {"geometry", "lon/lat", "x/y", "area"}


def _format_ids(fmt: str, frame: pd.DataFrame) -> pd.Series:
    names = [p.split("}")[0] for p in fmt.split("{")[1:]]
    result = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    rest = fmt
    for name in names:
        before, rest = rest.split("{" + name + "}", 1)
        col = frame[name].astype("str")
        result = result + before + col.fillna("")
    result = result + rest
    out = result.where(frame[names].notna().all(axis=1))
    return out


def _convert(
    f: F.Field,
    s: pd.Series,
    col: str | None,
    iss: _Issues,
    ctx: Context,
    raw: RawTable,
    opts: ImportOptions | None = None,
) -> pd.Series:
    n = len(s)
    if f.type == "text":
        t = _as_text(s)
        nul = t.str.contains("\x00", regex=False).fillna(False).to_numpy(dtype=bool)
        iss.add(nul, "nul_character", f.name, col, t.str.replace("\x00", "\\0", regex=False))
        return t.where(~nul)
    if f.type in ("int", "float"):
        num, bad = _as_number(s)
        iss.add(bad, "not_a_number", f.name, col, s)
        if f.type == "int":
            frac = num.notna().to_numpy() & (num.fillna(0) % 1 != 0).to_numpy()
            iss.add(frac, "not_an_integer", f.name, col, s)
            big = num.notna().to_numpy() & (num.abs().fillna(0) > 2_000_000_000).to_numpy()
            iss.add(big, "out_of_range", f.name, col, s, low=0, high=2_000_000_000)
            num = num.where(~(frac | big))
            return num.round().astype("Int64")
        return num.where(~bad)
    if f.type == "time":
        policy = DstPolicy(
            opts.ambiguous_time if opts else None, opts.nonexistent_time if opts else None
        )
        try:
            parsed = parse_times_checked(s, policy)
        except AmbiguousDates as exc:
            raise file_error(
                raw.file, "ambiguous_dates", field=f.name, column=col, value=str(exc)
            ) from exc
        t, bad = parsed.times, parsed.bad
        iss.add(bad, "bad_time", f.name, col, s)
        # local times in the DST fold / gap are refused unless the caller chose how to read them
        iss.add(parsed.ambiguous, "ambiguous_local_time", f.name, col, s)
        iss.add(parsed.nonexistent, "nonexistent_local_time", f.name, col, s)
        if f.no_future:
            future = (t > ctx.now + FUTURE_TOLERANCE).fillna(False).to_numpy(dtype=bool)
            iss.add(future, "future_time", f.name, col, s)
        return t
    if f.type == "enum":
        t, bad = _enum(f, s)
        iss.add(bad, "bad_choice", f.name, col, s, choices=", ".join(f.choices))
        return t.where(~bad)
    if f.type == "json":
        out = pd.Series([None] * n, dtype=object)
        bad = np.zeros(n, bool)
        for i, v in enumerate(s.to_numpy(dtype=object)):
            if (
                v is None
                or (isinstance(v, float) and np.isnan(v))
                or (isinstance(v, str) and not v.strip())
            ):
                continue
            if isinstance(v, str):
                try:
                    v = json.loads(v)
                except json.JSONDecodeError:
                    bad[i] = True
                    continue
            elif isinstance(v, np.ndarray):
                v = v.tolist()
            if not isinstance(v, list):
                bad[i] = True
                continue
            out[i] = json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
        iss.add(bad, "bad_json", f.name, col, s)
        return out
    if f.type in ("area_ref", "route_ref"):
        return _as_text(s)  # resolved by the builders (against the database's areas / routes)
    if f.type == "wkt":
        return _as_text(s)
    raise ValueError(f"unknown field type {f.type}")  # pragma: no cover


# --- per-table builders -----------------------------------------------------------------------


def _resolve_area_field(
    vals: dict, ctx: Context, iss: _Issues, mapping: dict, opts: ImportOptions, n: int, name: str
) -> pd.Series:
    t = vals.get(name)
    if t is None:
        return pd.Series([pd.NA] * n, dtype="Int64")
    ids, unknown, ambiguous = _resolve_areas(t, ctx, opts.defaults.get("area_kind"))
    iss.add(unknown, "unknown_area", name, mapping.get(name), t)
    iss.add(ambiguous, "ambiguous_area", name, mapping.get(name), t)
    return ids


def _build_incident(frame, vals, go, geom, tgt, opts, ctx, iss, mapping, raw):
    n = len(frame)
    kind = vals.get("kind") if tgt.kind is None else pd.Series([tgt.kind] * n, dtype=object)
    frame["kind"] = kind.to_numpy()
    if vals.get("subtype") is not None:
        sub = vals["subtype"]
        not_cache = (sub.notna() & (kind != "cache")).to_numpy()
        iss.add(not_cache, "subtype_not_cache", "subtype", mapping.get("subtype"), sub)
        frame["subtype"] = sub.to_numpy()
    for name in ("title", "description", "source_url"):
        if vals.get(name) is not None:
            frame[name] = vals[name].array
    for name in ("occurred_at", "occurred_from", "occurred_to", "reported_at"):
        if vals.get(name) is not None:
            frame[name] = vals[name].array
    if vals.get("occurred_from") is not None and vals.get("occurred_to") is not None:
        order = (vals["occurred_from"] > vals["occurred_to"]).fillna(False).to_numpy(dtype=bool)
        iss.add(
            order, "time_order", "occurred_from", mapping.get("occurred_from"), other="occurred_to"
        )
    _location(frame, vals, go, opts, ctx, iss, mapping, n, with_precision=True)
    if vals.get("verification") is not None:
        frame["verification"] = vals["verification"].array
    return []


def _location(frame, vals, go, opts, ctx, iss, mapping, n, with_precision):
    """geom, area_id (given, or district by spatial join) and location_precision."""
    area_given = _resolve_area_field(vals, ctx, iss, mapping, opts, n, "area")
    has_area = area_given.notna().to_numpy()
    present = go.present
    prec = vals.get("location_precision") if with_precision else None
    if prec is not None:
        p = prec.to_numpy(dtype=object)
        p = np.where(pd.isna(p), None, p)
        needs_point = np.isin(p, ["exact", "address"])
        iss.add(
            needs_point & ~present & ~iss.flagged(GEOM_FIELDS, n),
            "missing_location",
            "geometry",
            None,
        )
        needs_area = (p == "area") & ~present & ~has_area
        iss.add(needs_area, "missing_location", "area", mapping.get("area"))
        default = np.where(present, "exact", np.where(has_area, "area", None))
        p = np.where(pd.isna(p), default, p)
    else:
        p = np.where(present, "exact", np.where(has_area, "area", None))
    is_muni = p == "municipality"
    lacking = pd.isna(p) & ~is_muni
    iss.add(lacking & ~iss.flagged(GEOM_FIELDS, n), "missing_location", "geometry", None)
    area = area_given.to_numpy(dtype=float, na_value=np.nan)
    join = present & ~has_area
    if join.any():
        d = ctx.district_of(go.x[join], go.y[join]).astype(float)
        d[d < 0] = np.nan
        area[join] = d
    if ctx.municipality_area_id is not None:
        area[is_muni & np.isnan(area)] = ctx.municipality_area_id
    frame["geom"] = go.ewkb.to_numpy()
    frame["area_id"] = pd.array(np.where(np.isnan(area), None, area), dtype="Int64")
    if with_precision:
        frame["location_precision"] = np.where(pd.isna(p), "exact", p)


def _build_area(frame, vals, go, geom, tgt, opts, ctx, iss, mapping, raw):
    frame["code"] = vals["code"].array
    frame["name"] = vals["name"].array
    frame["kind"] = vals["kind"].array
    if vals.get("population") is not None:
        pop = vals["population"]
        neg = (pop < 0).fillna(False).to_numpy(dtype=bool)
        iss.add(neg, "out_of_range", "population", mapping.get("population"), pop, low=0, high="∞")
        frame["population"] = pop.to_numpy()
    frame["geom"] = go.ewkb.to_numpy()
    return []


def _build_camera(frame, vals, go, geom, tgt, opts, ctx, iss, mapping, raw):
    n = len(frame)
    frame["name"] = vals["name"].array
    frame["owner"] = vals["owner"].array
    if vals.get("status") is not None:
        frame["status"] = vals["status"].fillna("active").to_numpy()
    if vals.get("direction_deg") is not None:
        d = vals["direction_deg"]
        out = ((d < 0) | (d > 360)).fillna(False).to_numpy(dtype=bool)
        iss.add(
            out, "out_of_range", "direction_deg", mapping.get("direction_deg"), d, low=0, high=360
        )
        frame["direction_deg"] = d.to_numpy()
    if vals.get("coverage") is not None:
        t = vals["coverage"]
        present = t.notna().to_numpy()
        geoms = np.full(n, None, dtype=object)
        geoms[present] = _parse_geometry_text(t[present])
        col = mapping.get("coverage")
        bad = present & pd.isna(geoms)
        iss.add(bad, "bad_geometry_text", "coverage", col, t)
        ok = present & ~bad
        if ok.any():
            types = np.array([g.geom_type for g in geoms[ok]], dtype=object)
            wrong = np.zeros(n, bool)
            wrong[np.flatnonzero(ok)[types != "Polygon"]] = True
            iss.add(
                wrong,
                "wrong_geometry_type",
                "coverage",
                col,
                expected="Polygon",
                got="/".join(sorted(set(types[types != "Polygon"]))),
            )
            ok &= ~wrong
            invalid = np.zeros(n, bool)
            invalid[ok] = ~shapely.is_valid(geoms[ok])
            iss.add(invalid, "invalid_geometry", "coverage", col, reason="not valid")
            ok &= ~invalid
        hexes = np.full(n, None, dtype=object)
        if ok.any():
            moved = transform_geoms(geoms[ok], geom.crs or 3006)
            hexes[ok] = shapely.to_wkb(
                shapely.set_srid(moved, STORAGE_SRID), hex=True, include_srid=True
            )
        frame["coverage"] = hexes
    frame["geom"] = go.ewkb.to_numpy()
    if vals.get("verification") is not None:
        frame["verification"] = vals["verification"].array
    return []


def _build_route(frame, vals, go, geom, tgt, opts, ctx, iss, mapping, raw):
    frame["name"] = vals["name"].array
    frame["organisation"] = vals["organisation"].array
    if vals.get("schedule") is not None:
        frame["schedule"] = vals["schedule"].fillna("[]").to_numpy()
    frame["geom"] = go.ewkb.to_numpy()
    if vals.get("verification") is not None:
        frame["verification"] = vals["verification"].array
    return []


def _build_night_walk(frame, vals, go, geom, tgt, opts, ctx, iss, mapping, raw):
    ids, unknown, ambiguous = _resolve_routes(vals["route"], ctx.routes)
    iss.add(unknown, "unknown_route", "route", mapping.get("route"), vals["route"])
    iss.add(ambiguous, "ambiguous_route", "route", mapping.get("route"), vals["route"])
    frame["route_id"] = ids.to_numpy()
    # A walk is an evening: its local (Europe/Stockholm) calendar date.
    frame["walked_on"] = vals["walked_on"].dt.tz_convert(TIMEZONE).dt.date.to_numpy()
    people = vals["participants"]
    neg = (people < 0).fillna(False).to_numpy(dtype=bool)
    iss.add(
        neg, "out_of_range", "participants", mapping.get("participants"), people, low=0, high="∞"
    )
    frame["participants"] = people.to_numpy()
    if vals.get("note") is not None:
        frame["note"] = vals["note"].array
    if vals.get("verification") is not None:
        frame["verification"] = vals["verification"].array
    return []


def _build_operation(frame, vals, go, geom, tgt, opts, ctx, iss, mapping, raw):
    frame["name"] = vals["name"].array
    if vals.get("description") is not None:
        frame["description"] = vals["description"].array
    frame["starts_at"] = vals["starts_at"].array
    frame["ends_at"] = vals["ends_at"].array
    order = (vals["starts_at"] > vals["ends_at"]).fillna(False).to_numpy(dtype=bool)
    iss.add(order, "time_order", "starts_at", mapping.get("starts_at"), other="ends_at")
    frame["geom"] = go.ewkb.to_numpy()
    if vals.get("verification") is not None:
        frame["verification"] = vals["verification"].array
    return []


def _build_observation(frame, vals, go, geom, tgt, opts, ctx, iss, mapping, raw):
    n = len(frame)
    frame["observed_at"] = vals["observed_at"].array
    frame["category"] = vals["category"].array
    if vals.get("text") is not None:
        frame["text"] = vals["text"].array
    frame["reporter"] = vals["reporter"].array
    _location(frame, vals, go, opts, ctx, iss, mapping, n, with_precision=False)
    if vals.get("verification") is not None:
        frame["verification"] = vals["verification"].array
    return []


def _build_indicator(frame, vals, go, geom, tgt, opts, ctx, iss, mapping, raw):
    n = len(frame)
    area = _resolve_area_field(vals, ctx, iss, mapping, opts, n, "area")
    frame["area_id"] = area.to_numpy()
    period = vals["period"]
    ok = period.str.fullmatch(F.PERIOD_RE).fillna(False).to_numpy(dtype=bool)
    iss.add(period.notna().to_numpy() & ~ok, "bad_period", "period", mapping.get("period"), period)
    frame["period"] = period.to_numpy()
    frame["year"] = pd.array(
        [
            int(p[:4]) if isinstance(p, str) and good else None
            for p, good in zip(period, ok, strict=True)
        ],
        dtype="Int64",
    )
    key = vals["key"]
    frame["key"] = key.to_numpy()
    frame["value"] = vals["value"].array
    unit = vals.get("unit")
    unit = unit if unit is not None else pd.Series([None] * n, dtype=object)
    known_unit = key.map(ctx.indicator_keys)
    unit = unit.fillna(known_unit)
    label_sv = vals.get("label_sv")
    label_en = vals.get("label_en")
    unknown = (key.notna() & ~key.isin(list(ctx.indicator_keys))).to_numpy()
    has_label = (label_sv.notna().to_numpy() if label_sv is not None else np.zeros(n, bool)) | (
        label_en.notna().to_numpy() if label_en is not None else np.zeros(n, bool)
    )
    iss.add(unknown & ~has_label, "unknown_key", "key", mapping.get("key"), key)
    iss.add(
        unit.isna().to_numpy() & key.notna().to_numpy() & ~(unknown & ~has_label),
        "required_empty",
        "unit",
        mapping.get("unit"),
    )
    frame["unit"] = unit.to_numpy()
    if vals.get("row_source") is not None:
        frame["source"] = vals["row_source"].array
    new: dict[str, dict] = {}
    for i in np.flatnonzero(unknown & has_label):
        k = key.iloc[i]
        if k in new:
            continue
        sv = label_sv.iloc[i] if label_sv is not None and pd.notna(label_sv.iloc[i]) else None
        en = label_en.iloc[i] if label_en is not None and pd.notna(label_en.iloc[i]) else None
        u = unit.iloc[i]
        if pd.isna(u):
            continue
        new[k] = {"key": k, "label_sv": sv or en, "label_en": en or sv, "unit": u, "row": i}
    return list(new.values())


_BUILDERS = {
    "pax_data.incident": _build_incident,
    "pax_data.area": _build_area,
    "pax_data.camera": _build_camera,
    "pax_data.night_walk_route": _build_route,
    "pax_data.night_walk": _build_night_walk,
    "pax_data.operation": _build_operation,
    "pax_data.observation": _build_observation,
    "pax_data.indicator": _build_indicator,
}


def reject_or_filter(prep: Prepared, skip_invalid: bool, unit: str, file: str) -> pd.DataFrame:
    """The frame to load: everything (no issues), the valid rows (skip), or refuse."""
    if prep.issues and not skip_invalid:
        raise IngestError(file, prep.issues, unit=unit, total_rows=prep.rows_read)
    return prep.frame[~prep.bad_rows]


# Re-exported for callers that only need the working municipality.
__all__ = ["Context", "Prepared", "prepare", "reject_or_filter", "municipality_polygon"]
