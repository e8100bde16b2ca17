"""Evaluating a hot spot operation (pax_geo.analysis.evaluation) against independent references.

* WDQ / TNE: hand-worked exact rational arithmetic, and every reading branch incl. the exact
  thresholds;
* difference in differences: the closed form of the saturated Poisson model;
* error rates and behaviour on simulated data where the truth is known (fixed seeds).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pax_geo.analysis import compstat
from pax_geo.analysis import evaluation as ev
from pax_geo.analysis.evaluation import History, ZoneCounts
from pax_geo.i18n import catalogue, t

WEEKS = 26
PERIOD = 7.0 * WEEKS


def simulate(
    rng: np.random.Generator,
    before: dict[str, float],
    after: dict[str, float],
    weeks: int = WEEKS,
    gamma_shape: float | None = None,
) -> pd.DataFrame:
    """Weekly Poisson counts per zone (rates per week); with gamma_shape, each week's rate is
    multiplied by a Gamma(shape, 1/shape) draw (a negative binomial with alpha = 1/shape)."""
    rows = []
    for zone in ev.ZONES:
        for week in range(-weeks, weeks):
            lam = (before if week < 0 else after)[zone]
            if gamma_shape is not None:
                lam *= rng.gamma(gamma_shape, 1.0 / gamma_shape)
            rows.append((zone, week, 7.0, int(rng.poisson(lam))))
    return pd.DataFrame(rows, columns=["zone", "week", "days", "n"])


def constant(counts: dict[str, tuple[int, int]], weeks: int = WEEKS) -> pd.DataFrame:
    """Each zone's (before, after) totals spread over its first week of each period (the other
    weeks missing, i.e. zero)."""
    rows = []
    for zone, (b, a) in counts.items():
        rows.append((zone, -weeks, 7.0, b))
        rows.append((zone, 0, 7.0, a))
    return pd.DataFrame(rows, columns=["zone", "week", "days", "n"])


# --- 1. WDQ --------------------------------------------------------------------------------------


def test_wdq_hand_worked_example_in_exact_arithmetic():
    """No published worked WDQ example with numbers was found (the POP Center guide, Guerette
    2009 appendices B-C, gives the formulas and the reading table only). The input counts are
    the published example of Wheeler & Ratcliffe (2018), "A simple weighted displacement
    difference test to evaluate place based crime interventions", Crime Science 7:11 (also the
    test case of their R package ptools): treated 207 -> 110, control 308 -> 318, treated
    displacement area 178 -> 157. The expected values are hand-worked here:

        SM  = 110/318 - 207/308 = (110*308 - 207*318) / (318*308) = (33880 - 65826) / 97944
            = -31946/97944
        BDM = 157/318 - 178/308 = (48356 - 56604) / 97944 = -8248/97944
        WDQ = 8248/31946 = 4124/15973 = 0.2582 (in (0, 1]: diffusion of benefits)
        TNE = (207*318/308 - 110) + (178*318/308 - 157) = (65826 + 56604)/308 - 267
            = 397.5 - 267 = 130.5
    """
    w = ev.wdq(ZoneCounts(207, 110), ZoneCounts(178, 157), ZoneCounts(308, 318))
    assert w.success == pytest.approx(float(Fraction(-31946, 97944)), abs=1e-15)
    assert w.buffer_displacement == pytest.approx(float(Fraction(-8248, 97944)), abs=1e-15)
    assert w.wdq == pytest.approx(float(Fraction(4124, 15973)), abs=1e-15)
    assert w.wdq == pytest.approx(0.25819, abs=1e-5)
    assert w.total_net_effect == 130.5
    assert w.reading == "diffusion"


@pytest.mark.parametrize(
    ("a", "b", "c", "reading", "expected_wdq"),
    [
        # SM > 0: the target rose against the comparison: WDQ not read
        ((10, 12), (10, 5), (10, 10), "no_success", Fraction(-5, 2)),
        # SM exactly 0: no success, WDQ undefined
        ((10, 10), (10, 5), (10, 10), "no_success", None),
        # a zero comparison count: nothing defined
        ((10, 5), (10, 5), (10, 0), "undefined", None),
        ((10, 5), (10, 5), (0, 10), "undefined", None),
        # SM = -1/2 in all the rest (A 10 -> 5, C 10 -> 10)
        ((10, 5), (10, 2), (10, 10), "diffusion_exceeds", Fraction(8, 5)),
        ((10, 5), (10, 5), (10, 10), "diffusion", Fraction(1)),  # exactly 1
        ((10, 5), (10, 8), (10, 10), "diffusion", Fraction(2, 5)),
        ((10, 5), (10, 10), (10, 10), "neither", Fraction(0)),  # exactly 0
        ((10, 5), (10, 12), (10, 10), "displacement_net_gain", Fraction(-2, 5)),
        ((10, 5), (10, 15), (10, 10), "displacement_net_gain", Fraction(-1)),  # exactly -1
        ((10, 5), (10, 20), (10, 10), "displacement_exceeds", Fraction(-2)),
        # thresholds in thirds: C 7 -> 3, A 7 -> 1 (SM = -2/3), B 14 -> 4 (BDM = -2/3)
        ((7, 1), (14, 4), (7, 3), "diffusion", Fraction(1)),
        # B 14 -> 8: BDM = 8/3 - 2 = 2/3, WDQ exactly -1
        ((7, 1), (14, 8), (7, 3), "displacement_net_gain", Fraction(-1)),
    ],
)
def test_wdq_reading_branches(a, b, c, reading, expected_wdq):
    w = ev.wdq(ZoneCounts(*a), ZoneCounts(*b), ZoneCounts(*c))
    assert w.reading == reading
    if expected_wdq is None:
        assert w.wdq is None
    else:
        assert w.wdq == float(expected_wdq)
    if c[0] > 0 and c[1] > 0:
        sm_ = Fraction(a[1], c[1]) - Fraction(a[0], c[0])
        assert w.success == float(sm_)
    else:
        assert w.success is None and w.buffer_displacement is None


def test_tne_counts_crimes_prevented_net_of_displacement():
    # comparison flat: the target's 5 fewer are cancelled by the buffer's 5 more
    assert ev.wdq(ZoneCounts(10, 5), ZoneCounts(10, 15), ZoneCounts(10, 10)).total_net_effect == 0
    # comparison doubles: 20 expected in the target and 20 in the buffer after; 12 + 18 seen
    w = ev.wdq(ZoneCounts(10, 12), ZoneCounts(10, 18), ZoneCounts(10, 20))
    assert w.total_net_effect == (20 - 12) + (20 - 18)
    # no comparison count before: undefined
    assert ev.wdq(ZoneCounts(10, 5), ZoneCounts(1, 1), ZoneCounts(0, 4)).total_net_effect is None


# --- 2. Difference in differences ------------------------------------------------------------------


def closed_form(cells: dict[tuple[str, bool], tuple[float, float]]) -> tuple[float, float, float]:
    """(RR, CI low, CI high) of the saturated Poisson model from (count, exposure) per cell."""
    (aa, ea), (ab, eb) = cells[("target", True)], cells[("target", False)]
    (ca, fa), (cb, fb) = cells[("comparison", True)], cells[("comparison", False)]
    rr = (aa / ea) / (ab / eb) / ((ca / fa) / (cb / fb))
    se = math.sqrt(1 / aa + 1 / ab + 1 / ca + 1 / cb)
    z = stats.norm.ppf(0.975)  # the Wald interval's 1.96
    return rr, math.exp(math.log(rr) - z * se), math.exp(math.log(rr) + z * se)


def cells_of(full: pd.DataFrame) -> dict[tuple[str, bool], tuple[float, float]]:
    g = full.groupby(["zone", full["week"] >= 0])[["n", "days"]].sum()
    return {(z, a): (float(r.n), float(r.days)) for (z, a), r in g.iterrows()}


def check_closed_form(full: pd.DataFrame) -> None:
    rr = ev.rate_ratio(full, model="poisson")
    want, lo, hi = closed_form(cells_of(full))
    assert rr.estimable and rr.model == "poisson"
    assert rr.rr == pytest.approx(want, rel=1e-6)
    assert rr.ci_low == pytest.approx(lo, rel=1e-6)
    assert rr.ci_high == pytest.approx(hi, rel=1e-6)
    se = (math.log(hi) - math.log(lo)) / (2 * stats.norm.ppf(0.975))
    assert rr.p == pytest.approx(2 * stats.norm.sf(abs(math.log(want)) / se), rel=1e-6)


def test_did_matches_closed_form_equal_exposures():
    rng = np.random.default_rng(11)
    weekly = simulate(rng, {"target": 5, "buffer": 3, "comparison": 9}, {
        "target": 3, "buffer": 3, "comparison": 10})  # fmt: skip
    check_closed_form(ev.buckets(weekly, PERIOD))


def test_did_matches_closed_form_unequal_exposures():
    """Buckets of 1..7 days, different for every row, so the cells' exposures all differ."""
    rng = np.random.default_rng(12)
    rows = []
    for zone in ("target", "comparison"):
        for week in range(-20, 20):
            days = float(rng.uniform(1, 7))
            rate = {"target": 0.8 if week < 0 else 0.5, "comparison": 1.2}[zone]
            rows.append((zone, week, days, int(rng.poisson(rate * days))))
    full = pd.DataFrame(rows, columns=["zone", "week", "days", "n"])
    cells = cells_of(full)
    assert len({e for _, e in cells.values()}) == 4
    check_closed_form(full)
    # the exposure matters: ignoring it gives another answer
    naive = {k: (n, 1.0) for k, (n, _) in cells.items()}
    assert abs(closed_form(naive)[0] - ev.rate_ratio(full, "poisson").rr) > 1e-3


def test_did_partial_last_bucket_through_evaluate():
    period = 100.5  # 15 buckets: 14 of 7 days and a last one of 2.5
    grid = ev.week_grid(period)
    assert list(grid["week"]) == list(range(-15, 15))
    assert grid.loc[grid["week"] == -1, "days"].item() == 2.5
    assert grid.loc[grid["week"] == 14, "days"].item() == 2.5
    assert grid.groupby(grid["week"] >= 0)["days"].sum().tolist() == [100.5, 100.5]
    rng = np.random.default_rng(13)
    rows = [
        (z, w, d, int(rng.poisson(d * (1.0 if z != "target" or w < 0 else 0.6))))
        for z in ev.ZONES
        for w, d in zip(grid["week"], grid["days"], strict=True)
    ]
    weekly = pd.DataFrame(rows, columns=["zone", "week", "days", "n"])
    weekly = weekly[weekly["n"] > 0]  # zero rows missing, as the database gives them
    res = ev.evaluate(weekly, period)
    assert res.before_days == res.after_days == 100.5
    full = ev.buckets(weekly, period)
    assert len(full) == 3 * 30
    check_closed_form(full)
    assert res.rate_ratio.model == "poisson"
    assert res.rate_ratio == ev.rate_ratio(full, model="poisson")


def test_did_zero_cell_is_not_estimable():
    weekly = constant({"target": (20, 0), "buffer": (5, 5), "comparison": (30, 30)})
    rr = ev.rate_ratio(ev.buckets(weekly, PERIOD))
    assert not rr.estimable and rr.rr is None and rr.ci_low is None and rr.p is None
    res = ev.evaluate(weekly, PERIOD)
    assert res.verdict == "not_estimable"
    assert res.wdq.reading == "neither"  # WDQ still defined (C has counts), buffer flat
    assert ev.rate_ratio(
        ev.buckets(constant({"target": (20, 10), "comparison": (0, 30)}), PERIOD)
    ).estimable is False  # fmt: skip


# --- 3. Simulated scenarios ------------------------------------------------------------------------


def test_synthetic_drop_with_displacement():
    """Target -40 %, buffer +25 % (displacement), comparison unchanged, 26 weeks each side."""
    rng = np.random.default_rng(0)
    weekly = simulate(
        rng,
        {"target": 6.0, "buffer": 4.0, "comparison": 15.0},
        {"target": 3.6, "buffer": 5.0, "comparison": 15.0},
    )
    res = ev.evaluate(weekly, PERIOD)
    rr = res.rate_ratio
    assert res.verdict == "drop" and not res.too_few
    assert rr.ci_low is not None and rr.ci_high is not None
    assert rr.ci_low <= 0.6 <= rr.ci_high < 1
    assert res.wdq.success is not None and res.wdq.success < 0
    assert res.wdq.buffer_displacement is not None and res.wdq.buffer_displacement > 0
    assert res.wdq.wdq is not None and -1 <= res.wdq.wdq < 0
    assert res.wdq.reading == "displacement_net_gain"
    assert res.wdq == ev.wdq(res.target, res.buffer, res.comparison)
    assert res.target.before + res.target.after == weekly.loc[weekly.zone == "target", "n"].sum()


def test_no_effect_is_rarely_called_a_drop():
    rates = {"target": 4.0, "buffer": 3.0, "comparison": 10.0}
    verdicts = [
        ev.evaluate(simulate(np.random.default_rng(seed), rates, rates), PERIOD).verdict
        for seed in range(200)
    ]
    assert set(verdicts) <= {"drop", "rise", "no_clear_change"}
    # two-sided 5 % test: about 2.5 % each way; 5 % + slack for either
    assert verdicts.count("drop") / len(verdicts) <= 0.075
    assert verdicts.count("rise") / len(verdicts) <= 0.075
    assert verdicts.count("no_clear_change") / len(verdicts) >= 0.85
    assert all(v != "drop" for v in verdicts[:5])


def test_overdispersed_counts_switch_to_negative_binomial():
    rng = np.random.default_rng(3)
    rates = {"target": 8.0, "buffer": 3.0, "comparison": 12.0}
    weekly = simulate(rng, rates, rates, gamma_shape=2.0)  # true alpha 0.5
    res = ev.evaluate(weekly, PERIOD)
    nb = res.rate_ratio
    pois = ev.rate_ratio(ev.buckets(weekly, PERIOD), model="poisson")
    assert nb.model == "negative_binomial"
    assert nb.dispersion is not None and nb.dispersion > ev.DISPERSION_THRESHOLD
    assert nb.nb_alpha is not None and 0.2 < nb.nb_alpha < 1.0
    assert nb.ci_low is not None and nb.ci_high is not None
    assert pois.ci_low is not None and pois.ci_high is not None
    assert nb.ci_high / nb.ci_low > pois.ci_high / pois.ci_low
    assert pois.dispersion == nb.dispersion


def test_poisson_counts_stay_poisson_and_few_rows_do_not_switch():
    rates = {"target": 8.0, "buffer": 3.0, "comparison": 12.0}
    res = ev.evaluate(simulate(np.random.default_rng(4), rates, rates), PERIOD)
    assert res.rate_ratio.model == "poisson"
    assert res.rate_ratio.dispersion is not None and res.rate_ratio.dispersion < 1.5
    # 2 weeks a side: 8 rows, 4 residual df < MIN_DF_FOR_DISPERSION: stays Poisson
    few = pd.DataFrame(
        [("target", w, 7.0, n) for w, n in zip(range(-2, 2), (1, 30, 2, 25), strict=True)]
        + [("comparison", w, 7.0, n) for w, n in zip(range(-2, 2), (40, 3, 35, 2), strict=True)],
        columns=["zone", "week", "days", "n"],
    )
    rr = ev.rate_ratio(ev.buckets(few, 14))
    assert rr.dispersion is not None and rr.dispersion > ev.DISPERSION_THRESHOLD
    assert rr.model == "poisson"


# --- 4. Regression to the mean ---------------------------------------------------------------------


def test_regression_to_the_mean_flags_a_peak():
    history = History(count=104, days=364.0)  # 2 a week
    peak = ev.regression_to_mean(104, PERIOD, history)  # 4 a week
    assert peak.flagged
    assert peak.ratio == pytest.approx(2.0)
    assert peak.p == pytest.approx(float(stats.poisson.sf(103, 52.0)), rel=1e-12)
    assert peak.p < 1e-6
    normal = ev.regression_to_mean(52, PERIOD, history)
    assert not normal.flagged and normal.ratio == pytest.approx(1.0) and normal.p > 0.4
    low = ev.regression_to_mean(20, PERIOD, history)
    assert not low.flagged and low.p > 0.99
    # p just above / below 0.05 decides
    k = int(stats.poisson.ppf(0.95, 52.0))
    flags = {n: ev.regression_to_mean(n, PERIOD, history).flagged for n in range(k - 2, k + 4)}
    for n, flagged in flags.items():
        assert flagged == (stats.poisson.sf(n - 1, 52.0) < 0.05)


def test_regression_to_the_mean_through_evaluate_and_sentences():
    rng = np.random.default_rng(5)
    weekly = simulate(
        rng,
        {"target": 8.0, "buffer": 3.0, "comparison": 12.0},
        {"target": 4.0, "buffer": 3.0, "comparison": 12.0},
    )
    before = int(weekly.loc[(weekly.zone == "target") & (weekly.week < 0), "n"].sum())
    peak = ev.evaluate(weekly, PERIOD, History(count=4 * 104, days=364.0 * 2))
    assert peak.rtm is not None and peak.rtm.flagged
    assert peak.rtm.ratio == pytest.approx((before / PERIOD) / (416 / 728))
    normal = ev.evaluate(weekly, PERIOD, History(count=2 * before, days=2 * PERIOD))
    assert normal.rtm is not None and not normal.rtm.flagged
    assert ev.evaluate(weekly, PERIOD).rtm is None
    for lang, word in (("sv", "regression mot medelvärdet"), ("en", "regression-to-the-mean")):
        assert any(word in s.lower() for s in ev.sentences(peak, lang))
        assert not any(word in s.lower() for s in ev.sentences(normal, lang))


# --- 5. Too few to judge ---------------------------------------------------------------------------


def test_sparse_counts_are_too_few():
    weekly = constant({"target": (2, 0), "buffer": (1, 0), "comparison": (15, 14)})
    res = ev.evaluate(weekly, PERIOD)
    assert res.verdict == "too_few" and res.too_few
    assert res.min_p == compstat.min_attainable_p(2, 0.5) == 0.5
    assert not res.rate_ratio.estimable
    for lang in ("sv", "en"):
        out = ev.sentences(res, lang)
        # the counts, then "too few": nothing called a change, no displacement reading
        assert len(out) == 2 and out[1] == t("ev_too_few", lang, n=2)
        assert all("WDQ" not in s for s in out)
    assert "För få för att bedöma" in ev.sentences(res, "sv")[1]


def test_too_few_follows_compstats_smallest_p():
    """Equal periods, alpha 5 %: 5 events cannot be significant (0 v 5: p = 0.0625), 6 can."""
    five = ev.evaluate(constant({"target": (5, 0), "comparison": (40, 40)}), PERIOD)
    six = ev.evaluate(constant({"target": (6, 0), "comparison": (40, 40)}), PERIOD)
    assert five.verdict == "too_few"
    assert six.verdict == "not_estimable"  # enough events, but a zero cell
    nothing = ev.evaluate(constant({"target": (30, 20), "comparison": (0, 0)}), PERIOD)
    assert nothing.verdict == "too_few"
    assert ev.sentences(nothing, "en")[1] == t("ev_too_few_comparison", "en")
    empty = ev.evaluate(pd.DataFrame(columns=["zone", "week", "days", "n"]), PERIOD)
    assert empty.verdict == "too_few" and empty.target == ZoneCounts(0, 0)


# --- 6. Input handling -----------------------------------------------------------------------------


def test_buckets_fill_missing_and_refuse_bad_input():
    weekly = pd.DataFrame(
        [("target", -1, 7.0, 3), ("target", -1, 7.0, 2), ("comparison", 1, 7.0, 4)],
        columns=["zone", "week", "days", "n"],
    )
    full = ev.buckets(weekly, 21)
    assert len(full) == 3 * 6
    assert full.set_index(["zone", "week"]).loc[("target", -1), "n"] == 5
    assert full["n"].sum() == 9
    with pytest.raises(ValueError, match="outside"):
        ev.buckets(pd.DataFrame([("target", 3, 7.0, 1)], columns=weekly.columns), 21)
    with pytest.raises(ValueError, match="disagree"):
        ev.buckets(
            pd.DataFrame([("target", 0, 7.0, 1), ("buffer", 0, 6.0, 1)], columns=weekly.columns),
            21,
        )
    with pytest.raises(ValueError, match="zones"):
        ev.buckets(pd.DataFrame([("elsewhere", 0, 7.0, 1)], columns=weekly.columns), 21)
    with pytest.raises(ValueError, match="columns"):
        ev.buckets(weekly.drop(columns="days"), 21)


# --- 7. Sentences ----------------------------------------------------------------------------------


def scenarios() -> dict[str, ev.Evaluation]:
    drop = simulate(
        np.random.default_rng(0),
        {"target": 6.0, "buffer": 4.0, "comparison": 15.0},
        {"target": 3.6, "buffer": 5.0, "comparison": 15.0},
    )
    flat = {"target": 4.0, "buffer": 3.0, "comparison": 10.0}
    rise = {"target": 8.0, "buffer": 3.0, "comparison": 10.0}
    return {
        "drop": ev.evaluate(drop, PERIOD, History(150, 364.0)),  # ~2.9 a week
        "no_clear_change": ev.evaluate(simulate(np.random.default_rng(1), flat, flat), PERIOD),
        "rise": ev.evaluate(simulate(np.random.default_rng(2), flat, rise), PERIOD),
        "too_few": ev.evaluate(constant({"target": (2, 0), "comparison": (9, 9)}), PERIOD),
        "not_estimable": ev.evaluate(constant({"target": (30, 0), "comparison": (9, 9)}), PERIOD),
        "overdispersed": ev.evaluate(
            simulate(np.random.default_rng(3), rise, rise, gamma_shape=2.0), PERIOD
        ),
    }


def test_sentences_in_both_languages():
    for name, res in scenarios().items():
        sv, en = ev.sentences(res, "sv"), ev.sentences(res, "en")
        assert len(sv) == len(en) >= 2, name
        assert all(s.strip() for s in sv + en)
        assert sv != en
        assert "{" not in "".join(sv + en)
        if name != "overdispersed":
            assert res.verdict == name
    keys = [k for k in catalogue() if k.startswith("ev_")]
    assert all(catalogue()[k]["sv"] and catalogue()[k]["en"] for k in keys)
    for code in ("too_few", "not_estimable", "drop", "rise", "no_clear_change"):
        assert f"ev_label_{code}" in keys
    for reading in ("undefined", "no_success", "diffusion_exceeds", "diffusion", "neither"):
        assert f"ev_reading_{reading}" in keys and f"ev_wdq_{reading}" in keys


def test_sentences_are_honest():
    sc = scenarios()
    drop_sv = ev.sentences(sc["drop"], "sv")
    rr = sc["drop"].rate_ratio
    assert rr.rr is not None
    # Swedish numbers: decimal comma, the WDQ reading and the caveat
    assert any(f"{rr.rr:.2f}".replace(".", ",") in s for s in drop_sv)
    assert any("statistiskt säker och förenlig" in s for s in drop_sv)
    assert any("flyttat till buffertzonen" in s for s in drop_sv)
    assert any("regression mot medelvärdet" in s for s in drop_sv)
    assert any(f"{rr.rr:.2f}" in s for s in ev.sentences(sc["drop"], "en"))
    # a non-significant drop is never a success
    flat = sc["no_clear_change"]
    assert flat.rate_ratio.rr is not None
    for lang in ("sv", "en"):
        out = ev.sentences(flat, lang)
        assert not any("förenlig med att insatsen" in s or "consistent with an effect" in s
                       for s in out)  # fmt: skip
        if flat.rate_ratio.rr < 1:
            assert t("ev_not_a_success", lang) in out
        if flat.wdq.reading not in ("undefined", "no_success"):
            assert t("ev_wdq_tentative", lang) in out
    # the negative binomial is named
    od = sc["overdispersed"]
    assert od.rate_ratio.model == "negative_binomial"
    assert any("negativ binomialmodell" in s for s in ev.sentences(od, "sv"))
