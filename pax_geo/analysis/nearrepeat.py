"""Near-repeat analysis: the Knox test with Monte Carlo simulation, and risk zones.

For every pair of events closer than the largest distance band, the pair is counted in the cell
(distance band, time band) of its separation. Distance bands are half-open [k*w, (k+1)*w) metres;
time bands are half-open [k*d, (k+1)*d) days on the time difference in whole seconds (so with
7-day bands "0-7 days" means less than 7 x 24 hours apart). Pairs further apart than the last band in space or
time are not counted.

Expected counts come from Monte Carlo: the event times are permuted among the events (the
positions stay), which keeps both the spatial and the temporal distribution and breaks only their
interaction. Knox ratio = observed / mean of the simulations; pseudo p-value = (number of
simulations with at least the observed count + 1) / (simulations + 1), one-sided (excess).

Scale: no n x n matrix. Events are sorted by x and processed in chunks; each chunk's pairs within
the largest distance come from KD-trees (``scipy.spatial.cKDTree.sparse_distance_matrix``), so
memory grows with the number of close pairs, not with n². The permutations are applied to those
pairs only.

Risk zone: the bands that are significant (p < alpha) with a Knox ratio above ``min_ratio``, taken
from the first distance and time band outwards while they stay connected, give a radius and a
number of days. After each new event, the circle of that radius around it is a raised-risk zone
until the event time plus that many days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numba
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

DAY_S = 86400.0
#: Memory for the permuted time table (events x simulations, float64) per block of simulations.
TIME_TABLE_BYTES = 256 * 1024 * 1024


def event_seconds(t: np.ndarray | pd.Series) -> np.ndarray:
    """Event times as whole seconds since the earliest event (int64, any datetime resolution).

    Whole seconds make band membership exact integer arithmetic, identical in the fast and the
    brute-force computation.
    """
    tt = pd.to_datetime(pd.Series(t), utc=True)
    if tt.isna().any():
        raise ValueError("event times must not be missing")
    return np.floor((tt - tt.min()).dt.total_seconds().to_numpy()).astype(np.int64)


@numba.njit(cache=True, nogil=True, parallel=True)
def _count_pairs(pi, pj, sbase, tp, band_s, n_time, counts, n_blocks):  # pragma: no cover
    """counts[s, sbase[k] + time band] += 1 for every pair k and simulation column s of tp.

    tp holds integer seconds (events x simulations); the band is (|dt| // band_s), exactly.
    Parallel over blocks of simulation columns (one per thread: every block reads all pairs
    once), so no two threads write the same counter.
    """
    n_sims = tp.shape[1]
    n_blocks = max(1, min(n_sims, n_blocks))
    t_max = band_s * n_time
    for blk in numba.prange(n_blocks):
        s0 = blk * n_sims // n_blocks
        s1 = (blk + 1) * n_sims // n_blocks
        for k in range(pi.shape[0]):
            ri = pi[k]
            rj = pj[k]
            base = sbase[k]
            for s in range(s0, s1):
                d = abs(tp[ri, s] - tp[rj, s])
                if d < t_max:
                    counts[s, base + d // band_s] += 1


@dataclass
class Knox:
    distance_edges: np.ndarray  # metres, len = n_space + 1
    time_edges: np.ndarray  # days, len = n_time + 1
    observed: np.ndarray  # (n_space, n_time) pair counts
    simulated_mean: np.ndarray
    simulated_sd: np.ndarray
    n_at_least: np.ndarray  # simulations with count >= observed
    simulations: int
    n_events: int
    n_pairs: int  # pairs within the largest distance (any time)

    @property
    def ratio(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = self.observed / self.simulated_mean
        return np.where(self.simulated_mean > 0, r, np.nan)

    @property
    def p(self) -> np.ndarray:
        return (self.n_at_least + 1.0) / (self.simulations + 1.0)

    def table(self) -> pd.DataFrame:
        rows = []
        ratio, p = self.ratio, self.p
        for i in range(len(self.distance_edges) - 1):
            for j in range(len(self.time_edges) - 1):
                rows.append(
                    {
                        "distance_from_m": self.distance_edges[i],
                        "distance_to_m": self.distance_edges[i + 1],
                        "days_from": self.time_edges[j],
                        "days_to": self.time_edges[j + 1],
                        "observed": int(self.observed[i, j]),
                        "expected": float(self.simulated_mean[i, j]),
                        "knox_ratio": float(ratio[i, j]),
                        "p": float(p[i, j]),
                    }
                )
        return pd.DataFrame(rows)


def _edges(width: float, n: int, name: str) -> np.ndarray:
    if width <= 0 or n < 1:
        raise ValueError(f"{name} bands need a positive width and at least one band")
    return np.arange(n + 1, dtype=np.float64) * float(width)


def close_pairs(x: np.ndarray, y: np.ndarray, max_distance: float, chunk: int = 4096):
    """Yield (i, j, distance) arrays for all pairs i < j closer than ``max_distance``, in chunks.

    Memory per chunk is bounded by the pairs that chunk's points have.
    """
    n = len(x)
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        c = int(np.searchsorted(xs, xs[b - 1] + max_distance, side="right"))
        left = cKDTree(np.column_stack([xs[a:b], ys[a:b]]))
        # pairs inside the chunk
        pairs = left.query_pairs(max_distance, output_type="ndarray").astype(np.int64)
        i, j = pairs[:, 0] + a, pairs[:, 1] + a
        d = np.hypot(xs[i] - xs[j], ys[i] - ys[j])
        keep = d < max_distance
        if keep.any():
            yield order[i[keep]], order[j[keep]], d[keep]
        if c > b:  # pairs between the chunk and the points after it (within max_distance in x)
            right = cKDTree(np.column_stack([xs[b:c], ys[b:c]]))
            m = left.sparse_distance_matrix(right, max_distance, output_type="ndarray")
            keep = m["v"] < max_distance
            if keep.any():
                yield order[m["i"][keep] + a], order[m["j"][keep] + b], m["v"][keep]


def knox(
    x: np.ndarray,
    y: np.ndarray,
    t: np.ndarray | pd.Series,
    distance_band: float = 100.0,
    n_distance: int = 5,
    time_band_days: float = 7.0,
    n_time: int = 5,
    simulations: int = 99,
    seed: int = 2026,
    chunk: int = 4096,
) -> Knox:
    """Knox test over distance x time bands with ``simulations`` time permutations."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = len(x)
    if not (len(y) == n == len(t)):
        raise ValueError("x, y and t must have the same length")
    if n < 2:
        raise ValueError("the Knox test needs at least 2 events")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("coordinates must be finite numbers (found NaN or infinity)")
    if simulations < 1:
        raise ValueError("simulations must be at least 1")
    secs = event_seconds(t)
    band_s = int(round(time_band_days * DAY_S))
    if band_s < 1:
        raise ValueError("time bands must be at least one second long")
    d_edges = _edges(distance_band, n_distance, "distance")
    t_edges = _edges(time_band_days, n_time, "time")
    dmax = d_edges[-1]
    nt = n_time
    cells = n_distance * nt
    rng = np.random.default_rng(seed)
    perms = [rng.permutation(n) for _ in range(simulations)]
    # Work in x-sorted order so that the rows a pair touches are close in memory.
    order = np.argsort(x, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    dtype = np.int32 if secs.max() < 2**31 - 1 else np.int64
    block = max(1, min(simulations, TIME_TABLE_BYTES // (np.dtype(dtype).itemsize * n)))
    observed = np.zeros((1, cells), dtype=np.int64)
    sim = np.zeros((simulations, cells), dtype=np.int64)
    t_obs = np.ascontiguousarray(secs[order][:, None].astype(dtype))
    tables = []
    for b0 in range(0, simulations, block):
        cols = [secs[p][order] for p in perms[b0 : b0 + block]]
        tables.append((b0, np.ascontiguousarray(np.stack(cols, axis=1).astype(dtype))))
    n_pairs = 0
    threads = numba.get_num_threads()
    for i, j, dist in close_pairs(x, y, dmax, chunk):
        n_pairs += len(i)
        sbase = (np.floor(dist / distance_band) * nt).astype(np.int32)
        ri, rj = rank[i].astype(np.int32), rank[j].astype(np.int32)
        _count_pairs(ri, rj, sbase, t_obs, band_s, nt, observed, 1)
        for b0, tp in tables:
            _count_pairs(ri, rj, sbase, tp, band_s, nt, sim[b0 : b0 + tp.shape[1]], threads)
    observed = observed[0]
    shape = (n_distance, nt)
    return Knox(
        d_edges,
        t_edges,
        observed.reshape(shape),
        sim.mean(axis=0).reshape(shape),
        sim.std(axis=0).reshape(shape),
        (sim >= observed[None, :]).sum(axis=0).reshape(shape),
        simulations,
        n,
        n_pairs,
    )


def knox_brute_force(
    x,
    y,
    t,
    distance_band,
    n_distance,
    time_band_days,
    n_time,
    permutations: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Reference O(n²) Knox counts (full distance matrix) for tests and the benchmark baseline.

    Returns the observed table and, if ``permutations`` (S, n) are given, the simulated tables.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    secs = event_seconds(t)
    band_s = int(round(time_band_days * DAY_S))
    n = len(x)
    iu, ju = np.triu_indices(n, k=1)
    d = np.hypot(x[iu] - x[ju], y[iu] - y[ju])
    sb = np.floor(d / distance_band).astype(int)

    def table(tv):
        tb = np.abs(tv[iu] - tv[ju]) // band_s
        out = np.zeros((n_distance, n_time), dtype=np.int64)
        ok = (sb < n_distance) & (tb < n_time)
        np.add.at(out, (sb[ok], tb[ok]), 1)
        return out

    obs = table(secs)
    sims = None if permutations is None else np.stack([table(secs[p]) for p in permutations])
    return obs, sims


@dataclass
class RiskSpec:
    radius_m: float
    days: float
    significant: np.ndarray  # (n_space, n_time) bool: the bands used


def risk_spec(k: Knox, alpha: float = 0.05, min_ratio: float = 1.2) -> RiskSpec | None:
    """Radius and duration of raised risk after an event, from the significant near bands.

    Starts at the nearest distance band and the shortest time band and grows while the next band
    is significant (p < alpha, ratio >= min_ratio) and connected to those already taken.
    None when even the first band shows no significant excess.
    """
    sig = (k.p < alpha) & (np.nan_to_num(k.ratio) >= min_ratio)
    if not sig[0, 0]:
        return None
    # flood fill from (0, 0) over 4-connected significant cells
    taken = np.zeros_like(sig)
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if taken[i, j] or not sig[i, j]:
            continue
        taken[i, j] = True
        for a, b in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
            if 0 <= a < sig.shape[0] and 0 <= b < sig.shape[1]:
                stack.append((a, b))
    rows, cols = np.nonzero(taken)
    return RiskSpec(
        float(k.distance_edges[rows.max() + 1]), float(k.time_edges[cols.max() + 1]), taken
    )


def risk_zones(
    events: pd.DataFrame, spec: RiskSpec, now: datetime, resolution: int = 16
) -> pd.DataFrame:
    """Zones of raised risk that are active at ``now``: one circle per recent event.

    ``events`` needs x, y, occurred_at (tz-aware) and may carry id and kind. Returns columns
    id, kind, occurred_at, until, x, y, radius_m, geometry (shapely, EPSG:3006).
    """
    if events.empty:
        return pd.DataFrame(
            columns=["id", "kind", "occurred_at", "until", "x", "y", "radius_m", "geometry"]
        )
    occurred = pd.to_datetime(events["occurred_at"], utc=True)
    now_ts = pd.Timestamp(now).tz_convert("UTC")
    until = occurred + pd.Timedelta(days=spec.days)
    active = (occurred <= now_ts) & (until > now_ts)
    ev = events.loc[active.to_numpy()].copy()
    ev["until"] = until[active].to_numpy()
    ev["radius_m"] = spec.radius_m
    ev["geometry"] = shapely.buffer(shapely.points(ev["x"], ev["y"]), spec.radius_m, resolution)
    cols = [
        c
        for c in ("id", "kind", "occurred_at", "until", "x", "y", "radius_m", "geometry")
        if c in ev
    ]
    return ev[cols].sort_values("occurred_at", ascending=False).reset_index(drop=True)
