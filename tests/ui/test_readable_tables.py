"""Hotspots tables and CSVs as people read them: area names and WGS84 positions instead of
axial cells and SWEREF metres, catalogue headers and labels (Swedish, or English), no codes."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pax_geo import i18n
from pax_geo.analysis.hexgrid import axial_coords
from pax_geo.ui import readable
from tests.app_support import assert_clean, signed_in

RAW = {"q", "r", "x", "y", "gi_z", "level", "camera_gap", "walk_gap", "area_id", "final_z"}
CODES = {"car_fire", "shooting", "not_significant", "too_few", "no_pattern", "up", "down"}


def districts() -> gpd.GeoDataFrame:
    # Two squares in SWEREF 99 TM near Södertälje centre.
    a = shapely.box(645000, 6560000, 647000, 6562000)
    b = shapely.box(647000, 6560000, 649000, 6562000)
    return gpd.GeoDataFrame({"name": ["Ronna", "Geneta"]}, geometry=[a, b], crs=3006)


def test_place_names_the_area_and_gives_lat_lon():
    out = readable.place([646000, 648500, 651000], [6561000, 6561500, 6561000], districts(), "sv")
    assert list(out["where"]) == ["Ronna", "Geneta", "nära Geneta"]
    assert out["lat"].between(59.0, 59.4).all() and out["lon"].between(17.4, 17.9).all()
    # Five decimals (about a metre), no more.
    assert all(round(v, 5) == v for v in out["lat"])
    assert readable.place([651000], [6561000], districts(), "en")["where"][0] == "near Geneta"


def test_hot_spot_table_has_no_internal_columns():
    q, r = axial_coords(np.array([646000.0]), np.array([6561000.0]), 250)
    raw = pd.DataFrame(
        {
            "q": q,
            "r": r,
            "x": [646000.0],
            "y": [6561000.0],
            "incidents": [9],
            "gi_z": [4.1234],
            "p": [0.0001],
            "level": [3],
        }
    )
    for lang in ("sv", "en"):
        out = readable.hot_spots(raw, districts(), lang)
        assert not RAW & set(out.columns)
        assert i18n.t("an_hdr_lat", lang) in out.columns
        assert out[i18n.t("an_col_area", lang)][0] == "Ronna"
        assert out[i18n.t("an_col_class", lang)][0] == i18n.t("an_gi_level_3", lang)
        assert out[i18n.t("an_hdr_gi_z", lang)][0] == 4.12
    em = pd.DataFrame(
        {
            "q": q,
            "r": r,
            "category": ["new_hot"],
            "incidents": [3],
            "hot_steps": [1],
            "cold_steps": [0],
            "final_z": [2.5],
            "trend_tau": [0.2],
            "trend_p": [0.3],
        }
    )
    out = readable.emerging(em, 250, districts(), "sv")
    assert not RAW & set(out.columns)
    assert out["Område"][0] == "Ronna" and out["Kategori"][0] == i18n.t("an_cat_new_hot", "sv")


def test_compstat_and_coverage_show_labels_not_codes():
    cs = pd.DataFrame(
        {
            "area_id": [1],
            "area": ["Ronna"],
            "kind": ["car_fire"],
            "now": [8],
            "before": [6],
            "change": [0.333],
            "direction": ["up"],
            "p": [0.79],
            "verdict": ["not_significant"],
        }
    )
    out = readable.compstat(cs, "sv", "Alla områden")
    values = {str(v) for v in out.to_numpy().ravel()}
    assert not CODES & values and not RAW & set(out.columns)
    assert "Bilbrand" in values and i18n.t("an_verdict_not_significant", "sv") in values
    cl = gpd.GeoDataFrame(
        {
            "cluster": [0],
            "cells": [3],
            "incidents": [40],
            "camera_incident_share": [0.05],
            "camera_gap": [True],
            "walk_hour_incidents": [10],
            "walk_far_share": [0.6],
            "walk_gap": [True],
        },
        geometry=[shapely.box(645500, 6560500, 646500, 6561500)],
        crs=3006,
    )
    out = readable.coverage_clusters(cl, districts(), "sv")
    assert not RAW & set(out.columns)
    assert out["Område"][0] == "Ronna" and out[i18n.t("an_col_camera_gap", "sv")][0] == "ja"


def test_risk_zones_and_time_tables():
    tz = ZoneInfo("Europe/Stockholm")
    z = pd.DataFrame(
        {
            "id": [7],
            "kind": ["shooting"],
            "occurred_at": [pd.Timestamp("2026-11-30 11:35Z")],
            "until": [pd.Timestamp("2026-12-07 11:35Z")],
            "x": [646000.0],
            "y": [6561000.0],
            "radius_m": [300.0],
            "geometry": [None],
        }
    )
    out = readable.risk_zones(z, districts(), "sv", tz)
    assert out["Typ"][0] == "Skottlossning" and out["Område"][0] == "Ronna"
    assert out[i18n.t("an_col_occurred", "sv")][0] == "2026-11-30 12:35"
    grid = pd.DataFrame({"weekday": [4], "hour": [22], "weight": [3.456]})
    assert readable.hour_weekday(grid, "sv").iloc[0].tolist() == ["fredag", 22, 3.46]
    knox = pd.DataFrame(
        {
            "distance_from_m": [0],
            "distance_to_m": [100],
            "days_from": [0],
            "days_to": [7],
            "observed": [12],
            "expected": [4.04],
            "knox_ratio": [2.97],
            "p": [0.001],
            "q": [0.02],
        }
    )
    assert i18n.t("an_hdr_q_value", "en") in readable.knox(knox, "en").columns


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_hotspots_page_tables_and_csv_are_readable(demo_loaded, lang):
    at = signed_in(str(Path(__file__).resolve().parents[2] / "app.py"), "polis", lang)
    at.run()
    at.switch_page("pages/hotspots.py")
    at.run()
    at.segmented_control(key="an_period").set_value("3y").run()
    for method in ("hotspots", "compstat", "coverage", "nearrepeat"):
        at.segmented_control(key="an_method").set_value(method).run()
        assert_clean(at)
        frames = [df.value for df in at.dataframe]
        assert frames, method
        for df in frames:
            assert not RAW & set(df.columns), (method, list(df.columns))
            values = {str(v) for v in df.to_numpy().ravel()}
            assert not CODES & values, (method, CODES & values)
        # Each download says what it holds; no two on a view read the same.
        labels = [b.proto.label for b in at.get("download_button")]
        assert labels and len(labels) == len(set(labels)), labels
        assert i18n.t("download_csv", lang) not in labels
    # The Gi* CSV is the readable table (same headers), positions in WGS84.
    at.segmented_control(key="an_method").set_value("hotspots").run()
    table = next(df.value for df in at.dataframe if i18n.t("an_hdr_gi_z", lang) in df.value.columns)
    assert table[i18n.t("an_hdr_lat", lang)].between(58.9, 59.5).all()
    assert table[i18n.t("an_col_area", lang)].astype(str).str.len().gt(0).all()
