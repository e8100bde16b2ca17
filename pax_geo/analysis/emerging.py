"""Emerging hot spot analysis: a space-time cube, Gi* per bin and a Mann-Kendall trend per cell.

Cube: hexagon cells x time steps of fixed length, aligned to the end of the period (the last step
ends at the filter's end, as ESRI's default END_TIME alignment; a partial step at the start is
dropped, so every step is equally long and the final step is complete).

Gi* per bin uses a space-time neighbourhood: the cell and its hexagon neighbours in the same step
and in the ``time_window`` previous steps (ESRI's "neighbourhood time step", default 1). Binary
weights; the mean and variance are those of the whole cube. A bin is a hot (cold) spot when its
two-sided normal p-value passes Benjamini-Hochberg FDR at ``alpha`` (default 0.10, i.e. 90 %)
within its time step.

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
) -> Cube:
    """Count points per (cell, time step). Steps are ``step`` long (week/month/quarter or days)."""
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
    if n_steps < 3:
        raise ValueError(
            f"the period holds only {n_steps} full {step} steps; emerging hot spots need at "
            "least 3 (10 or more is better): choose a longer period or a shorter step"
        )
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
    cube: Cube, neighbours: sp.spmatrix, time_window: int = 1, alpha: float = 0.10
) -> Emerging:
    counts = cube.counts
    z = space_time_gi(counts, neighbours, time_window)
    p = 2 * stats.norm.sf(np.abs(z))
    status = np.zeros(z.shape, dtype=np.int8)
    if counts.sum() > 0:
        for k in range(z.shape[1]):
            sig = bh_reject(p[:, k], alpha)
            status[:, k] = np.where(sig, np.sign(z[:, k]), 0).astype(np.int8)
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
