"""Emerging hot spot analysis: a space-time cube, Gi* per bin and a Mann-Kendall trend per cell.

Cube: hexagon cells x time steps of fixed length, aligned to the end of the period (the last step
ends at the filter's end, as ESRI's default END_TIME alignment; a partial step at the start is
dropped, so every step is equally long and the final step is complete).

Steps: at least ``MIN_STEPS`` (10); fewer raise :class:`TooFewSteps` (a ValueError with the
numbers, and ``an_emerging_too_few_steps`` in the string catalogue for the page), because the
Mann-Kendall trend cannot become significant on a handful of steps (with 4 steps never at 5 %,
so "intensifying"/"diminishing" could not appear). :func:`choose_step` picks the longest of week,
month (30 days) and quarter (91 days) that gives at least 10 steps: 90 days -> weeks (12), one
year -> months (12), three years -> quarters (12).

Gi* per bin uses a space-time neighbourhood: the cell and its hexagon neighbours in the same step
and in the ``time_window`` previous steps (ESRI's "neighbourhood time step", default 1). Binary
weights. The z-score (mean and variance of the whole cube) is kept for the trend and the map,
but significance does not use its normal approximation: on sparse counts (most bins 0 or 1) it
does not hold: on pure Poisson noise 10-57 % of the steps had a false hot or cold bin (2-7 % now).
Instead each step gets exact conditional p-values: given N, the count in all cells over the
window's steps, the count S in a bin's c cells (itself and its neighbours) is binomial(N, c / m)
under "the incidents fall on the m cells independently and uniformly", Gi*'s own null hypothesis
(no neighbourhood holds more than its share); two-sided by doubling the smaller tail. That
p-value is valid at any count, and Benjamini-Hochberg at ``alpha`` (default
0.10, i.e. 90 %) within each step then holds the false-discovery rate: on noise cubes the share of
steps with any false hot or cold bin stays below alpha (tested), and so does the share of cubes in
which noise alone yields a category.

Trend: Mann-Kendall on each cell's series of Gi* z-scores (is the clustering getting stronger?),
significant at 5 %.

Categories (T steps, "hot" = significant hot bin; cold categories mirror them with cold bins).
They are checked in this order, so each cell gets exactly one:

* new: the final step is hot and no earlier step was;
* intensifying: >= 90 % of the steps hot, the final step hot, z-scores rising (MK);
* diminishing: >= 90 % of the steps hot, the final step hot, z-scores falling (MK);
* persistent: >= 90 % of the steps hot, the final step hot, no significant trend;
* consecutive: the final step hot, all hot steps form one run of >= 2 ending at the final step,
  fewer than 90 % hot;
* oscillating: the final step hot, fewer than 90 % hot, some earlier step was a cold spot;
* sporadic: the final step hot, fewer than 90 % hot, on and off, never cold;
* historical: the final step not hot, but >= 90 % of the steps were;
* otherwise no pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from pax_geo.analysis.getis import bh_reject
from pax_geo.analysis.hexgrid import Lattice, axial_coords
from pax_geo.analysis.trend import MannKendall, mann_kendall

STEP_DAYS = {"week": 7, "month": 30, "quarter": 91}
#: fewest time steps for an emerging hot spot analysis (the trend needs them)
MIN_STEPS = 10


class TooFewSteps(ValueError):
    """The period holds fewer than ``min_steps`` full steps (the page shows
    ``an_emerging_too_few_steps`` with these numbers)."""

    def __init__(self, n_steps: int, step: str | int, min_steps: int = MIN_STEPS):
        self.n_steps, self.step, self.min_steps = int(n_steps), step, int(min_steps)
        super().__init__(
            f"the period holds only {n_steps} full {step} steps; emerging hot spots need at "
            f"least {min_steps} for the trend to mean anything: choose a longer period or a "
            "shorter step"
        )


def choose_step(start: datetime, end: datetime, min_steps: int = MIN_STEPS) -> str:
    """The longest step (week, month, quarter) giving at least ``min_steps`` full steps between
    ``start`` and ``end``; :class:`TooFewSteps` when even weeks give fewer."""
    span = pd.Timestamp(end) - pd.Timestamp(start)
    best = None
    for name, days in sorted(STEP_DAYS.items(), key=lambda kv: kv[1]):
        if span // pd.Timedelta(days=days) >= min_steps:
            best = name
    if best is None:
        raise TooFewSteps(int(span // pd.Timedelta(days=7)), "week", min_steps)
    return best


HOT_CATEGORIES = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)
CATEGORIES = (
    tuple(f"{c}_hot" for c in HOT_CATEGORIES)
    + tuple(f"{c}_cold" for c in HOT_CATEGORIES)
    + ("no_pattern",)
)


@dataclass
class Cube:
    lattice: Lattice
    counts: np.ndarray  # (cells, T)
    edges: pd.DatetimeIndex  # T + 1 step boundaries
    dropped: int  # points outside the cube's time span


def build_cube(
    lattice: Lattice,
    x: np.ndarray,
    y: np.ndarray,
    t: pd.Series | np.ndarray,
    end: datetime,
    step: str | int = "month",
    start: datetime | None = None,
    n_steps: int | None = None,
    min_steps: int = MIN_STEPS,
) -> Cube:
    """Count points per (cell, time step). Steps are ``step`` long (week/month/quarter or days).
    Raises :class:`TooFewSteps` below ``min_steps`` steps."""
    days = STEP_DAYS.get(step) if isinstance(step, str) else int(step)
    if not days or days <= 0:
        raise ValueError(f"unknown time step {step!r} (use week, month, quarter or days)")
    length = timedelta(days=days)
    times = pd.to_datetime(pd.Series(t), utc=True)
    end_ts = pd.Timestamp(end).tz_convert("UTC")
    if n_steps is None:
        first = pd.Timestamp(start).tz_convert("UTC") if start is not None else times.min()
        if pd.isna(first):
            raise ValueError("no points and no start: cannot size the space-time cube")
        n_steps = int((end_ts - first) // pd.Timedelta(length))
    if n_steps < max(3, min_steps):
        raise TooFewSteps(n_steps, step, max(3, min_steps))
    edges = pd.DatetimeIndex(
        [end_ts - (n_steps - k) * pd.Timedelta(length) for k in range(n_steps + 1)]
    )
    tv = times.to_numpy(dtype="datetime64[ns]")
    ev = edges.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    step_idx = np.searchsorted(ev, tv, side="right") - 1
    q, r = axial_coords(x, y, lattice.size)
    cell = lattice.lookup(q, r)
    ok = (step_idx >= 0) & (step_idx < n_steps) & (cell >= 0)
    counts = np.zeros((len(lattice), n_steps))
    np.add.at(counts, (cell[ok], step_idx[ok]), 1.0)
    return Cube(lattice, counts, edges, int((~ok).sum()))


def space_time_gi(counts: np.ndarray, neighbours: sp.spmatrix, time_window: int = 1) -> np.ndarray:
    """Gi* z-score of every bin with a space-time neighbourhood (binary weights, self included)."""
    m, T = counts.shape
    w = sp.csr_matrix(neighbours, dtype=np.float64, copy=True)
    w.setdiag(1.0)
    lag = w @ counts  # (m, T) spatial sums per step
    card = np.asarray(w.sum(axis=1)).ravel()
    s = np.zeros_like(lag)
    nsteps = np.zeros(T)
    for k in range(time_window + 1):
        s[:, k:] += lag[:, : T - k]
        nsteps[k:] += 1
    wsum = card[:, None] * nsteps[None, :]
    n = counts.size
    mean = counts.mean()
    sd = counts.std()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s - mean * wsum) / (sd * np.sqrt((n * wsum - wsum**2) / (n - 1)))
    return np.where(np.isfinite(z), z, 0.0)


def _window_sums(counts: np.ndarray, time_window: int) -> np.ndarray:
    """Per cell and step, the count over the step and the ``time_window`` steps before it."""
    T = counts.shape[1]
    out = np.zeros_like(counts, dtype=np.float64)
    for k in range(time_window + 1):
        out[:, k:] += counts[:, : T - k]
    return out


def space_time_exact_p(
    counts: np.ndarray, neighbours: sp.spmatrix, time_window: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Exact conditional two-sided p-values and directions (+1 more, -1 fewer) per bin.

    For step t, S is the count in the bin's c cells (itself and its neighbours) over steps
    t - time_window .. t, and N the count in all m cells over the same steps. Under "the window's
    incidents fall on the cells independently and uniformly" (the null hypothesis of Gi*: no cell
    has more than its share), S given N is binomial(N, c / m) exactly, whatever the counts.
    p = min(1, 2 * min(P(S' >= S), P(S' <= S))), the doubled tail (conservative for discrete
    counts).
    """
    m, T = counts.shape
    w = sp.csr_matrix(neighbours, dtype=np.float64, copy=True)
    w.setdiag(1.0)
    w.eliminate_zeros()
    if not np.all(w.data == 1.0):
        raise ValueError("emerging hot spots need binary neighbours")
    card = np.diff(w.indptr).astype(np.float64)
    window = _window_sums(counts, time_window)
    observed = np.rint(w @ window)  # (m, T)
    total = np.rint(window.sum(axis=0))  # (T,)
    share = card[:, None] / m
    upper = stats.binom.sf(observed - 1, total[None, :], share)  # P(S' >= S)
    lower = stats.binom.cdf(observed, total[None, :], share)  # P(S' <= S)
    p = np.minimum(1.0, 2.0 * np.minimum(upper, lower))
    p = np.where(total[None, :] > 0, p, 1.0)
    direction = np.sign(observed - total[None, :] * share).astype(np.int8)
    return p, direction


@dataclass
class Emerging:
    lattice: Lattice
    counts: np.ndarray  # (cells, T)
    z: np.ndarray  # (cells, T)
    status: np.ndarray  # (cells, T) int8: +1 hot, -1 cold, 0
    category: np.ndarray  # (cells,) str
    trend: MannKendall  # MK on each cell's z-scores
    count_trend: MannKendall  # MK on the cube's total count per step (one series)
    edges: pd.DatetimeIndex
    alpha: float
    time_window: int

    def summary(self) -> dict[str, int]:
        vals, n = np.unique(self.category, return_counts=True)
        return {str(v): int(c) for v, c in zip(vals, n, strict=True)}

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "q": self.lattice.q,
                "r": self.lattice.r,
                "category": self.category,
                "incidents": self.counts.sum(axis=1).astype(int),
                "hot_steps": (self.status > 0).sum(axis=1),
                "cold_steps": (self.status < 0).sum(axis=1),
                "final_z": self.z[:, -1],
                "trend_tau": self.trend.tau,
                "trend_p": self.trend.p,
            }
        )


def _categories(status: np.ndarray, trend: np.ndarray, sign: int) -> np.ndarray:
    """Category names for one direction (sign +1 hot, -1 cold); '' where none applies."""
    m, T = status.shape
    hot = status == sign
    opposite = status == -sign
    n_hot = hot.sum(axis=1)
    final = hot[:, -1]
    frac = n_hot / T
    ninety = frac >= 0.9
    # length of the run of hot steps ending at the final step
    run = np.zeros(m, dtype=int)
    alive = np.ones(m, dtype=bool)
    for k in range(T - 1, -1, -1):
        alive &= hot[:, k]
        run += alive
    rising = trend * sign > 0
    falling = trend * sign < 0
    suffix = "_hot" if sign > 0 else "_cold"
    out = np.full(m, "", dtype=object)
    rules = [
        (final & (n_hot == 1), "new"),
        (final & ninety & rising, "intensifying"),
        (final & ninety & falling, "diminishing"),
        (final & ninety, "persistent"),
        (final & (run >= 2) & (run == n_hot), "consecutive"),
        (final & opposite.any(axis=1), "oscillating"),
        (final, "sporadic"),
        (~final & ninety, "historical"),
    ]
    for mask, name in reversed(rules):  # earlier rules win
        out = np.where(mask, name + suffix, out)
    return out


def emerging_hot_spots(
    cube: Cube,
    neighbours: sp.spmatrix,
    time_window: int = 1,
    alpha: float = 0.10,
) -> Emerging:
    counts = cube.counts
    if counts.shape[1] < 3:
        raise TooFewSteps(counts.shape[1], "time", MIN_STEPS)
    z = space_time_gi(counts, neighbours, time_window)
    p, direction = space_time_exact_p(counts, neighbours, time_window)
    status = np.zeros(z.shape, dtype=np.int8)
    if counts.sum() > 0:
        for k in range(z.shape[1]):
            sig = bh_reject(p[:, k], alpha)
            status[:, k] = np.where(sig, direction[:, k], 0).astype(np.int8)
    trend = mann_kendall(z)
    tr = trend.trend(0.05)
    hot = _categories(status, tr, +1)
    cold = _categories(status, tr, -1)
    category = np.where(hot != "", hot, np.where(cold != "", cold, "no_pattern")).astype(str)
    count_trend = mann_kendall(counts.sum(axis=0))
    return Emerging(
        cube.lattice,
        counts,
        z,
        status,
        category,
        trend,
        count_trend,
        cube.edges,
        alpha,
        time_window,
    )
