"""Analysis tables as people read them (Hotspots page and its CSV downloads): area names and a
WGS84 position instead of axial cells (q, r) and SWEREF 99 TM metres, headers and codes from the
string catalogue (Swedish, or English when chosen), and no internal columns.

No Streamlit here: pages pass the language and the districts (EPSG:3006) in.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pax_geo import i18n
from pax_geo.analysis.hexgrid import centres
from pax_geo.wgs84 import xy_to_lonlat

#: Column -> catalogue key of its header. Columns missing here are left out of a table.
HEADERS: dict[str, str] = {
    "class": "an_col_class",
    "category": "an_col_category",
    "kind": "an_col_kind",
    "area": "an_col_area",
    "where": "an_col_area",
    "lat": "an_hdr_lat",
    "lon": "an_hdr_lon",
    "incidents": "an_col_incidents",
    "gi_z": "an_hdr_gi_z",
    "p": "an_col_p",
    "q_value": "an_hdr_q_value",
    "hot_steps": "an_hdr_hot_steps",
    "cold_steps": "an_hdr_cold_steps",
    "final_z": "an_hdr_final_z",
    "trend_tau": "an_hdr_trend_tau",
    "trend_p": "an_hdr_trend_p",
    "distance_from_m": "an_hdr_distance_from",
    "distance_to_m": "an_hdr_distance_to",
    "days_from": "an_hdr_days_from",
    "days_to": "an_hdr_days_to",
    "observed": "an_hdr_observed_pairs",
    "expected": "an_hdr_expected_pairs",
    "knox_ratio": "an_col_ratio",
    "id": "an_hdr_incident_id",
    "occurred_at": "an_col_occurred",
    "until": "an_col_until",
    "radius_m": "an_hdr_radius",
    "weekday": "an_col_weekday",
    "hour": "an_col_hour",
    "weight": "an_hdr_weight",
    "month": "an_col_month",
    "exposure_days": "an_hdr_exposure_days",
    "per_30_days": "an_hdr_per_30_days",
    "index": "an_col_index",
    "now": "an_col_now",
    "before": "an_col_before",
    "change": "an_col_change",
    "direction": "an_col_direction",
    "verdict": "an_col_verdict",
    "cluster": "an_hdr_cluster",
    "cells": "an_col_cells",
    "camera_incident_share": "an_col_camera_share",
    "camera_gap": "an_col_camera_gap",
    "walk_hour_incidents": "an_col_walk_incidents",
    "walk_far_share": "an_col_far_share",
    "walk_gap": "an_col_walk_gap",
}

MONTHS = {
    "sv": ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def place(x, y, districts: gpd.GeoDataFrame | None, lang: str) -> pd.DataFrame:
    """lat, lon (WGS84, 5 decimals: about a metre) and the district a SWEREF 99 TM point lies in,
    or "nära <district>" (the nearest) for a point outside every district."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = pd.DataFrame(index=range(len(x)))
    if len(x) == 0:
        return out.assign(where=[], lat=[], lon=[])
    lon, lat = xy_to_lonlat(x, y)
    out["lat"] = np.round(np.asarray(lat, dtype=float), 5)
    out["lon"] = np.round(np.asarray(lon, dtype=float), 5)
    out["where"] = "–"
    if districts is not None and len(districts):
        pts = shapely.points(x, y)
        geoms = np.asarray(districts.geometry)
        names = list(districts["name"])
        tree = shapely.STRtree(geoms)
        inside_pt, inside_geom = tree.query(pts, predicate="within")
        where: list[str | None] = [None] * len(x)
        for p_i, g_i in zip(inside_pt, inside_geom, strict=True):
            where[p_i] = where[p_i] or str(names[g_i])
        missing = [i for i, w in enumerate(where) if w is None]
        if missing:
            nearest = tree.nearest(pts[missing])
            for i, g_i in zip(missing, nearest, strict=True):
                where[i] = i18n.t("an_near_area", lang, area=names[g_i])
        out["where"] = where
    return out


def _finish(df: pd.DataFrame, order: list[str], lang: str) -> pd.DataFrame:
    cols = [c for c in order if c in df.columns]
    out = df[cols].copy()
    out.columns = [i18n.t(HEADERS[c], lang) for c in cols]
    return out.reset_index(drop=True)


def _yes_no(lang: str) -> Callable[[object], str]:
    def f(v: object) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return "–"
        return i18n.t("an_yes" if bool(v) else "an_no", lang)

    return f


def _round(df: pd.DataFrame, cols: dict[str, int]) -> pd.DataFrame:
    for c, n in cols.items():
        if c in df.columns:
            df[c] = pd.to_numeric(df[c], errors="coerce").round(n)
    return df


def hot_spots(table: pd.DataFrame, districts, lang: str) -> pd.DataFrame:
    """Gi* cells (q, r, x, y, incidents, gi_z, p, level)."""
    df = table.reset_index(drop=True).copy()
    df["class"] = [i18n.t(f"an_gi_level_{int(v)}", lang) for v in df["level"]]
    df = pd.concat([df, place(df["x"], df["y"], districts, lang)], axis=1)
    df = _round(df, {"gi_z": 2, "p": 6})
    return _finish(df, ["class", "where", "lat", "lon", "incidents", "gi_z", "p"], lang)


def emerging(table: pd.DataFrame, size_m: float, districts, lang: str) -> pd.DataFrame:
    """Emerging hot spot cells (q, r, category, ...): positions from the cell centres."""
    df = table.reset_index(drop=True).copy()
    x, y = centres(df["q"].to_numpy(), df["r"].to_numpy(), size_m)
    df["category"] = [i18n.t(f"an_cat_{c}", lang) for c in df["category"]]
    df = pd.concat([df, place(x, y, districts, lang)], axis=1)
    df = _round(df, {"final_z": 2, "trend_tau": 3, "trend_p": 4})
    order = ["category", "where", "lat", "lon", "incidents", "hot_steps", "cold_steps"]
    return _finish(df, [*order, "final_z", "trend_tau", "trend_p"], lang)


def knox(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Knox bands; the table's q is the false-discovery-corrected p (not a cell coordinate)."""
    df = table.reset_index(drop=True).rename(columns={"q": "q_value"})
    df = _round(df, {"expected": 1, "knox_ratio": 2, "p": 4, "q_value": 4})
    order = ["distance_from_m", "distance_to_m", "days_from", "days_to", "observed"]
    return _finish(df, [*order, "expected", "knox_ratio", "p", "q_value"], lang)


def risk_zones(zones: pd.DataFrame, districts, lang: str, tz) -> pd.DataFrame:
    df = zones.reset_index(drop=True).drop(columns=["geometry"], errors="ignore").copy()
    df["kind"] = [i18n.t(f"kind_{k}", lang) for k in df["kind"]]
    for c in ("occurred_at", "until"):
        df[c] = pd.to_datetime(df[c], utc=True).dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M")
    df = pd.concat([df, place(df["x"], df["y"], districts, lang)], axis=1)
    order = ["kind", "occurred_at", "until", "where", "lat", "lon", "radius_m", "id"]
    return _finish(df, order, lang)


def hour_weekday(grid: pd.DataFrame, lang: str) -> pd.DataFrame:
    df = grid.reset_index(drop=True).copy()
    df["weekday"] = [i18n.t(f"an_weekday_name_{int(d)}", lang) for d in df["weekday"]]
    df = _round(df, {"weight": 2})
    return _finish(df, ["weekday", "hour", "weight"], lang)


def seasonality(months: pd.DataFrame, lang: str) -> pd.DataFrame:
    df = months.reset_index(drop=True).copy()
    df["month"] = [MONTHS[lang][int(m) - 1] for m in df["month"]]
    df = _round(df, {"exposure_days": 0, "per_30_days": 2, "index": 2})
    return _finish(df, ["month", "incidents", "exposure_days", "per_30_days", "index"], lang)


def compstat(table: pd.DataFrame, lang: str, all_areas: str) -> pd.DataFrame:
    df = table.reset_index(drop=True).copy()
    df["area"] = [a or all_areas for a in df.get("area", [""] * len(df))]
    df["kind"] = [i18n.t(f"kind_{k}", lang) for k in df["kind"]]
    df["change"] = [
        "–" if c is None or pd.isna(c) else f"{c:+.0%}".replace("%", " %") for c in df["change"]
    ]
    df["direction"] = [i18n.t(f"an_dir_{d}", lang) if d else "–" for d in df["direction"]]
    df["verdict"] = [i18n.t(f"an_verdict_{v}", lang) for v in df["verdict"]]
    df = _round(df, {"p": 4})
    order = ["area", "kind", "now", "before", "change", "direction", "p", "verdict"]
    return _finish(df, order, lang)


def coverage_clusters(clusters: pd.DataFrame, districts, lang: str) -> pd.DataFrame:
    df = clusters.reset_index(drop=True).copy()
    if "geometry" in df.columns and len(df):
        c = shapely.centroid(np.asarray(df["geometry"]))
        df = pd.concat([df, place(shapely.get_x(c), shapely.get_y(c), districts, lang)], axis=1)
    df = df.drop(columns=["geometry"], errors="ignore")
    yes_no = _yes_no(lang)
    for col in ("camera_gap", "walk_gap"):
        if col in df.columns:
            df[col] = [yes_no(v) for v in df[col]]
    for col in ("camera_incident_share", "walk_far_share"):
        if col in df.columns:
            df[col] = [
                "–" if v is None or pd.isna(v) else f"{100 * float(v):.0f} %" for v in df[col]
            ]
    df["cluster"] = df["cluster"] + 1 if "cluster" in df.columns else None
    order = ["cluster", "where", "lat", "lon", "cells", "incidents", "camera_incident_share"]
    return _finish(
        df, [*order, "camera_gap", "walk_hour_incidents", "walk_far_share", "walk_gap"], lang
    )


def p_cell(p: float | None) -> str:
    """A p-value for a table cell: "< 0.001", "0.062", "–" when there is none."""
    if p is None or pd.isna(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_text(p: float | None, lang: str) -> str:
    """A p-value in running text: "p < 0,001", "p = 0,062" (decimal comma in Swedish)."""
    if p is None or pd.isna(p):
        return "p –"
    s = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    return s.replace(".", ",") if lang == "sv" else s
