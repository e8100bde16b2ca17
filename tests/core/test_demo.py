"""The demo generator: deterministic, inside Södertälje, with the patterns real data shows."""

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import shapely

from pax_geo.demo import geography as geo
from pax_geo.demo.generate import HOTSPOTS, generate, generate_incidents

TZ = ZoneInfo("Europe/Stockholm")
END = datetime(2026, 11, 1, tzinfo=TZ)


@pytest.fixture(scope="module")
def incidents() -> pd.DataFrame:
    return generate_incidents(20_000, 3, END)


def test_same_seed_and_end_give_the_same_data():
    a = generate(incidents=1500, seed=11, end=END)
    b = generate(incidents=1500, seed=11, end=END)
    pd.testing.assert_frame_equal(a.incidents, b.incidents)
    pd.testing.assert_frame_equal(a.indicators, b.indicators)
    assert [c["geom"].wkt for c in a.cameras] == [c["geom"].wkt for c in b.cameras]
    c = generate(incidents=1500, seed=12, end=END)
    assert not a.incidents[["x", "y"]].equals(c.incidents[["x", "y"]])


def test_real_outline_and_districts_cover_the_municipality():
    outline = geo.municipality_outline()
    # Södertälje municipality is about 525-560 km² depending on the water included.
    assert 450e6 < outline.area < 650e6
    d = geo.districts()
    assert {"Ronna", "Geneta", "Hovsjö", "Fornhöjden", "Järna", "Centrum"} <= set(d["name"])
    assert abs(d.area.sum() - outline.area) / outline.area < 0.01
    assert all(g.is_valid for g in d.geometry)


def test_every_incident_lies_in_the_municipality_and_in_three_years(incidents):
    outline = geo.municipality_outline()
    assert shapely.contains_xy(outline, incidents.x.values, incidents.y.values).all()
    span = incidents.occurred_at.max() - incidents.occurred_at.min()
    assert span.days >= 3 * 365 - 5
    assert incidents.occurred_at.max() <= END


def test_car_fires_are_mostly_at_night_and_at_weekends_with_seasons(incidents):
    local = incidents[incidents.kind == "car_fire"].occurred_at.dt.tz_convert(TZ)
    night = ((local.dt.hour >= 21) | (local.dt.hour <= 3)).mean()
    assert night > 0.5  # a flat clock would give 7/24 = 0.29
    weekend = local.dt.day_of_week.isin([4, 5]).mean()
    assert weekend > 2 / 7 + 0.05
    autumn = local.dt.month.isin([8, 9, 10]).mean()
    spring = local.dt.month.isin([3, 4, 5]).mean()
    assert autumn > spring * 1.3


def _distance_to_hotspots(df: pd.DataFrame) -> np.ndarray:
    d = geo.districts().set_index("name")
    cx = np.array([d.loc[h[0], "cx"] + h[1] for h in HOTSPOTS])
    cy = np.array([d.loc[h[0], "cy"] + h[2] for h in HOTSPOTS])
    return np.sqrt((df.x.values[:, None] - cx) ** 2 + (df.y.values[:, None] - cy) ** 2).min(1)


def test_incidents_cluster_and_caches_are_found_near_hotspots(incidents):
    dist = _distance_to_hotspots(incidents)
    outline_area = geo.municipality_outline().area
    # Eight 500 m discs cover < 2 % of the municipality, yet hold most incidents.
    assert 8 * np.pi * 500**2 / outline_area < 0.02
    for kind in ("car_fire", "shooting", "cache"):
        assert (dist[incidents.kind.values == kind] < 500).mean() > 0.6


def test_shootings_are_rarer_and_come_with_near_repeats(incidents):
    counts = incidents.kind.value_counts()
    assert counts["shooting"] < counts["car_fire"] / 5
    s = incidents[incidents.kind == "shooting"]
    x, y = s.x.values, s.y.values
    t = s.occurred_at.dt.tz_convert(None).to_numpy().astype("datetime64[s]").astype(float) / 86400
    dd = np.hypot(x[:, None] - x, y[:, None] - y)
    close_space = (dd < 200) & (dd > 0)
    observed = (close_space & (np.abs(t[:, None] - t) < 14)).sum()
    tp = np.random.default_rng(0).permutation(t)
    shuffled = (close_space & (np.abs(tp[:, None] - tp) < 14)).sum()
    assert observed > 1.25 * shuffled


def test_context_layers():
    data = generate(incidents=500, seed=5, end=END)
    assert 30 <= len(data.cameras) <= 80
    for cam in data.cameras:
        assert cam["coverage"].distance(cam["geom"]) < 0.2  # the cone starts at the camera
        assert 800 < cam["coverage"].area < 9000  # 60-100° cones reaching 45-95 m
    assert data.routes and all({s["weekday"] for s in r["schedule"]} == {4, 5} for r in data.routes)
    walked = pd.to_datetime(data.walks.walked_on)
    assert set(walked.dt.day_of_week) == {4, 5}
    per_area_year = data.indicators.groupby(["district_code", "year", "key"]).size()
    assert (per_area_year == 1).all()
    assert data.indicators.district_code.nunique() == len(data.districts)
