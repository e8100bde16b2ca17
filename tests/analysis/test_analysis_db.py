"""Analysis on real data: the NYPD shootings (real clustered points) against a spatially shuffled
copy, and the demo data read through the roles' own database logins."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from pax_geo import queries
from pax_geo.analysis import hexgrid, nearrepeat, service
from pax_geo.demo import geography as geo
from pax_geo.horizons import periods
from tests.conftest import SHARED_DATA

NYC_CRS = 32618  # UTM 18N, metres


@pytest.fixture(scope="module")
def nypd():
    if not SHARED_DATA.exists():
        pytest.fail(f"../shared/data is missing: expected it at {SHARED_DATA}")
    src = SHARED_DATA / "nypd_shootings"
    df = pd.read_csv(src / "NYPD_Shooting_Incident_Data__Historic_.csv")
    df = df.dropna(subset=["Latitude", "Longitude"])
    tr = Transformer.from_crs(4326, NYC_CRS, always_xy=True)
    df["x"], df["y"] = tr.transform(df["Longitude"].to_numpy(), df["Latitude"].to_numpy())
    df["occurred_at"] = pd.to_datetime(df["OCCUR_DATE"], format="%m/%d/%Y").dt.tz_localize(
        "America/New_York"
    )
    boroughs = json.loads((src / "nyc_borough_boundaries.geojson").read_text())
    polys = [shapely.geometry.shape(f["geometry"]) for f in boroughs["features"]]
    region = shapely.transform(
        shapely.union_all(polys),
        lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])),
    )
    return df, region


def _shuffled_within(region, n: int, seed: int) -> pd.DataFrame:
    """n points uniformly at random inside the region (the boroughs)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = region.bounds
    shapely.prepare(region)
    xs, ys = [], []
    while sum(len(a) for a in xs) < n:
        x = rng.uniform(minx, maxx, 4 * n)
        y = rng.uniform(miny, maxy, 4 * n)
        ok = shapely.contains_xy(region, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
    return pd.DataFrame({"x": np.concatenate(xs)[:n], "y": np.concatenate(ys)[:n]})


def test_nypd_has_significant_hot_cells_and_a_shuffled_copy_far_fewer(nypd):
    df, region = nypd
    assert len(df) > 15_000
    real = service.hot_spots_from_points(df.assign(precision="exact"), region, 250, 1, 99_999)
    shuffled_pts = _shuffled_within(region, len(df), seed=1).assign(precision="exact")
    shuffled = service.hot_spots_from_points(shuffled_pts, region, 250, 1, 99_999)
    hot_real = int((real.gi.level >= 2).sum())
    hot_shuffled = int((shuffled.gi.level >= 2).sum())
    assert hot_real >= 100, real.gi.counts()
    assert hot_shuffled * 10 <= hot_real, (hot_real, hot_shuffled)
    # the same with coordinates permuted among cells (keeps the count distribution)
    values = real.values.copy()
    np.random.default_rng(2).shuffle(values)
    from pax_geo.analysis.getis import gi_star

    perm = gi_star(values, real.lattice.neighbours(1), permutations=99_999)
    assert int((perm.level >= 2).sum()) * 10 <= hot_real


def test_nypd_knox_runs_on_all_events_without_a_cap(nypd):
    df, _ = nypd
    res = nearrepeat.knox(
        df.x.to_numpy(), df.y.to_numpy(), df["occurred_at"], 100, 5, 7, 5, simulations=19
    )
    assert res.n_events == len(df) > 10_000
    assert res.observed.sum() > 0
    # shootings in New York are known to near-repeat: the closest band shows excess
    assert res.ratio[0, 0] > 1.1


# --- demo data through the roles' own logins -----------------------------------------------------


@pytest.fixture(scope="module")
def three_years(demo_loaded):
    end = pd.Timestamp(demo_loaded["end"]) if "end" in demo_loaded else None
    end = end.to_pydatetime() if end is not None else pd.Timestamp.now(tz="Europe/Stockholm")
    return queries.Filter(start=end - timedelta(days=3 * 365), end=end)


def _cell_near(lattice, name: str):
    d = geo.districts()
    row = d[d["name"] == name].iloc[0]
    cx, cy = lattice.centres()
    return np.hypot(cx - row.cx, cy - row.cy)


def test_demo_hot_spots_are_where_the_hot_spots_were_planted(reader_engines, three_years):
    with reader_engines["police_analyst"].connect() as conn:
        hs = service.hot_spots(conn, three_years, 250, 1, 99_999)
    assert hs.precision == "exact" and hs.n_points > 2000
    hot = hs.gi.level >= 2
    assert hot.sum() >= 5
    for name in ("Ronna", "Geneta", "Hovsjö"):
        assert hot[_cell_near(hs.lattice, name) < 600].any(), name
    # far from every planted hot spot (Vårdinge, countryside) nothing is hot
    assert not hot[_cell_near(hs.lattice, "Vårdinge") < 2000].any()


def test_grid_roles_analyse_snapped_positions(reader_engines, three_years):
    with reader_engines["municipal_staff"].connect() as conn:
        pts = service.load_points(conn, three_years)
        hs = service.hot_spots(conn, three_years, 500, 1, 99_999)
    assert service.precision_of(pts) == "grid"
    # snapped to 250 m cell centres
    assert np.allclose((pts.x - 125) % 250, 0) and np.allclose((pts.y - 125) % 250, 0)
    assert "cache" not in set(pts.kind)  # municipal staff may not see caches as points
    assert hs.precision == "grid" and (hs.gi.level >= 2).sum() >= 3


def test_field_worker_gets_no_positions(reader_engines, three_years):
    with reader_engines["field_worker"].connect() as conn:
        pts = service.load_points(conn, three_years)
    assert pts.empty and service.precision_of(pts) == "none"


def test_demo_emerging_and_near_repeat_and_time(reader_engines, three_years):
    with reader_engines["police_analyst"].connect() as conn:
        em, prec = service.emerging(conn, three_years, 500, "quarter")
        nr = service.near_repeat(conn, three_years, now=three_years.end)
        tp = service.temporal(
            conn, queries.Filter(three_years.start, three_years.end, kinds=("car_fire",))
        )
    assert prec == "exact" and em.counts.shape[1] == 12
    ronna = em.category[_cell_near(em.lattice, "Ronna") < 700]
    assert set(ronna) & {"persistent_hot", "intensifying_hot", "consecutive_hot"}
    hovsjo = _cell_near(em.lattice, "Hovsjö") < 700
    assert em.trend.tau[hovsjo].max() > 0  # Hovsjö is emerging
    shooting = next(r for r in nr if r.kind == "shooting")
    assert shooting.knox is not None and shooting.spec is not None  # planted near repeats
    assert shooting.spec.radius_m <= 300 and shooting.spec.days <= 21
    day, hour = tp.grid.peak()
    assert day in (4, 5, 6) and (hour >= 21 or hour <= 2)  # weekend nights
    assert tp.grid.windowed > 0  # some car fires are known only by a window
    assert tp.season.p < 0.05


def _rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows in one order (by every column: grid rows can differ in one column only), every
    missing value as None (a column read with no value in it is None, beside a time's NaT)."""
    out = df.astype(object)
    out = out.where(out.notna(), None)
    if out.empty:
        return out.reset_index(drop=True)
    text = out.map(repr).agg("|".join, axis=1)
    return out.iloc[text.argsort(kind="stable")].reset_index(drop=True)


@pytest.mark.parametrize("role", ["police_analyst", "municipal_staff", "security_chief"])
def test_split_points_are_the_rows_of_one_read(reader_engines, three_years, role):
    """The analyses' points with the whole past days from a kept read (split_points) are the
    rows one read of the window gives, for exact and grid positions, for windows whose first
    and last hours hold records, a window from a midnight and one inside a single day."""
    end = pd.Timestamp(three_years.end).tz_convert("Europe/Stockholm")
    evening = (end - pd.Timedelta(days=2)).normalize() + pd.Timedelta(hours=18)
    windows = [
        (evening - pd.Timedelta(days=365), evening),
        (evening - pd.Timedelta(days=90), evening),
        ((evening - pd.Timedelta(days=30)).normalize(), evening),  # from a midnight
        (evening - pd.Timedelta(hours=10), evening),  # within one day: no whole day
        (pd.Timestamp(three_years.start), pd.Timestamp(three_years.end)),
    ]
    with reader_engines[role].connect() as conn:
        kinds = service.queries.visible_kinds(conn, service.queries.POSITION_PRECISIONS)
        reads = []

        def settled(a, b):
            reads.append((a, b))
            return service.load_points(conn, service.queries.Filter(a, b, kinds))

        first_and_last = 0
        for start, stop in windows:
            flt = service.queries.Filter(start.to_pydatetime(), stop.to_pydatetime(), kinds[:2])
            one = service.load_points(conn, flt)
            split = service.split_points(conn, flt, settled)
            pd.testing.assert_frame_equal(_rows(split), _rows(one))
            span = periods.settled_span(flt.start, flt.end)
            if span is not None:
                assert len(one) > 0
                outside = (one["occurred_at"] < span[0]) | (one["occurred_at"] >= span[1])
                first_and_last += int(outside.any())
        assert len(reads) == 4 and first_and_last >= 2  # the parts were read, and held rows


def test_demo_compstat_and_coverage(reader_engines, three_years):
    with reader_engines["police_analyst"].connect() as conn:
        cs = service.compstat(conn, three_years, three_years.end)
        hs, gaps = service.coverage(conn, three_years, 250, 1, 99_999)
    with reader_engines["security_chief"].connect() as conn:
        cs_chief = service.compstat(conn, three_years, three_years.end)
    for key in ("ytd", "28d"):
        table = cs[key].table
        assert set(table["verdict"]) <= {"significant", "not_significant", "too_few", "suppressed"}
        assert (table["now"].fillna(0) >= 0).all() and len(table) > 10
    # the security chief sees caches only as area counts: CompStat still covers them
    assert "cache" in set(cs_chief["ytd"].table["kind"])
    assert gaps.cameras_known and len(gaps.cells) == int((hs.gi.level >= 2).sum())
    assert len(gaps.clusters) >= 1
    assert gaps.cells["walk_hour_incidents"].sum() > 0


def test_hex_size_and_lattice_region_from_database(reader_engines):
    with reader_engines["municipal_staff"].connect() as conn:
        region = service.study_region(conn)
    assert region is not None and region.area > 100e6  # Södertälje is ~500 km²
    lat = hexgrid.lattice_for(250, region)
    assert 2000 < len(lat) < 6000
