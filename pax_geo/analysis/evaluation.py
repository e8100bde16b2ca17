"""Evaluating a hot spot operation: did crime fall in the target area, and where did it go?

Pure statistics (no database, no Streamlit). The input is a weekly count table for three zones:
the **target** (where the operation ran), a **buffer** ring around it (where crime might move to)
and a **comparison** area (same kind of place, untouched by the operation), over a *before* and
an *after* period of equal length (see :func:`evaluate`).

Methods
-------
**Weighted displacement quotient** (Bowers & Johnson 2003, "Measuring the geographical
displacement and diffusion of benefit effects of crime prevention activity", *Journal of
Quantitative Criminology* 19(3), 275-301; formulas and reading as in Guerette 2009, *Analyzing
Crime Displacement and Diffusion*, POP Center Tool Guide No. 10, appendices B and C). With A =
target, B = buffer, C = comparison, b = before, a = after (counts)::

    SM  = A_a/C_a - A_b/C_b          success measure (< 0: the target improved on the comparison)
    BDM = B_a/C_a - B_b/C_b          buffer displacement measure (> 0: displacement, < 0: diffusion)
    WDQ = BDM / SM
    TNE = (A_b*C_a/C_b - A_a) + (B_b*C_a/C_b - B_a)   total net effect (Guerette 2009),
                                                     > 0 = crimes prevented, net of displacement

Each ratio is taken within one period, so the lengths of the periods cancel. The WDQ is only
read when SM < 0: > 1 diffusion of benefits greater than the direct effect; (0, 1] diffusion;
0 neither; [-1, 0) displacement smaller than the direct effect (net gain); < -1 displacement
greater than the direct effect. Everything is computed in exact rational arithmetic, so the
thresholds are exact.

**Difference in differences as a rate ratio.** A Poisson GLM (log link, offset log(days)) on
the weekly buckets of target and comparison with terms zone, period and zone x period; the
rate ratio RR = exp(interaction) is "how the target's after/before rate ratio compares with the
comparison's", with a Wald 95 % interval and p-value. With only these terms the model is
saturated at the zone x period level, so the estimate equals the closed form
(A_a/E_a * C_b/E_b) / (A_b/E_b * C_a/E_a) with standard error sqrt(1/A_a + 1/A_b + 1/C_a + 1/C_b).
Weekly crime counts are often overdispersed (Wheeler 2016; Berk & MacDonald 2008): when the
Poisson fit's Pearson chi-square per residual degree of freedom is above
:data:`DISPERSION_THRESHOLD` and there are at least :data:`MIN_DF_FOR_DISPERSION` residual
degrees of freedom, the model is refitted as a negative binomial (NB2) GLM whose alpha is the
maximum-likelihood estimate of statsmodels' discrete ``NegativeBinomial`` (falling back to the
Cameron & Trivedi 1990 moment estimate if that fit fails). A zone with zero events in a period
makes the MLE infinite: the ratio is then reported as not estimable.

**Too few to judge.** Reuses :func:`pax_geo.analysis.compstat.min_attainable_p`: if no split of
the target's before + after total could give an exact two-sided p-value at or below alpha, or
the target or the comparison has no events at all, nothing is called a change. (A buffer with no
events does not block the verdict; it only makes BDM = 0.)

**Regression to the mean** (Galton; in crime prevention e.g. Farrington & Welsh 2006). Targets
are chosen because they were high; a high spell tends to fall back anyway. Given the target's
count over a longer history before the before period, the before count is tested one-sided
against the historical rate taken as known: p = P(X >= before | X ~ Poisson(history rate x
before days)). Flagged when p < alpha and the before rate is above the history rate.

**Verdict**: ``too_few``, else ``not_estimable`` (zero cell), else ``drop`` (RR's 95 % interval
entirely below 1), ``rise`` (entirely above 1) or ``no_clear_change``. A drop that is not
significant is never called a success; :func:`sentences` words the result in Swedish or English.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from pax_geo.analysis.compstat import ALPHA, min_attainable_p
from pax_geo.horizons import fmt
from pax_geo.i18n import t

ZONES = ("target", "buffer", "comparison")
#: Pearson chi-square / df of the Poisson fit above which the negative binomial is used.
DISPERSION_THRESHOLD = 1.5
#: Residual degrees of freedom needed before the dispersion is trusted (fewer: stay Poisson).
MIN_DF_FOR_DISPERSION = 10
_Z = float(stats.norm.ppf(0.975))

Verdict = Literal["too_few", "not_estimable", "drop", "rise", "no_clear_change"]
VERDICTS: tuple[str, ...] = ("too_few", "not_estimable", "drop", "rise", "no_clear_change")
WdqReading = Literal[
    "undefined",
    "no_success",
    "diffusion_exceeds",
    "diffusion",
    "neither",
    "displacement_net_gain",
    "displacement_exceeds",
]
Model = Literal["poisson", "negative_binomial"]


@dataclass(frozen=True)
class History:
    """The target's count over a longer period just before the before period."""

    count: int
    days: float


@dataclass(frozen=True)
class ZoneCounts:
    before: int
    after: int

    @property
    def total(self) -> int:
        return self.before + self.after


@dataclass(frozen=True)
class WDQ:
    """Bowers & Johnson's measures; None where a comparison count is zero (or SM = 0 for wdq)."""

    success: float | None  # SM
    buffer_displacement: float | None  # BDM
    wdq: float | None
    reading: WdqReading
    total_net_effect: float | None  # TNE, > 0 = crimes prevented net


@dataclass(frozen=True)
class RateRatio:
    """Difference in differences, target against comparison, as a rate ratio."""

    estimable: bool
    rr: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None
    model: Model | None  # the model the numbers come from
    dispersion: float | None  # Pearson chi2 / df of the Poisson fit (None: df = 0)
    nb_alpha: float | None  # NB2 alpha when the negative binomial was used
    n_rows: int  # weekly buckets in the fit (target + comparison)


@dataclass(frozen=True)
class RegressionToMean:
    flagged: bool
    ratio: float | None  # before rate / history rate (None: history rate 0)
    p: float  # one-sided exact Poisson p-value
    before_rate: float  # per day
    history_rate: float  # per day


@dataclass(frozen=True)
class Evaluation:
    verdict: Verdict
    target: ZoneCounts
    buffer: ZoneCounts
    comparison: ZoneCounts
    before_days: float
    after_days: float
    too_few: bool
    min_p: float  # smallest exact p-value any split of the target's total could give
    rate_ratio: RateRatio
    wdq: WDQ
    rtm: RegressionToMean | None  # None without a history
    alpha: float


# --- WDQ -------------------------------------------------------------------------------------------


def _reading(sm_: Fraction | None, wdq_: Fraction | None) -> WdqReading:
    if sm_ is None:
        return "undefined"
    if sm_ >= 0 or wdq_ is None:
        return "no_success"
    if wdq_ > 1:
        return "diffusion_exceeds"
    if wdq_ > 0:
        return "diffusion"
    if wdq_ == 0:
        return "neither"
    if wdq_ >= -1:
        return "displacement_net_gain"
    return "displacement_exceeds"


def wdq(target: ZoneCounts, buffer: ZoneCounts, comparison: ZoneCounts) -> WDQ:
    """SM, BDM, WDQ, its reading and the total net effect, in exact arithmetic."""
    a_b, a_a = Fraction(target.before), Fraction(target.after)
    b_b, b_a = Fraction(buffer.before), Fraction(buffer.after)
    c_b, c_a = Fraction(comparison.before), Fraction(comparison.after)
    sm_ = bdm = q = tne = None
    if c_b > 0:
        tne = (a_b * c_a / c_b - a_a) + (b_b * c_a / c_b - b_a)
        if c_a > 0:
            sm_ = a_a / c_a - a_b / c_b
            bdm = b_a / c_a - b_b / c_b
            q = bdm / sm_ if sm_ != 0 else None
    return WDQ(
        success=None if sm_ is None else float(sm_),
        buffer_displacement=None if bdm is None else float(bdm),
        wdq=None if q is None else float(q),
        reading=_reading(sm_, q),
        total_net_effect=None if tne is None else float(tne),
    )


# --- Difference in differences ---------------------------------------------------------------------


def _design(buckets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y, X, log days) for the target and comparison buckets; X = const, target, after, both."""
    rows = buckets[buckets["zone"].isin(["target", "comparison"])]
    tgt = (rows["zone"] == "target").to_numpy(dtype=float)
    after = (rows["week"] >= 0).to_numpy(dtype=float)
    x = np.column_stack([np.ones(len(rows)), tgt, after, tgt * after])
    return (
        rows["n"].to_numpy(dtype=float),
        x,
        np.log(rows["days"].to_numpy(dtype=float)),
    )


def _nb_alpha(y: np.ndarray, x: np.ndarray, offset: np.ndarray, mu: np.ndarray) -> float:
    """NB2 alpha: the discrete model's MLE, or the Cameron-Trivedi moment estimate."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.NegativeBinomial(y, x, loglike_method="nb2", offset=offset).fit(
                disp=0, maxiter=500
            )
        alpha = float(res.params[-1])
        if res.mle_retvals.get("converged", False) and math.isfinite(alpha) and alpha > 0:
            return alpha
    except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - defensive
        pass
    return max(float(np.sum((y - mu) ** 2 - y) / np.sum(mu**2)), 1e-8)


def _wald(res, model: Model, dispersion: float | None, alpha: float | None, n: int) -> RateRatio:
    b, se = float(res.params[3]), float(res.bse[3])
    return RateRatio(
        estimable=True,
        rr=math.exp(b),
        ci_low=math.exp(b - _Z * se),
        ci_high=math.exp(b + _Z * se),
        p=float(2 * stats.norm.sf(abs(b / se))),
        model=model,
        dispersion=dispersion,
        nb_alpha=alpha,
        n_rows=n,
    )


def rate_ratio(
    buckets: pd.DataFrame, model: Literal["auto", "poisson", "negative_binomial"] = "auto"
) -> RateRatio:
    """The difference-in-differences rate ratio from complete buckets (zone, week, days, n;
    zero-count buckets included, see :func:`buckets`). ``model="auto"`` starts with Poisson and
    switches to the negative binomial when overdispersed; the other values force a model."""
    y, x, offset = _design(buckets)
    n = len(y)
    cells = [y[(x[:, 1] == z) & (x[:, 2] == p)].sum() for z in (0, 1) for p in (0, 1)]
    if min(cells) <= 0:
        return RateRatio(False, None, None, None, None, None, None, None, n)
    pois = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit(tol=1e-12)
    df = int(pois.df_resid)
    dispersion = float(pois.pearson_chi2 / df) if df > 0 else None
    use_nb = model == "negative_binomial" or (
        model == "auto"
        and dispersion is not None
        and dispersion > DISPERSION_THRESHOLD
        and df >= MIN_DF_FOR_DISPERSION
    )
    if not use_nb:
        return _wald(pois, "poisson", dispersion, None, n)
    alpha = _nb_alpha(y, x, offset, np.asarray(pois.mu))
    nb = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=alpha), offset=offset).fit(
        tol=1e-12
    )
    return _wald(nb, "negative_binomial", dispersion, alpha, n)


# --- Regression to the mean ------------------------------------------------------------------------


def regression_to_mean(
    before: int, before_days: float, history: History, alpha: float = ALPHA
) -> RegressionToMean:
    """Was the before period unusually high against the target's own history?"""
    if history.days <= 0 or before_days <= 0:
        raise ValueError("history and before period need a positive length")
    if history.count < 0 or before < 0:
        raise ValueError("counts cannot be negative")
    h_rate = history.count / history.days
    b_rate = before / before_days
    p = float(stats.poisson.sf(before - 1, h_rate * before_days)) if before > 0 else 1.0
    ratio = b_rate / h_rate if h_rate > 0 else None
    return RegressionToMean(
        flagged=bool(p < alpha and b_rate > h_rate),
        ratio=ratio,
        p=p,
        before_rate=b_rate,
        history_rate=h_rate,
    )


# --- Putting it together ---------------------------------------------------------------------------


def week_grid(period_days: float) -> pd.DataFrame:
    """The buckets of both periods: week -k..-1 before, 0..k-1 after, k = ceil(days / 7), each
    7 days except the last of each period (week -1 and k-1), which holds the remainder."""
    if period_days <= 0:
        raise ValueError("period_days must be positive")
    k = math.ceil(period_days / 7 - 1e-9)
    last = period_days - 7 * (k - 1)
    days = [7.0] * (k - 1) + [last]
    return pd.DataFrame(
        {"week": list(range(-k, 0)) + list(range(k)), "days": days + days},
    )


def buckets(weekly: pd.DataFrame, period_days: float) -> pd.DataFrame:
    """Complete (zone, week, days, n) buckets: every zone x every week of :func:`week_grid`,
    missing rows as zero counts. A bucket's days come from ``weekly`` where given (they must
    agree between zones) and from the grid otherwise."""
    missing = {"zone", "week", "days", "n"} - set(weekly.columns)
    if missing:
        raise ValueError(f"weekly lacks columns {sorted(missing)}")
    unknown = set(weekly["zone"]) - set(ZONES)
    if unknown:
        raise ValueError(f"unknown zones {sorted(unknown)}")
    if (weekly["n"] < 0).any():
        raise ValueError("counts cannot be negative")
    grid = week_grid(period_days)
    outside = set(weekly["week"].astype(int)) - set(grid["week"])
    if outside:
        raise ValueError(f"weeks {sorted(outside)} lie outside a {period_days}-day period")
    given = weekly.groupby("week")["days"].agg(["min", "max"])
    if ((given["max"] - given["min"]).abs() > 1e-9).any():
        raise ValueError("the zones disagree on a week's days")
    if ((given["min"] <= 0) | (given["max"] > 7 + 1e-9)).any():
        raise ValueError("a week's days must lie in (0, 7]")
    days = grid.set_index("week")["days"]
    days.update(given["min"])
    counts = weekly.groupby(["zone", "week"])["n"].sum()
    full = pd.MultiIndex.from_product([ZONES, grid["week"]], names=["zone", "week"])
    out = counts.reindex(full, fill_value=0).astype(int).reset_index()
    out["days"] = out["week"].map(days).astype(float)
    return out[["zone", "week", "days", "n"]]


def evaluate(
    weekly: pd.DataFrame,
    period_days: float,
    history: History | None = None,
    alpha: float = ALPHA,
) -> Evaluation:
    """Evaluate an operation from weekly counts (columns zone in {target, buffer, comparison},
    week < 0 before / >= 0 after the start, days of exposure, n) over two periods of
    ``period_days`` each. ``history``: the target's count over a longer time before the before
    period, for the regression-to-the-mean check."""
    full = buckets(weekly, period_days)

    sums = full.groupby(["zone", full["week"] >= 0])["n"].sum()

    def zone(z: str) -> ZoneCounts:
        return ZoneCounts(int(sums.get((z, False), 0)), int(sums.get((z, True), 0)))

    tgt, buf, cmp_ = zone("target"), zone("buffer"), zone("comparison")
    one = full[full["zone"] == "target"]
    before_days = float(one.loc[one["week"] < 0, "days"].sum())
    after_days = float(one.loc[one["week"] >= 0, "days"].sum())
    min_p = min_attainable_p(tgt.total, after_days / (before_days + after_days))
    too_few = tgt.total == 0 or cmp_.total == 0 or min_p > alpha
    rr = rate_ratio(full)
    verdict: Verdict
    if too_few:
        verdict = "too_few"
    elif not rr.estimable or rr.ci_low is None or rr.ci_high is None:
        verdict = "not_estimable"
    elif rr.ci_high < 1:
        verdict = "drop"
    elif rr.ci_low > 1:
        verdict = "rise"
    else:
        verdict = "no_clear_change"
    rtm = None if history is None else regression_to_mean(tgt.before, before_days, history, alpha)
    return Evaluation(
        verdict=verdict,
        target=tgt,
        buffer=buf,
        comparison=cmp_,
        before_days=before_days,
        after_days=after_days,
        too_few=too_few,
        min_p=min_p,
        rate_ratio=rr,
        wdq=wdq(tgt, buf, cmp_),
        rtm=rtm,
        alpha=alpha,
    )


# --- Plain-language sentences ----------------------------------------------------------------------


def _ratio(x: float, lang: str) -> str:
    """Two decimals, three where two would round a bound that is not 1 to 1,00."""
    return fmt.num(x, lang, 3 if round(x, 2) == 1 and x != 1 else 2)


def _p(p: float, lang: str) -> str:
    return "p < " + fmt.num(0.001, lang, 3) if p < 0.001 else "p = " + fmt.num(p, lang, 3)


def sentences(result: Evaluation, lang: str = "sv") -> list[str]:
    """Plain sentences to show beside the numbers (catalogue keys ev_*)."""
    out = [
        t(
            "ev_counts",
            lang,
            days=fmt.num(result.before_days, lang, 0),
            before=result.target.before,
            after=result.target.after,
            cmp_before=result.comparison.before,
            cmp_after=result.comparison.after,
        )
    ]
    rr = result.rate_ratio
    if result.verdict == "too_few":
        if (
            result.comparison.total == 0
            and result.target.total > 0
            and result.min_p <= result.alpha
        ):
            out.append(t("ev_too_few_comparison", lang))
        else:
            out.append(t("ev_too_few", lang, n=result.target.total))
    elif result.verdict == "not_estimable":
        out.append(t("ev_not_estimable", lang))
    else:
        assert rr.rr is not None and rr.ci_low is not None and rr.ci_high is not None
        assert rr.p is not None
        nums = {
            "rr": _ratio(rr.rr, lang),
            "lo": _ratio(rr.ci_low, lang),
            "hi": _ratio(rr.ci_high, lang),
            "pct": fmt.num(abs(1 - rr.rr) * 100, lang, 0),
            "p": _p(rr.p, lang),
        }
        out.append(t(f"ev_verdict_{result.verdict}", lang, **nums))
        if result.verdict == "no_clear_change" and rr.rr < 1:
            out.append(t("ev_not_a_success", lang))
        if rr.model == "negative_binomial":
            out.append(t("ev_model_nb", lang, dispersion=fmt.num(rr.dispersion, lang, 1)))
        else:
            out.append(t("ev_model_poisson", lang))
        w = result.wdq
        if w.reading in ("undefined", "no_success"):
            out.append(t(f"ev_wdq_{w.reading}", lang))
        else:
            out.append(t(f"ev_wdq_{w.reading}", lang, wdq=fmt.num(w.wdq, lang, 2)))
            if w.total_net_effect is not None:
                key = "ev_tne_prevented" if w.total_net_effect >= 0 else "ev_tne_added"
                out.append(t(key, lang, n=fmt.num(abs(w.total_net_effect), lang, 0)))
            if result.verdict != "drop":
                out.append(t("ev_wdq_tentative", lang))
    if result.rtm is not None and result.rtm.flagged:
        ratio = "–" if result.rtm.ratio is None else fmt.num(result.rtm.ratio, lang, 1)
        out.append(t("ev_rtm_warning", lang, ratio=ratio, p=_p(result.rtm.p, lang)))
    return out
