"""Per-table builders: from a file's converted values and checked geometry to the columns of
the table they load into, with the checks that need several fields (time order, ranges,
references to areas and routes, the location of an incident). Each takes one
:class:`BuildInput` and returns the new indicator keys the file defines (only indicators do)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from pax_geo.config import STORAGE_SRID, TIMEZONE
from pax_geo.ingest import fields as F
from pax_geo.ingest.context import Context
from pax_geo.ingest.geo import transform_geoms
from pax_geo.ingest.geometry_checks import GEOM_FIELDS, CheckedGeometry
from pax_geo.ingest.geometry_read import parse_geometry_text
from pax_geo.ingest.issues import IssueCollector
from pax_geo.ingest.options import ImportOptions
from pax_geo.ingest.references import resolve_areas, resolve_routes


@dataclass(frozen=True)
class BuildInput:
    """Everything a builder reads, and where it writes (``frame``, ``issues``)."""

    #: the rows being built (index = file row - 1); the builder adds its table's columns
    frame: pd.DataFrame
    #: field -> converted values (None for a field the file does not have)
    values: Mapping[str, pd.Series | None]
    geometry: CheckedGeometry
    #: the CRS of the file's geometry (for further geometry columns such as camera coverage)
    crs: int | None
    target: F.Target
    options: ImportOptions
    ctx: Context
    issues: IssueCollector
    #: field -> the file's column
    mapping: Mapping[str, str | None]

    @property
    def n(self) -> int:
        return len(self.frame)

    def get(self, name: str) -> pd.Series | None:
        return self.values.get(name)

    def require(self, name: str) -> pd.Series:
        """The values of a field the layer requires. Files lacking one are refused before any
        builder runs (``check_required_mapped``), so absence here is an internal error."""
        v = self.values.get(name)
        if v is None:
            raise RuntimeError(
                f"internal error: required field {name!r} of {self.target.layer} has no values"
            )
        return v

    def column(self, name: str) -> str | None:
        return self.mapping.get(name)

    def copy(self, *names: str) -> None:
        """Copy the fields the file has to the frame's columns of the same name."""
        for name in names:
            v = self.values.get(name)
            if v is not None:
                self.frame[name] = v.array

    def flag_negative(self, name: str) -> pd.Series:
        """Values below zero are out of range; returns the values."""
        v = self.require(name)
        neg = (v < 0).fillna(False).to_numpy(dtype=bool)
        self.issues.add(neg, "out_of_range", name, self.column(name), v, low=0, high="∞")
        return v

    def flag_order(self, first: str, second: str) -> None:
        """``first`` after ``second`` (times) is an issue on ``first``."""
        order = (self.require(first) > self.require(second)).fillna(False).to_numpy(dtype=bool)
        self.issues.add(order, "time_order", first, self.column(first), other=second)


Builder = Callable[[BuildInput], list[dict]]


def _resolve_area_field(b: BuildInput, name: str) -> pd.Series:
    """An area reference field -> area ids (unknown / ambiguous ones are issues)."""
    t = b.get(name)
    if t is None:
        return pd.Series([pd.NA] * b.n, dtype="Int64")
    ids, unknown, ambiguous = resolve_areas(t, b.ctx, b.options.defaults.get("area_kind"))
    b.issues.add(unknown, "unknown_area", name, b.column(name), t)
    b.issues.add(ambiguous, "ambiguous_area", name, b.column(name), t)
    return ids


def _build_incident(b: BuildInput) -> list[dict]:
    n = b.n
    # 'kind' is a required field of the generic incident layer; the others fix it
    kind = (
        b.require("kind") if b.target.kind is None else pd.Series([b.target.kind] * n, dtype=object)
    )
    b.frame["kind"] = kind.to_numpy()
    sub = b.get("subtype")
    if sub is not None:
        not_cache = (sub.notna() & (kind != "cache")).to_numpy()
        b.issues.add(not_cache, "subtype_not_cache", "subtype", b.column("subtype"), sub)
        b.frame["subtype"] = sub.to_numpy()
    b.copy("title", "description", "source_url")
    b.copy("occurred_at", "occurred_from", "occurred_to", "reported_at")
    if b.get("occurred_from") is not None and b.get("occurred_to") is not None:
        b.flag_order("occurred_from", "occurred_to")
    _location(b, with_precision=True)
    b.copy("verification")
    return []


def _default_precision(present: np.ndarray, has_area: np.ndarray) -> np.ndarray:
    """'exact' with a geometry, 'area' with an area only, None with neither (object array)."""
    out = np.full(len(present), None, dtype=object)
    out[has_area] = "area"
    out[present] = "exact"
    return out


def _precision(b: BuildInput, present: np.ndarray, has_area: np.ndarray) -> np.ndarray:
    """Each row's location precision: given (and then checked against what the row has), or
    'exact' with a geometry, 'area' with an area only, None with neither."""
    default = _default_precision(present, has_area)
    prec = b.get("location_precision")
    if prec is None:
        return default
    p = prec.to_numpy(dtype=object, copy=True)
    p[pd.isna(p)] = None
    needs_point = np.isin(p, ["exact", "address"])
    b.issues.add(
        needs_point & ~present & ~b.issues.flagged(GEOM_FIELDS, b.n),
        "missing_location",
        "geometry",
        None,
    )
    needs_area = (p == "area") & ~present & ~has_area
    b.issues.add(needs_area, "missing_location", "area", b.column("area"))
    return np.where(pd.isna(p), default, p)


def _location(b: BuildInput, with_precision: bool) -> None:
    """geom, area_id (given, or district by spatial join) and location_precision."""
    n, go = b.n, b.geometry
    area_given = _resolve_area_field(b, "area")
    has_area = area_given.notna().to_numpy()
    present = go.present
    if with_precision:
        p = _precision(b, present, has_area)
    else:
        p = _default_precision(present, has_area)
    is_muni = p == "municipality"
    lacking = pd.isna(p) & ~is_muni
    b.issues.add(lacking & ~b.issues.flagged(GEOM_FIELDS, n), "missing_location", "geometry", None)
    area = area_given.to_numpy(dtype=float, na_value=np.nan)
    join = present & ~has_area
    if join.any():
        d = b.ctx.district_of(go.x[join], go.y[join]).astype(float)
        d[d < 0] = np.nan
        area[join] = d
    if b.ctx.municipality_area_id is not None:
        area[is_muni & np.isnan(area)] = b.ctx.municipality_area_id
    b.frame["geom"] = go.ewkb.to_numpy()
    b.frame["area_id"] = pd.array(np.where(np.isnan(area), None, area), dtype="Int64")
    if with_precision:
        b.frame["location_precision"] = np.where(pd.isna(p), "exact", p)


def _build_area(b: BuildInput) -> list[dict]:
    b.frame["code"] = b.require("code").array
    b.frame["name"] = b.require("name").array
    b.frame["kind"] = b.require("kind").array
    if b.get("population") is not None:
        b.frame["population"] = b.flag_negative("population").to_numpy()
    b.frame["geom"] = b.geometry.ewkb.to_numpy()
    return []


def _build_camera(b: BuildInput) -> list[dict]:
    b.frame["name"] = b.require("name").array
    b.frame["owner"] = b.require("owner").array
    status = b.get("status")
    if status is not None:
        b.frame["status"] = status.fillna("active").to_numpy()
    d = b.get("direction_deg")
    if d is not None:
        out = ((d < 0) | (d > 360)).fillna(False).to_numpy(dtype=bool)
        b.issues.add(
            out, "out_of_range", "direction_deg", b.column("direction_deg"), d, low=0, high=360
        )
        b.frame["direction_deg"] = d.to_numpy()
    coverage = b.get("coverage")
    if coverage is not None:
        b.frame["coverage"] = _coverage(b, coverage)
    b.frame["geom"] = b.geometry.ewkb.to_numpy()
    b.copy("verification")
    return []


def _coverage(b: BuildInput, t: pd.Series) -> np.ndarray:
    """A camera's coverage polygon (WKT or GeoJSON text ``t``) as hex EWKB in EPSG:3006."""
    n = b.n
    present = t.notna().to_numpy()
    geoms = np.full(n, None, dtype=object)
    geoms[present] = parse_geometry_text(t[present])
    col = b.column("coverage")
    bad = present & pd.isna(geoms)
    b.issues.add(bad, "bad_geometry_text", "coverage", col, t)
    ok = present & ~bad
    if ok.any():
        ok &= ~_flag_coverage_shape(b, geoms, ok, col)
    hexes = np.full(n, None, dtype=object)
    if ok.any():
        moved = transform_geoms(geoms[ok], b.crs or 3006)
        hexes[ok] = shapely.to_wkb(
            shapely.set_srid(moved, STORAGE_SRID), hex=True, include_srid=True
        )
    return hexes


def _flag_coverage_shape(
    b: BuildInput, geoms: np.ndarray, ok: np.ndarray, col: str | None
) -> np.ndarray:
    """Coverage geometries that are no polygon, or no valid one (each an issue)."""
    n = b.n
    types = np.array([g.geom_type for g in geoms[ok]], dtype=object)
    wrong = np.zeros(n, bool)
    wrong[np.flatnonzero(ok)[types != "Polygon"]] = True
    b.issues.add(
        wrong,
        "wrong_geometry_type",
        "coverage",
        col,
        expected="Polygon",
        got="/".join(sorted(set(types[types != "Polygon"]))),
    )
    ok = ok & ~wrong
    invalid = np.zeros(n, bool)
    invalid[ok] = ~shapely.is_valid(geoms[ok])
    b.issues.add(invalid, "invalid_geometry", "coverage", col, reason="not valid")
    return wrong | invalid


def _build_route(b: BuildInput) -> list[dict]:
    b.frame["name"] = b.require("name").array
    b.frame["organisation"] = b.require("organisation").array
    schedule = b.get("schedule")
    if schedule is not None:
        b.frame["schedule"] = schedule.fillna("[]").to_numpy()
    b.frame["geom"] = b.geometry.ewkb.to_numpy()
    b.copy("verification")
    return []


def _build_night_walk(b: BuildInput) -> list[dict]:
    route = b.require("route")
    ids, unknown, ambiguous = resolve_routes(route, b.ctx.routes)
    b.issues.add(unknown, "unknown_route", "route", b.column("route"), route)
    b.issues.add(ambiguous, "ambiguous_route", "route", b.column("route"), route)
    b.frame["route_id"] = ids.to_numpy()
    # A walk is an evening: its local (Europe/Stockholm) calendar date.
    b.frame["walked_on"] = b.require("walked_on").dt.tz_convert(TIMEZONE).dt.date.to_numpy()
    b.frame["participants"] = b.flag_negative("participants").to_numpy()
    b.copy("note", "verification")
    return []


def _build_operation(b: BuildInput) -> list[dict]:
    b.frame["name"] = b.require("name").array
    b.copy("description")
    b.frame["starts_at"] = b.require("starts_at").array
    b.frame["ends_at"] = b.require("ends_at").array
    b.flag_order("starts_at", "ends_at")
    b.frame["geom"] = b.geometry.ewkb.to_numpy()
    b.copy("verification")
    return []


def _build_observation(b: BuildInput) -> list[dict]:
    b.frame["observed_at"] = b.require("observed_at").array
    b.frame["category"] = b.require("category").array
    b.copy("text")
    b.frame["reporter"] = b.require("reporter").array
    _location(b, with_precision=False)
    b.copy("verification")
    return []


def _build_indicator(b: BuildInput) -> list[dict]:
    n = b.n
    b.frame["area_id"] = _resolve_area_field(b, "area").to_numpy()
    _period(b)
    key = b.require("key")
    b.frame["key"] = key.to_numpy()
    b.frame["value"] = b.require("value").array
    given_unit = b.get("unit")
    unit = given_unit if given_unit is not None else pd.Series([None] * n, dtype=object)
    unit = unit.fillna(key.map(b.ctx.indicator_keys))
    label_sv = b.get("label_sv")
    label_en = b.get("label_en")
    unknown = (key.notna() & ~key.isin(list(b.ctx.indicator_keys))).to_numpy()
    has_label = (label_sv.notna().to_numpy() if label_sv is not None else np.zeros(n, bool)) | (
        label_en.notna().to_numpy() if label_en is not None else np.zeros(n, bool)
    )
    b.issues.add(unknown & ~has_label, "unknown_key", "key", b.column("key"), key)
    b.issues.add(
        unit.isna().to_numpy() & key.notna().to_numpy() & ~(unknown & ~has_label),
        "required_empty",
        "unit",
        b.column("unit"),
    )
    b.frame["unit"] = unit.to_numpy()
    row_source = b.get("row_source")
    if row_source is not None:
        b.frame["source"] = row_source.array
    return _new_keys(key, unit, label_sv, label_en, np.flatnonzero(unknown & has_label))


def _period(b: BuildInput) -> None:
    """period (checked against the period pattern) and the year it starts in."""
    period = b.require("period")
    ok = period.str.fullmatch(F.PERIOD_RE).fillna(False).to_numpy(dtype=bool)
    b.issues.add(
        period.notna().to_numpy() & ~ok, "bad_period", "period", b.column("period"), period
    )
    b.frame["period"] = period.to_numpy()
    b.frame["year"] = pd.array(
        [
            int(p[:4]) if isinstance(p, str) and good else None
            for p, good in zip(period, ok, strict=True)
        ],
        dtype="Int64",
    )


def _new_keys(
    key: pd.Series,
    unit: pd.Series,
    label_sv: pd.Series | None,
    label_en: pd.Series | None,
    rows: np.ndarray,
) -> list[dict]:
    """Indicator keys the file defines (a label and a unit on a key the database lacks)."""
    new: dict[str, dict] = {}
    for i in rows:
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


BUILDERS: dict[str, Builder] = {
    "pax_data.incident": _build_incident,
    "pax_data.area": _build_area,
    "pax_data.camera": _build_camera,
    "pax_data.night_walk_route": _build_route,
    "pax_data.night_walk": _build_night_walk,
    "pax_data.operation": _build_operation,
    "pax_data.observation": _build_observation,
    "pax_data.indicator": _build_indicator,
}
