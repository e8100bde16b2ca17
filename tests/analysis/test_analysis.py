"""Reference-correctness tests for pax_geo.analysis (no database): Gi* against esda, Knox against
brute force, Mann-Kendall on known series, KDE integral, hexagon grid against real polygons."""

from __future__ import annotations

import warnings

import esda
import libpysal
import numpy as np
import pandas as pd
import pymannkendall
import pytest
import scipy.sparse as sp
import shapely

from pax_geo.analysis import (
    compstat,
    coverage,
    density,
    emerging,
    getis,
    hexgrid,
    nearrepeat,
    temporal,
    trend,
)

warnings.filterwarnings("ignore", category=FutureWarning)


# --- hexagon grid ---------------------------------------------------------------------------------


def test_hex_binning_puts_every_point_in_its_polygon():
    rng = np.random.default_rng(1)
    x = rng.uniform(600_000, 620_000, 5000)
    y = rng.uniform(6_550_000, 6_570_000, 5000)
    q, r = hexgrid.axial_coords(x, y, 250)
    polys = hexgrid.polygons(q, r, 250)
    assert shapely.contains_xy(polys, x, y).all() or (
        shapely.distance(polys, shapely.points(x, y)).max() < 1e-6
    )
    counts = hexgrid.hex_counts(x, y, 250)
    assert counts.total == 5000
    assert np.isclose(
        shapely.area(hexgrid.polygons(counts.q[:1], counts.r[:1], 250))[0], hexgrid.cell_area(250)
    )


def test_hex_counts_equal_a_spatial_join():
    import geopandas as gpd

    rng = np.random.default_rng(2)
    x = rng.normal(610_000, 1500, 3000)
    y = rng.normal(6_560_000, 1500, 3000)
    lat = hexgrid.lattice_for(250, x=x, y=y)
    cells = gpd.GeoDataFrame({"k": np.arange(len(lat))}, geometry=lat.polygons(), crs=3006)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=3006)
    joined = gpd.sjoin(pts, cells, predicate="within")
    ref = np.bincount(joined["k"], minlength=len(lat))
    assert (lat.values(hexgrid.hex_counts(x, y, 250)) == ref).all()


def test_hex_neighbours_equal_contiguity_of_the_polygons():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 3000, 400)
    y = rng.uniform(0, 3000, 400)
    lat = hexgrid.lattice_for(250, x=x, y=y)
    mine = lat.neighbours(1)
    # polygons that share an edge (within a millimetre: vertices are floating point)
    polys = lat.polygons()
    tree = shapely.STRtree(polys)
    a, b = tree.query(polys, predicate="dwithin", distance=1e-3)
    keep = a != b
    touch = sp.csr_matrix((np.ones(keep.sum()), (a[keep], b[keep])), shape=mine.shape)
    assert (abs(mine - touch) > 0).nnz == 0
    # and libpysal's distance band on the centroids (neighbour centres are sqrt(3) * size apart)
    cx, cy = lat.centres()
    band = libpysal.weights.DistanceBand(
        np.column_stack([cx, cy]), threshold=250 * np.sqrt(3) * 1.01, silence_warnings=True
    )
    assert (abs(mine - band.sparse) > 0).nnz == 0
    assert mine.sum(axis=1).max() == 6


def test_lattice_follows_the_region_and_keeps_every_point():
    region = shapely.box(0, 0, 5000, 4000)
    lat = hexgrid.lattice_for(250, region, x=np.array([7000.0]), y=np.array([100.0]))
    cx, cy = lat.centres()
    inside = shapely.contains_xy(region, cx, cy)
    assert inside.sum() == len(lat) - 1  # the outside point got its own cell
    with pytest.raises(ValueError, match="positive number of metres"):
        hexgrid.hex_counts(np.zeros(2), np.zeros(2), 0)
    with pytest.raises(ValueError, match="finite"):
        hexgrid.axial_coords(np.array([np.nan]), np.array([1.0]), 250)


# --- Gi* ------------------------------------------------------------------------------------------


def _lattice_values(seed: int = 1):
    w = libpysal.weights.lat2W(20, 20, rook=False)
    rng = np.random.default_rng(seed)
    y = rng.poisson(2, 400).astype(float)
    y[:60] += 5  # a hot band
    y[340:] = 0  # a cold band
    return w, y


def test_gi_star_equals_esda_on_a_known_lattice():
    w, y = _lattice_values()
    ref = esda.G_Local(y, w, transform="B", star=True, permutations=199, seed=7, n_jobs=1)
    mine = getis.gi_star(y, w.sparse, permutations=199, seed=7, randomisation="conditional")
    np.testing.assert_allclose(mine.g, ref.Gs, rtol=1e-12)
    np.testing.assert_allclose(mine.z, ref.Zs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mine.expected, ref.EGs, rtol=1e-12)
    np.testing.assert_allclose(mine.variance, ref.VGs, rtol=1e-10)
    np.testing.assert_allclose(mine.p_norm, ref.p_norm, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(mine.p_sim, ref.p_sim, atol=1e-6)  # esda stores float32
    # the general Getis-Ord formula gives the same z
    z = getis.getis_ord_z(y, w.sparse + sp.eye(400))
    np.testing.assert_allclose(z, ref.Zs, rtol=1e-10, atol=1e-12)


def test_gi_star_finds_the_planted_band_and_fdr_matches_esda():
    w, y = _lattice_values()
    res = getis.gi_star(y, w.sparse, permutations=9999, seed=3)
    top = res.level[:60] > 0
    assert top.mean() > 0.5  # most of the hot band is found
    assert (res.level[60:340] > 0).mean() < 0.1
    assert (res.level[340:] < 0).any()  # the cold band is found as cold
    p = res.p_two_sided
    for alpha in (0.1, 0.05, 0.01):
        cut = esda.fdr(p, alpha)
        if getis.bh_reject(p, alpha).any():
            assert (getis.bh_reject(p, alpha) == (p < cut)).all()


def test_total_randomisation_matches_brute_force_draws():
    """The shared reference distribution equals drawing each neighbourhood's size at random."""
    w, y = _lattice_values(5)
    wstar = sp.csr_matrix(w.sparse + sp.eye(400))
    g = (wstar @ y) / y.sum()
    p_fast = getis._total_p(y, wstar, g, 2000, seed=11)
    ids = getis.fast_permutation_ids(401, int(np.diff(wstar.indptr).max()), 2000, 11)
    sums = np.cumsum(y[ids], axis=1) / y.sum()
    card = np.diff(wstar.indptr)
    for i in range(0, 400, 37):
        ref = sums[:, card[i] - 1]
        ge, le = (ref >= g[i] - 1e-12).sum(), (ref <= g[i] + 1e-12).sum()
        assert p_fast[i] == pytest.approx(min(1, 2 * (min(ge, le) + 1) / 2001))


def test_gi_star_bad_input():
    with pytest.raises(ValueError, match="weights are"):
        getis.gi_star(np.ones(5), sp.eye(4))
    with pytest.raises(ValueError, match="randomisation"):
        getis.gi_star(np.arange(9.0), sp.eye(9) * 0, randomisation="other")


# --- Mann-Kendall -----------------------------------------------------------------------------------


def test_mann_kendall_known_series():
    # x = 1, 2, 3, 2, 5: pairs (i<j) with sign(x_j - x_i):
    # from 1: +,+,+,+ (4); from 2: +,0,+ (2); from 3: -,+ (0); from 2: + (1) -> S = 7
    # ties: one group of two 2s -> Var = (5*4*15 - 2*1*9) / 18 = 282/18 = 15.667
    # Z = (7 - 1) / sqrt(15.667) = 1.5159, p = 0.1296, tau = 7 / 10
    mk = trend.mann_kendall([1, 2, 3, 2, 5])
    assert mk.s == 7
    assert mk.var_s == pytest.approx(282 / 18)
    assert mk.z == pytest.approx(6 / np.sqrt(282 / 18))
    assert mk.p == pytest.approx(0.12955, abs=1e-5)
    assert mk.tau == pytest.approx(0.7)
    # a strictly increasing series of 10: S = 45, Var = 10*9*25/18 = 125
    mk = trend.mann_kendall(np.arange(10))
    assert mk.s == 45 and mk.var_s == 125 and mk.z == pytest.approx(44 / np.sqrt(125))


def test_mann_kendall_equals_pymannkendall_on_tied_series():
    rng = np.random.default_rng(3)
    x = rng.poisson(2, (40, 24)).astype(float) + np.linspace(0, 2, 24)
    mine = trend.mann_kendall(x)
    for i in range(40):
        ref = pymannkendall.original_test(x[i])
        assert mine.s[i] == pytest.approx(ref.s)
        assert mine.var_s[i] == pytest.approx(ref.var_s)
        assert mine.z[i] == pytest.approx(ref.z)
        assert mine.p[i] == pytest.approx(ref.p)


# --- density ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bw", [50.0, 200.0, 800.0, "scott"])
def test_density_integrates_to_point_count(bw):
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.normal(610_000, 300, 3000), rng.uniform(600_000, 620_000, 2000)])
    y = np.concatenate([rng.normal(6_560_000, 300, 3000), rng.uniform(6_550_000, 6_570_000, 2000)])
    d = density.kde(x, y, bw, 512)
    assert d.integral() == pytest.approx(5000, rel=5e-3)
    # the peak is at the cluster, not in the uniform background
    i, j = np.unravel_index(np.argmax(d.values), d.shape)
    assert abs(d.x0 + i * d.dx - 610_000) < 500 and abs(d.y0 + j * d.dy - 6_560_000) < 500


def test_density_bad_input():
    with pytest.raises(ValueError, match="at least 2 points"):
        density.kde(np.array([1.0]), np.array([1.0]))
    with pytest.raises(ValueError, match="bandwidth"):
        density.kde(np.arange(5.0), np.arange(5.0), -1)


# --- Knox ----------------------------------------------------------------------------------------------


def _events(n: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 400, n)
    y = rng.normal(0, 400, n)
    t = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 200, n), unit="D")
    # near repeats: copies 50 m / 3 days after some events
    k = n // 5
    x = np.concatenate([x, x[:k] + rng.normal(0, 40, k)])
    y = np.concatenate([y, y[:k] + rng.normal(0, 40, k)])
    t = pd.Series(t.append(t[:k] + pd.to_timedelta(rng.uniform(0, 6, k), unit="D")))
    return x, y, t


def test_knox_counts_equal_brute_force():
    x, y, t = _events(300, 5)
    res = nearrepeat.knox(x, y, t, 100, 5, 7, 4, simulations=19, seed=9, chunk=37)
    rng = np.random.default_rng(9)
    perms = np.stack([rng.permutation(len(x)) for _ in range(19)])
    obs, sims = nearrepeat.knox_brute_force(x, y, t, 100, 5, 7, 4, perms)
    assert (res.observed == obs).all()
    np.testing.assert_allclose(res.simulated_mean, sims.mean(axis=0))
    assert (res.n_at_least == (sims >= obs[None]).sum(axis=0)).all()
    assert res.observed.sum() > 0


def test_knox_finds_near_repeats_and_a_risk_zone():
    x, y, t = _events(400, 6)
    # BH across the 25 bands needs p-values below 0.01, so more than 99 simulations
    res = nearrepeat.knox(x, y, t, 100, 5, 7, 5, simulations=999, seed=1)
    assert res.ratio[0, 0] > 1.2 and res.p[0, 0] <= 0.02
    spec = nearrepeat.risk_spec(res)
    assert spec is not None and spec.radius_m >= 100 and spec.days >= 7
    ev = pd.DataFrame({"x": x, "y": y, "occurred_at": t, "id": np.arange(len(x))})
    now = (t.max() + pd.Timedelta(hours=1)).ceil("s")  # a datetime holds microseconds
    zones = nearrepeat.risk_zones(ev, spec, now.to_pydatetime())
    assert len(zones) > 0
    assert (zones["until"] > now).all()
    assert (
        pd.to_datetime(zones["occurred_at"], utc=True) >= now - pd.Timedelta(days=spec.days)
    ).all()
    assert np.allclose(
        shapely.area(zones["geometry"].to_numpy()), np.pi * spec.radius_m**2, rtol=0.05
    )


def test_knox_without_interaction_finds_nothing():
    rng = np.random.default_rng(8)
    x, y = rng.uniform(0, 3000, 500), rng.uniform(0, 3000, 500)
    t = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 365, 500), unit="D")
    res = nearrepeat.knox(x, y, t, 100, 3, 7, 3, simulations=99, seed=2)
    assert nearrepeat.risk_spec(res) is None


def test_knox_chunks_do_not_change_the_result():
    x, y, t = _events(600, 7)
    a = nearrepeat.knox(x, y, t, 150, 4, 10, 3, simulations=9, seed=4, chunk=50)
    b = nearrepeat.knox(x, y, t, 150, 4, 10, 3, simulations=9, seed=4, chunk=100_000)
    assert (a.observed == b.observed).all() and (a.simulated_mean == b.simulated_mean).all()
    assert a.n_pairs == b.n_pairs


def test_knox_bad_input():
    with pytest.raises(ValueError, match="same length"):
        nearrepeat.knox(np.zeros(3), np.zeros(2), pd.Series(pd.to_datetime(["2024-01-01"] * 3)))
    with pytest.raises(ValueError, match="missing"):
        nearrepeat.knox(np.zeros(2), np.zeros(2), pd.Series([pd.NaT, pd.Timestamp("2024-01-01")]))


# --- emerging hot spots -------------------------------------------------------------------------------


def _status(rows):
    return np.array(rows, dtype=np.int8)


def test_emerging_categories_follow_the_rules():
    T = 10
    status = _status(
        [
            [0] * 9 + [1],  # new
            [0] * 5 + [1] * 5,  # consecutive
            [1] * 10,  # persistent (no trend)
            [1] * 10,  # intensifying (trend up)
            [1] * 10,  # diminishing (trend down)
            [1, 0, 1, 0, 0, 1, 0, 0, 1, 1],  # sporadic
            [1, -1, 0, 1, 0, 0, 0, 0, 1, 1],  # oscillating
            [1] * 9 + [0],  # historical
            [0] * T,  # nothing
            [0] * 9 + [-1],  # new cold
        ]
    )
    tr = np.array([0, 0, 0, 1, -1, 0, 0, 0, 0, 0], dtype=np.int8)
    hot = emerging._categories(status, tr, +1)
    cold = emerging._categories(status, tr, -1)
    assert list(hot[:8]) == [
        "new_hot",
        "consecutive_hot",
        "persistent_hot",
        "intensifying_hot",
        "diminishing_hot",
        "sporadic_hot",
        "oscillating_hot",
        "historical_hot",
    ]
    assert hot[8] == "" and cold[8] == ""
    assert cold[9] == "new_cold"


def test_emerging_finds_a_growing_and_a_fading_hot_spot():
    rng = np.random.default_rng(12)
    end = pd.Timestamp("2026-01-01", tz="Europe/Stockholm")
    start = end - pd.Timedelta(days=12 * 30)
    frames = []
    for cx, weight in ((0.0, np.linspace(0.2, 2.0, 12)), (3000.0, np.linspace(2.0, 0.4, 12))):
        for k, w in enumerate(weight):
            n = int(40 * w)
            frames.append(
                pd.DataFrame(
                    {
                        "x": rng.normal(cx, 150, n),
                        "y": rng.normal(0, 150, n),
                        "t": start
                        + pd.Timedelta(days=30 * k)
                        + pd.to_timedelta(rng.uniform(0, 30, n), unit="D"),
                    }
                )
            )
    bg = 600
    frames.append(
        pd.DataFrame(
            {
                "x": rng.uniform(-4000, 7000, bg),
                "y": rng.uniform(-4000, 4000, bg),
                "t": start + pd.to_timedelta(rng.uniform(0, 360, bg), unit="D"),
            }
        )
    )
    df = pd.concat(frames, ignore_index=True)
    lat = hexgrid.lattice_for(
        300, shapely.box(-4000, -4000, 7000, 4000), df.x.to_numpy(), df.y.to_numpy()
    )
    cube = emerging.build_cube(
        lat,
        df.x.to_numpy(),
        df.y.to_numpy(),
        df.t,
        end.to_pydatetime(),
        "month",
        start=start.to_pydatetime(),
    )
    assert cube.counts.shape[1] == 12 and cube.counts.sum() == len(df) - cube.dropped
    em = emerging.emerging_hot_spots(cube, lat.neighbours(1))
    g = lat.lookup(*hexgrid.axial_coords(np.array([0.0]), np.array([0.0]), 300))[0]
    f = lat.lookup(*hexgrid.axial_coords(np.array([3000.0]), np.array([0.0]), 300))[0]
    assert em.category[g] in {"new_hot", "consecutive_hot", "intensifying_hot"}
    assert em.trend.tau[g] > 0.3
    assert em.trend.tau[f] < -0.3
    assert em.category[f] not in {"new_hot", "consecutive_hot", "intensifying_hot"}


def test_cube_needs_enough_steps():
    lat = hexgrid.lattice_for(250, x=np.zeros(3), y=np.zeros(3))
    end = pd.Timestamp("2026-01-01", tz="UTC")
    with pytest.raises(ValueError, match="full month steps"):
        emerging.build_cube(
            lat,
            np.zeros(3),
            np.zeros(3),
            pd.Series([end] * 3),
            end,
            "month",
            start=end - pd.Timedelta(days=40),
        )


# --- temporal --------------------------------------------------------------------------------------------


def test_aoristic_weights_spread_over_local_hours():
    df = pd.DataFrame(
        {
            # Friday 7 March 2025 22:00-02:00 local (CET = UTC+1), and an exact Saturday 03:00
            "occurred_at": pd.to_datetime(["2025-03-07 23:00", "2025-03-08 02:00"], utc=True),
            "occurred_from": pd.to_datetime(["2025-03-07 21:00", None], utc=True),
            "occurred_to": pd.to_datetime(["2025-03-08 01:00", None], utc=True),
        }
    )
    hw = temporal.hour_weekday(df)
    assert hw.grid.sum() == pytest.approx(2.0)
    assert hw.grid[4, 22] == pytest.approx(0.25) and hw.grid[4, 23] == pytest.approx(0.25)
    assert hw.grid[5, 0] == pytest.approx(0.25) and hw.grid[5, 1] == pytest.approx(0.25)
    assert hw.grid[5, 3] == pytest.approx(1.0)
    assert (hw.exact, hw.windowed) == (1, 1)
    # without aoristic weighting the window incident counts at its occurred_at (Sat 00:00)
    plain = temporal.hour_weekday(df, aoristic=False)
    assert plain.grid[5, 0] == 1.0


def test_long_windows_are_spread_evenly_and_keep_weight_one():
    df = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(["2025-05-20 12:00"], utc=True),
            "occurred_from": pd.to_datetime(["2025-05-01 00:00"], utc=True),
            "occurred_to": pd.to_datetime(["2025-05-29 05:00"], utc=True),
        }
    )
    hw = temporal.hour_weekday(df)
    assert hw.grid.sum() == pytest.approx(1.0)
    assert hw.grid.max() / hw.grid.min() < 1.6


def test_seasonality_detects_a_summer_peak():
    rng = np.random.default_rng(0)
    days = pd.date_range("2022-01-01", "2024-12-31", freq="D", tz="Europe/Stockholm")
    lam = np.where(days.month.isin([6, 7, 8]), 3.0, 1.0)
    n = rng.poisson(lam)
    times = pd.Series(np.repeat(days, n) + pd.Timedelta(hours=12))
    s = temporal.seasonality(times, days[0], days[-1] + pd.Timedelta(days=1))
    idx = s.months.set_index("month")["index"]
    assert idx[7] > 1.5 and idx[1] < 0.8 and s.p < 1e-6


# --- CompStat -------------------------------------------------------------------------------------------


def test_compstat_test_and_verdicts():
    assert compstat.compare(3, 1)[2] == "too_few"  # 4 events can never reach p < 0.05
    d, p, v = compstat.compare(30, 10)
    assert d == "up" and v == "significant" and p == pytest.approx(0.0022, abs=2e-4)
    d, p, v = compstat.compare(12, 10)
    assert d == "up" and v == "not_significant"
    assert compstat.compare(0, 0) == ("same", None, "too_few")
    cur = pd.DataFrame(
        {"area_id": [1, 2], "kind": ["car_fire"] * 2, "n": [30, None], "suppressed": [False, True]}
    )
    prev = pd.DataFrame(
        {"area_id": [1, 2], "kind": ["car_fire"] * 2, "n": [10, 5], "suppressed": [False, False]}
    )
    tab = compstat.compstat_table(cur, prev, 1.0, 1.0, {1: "A", 2: "B"})
    assert list(tab["verdict"]) == ["significant", "suppressed"]
    assert tab.loc[0, "change"] == pytest.approx(2.0)


def test_compstat_periods():
    now = pd.Timestamp("2026-03-15 10:00", tz="Europe/Stockholm").to_pydatetime()
    ytd, d28 = compstat.periods(now)
    assert ytd.current[0].month == 1 and ytd.current[0].day == 1 and ytd.previous[0].year == 2025
    assert ytd.previous[1].year == 2025 and ytd.previous[1].month == 3 and ytd.previous[1].day == 15
    assert d28.current[1] - d28.current[0] == pd.Timedelta(days=28)
    assert d28.previous[1] == d28.current[0]


# --- coverage ----------------------------------------------------------------------------------------------


def test_schedule_windows_cross_midnight():
    sched = [
        {"weekday": 4, "start": "20:00", "end": "00:00"},
        {"weekday": 5, "start": "20:00", "end": "01:00"},
    ]
    times = pd.Series(
        pd.to_datetime(
            [
                "2025-03-07 21:30",
                "2025-03-07 19:30",
                "2025-03-08 23:59",
                "2025-03-09 00:30",
                "2025-03-09 01:30",
            ]
        ).tz_localize("Europe/Stockholm")
    )
    assert list(coverage.in_schedule(times, sched)) == [True, False, True, True, False]
    with pytest.raises(ValueError, match="schedule entry 1"):
        coverage.in_schedule(times, [{"weekday": 9, "start": "20:00", "end": "22:00"}])
    with pytest.raises(ValueError, match="HH:MM"):
        coverage.in_schedule(times, [{"weekday": 1, "start": "late", "end": "22:00"}])


def test_coverage_gaps_for_cameras_and_routes():
    rng = np.random.default_rng(0)
    # two tight clusters of incidents on Friday evenings: A under a camera, B far from everything
    fri = pd.Timestamp("2025-03-07 21:00", tz="Europe/Stockholm")
    n = 60
    pts = pd.DataFrame(
        {
            "x": np.concatenate(
                [rng.normal(0, 40, n), rng.normal(4000, 40, n), rng.uniform(-3000, 7000, 200)]
            ),
            "y": np.concatenate(
                [rng.normal(0, 40, n), rng.normal(0, 40, n), rng.uniform(-3000, 3000, 200)]
            ),
            "occurred_at": [
                fri + pd.Timedelta(weeks=int(k)) for k in rng.integers(0, 20, 2 * n + 200)
            ],
        }
    )
    lat = hexgrid.lattice_for(
        250, shapely.box(-3000, -3000, 7000, 3000), pts.x.to_numpy(), pts.y.to_numpy()
    )
    gi = getis.gi_star(
        lat.values(hexgrid.hex_counts(pts.x, pts.y, 250)), lat.neighbours(1), permutations=0
    )
    cams = pd.DataFrame({"status": ["active"], "geometry": [shapely.Point(0, 0).buffer(400)]})
    routes = pd.DataFrame(
        {
            "geometry": [shapely.LineString([(-500, 50), (500, 50)])],
            "schedule": [[{"weekday": 4, "start": "20:00", "end": "00:00"}]],
        }
    )
    gaps = coverage.coverage_gaps(lat, gi, pts, cams, routes, max_route_distance_m=300)
    cells = gaps.cells
    qa, ra = hexgrid.axial_coords(np.array([0.0]), np.array([0.0]), 250)
    qb, rb = hexgrid.axial_coords(np.array([4000.0]), np.array([0.0]), 250)
    at_a = ((cells["q"] == qa[0]) & (cells["r"] == ra[0])).to_numpy()
    at_b = ((cells["q"] == qb[0]) & (cells["r"] == rb[0])).to_numpy()
    assert at_a.any() and at_b.any()
    assert not cells.loc[at_a, "camera_gap"].any() and not cells.loc[at_a, "walk_gap"].any()
    assert cells.loc[at_b, "camera_gap"].all() and cells.loc[at_b, "walk_gap"].all()
    assert len(gaps.clusters) >= 2
    # without camera access only route gaps are judged
    nocam = coverage.coverage_gaps(lat, gi, pts, None, routes)
    assert not nocam.cameras_known and nocam.cells["camera_gap"].isna().all()


def test_coverage_counts_a_logged_route_only_on_the_evenings_it_was_walked():
    """Walks held (the night walkers' log) feed the coverage analysis: a route with logged walks
    covers an incident only on an evening it was walked; one with no log, by its schedule."""
    rng = np.random.default_rng(1)
    fri = pd.Timestamp("2025-03-07 21:00", tz="Europe/Stockholm")
    weeks = rng.integers(0, 10, 60)
    pts = pd.DataFrame(
        {
            "x": np.concatenate([rng.normal(0, 40, 60), rng.uniform(-3000, 3000, 150)]),
            "y": np.concatenate([rng.normal(0, 40, 60), rng.uniform(-3000, 3000, 150)]),
            # the cluster on Friday nights, some after midnight (still that evening's walk)
            "occurred_at": [
                fri + pd.Timedelta(weeks=int(k), hours=int(h))
                for k, h in zip(weeks, rng.integers(0, 4, 60), strict=True)
            ]
            + [fri + pd.Timedelta(weeks=int(k)) for k in rng.integers(0, 10, 150)],
        }
    )
    lat = hexgrid.lattice_for(
        250, shapely.box(-3000, -3000, 3000, 3000), pts.x.to_numpy(), pts.y.to_numpy()
    )
    gi = getis.gi_star(
        lat.values(hexgrid.hex_counts(pts.x, pts.y, 250)), lat.neighbours(1), permutations=0
    )
    line = shapely.LineString([(-500, 50), (500, 50)])
    schedule = [{"weekday": 4, "start": "20:00", "end": "01:00"}]
    fridays = [(fri + pd.Timedelta(weeks=k)).date() for k in range(10)]
    qa, ra = hexgrid.axial_coords(np.array([0.0]), np.array([0.0]), 250)

    def walk_gap(held) -> bool:
        routes = pd.DataFrame({"geometry": [line], "schedule": [schedule], "held": [held]})
        cells = coverage.coverage_gaps(lat, gi, pts, None, routes, max_route_distance_m=300).cells
        at_a = ((cells["q"] == qa[0]) & (cells["r"] == ra[0])).to_numpy()
        assert at_a.any()
        return bool(cells.loc[at_a, "walk_gap"].all())

    assert not walk_gap([])  # no log: the schedule counts
    assert not walk_gap(fridays)  # walked every Friday
    assert walk_gap([fridays[0] - pd.Timedelta(days=7)])  # logged, but never on those Fridays
    # walked only on the evenings of three of the ten weeks: most incidents are uncovered
    assert walk_gap(fridays[:3])
    # after midnight belongs to the evening before
    evenings = coverage.walk_evenings(
        pd.Series([pd.Timestamp("2025-03-08 00:30", tz="Europe/Stockholm")])
    )
    assert str(evenings[0]) == "2025-03-07"
