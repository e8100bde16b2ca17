"""Statistical correctness of the analysis package against independent references (issue 14, §2).

Each test compares with a reference computed another way (exact rational arithmetic, brute-force
enumeration, the direct kernel sum, an exact binomial test over every split) or checks an error
rate on data where the truth is known (pure Poisson noise).
"""

from __future__ import annotations

import itertools
import json
import tracemalloc
from dataclasses import replace
from fractions import Fraction

import libpysal
import numpy as np
import pandas as pd
import pyproj
import pytest
import scipy.sparse as sp
import shapely
from scipy import stats

from pax_geo.analysis import compstat, density, emerging, getis, hexgrid, nearrepeat, service
from pax_geo.i18n import catalogue
from pax_geo.i18n import t as i18n_t

# --- 1. Benjamini-Hochberg -------------------------------------------------------------------------


def _bh_exact(p: list[Fraction], alpha: Fraction) -> np.ndarray:
    """Benjamini-Hochberg in exact rational arithmetic: reject the k smallest, k the largest
    rank with p_(k) <= k alpha / n (Benjamini & Hochberg 1995, step-up)."""
    n = len(p)
    order = sorted(range(n), key=lambda i: p[i])
    k = 0
    for rank, i in enumerate(order, start=1):
        if p[i] <= rank * alpha / n:
            k = rank
    out = np.zeros(n, dtype=bool)
    out[order[:k]] = True
    return out


def _q_exact(p: list[Fraction]) -> list[Fraction]:
    n = len(p)
    order = sorted(range(n), key=lambda i: p[i])
    q = [Fraction(0)] * n
    running = Fraction(1)
    for rank in range(n, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * n / rank)
        q[i] = running
    return q


def test_bh_rejects_exact_ties_at_the_boundary():
    # 999 permutations: p = 2 (m + 1) / 1000. Four cells at m = 0 give p_(4) = 0.002 = 4 * 0.05 / 100
    perms = 999
    p = [Fraction(2, perms + 1)] * 4 + [Fraction(1)] * 96
    ref = _bh_exact(p, Fraction(5, 100))
    assert ref.sum() == 4
    pf = np.array([float(v) for v in p])
    assert (getis.bh_reject(pf, 0.05) == ref).all()
    assert (getis.bh_qvalues(pf) <= 0.05 * (1 + getis.BH_RTOL)).sum() == 4


@pytest.mark.parametrize("seed", range(12))
def test_bh_equals_exact_reference_on_a_permutation_grid(seed):
    """Random p-values on the grid 2 (m + 1) / (P + 1) with many ties, against exact arithmetic."""
    rng = np.random.default_rng(seed)
    perms = int(rng.choice([99, 999, 9999]))
    n = int(rng.integers(5, 400))
    # a mix of tiny and null tail counts, so that ranks often sit exactly on k * alpha / n
    m = np.where(rng.random(n) < 0.3, rng.integers(0, 3, n), rng.integers(0, perms // 2, n))
    p = [min(Fraction(1), Fraction(2 * (int(v) + 1), perms + 1)) for v in m]
    pf = np.array([float(v) for v in p])
    q = getis.bh_qvalues(pf)
    np.testing.assert_allclose(q, [float(v) for v in _q_exact(p)], rtol=1e-12)
    for alpha in (Fraction(1, 10), Fraction(5, 100), Fraction(1, 100)):
        ref = _bh_exact(p, alpha)
        mine = getis.bh_reject(pf, float(alpha))
        assert (mine == ref).all()
        # bh_reject agrees with the q-values: q <= alpha exactly where rejected
        assert (np.array([v <= alpha for v in _q_exact(p)]) == mine).all()


# --- 2. CompStat "too few" -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when,expected_p", [("2028-12-31 12:00", 0.031), ("2028-02-29 18:00", 0.030)]
)
def test_compstat_too_few_follows_the_exact_test_across_29_february(when, expected_p):
    now = pd.Timestamp(when, tz="Europe/Stockholm").to_pydatetime()
    ytd, _ = compstat.periods(now)
    len1 = (ytd.current[1] - ytd.current[0]).total_seconds()
    len2 = (ytd.previous[1] - ytd.previous[0]).total_seconds()
    assert len1 != len2
    d, p, verdict = compstat.compare(0, 5, len1, len2)
    ref = stats.binomtest(0, 5, len1 / (len1 + len2)).pvalue
    assert verdict == "significant" and d == "down"
    assert p == pytest.approx(ref) and p == pytest.approx(expected_p, abs=1e-3)


@pytest.mark.parametrize("ratio", [1.0, 59.75 / 58.75, 1.3, 0.6, 3.0])
def test_compstat_too_few_iff_no_split_can_reach_alpha(ratio):
    """'Too few' exactly when no split of the total gives an exact p-value <= alpha."""
    p0 = ratio / (1 + ratio)
    for total in range(0, 16):
        best = min(
            (stats.binomtest(k, total, p0).pvalue for k in range(total + 1) if total), default=1.0
        )
        for n1 in range(total + 1):
            _, p, verdict = compstat.compare(n1, total - n1, ratio, 1.0)
            assert (verdict == "too_few") == (total == 0 or best > compstat.ALPHA), (total, n1)
            if verdict != "too_few":
                assert p == pytest.approx(stats.binomtest(n1, total, p0).pvalue)


# --- 3. permutation p-values with ties ---------------------------------------------------------------


@pytest.mark.parametrize("scale", [1.0, 1.0 / 3.0, 0.1])
def test_conditional_p_counts_ties_exactly(scale):
    """p_sim and the two-sided p against a brute-force count in integer arithmetic, with the same
    random neighbourhoods (esda's draws). Counts tie often; scaled values must tie the same way."""
    w = libpysal.weights.lat2W(12, 12, rook=False)
    counts = np.random.default_rng(4).poisson(1.5, 144)
    y = counts * scale
    perms = 199
    res = getis.gi_star(y, w.sparse, permutations=perms, seed=7, randomisation="conditional")
    wb = sp.csr_matrix(w.sparse)
    wb.sort_indices()
    card = np.diff(wb.indptr)
    ids = getis.esda_permutation_ids(144, int(card.max()), perms, 7)
    ties = 0
    for i in range(144):
        k = card[i]
        nb = wb.indices[wb.indptr[i] : wb.indptr[i + 1]]
        obs = int(counts[i] + counts[nb].sum())
        draw = ids[:, :k] + (ids[:, :k] >= i)
        rs = counts[draw].sum(axis=1) + counts[i]  # exact integers
        ge, le = int((rs >= obs).sum()), int((rs <= obs).sum())
        ties += int((rs == obs).sum())
        directed = ((perms - ge) if (perms - ge) < ge else ge) + 1
        assert res.p_sim[i] == pytest.approx(directed / (perms + 1), abs=1e-12), i
        two = min(1.0, 2 * (min(ge, le) + 1) / (perms + 1))
        assert res.p_two_sided[i] == pytest.approx(two, abs=1e-12), i
    assert ties > 100  # the case really has ties


# --- 4. density accuracy ------------------------------------------------------------------------------


def _bounds_3006(path, field, name):
    tr = pyproj.Transformer.from_crs(4326, 3006, always_xy=True)
    for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
        if f["properties"].get(field) == name:
            g = shapely.geometry.shape(f["geometry"])
            return shapely.transform(g, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
    raise AssertionError(f"{name} not in {path.name}")


@pytest.mark.parametrize(
    "file,field,name",
    [
        ("okfse_swedish_municipalities.geojson", "kom_namn", "Södertälje"),
        ("okfse_swedish_regions.geojson", "name", "Stockholm"),
    ],
)
def test_density_matches_the_direct_kernel_sum_at_random_nodes(shared_data, file, field, name):
    region = _bounds_3006(shared_data / file, field, name)
    minx, miny, maxx, maxy = region.bounds
    rng = np.random.default_rng(3)
    centres = shapely.get_coordinates(
        shapely.points(rng.uniform(minx, maxx, 40), rng.uniform(miny, maxy, 40))
    )
    k = rng.integers(0, 40, 3000)
    x = np.concatenate([centres[k, 0] + rng.normal(0, 150, 3000), rng.uniform(minx, maxx, 800)])
    y = np.concatenate([centres[k, 1] + rng.normal(0, 150, 3000), rng.uniform(miny, maxy, 800)])
    bw = 200.0
    d = density.kde(x, y, bw, 512, (minx - 800, miny - 800, maxx + 800, maxy + 800))
    assert d.dx <= bw / 2 + 1e-9 and d.dy <= bw / 2 + 1e-9
    vmax = d.values.max()
    # 200 random nodes where the surface is not negligible, and 100 anywhere
    live = np.argwhere(d.values > 1e-3 * vmax)
    sel = np.vstack(
        [
            live[rng.choice(len(live), 200, replace=False)],
            np.column_stack([rng.integers(0, d.shape[0], 100), rng.integers(0, d.shape[1], 100)]),
        ]
    )
    gx, gy = d.x0 + sel[:, 0] * d.dx, d.y0 + sel[:, 1] * d.dy
    ref = density.direct_sum(x, y, gx, gy, bw)
    got = d.values[sel[:, 0], sel[:, 1]]
    big = ref > 1e-3 * vmax
    assert big.sum() >= 200
    assert np.max(np.abs(got[big] - ref[big]) / ref[big]) <= 0.02
    assert np.max(np.abs(got[~big] - ref[~big])) <= 0.02 * 1e-3 * vmax
    assert d.integral() == pytest.approx(len(x), rel=5e-3)


def test_density_refuses_a_grid_too_large_for_the_bandwidth():
    x = np.array([0.0, 1000.0, 500_000.0])
    y = np.array([0.0, 1000.0, 500_000.0])
    with pytest.raises(ValueError, match="larger bandwidth or a smaller area"):
        density.kde(x, y, 200.0)
    d = density.kde(x, y, 1000.0)  # 500 m spacing: fine
    assert d.dx <= 500.0


# --- 5. emerging hot spots on sparse counts ------------------------------------------------------------


def test_emerging_holds_the_false_discovery_rate_on_noise():
    """On pure Poisson noise the share of steps with any hot or cold bin stays at or below the FDR
    level (under the global null FDR = the chance of any false discovery), and noise rarely yields
    a category. 4 rates x 100 cubes of 111 cells x 12 steps."""
    lat = hexgrid.lattice_for(500, shapely.box(0, 0, 9000, 9000), np.array([1.0]), np.array([1.0]))
    nb = lat.neighbours(1)
    m, T, n = len(lat), 12, 100
    edges = pd.date_range("2025-01-01", periods=T + 1, freq="30D", tz="UTC")
    alpha = 0.10
    for lam in (0.02, 0.1, 0.5, 2.0):
        steps = cubes = 0
        for seed in range(n):
            c = np.random.default_rng(seed).poisson(lam, (m, T)).astype(float)
            em = emerging.emerging_hot_spots(emerging.Cube(lat, c, edges, 0), nb, alpha=alpha)
            steps += int((em.status != 0).any(axis=0).sum())
            cubes += int((em.category != "no_pattern").any())
        # Monte Carlo slack: 3 binomial standard errors on the cube count (steps are correlated)
        slack = 3 * np.sqrt(alpha * (1 - alpha) / n)
        assert steps / (n * T) <= alpha + slack, (lam, steps / (n * T))
        assert cubes / n <= alpha + slack, (lam, cubes / n)


def test_emerging_exact_p_equals_the_binomial_reference():
    lat = hexgrid.lattice_for(500, shapely.box(0, 0, 4000, 4000), np.array([1.0]), np.array([1.0]))
    nb = sp.csr_matrix(lat.neighbours(1))
    rng = np.random.default_rng(5)
    c = rng.poisson(0.3, (len(lat), 10)).astype(float)
    c[3, 6:] += 4
    p, direction = emerging.space_time_exact_p(c, nb, 1)
    m = len(lat)
    for i in (0, 3, 17):
        cells = np.append(nb[i].indices, i)
        for t in (0, 5, 9):
            steps = [s for s in (t - 1, t) if s >= 0]
            s_obs = int(c[np.ix_(cells, steps)].sum())
            total = int(c[:, steps].sum())
            dist = stats.binom(total, len(cells) / m)
            ref = min(1.0, 2 * min(dist.sf(s_obs - 1), dist.cdf(s_obs)))
            assert p[i, t] == pytest.approx(ref, rel=1e-9, abs=1e-300)
            assert direction[i, t] == np.sign(s_obs - total * len(cells) / m)


def test_emerging_step_gives_at_least_ten_steps_or_refuses():
    end = pd.Timestamp("2026-12-01", tz="Europe/Stockholm")
    for days, step in ((90, "week"), (365, "month"), (3 * 365, "quarter")):
        got = emerging.choose_step(end - pd.Timedelta(days=days), end)
        assert got == step
        assert days // emerging.STEP_DAYS[got] >= emerging.MIN_STEPS
    with pytest.raises(emerging.TooFewSteps) as err:
        emerging.choose_step(end - pd.Timedelta(days=60), end)
    assert err.value.n_steps == 8 and "at least 10" in str(err.value)
    lat = hexgrid.lattice_for(250, x=np.zeros(3), y=np.zeros(3))
    with pytest.raises(emerging.TooFewSteps, match="4 full quarter steps"):
        emerging.build_cube(
            lat,
            np.zeros(3),
            np.zeros(3),
            pd.Series([end] * 3),
            end,
            "quarter",
            start=end - pd.Timedelta(days=365),
        )
    # the page can explain it in both languages
    entry = catalogue()["an_emerging_too_few_steps"]
    assert "{steps}" in entry["sv"] and "{steps}" in entry["en"]


# --- 6. Gi* with non-binary weights ------------------------------------------------------------------


def test_gi_star_non_binary_weights_equal_exact_permutation_moments():
    """Expected value, variance and z of G*_i equal the exact moments over all 7! permutations of
    the values (the null hypothesis the Getis-Ord moments are derived under)."""
    rng = np.random.default_rng(2)
    n = 7
    y = rng.poisson(3, n).astype(float) + rng.random(n)
    xy = rng.uniform(0, 1000, (n, 2))
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    wfull = np.exp(-dist / 400.0)  # distance decay, self-weight 1 on the diagonal
    wfull[dist > 700] = 0.0
    np.fill_diagonal(wfull, 0.0)
    wfull = wfull / wfull.sum(axis=1, keepdims=True)  # row-standardised
    np.fill_diagonal(wfull, 0.5)
    res = getis.gi_star(y, sp.csr_matrix(wfull), permutations=0)
    total = y.sum()
    perms = np.array(list(itertools.permutations(range(n))))
    gs = (y[perms] @ wfull.T) / total  # (n!, n): G*_i for every permutation of the values
    mean, var = gs.mean(axis=0), gs.var(axis=0)
    g = wfull @ y / total
    np.testing.assert_allclose(res.g, g, rtol=1e-12)
    np.testing.assert_allclose(res.expected, mean, rtol=1e-10)
    np.testing.assert_allclose(res.variance, var, rtol=1e-10)
    np.testing.assert_allclose(res.z, (g - mean) / np.sqrt(var), rtol=1e-9)
    np.testing.assert_allclose(res.z, getis.getis_ord_z(y, wfull), rtol=1e-9)
    with pytest.raises(ValueError, match="binary weights"):
        getis.gi_star(y, sp.csr_matrix(wfull), permutations=99)  # total randomisation


# --- 7. Knox ----------------------------------------------------------------------------------------


def _knox_with(p_sig: np.ndarray, sims: int = 999) -> nearrepeat.Knox:
    shape = p_sig.shape
    n_at_least = np.where(p_sig, 0, sims // 2)
    return nearrepeat.Knox(
        np.arange(shape[0] + 1) * 100.0,
        np.arange(shape[1] + 1) * 7.0,
        np.full(shape, 20),
        np.full(shape, 10.0),
        np.ones(shape),
        n_at_least,
        sims,
        1000,
        5000,
    )


def test_knox_risk_zone_never_includes_a_band_that_is_not_significant():
    sig = np.zeros((5, 5), dtype=bool)
    sig[0, :4] = True  # 0-100 m up to 28 days
    sig[:3, 0] = True  # up to 300 m within 7 days: an L
    spec = nearrepeat.risk_spec(_knox_with(sig))
    assert spec is not None
    assert not (spec.significant & ~sig).any()
    assert (spec.radius_m, spec.days) == (100.0, 28.0)  # the larger arm
    sig[1, 1] = True  # now 2 x 2 (area 4) ties with 1 x 4: the tie goes to the larger radius
    spec = nearrepeat.risk_spec(_knox_with(sig))
    assert (spec.radius_m, spec.days) == (200.0, 14.0) and not (spec.significant & ~sig).any()
    sig[1, :4] = True
    spec = nearrepeat.risk_spec(_knox_with(sig))
    assert (spec.radius_m, spec.days) == (200.0, 28.0) and not (spec.significant & ~sig).any()


def test_knox_bands_are_corrected_for_multiple_testing():
    sig = np.zeros((5, 5), dtype=bool)
    sig[0, 0] = True
    k = _knox_with(sig, sims=99)  # one band at p = 0.01, uncorrected "significant"
    assert k.p[0, 0] == pytest.approx(0.01)
    assert k.q[0, 0] == pytest.approx(0.25)
    assert nearrepeat.risk_spec(k) is None
    np.testing.assert_allclose(k.q.ravel(), getis.bh_qvalues(k.p.ravel()))
    assert "q" in k.table().columns


def test_knox_bands_use_exact_times():
    t0 = pd.Timestamp("2026-05-01 00:00:00.0", tz="UTC")
    a = t0 + pd.Timedelta("0.9s")
    b = a + pd.Timedelta(days=6, hours=23, minutes=59, seconds=59.9)  # less than 7 days after a
    c = a + pd.Timedelta(days=7)  # exactly 7 days after a: second band
    x = np.array([10_000.0, 0.0, 0.0, 5_000.0, 5_000.0])
    y = np.zeros(5)
    t = pd.Series([t0, a, b, a + pd.Timedelta(days=30), c + pd.Timedelta(days=30)])
    res = nearrepeat.knox(x, y, t, 100, 1, 7, 2, simulations=3)
    # a-b (6 d 23:59:59.9) in 0-7 days; the pair at x = 5000 (exactly 7 d) in 7-14 days
    assert res.observed[0, 0] == 1 and res.observed[0, 1] == 1
    obs, _ = nearrepeat.knox_brute_force(x, y, t, 100, 1, 7, 2)
    assert (obs == res.observed).all()
    x2 = np.array([0.0, 0.0])
    res2 = nearrepeat.knox(x2, np.zeros(2), pd.Series([a, c]), 100, 1, 7, 2, simulations=3)
    assert res2.observed[0, 0] == 0 and res2.observed[0, 1] == 1


def test_close_pairs_are_counted_as_brute_force_counts_them():
    rng = np.random.default_rng(5)
    # clustered points, some exactly 500 m apart (on the distance itself) and some repeated
    x = np.concatenate([rng.normal(0, 300, 300), [0.0, 500.0, 0.0], rng.uniform(-2e3, 2e3, 50)])
    y = np.concatenate([rng.normal(0, 300, 300), [9e3, 9e3, 9e3], rng.uniform(-2e3, 2e3, 50)])
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    iu = np.triu_indices(len(x), 1)
    assert nearrepeat.count_close_pairs(x, y, 500.0) == int((d[iu] <= 500.0).sum())
    listed = sum(len(i) for i, _, _ in nearrepeat.close_pairs(x, y, 500.0))
    assert listed == int((d[iu] < 500.0).sum()) <= nearrepeat.count_close_pairs(x, y, 500.0)
    assert nearrepeat.count_close_pairs(x[:1], y[:1], 500.0) == 0


def test_recent_within_keeps_the_longest_recent_run_that_fits():
    """Events in time order: the index found is the smallest from which the rest have at most
    max_pairs close pairs (checked against every index), and all fit when they can."""
    rng = np.random.default_rng(8)
    x, y = rng.normal(0, 400, 120), rng.normal(0, 400, 120)

    def pairs_from(i: int) -> int:
        d = np.hypot(x[i:, None] - x[None, i:], y[i:, None] - y[None, i:])
        return int((d[np.triu_indices(len(x) - i, 1)] <= 500.0).sum())

    total = pairs_from(0)
    assert nearrepeat.recent_within(x, y, 500.0, total) == 0
    for budget in (45, 300, total // 3, total - 1):
        first = nearrepeat.recent_within(x, y, 500.0, budget)
        assert pairs_from(first) <= budget < pairs_from(first - 1), budget
    # never fewer than min_events: ten events have at most 45 pairs
    assert nearrepeat.recent_within(x, y, 500.0, 0) == len(x) - 10


def test_near_repeat_tests_only_the_most_recent_events_that_fit():
    """Above max_pairs the Knox test counts the most recent events whose close pairs fit, and
    says so; the risk zones still come from every event."""
    rng = np.random.default_rng(3)
    n = 400
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    times = (t0 + pd.to_timedelta(np.sort(rng.uniform(0, 300, n)), unit="D")).round("s")
    pts = pd.DataFrame(
        {
            "kind": "car_fire",
            "x": rng.normal(650_000, 300, n),
            "y": rng.normal(6_560_000, 300, n),
            "occurred_at": times[rng.permutation(n)],  # not in time order
            "precision": "exact",
        }
    )
    flt_end = (t0 + pd.Timedelta(days=301)).to_pydatetime()
    params = service.NearRepeatParams(simulations=19, max_pairs=5_000, kinds=("car_fire",))
    [nr] = service.near_repeat_of(pts, params, flt_end)
    assert nr.note == "recent" and 10 <= nr.n_tested < n == nr.n_events
    assert nr.knox is not None and nr.knox.n_events == nr.n_tested
    assert nr.knox.n_pairs <= 5_000
    tested = pts.sort_values("occurred_at").iloc[n - nr.n_tested :]
    assert nr.tested_from == tested["occurred_at"].iloc[0].to_pydatetime()
    [whole] = service.near_repeat_of(pts, replace(params, max_pairs=10**9), flt_end)
    assert whole.note == "" and whole.n_tested == n and whole.knox.n_events == n
    assert whole.tested_from == times[0].to_pydatetime()


def test_knox_memory_is_bounded_by_the_block_size():
    rng = np.random.default_rng(1)
    n, sims = 20_000, 199
    x, y = rng.uniform(0, 30_000, n), rng.uniform(0, 30_000, n)
    t = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 365, n), unit="D")
    small = 512 * 1024
    full_table = n * sims * 8  # 32 MB: what the simulations would hold at once without blocks
    nearrepeat.knox(x[:100], y[:100], t[:100], 100, 2, 7, 2, simulations=2)  # compile numba first
    tracemalloc.start()
    try:
        res = nearrepeat.knox(x, y, t, 100, 2, 7, 2, simulations=sims, table_bytes=small)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < full_table / 4, peak
    ref = nearrepeat.knox(x, y, t, 100, 2, 7, 2, simulations=sims)
    assert (res.observed == ref.observed).all() and (res.n_at_least == ref.n_at_least).all()


# --- 8. all events in one cell ---------------------------------------------------------------------


def test_all_events_in_one_cell_are_explained():
    """The Police feed often gives the municipality's point: z is huge, but the smallest p any
    cell can reach cannot pass FDR, and the page says why (Swedish and English)."""
    region = shapely.box(630_000, 6_540_000, 650_000, 6_560_000)
    pts = pd.DataFrame(
        {
            "x": np.r_[np.full(60, 640_100.0), 632_000.0, 648_000.0],
            "y": np.r_[np.full(60, 6_550_100.0), 6_542_000.0, 6_558_000.0],
            "precision": "exact",
        }
    )
    hs = service.hot_spots_from_points(pts, region, 250, 1, permutations=9_999)
    assert hs.gi.z.max() > 7 and not hs.gi.hot.any()
    note = hs.concentration()
    assert note is not None
    assert note.share == pytest.approx(60 / 62) and note.min_p > 0.10 / len(hs.values)
    for lang in ("sv", "en"):
        text = i18n_t("an_hotspots_concentrated", lang, share="97", z="18,7", p="p = 0,007")
        assert "97 %" in text and "18,7" in text and "p = 0,007" in text
    # spread-out events with a real cluster: no note
    rng = np.random.default_rng(2)
    spread = pd.DataFrame(
        {
            "x": np.r_[rng.uniform(630_000, 650_000, 400), rng.normal(640_000, 200, 150)],
            "y": np.r_[rng.uniform(6_540_000, 6_560_000, 400), rng.normal(6_550_000, 200, 150)],
            "precision": "exact",
        }
    )
    hs2 = service.hot_spots_from_points(spread, region, 250, 1, permutations=9_999)
    assert hs2.gi.hot.any() and hs2.concentration() is None
