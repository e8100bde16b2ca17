"""Near-repeat analysis: the Knox test with Monte Carlo simulation, and risk zones.

For every pair of events closer than the largest distance band, the pair is counted in the cell
(distance band, time band) of its separation. Distance bands are half-open [k*w, (k+1)*w) metres;
time bands are half-open [k*d, (k+1)*d) days on the exact time difference (integer nanoseconds,
the resolution of the timestamps, so 6 d 23:59:59.9 is in "0-7 days" and 7 d 00:00:00 in
"7-14 days"). Pairs further apart than the last band in space or time are not counted.

Expected counts come from Monte Carlo: the event times are permuted among the events (the
positions stay), which keeps both the spatial and the temporal distribution and breaks only their
interaction. Knox ratio = observed / mean of the simulations; pseudo p-value = (number of
simulations with at least the observed count + 1) / (simulations + 1), one-sided (excess).
With 25 bands tested at once, the p-values are corrected with Benjamini-Hochberg across the
bands (``Knox.q``); the risk zone uses the corrected values. With 99 simulations the smallest
p-value is 0.01, which BH over 25 bands at 5 % passes only when at least five bands reach it, so
the default is 999 simulations.

Scale: no n x n matrix. Events are sorted by x and processed in chunks; each chunk's pairs within
the largest distance come from KD-trees (``scipy.spatial.cKDTree.sparse_distance_matrix``), so
memory grows with the number of close pairs, not with n². The close pairs are found once; the
simulations then run in blocks whose permuted time table (events x block, int64) takes at most
``table_bytes`` (the permutations themselves are drawn block by block too), so the memory for
the simulations is bounded by that constant whatever the number of simulations.

Risk zone: the largest rectangle of bands anchored at the first distance and time band (0-100 m,
0-7 days) in which *every* band is significant (BH-corrected q <= alpha, Knox ratio >=
``min_ratio``) gives a radius (its outer distance) and a number of days (its outer time). A band
that is not significant is never inside the zone: an L-shaped set of significant bands gives the
larger of its arms, not their bounding box. After each new event, the circle of that radius
around it is a raised-risk zone until the event time plus that many days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numba
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from pax_geo.analysis.getis import bh_qvalues, bh_reject

DAY_S = 86400.0
DAY_NS = 86_400_000_000_000
#: Memory for the permuted time table (events x simulations, int64) per block of simulations.
TIME_TABLE_BYTES = 256 * 1024 * 1024


def event_ns(t: np.ndarray | pd.Series) -> np.ndarray:
    """Event times as integer nanoseconds since the earliest event (int64, exact).

    Integer nanoseconds make band membership exact integer arithmetic, identical in the fast and
    the brute-force computation, without rounding times to whole seconds.
    """
    tt = pd.to_datetime(pd.Series(t), utc=True)
    if tt.isna().any():
        raise ValueError("event times must not be missing")
    tt = tt.dt.as_unit("ns")
    v = tt.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    return v - v.min()


def band_ns(time_band_days: float) -> int:
    """A time band's length in integer nanoseconds."""
    out = int(round(time_band_days * DAY_NS))
    if out < 1:
        raise ValueError("time bands must be longer than zero")
    return out


@numba.njit(cache=True, nogil=True, parallel=True)
def _count_pairs(pi, pj, sbase, tp, band_s, n_time, counts, n_blocks):  # pragma: no cover
    """counts[s, sbase[k] + time band] += 1 for every pair k and simulation column s of tp.

    tp holds integer nanoseconds (events x simulations); the band is (|dt| // band_s), exactly.
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
        """One-sided Monte Carlo p-value per band (uncorrected)."""
        return (self.n_at_least + 1.0) / (self.simulations + 1.0)

    @property
    def q(self) -> np.ndarray:
        """Benjamini-Hochberg adjusted p-values across all bands of the table."""
        return bh_qvalues(self.p.ravel()).reshape(self.p.shape)

    def table(self) -> pd.DataFrame:
        rows = []
        ratio, p, q = self.ratio, self.p, self.q
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
                        "q": float(q[i, j]),
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


def count_close_pairs(x: np.ndarray, y: np.ndarray, max_distance: float) -> int:
    """How many pairs i < j are at most ``max_distance`` apart, counted without listing them
    (a KD-tree's dual-tree count; pairs exactly at the distance count too, so this is an upper
    bound of what :func:`close_pairs` lists)."""
    n = len(x)
    if n < 2:
        return 0
    tree = cKDTree(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
    return (int(tree.count_neighbors(tree, max_distance)) - n) // 2


def recent_within(
    x: np.ndarray, y: np.ndarray, max_distance: float, max_pairs: int, min_events: int = 10
) -> int:
    """For events in time order: the first index from which the rest (the most recent events)
    have at most ``max_pairs`` close pairs, so that the Knox test's work (pairs x simulations)
    and memory stay bounded. 0 when all of them fit; never more than ``len(x) - min_events``.

    The recent run is doubled until it no longer fits and then halved in between, so the counts
    cost about what the run found has, not what the whole period has (a year at a million
    incidents has billions of close pairs)."""
    n = len(x)
    fits, size = min(n, min_events), min(n, min_events)
    while size < n:
        size = min(n, size * 2)
        if count_close_pairs(x[n - size :], y[n - size :], max_distance) > max_pairs:
            break
        fits = size
    else:
        return 0
    too_many = size  # a run of this length does not fit; one of `fits` does
    while too_many - fits > 1:
        mid = (fits + too_many) // 2
        if count_close_pairs(x[n - mid :], y[n - mid :], max_distance) <= max_pairs:
            fits = mid
        else:
            too_many = mid
    return n - fits


def knox(
    x: np.ndarray,
    y: np.ndarray,
    t: np.ndarray | pd.Series,
    distance_band: float = 100.0,
    n_distance: int = 5,
    time_band_days: float = 7.0,
    n_time: int = 5,
    simulations: int = 999,
    seed: int = 2026,
    chunk: int = 4096,
    table_bytes: int = TIME_TABLE_BYTES,
) -> Knox:
    """Knox test over distance x time bands with ``simulations`` time permutations.

    ``table_bytes`` bounds the permuted time table held at once (simulations run in blocks).
    """
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
    tns = event_ns(t)
    band = band_ns(time_band_days)
    d_edges = _edges(distance_band, n_distance, "distance")
    t_edges = _edges(time_band_days, n_time, "time")
    dmax = d_edges[-1]
    nt = n_time
    cells = n_distance * nt
    rng = np.random.default_rng(seed)
    # Work in x-sorted order so that the rows a pair touches are close in memory.
    order = np.argsort(x, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    block = max(1, min(simulations, int(table_bytes) // (8 * n)))
    # Close pairs once (memory grows with close pairs, not n²): ranks and distance-band offsets.
    pis, pjs, bases = [], [], []
    for i, j, dist in close_pairs(x, y, dmax, chunk):
        pis.append(rank[i].astype(np.int32))
        pjs.append(rank[j].astype(np.int32))
        bases.append((np.floor(dist / distance_band) * nt).astype(np.int32))
    ri = np.concatenate(pis) if pis else np.zeros(0, np.int32)
    rj = np.concatenate(pjs) if pjs else np.zeros(0, np.int32)
    sbase = np.concatenate(bases) if bases else np.zeros(0, np.int32)
    del pis, pjs, bases
    n_pairs = len(ri)
    observed = np.zeros((1, cells), dtype=np.int64)
    t_sorted = tns[order]
    _count_pairs(ri, rj, sbase, np.ascontiguousarray(t_sorted[:, None]), band, nt, observed, 1)
    sim = np.zeros((simulations, cells), dtype=np.int64)
    threads = numba.get_num_threads()
    for b0 in range(0, simulations, block):
        b1 = min(simulations, b0 + block)
        # one block of permutations at a time, drawn in the same order as one list would be
        tp = np.empty((n, b1 - b0), dtype=np.int64)
        for c in range(b1 - b0):
            tp[:, c] = tns[rng.permutation(n)][order]
        _count_pairs(ri, rj, sbase, tp, band, nt, sim[b0:b1], threads)
        del tp
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
    tns = event_ns(t)
    band = band_ns(time_band_days)
    n = len(x)
    iu, ju = np.triu_indices(n, k=1)
    d = np.hypot(x[iu] - x[ju], y[iu] - y[ju])
    sb = np.floor(d / distance_band).astype(int)

    def table(tv):
        tb = np.abs(tv[iu] - tv[ju]) // band
        out = np.zeros((n_distance, n_time), dtype=np.int64)
        ok = (sb < n_distance) & (tb < n_time)
        np.add.at(out, (sb[ok], tb[ok]), 1)
        return out

    obs = table(tns)
    sims = None if permutations is None else np.stack([table(tns[p]) for p in permutations])
    return obs, sims


@dataclass
class RiskSpec:
    radius_m: float
    days: float
    significant: np.ndarray  # (n_space, n_time) bool: the bands in the zone (all significant)


def largest_anchored_rectangle(sig: np.ndarray) -> tuple[int, int] | None:
    """(rows, cols) of the largest-area all-True rectangle sig[:rows, :cols] anchored at (0, 0);
    ties go to the one reaching further in distance. None when sig[0, 0] is False."""
    sig = np.asarray(sig, dtype=bool)
    best = None
    best_area = 0
    width = sig.shape[1]
    for r in range(sig.shape[0]):
        row = sig[r, :width]
        w = int(np.argmin(row)) if not row.all() else width  # leading run of True
        width = w
        if width == 0:
            break
        area = (r + 1) * width
        if area >= best_area:
            best, best_area = (r + 1, width), area
    return best


def risk_spec(k: Knox, alpha: float = 0.05, min_ratio: float = 1.2) -> RiskSpec | None:
    """Radius and duration of raised risk after an event, from the significant near bands.

    A band is significant when its Benjamini-Hochberg corrected p-value across all bands is at
    most ``alpha`` and its Knox ratio is at least ``min_ratio``. The zone is the largest rectangle
    of bands anchored at the first distance and time band in which every band is significant
    (never a band that is not). None when even the first band shows no significant excess.
    """
    sig = bh_reject(k.p.ravel(), alpha).reshape(k.p.shape) & (np.nan_to_num(k.ratio) >= min_ratio)
    rect = largest_anchored_rectangle(sig)
    if rect is None:
        return None
    rows, cols = rect
    taken = np.zeros_like(sig)
    taken[:rows, :cols] = True
    return RiskSpec(float(k.distance_edges[rows]), float(k.time_edges[cols]), taken)


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
    ev["geometry"] = shapely.buffer(
        shapely.points(ev["x"], ev["y"]), spec.radius_m, quad_segs=resolution
    )
    cols = [
        c
        for c in ("id", "kind", "occurred_at", "until", "x", "y", "radius_m", "geometry")
        if c in ev
    ]
    return ev[cols].sort_values("occurred_at", ascending=False).reset_index(drop=True)
