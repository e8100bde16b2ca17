"""Getis-Ord Gi* hot and cold spots with permutation inference and FDR correction.

For binary weights the statistic, its analytical moments and the conditional permutation scheme
are those of ``esda.G_Local(y, w, transform="B", star=True)`` (a test compares them value for
value); this module vectorises them with numpy so that 10k cells with 999 permutations take well
under a second without numba. Other non-negative weights use the general Getis-Ord moments (W_i,
S1_i), tested against the exact moments over all permutations; esda's own variance keeps the
binary form ``card * (n - card)`` and is not a reference for them.

Classification: for each confidence level (90, 95, 99 %) the two-sided p-values are corrected with
Benjamini-Hochberg false-discovery-rate control (reject p_(k) <= k alpha / n); a cell gets the highest level it passes, signed by the direction of
its z-score: +3 = hot spot 99 %, +2 = 95 %, +1 = 90 %, 0 = not significant, -1..-3 = cold spot.

Inference. The statistic and analytical moments equal esda's; for the permutation test two
schemes are offered:

* ``randomisation="conditional"``: esda's conditional randomisation (the cell's own value is held
  fixed, only its neighbours are drawn at random), with esda's own draws (the same seed gives the
  same random neighbourhoods). ``p_sim`` is esda's "directed" formula computed exactly: a draw
  whose statistic equals the observed one (a tie, common with counts) counts as "at least as
  large". It equals ``G_Local(...).p_sim`` only when no draw ties: esda's numba kernels are
  compiled with ``fastmath``, so the same sum added in another order can land a rounding error
  below the observed value and the tie is dropped (its p_sim is then too small). A test checks
  ours against a brute-force count in exact integer arithmetic. On concentrated crime counts this
  scheme is weak: a
  peak cell is compared with "itself plus six random cells", and a handful of very busy cells
  elsewhere make almost any neighbourhood look ordinary (Ronna's busiest cell, 263 incidents with
  z = 19.6, gets p = 0.003 from 999 draws), and its smallest p, 2 / (P + 1), cannot pass FDR over
  thousands of cells at 99 %.
* ``randomisation="total"`` (default): the whole neighbourhood including the cell is compared with
  neighbourhoods of the same size filled at random from all cells. This is the null hypothesis the
  Gi* moments are derived under (Getis & Ord 1992, total randomisation); the reference
  distribution depends only on the neighbourhood size, so one set of 99 999 draws serves all cells
  in milliseconds and p-values down to 2e-5 are reachable.

Two-sided pseudo p-value: 2 * (min(#draws >= G, #draws <= G) + 1) / (P + 1), capped at 1; ties
count in both tails (esda's ``p_sim``, "directed", drops ties from the lower tail, which with many
zero counts makes cold spots look more significant than they are; it is still reported).
With ``permutations=0`` the normal approximation is used (fast, optimistic for small counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import stats

LEVELS: tuple[tuple[int, float], ...] = ((3, 0.01), (2, 0.05), (1, 0.10))


#: Relative tolerance for "p <= k * alpha / n": p-values on a permutation grid are rationals such
#: as 2 * 3 / 1000 whose float value may sit a rounding error above an exactly equal threshold.
BH_RTOL = 1e-9


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values): q_(k) = min over j >= k of p_(j) n / j."""
    p = np.asarray(p, dtype=np.float64)
    n = p.size
    if n == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def bh_reject(p: np.ndarray, alpha: float) -> np.ndarray:
    """Benjamini-Hochberg: which hypotheses are rejected at false-discovery rate ``alpha``.

    Rejects the k smallest p-values, k the largest rank with p_(k) <= k * alpha / n: the
    inequality of the method (Benjamini & Hochberg 1995) and of statsmodels' ``multipletests``.
    Defined as ``bh_qvalues(p) <= alpha`` so the two always agree; exact ties at the boundary
    (common on a permutation p-value grid) are rejected. ``esda.fdr`` uses ``<`` and is not used.
    """
    p = np.asarray(p, dtype=np.float64)
    if p.size == 0:
        return np.zeros(0, dtype=bool)
    return bh_qvalues(p) <= alpha * (1.0 + BH_RTOL)


@dataclass
class GiStar:
    """Gi* result per cell (arrays aligned with the input values)."""

    y: np.ndarray
    g: np.ndarray  # the statistic G*_i (share of the total in the neighbourhood)
    expected: np.ndarray
    variance: np.ndarray
    z: np.ndarray
    p_norm: np.ndarray  # one-sided normal p-value, as esda's p_norm
    p_sim: np.ndarray | None  # esda's pseudo p-value ("directed", one tail), or None
    p_two_sided: np.ndarray  # what classification uses
    level: np.ndarray  # int8: +3..-3 (see module docstring)
    permutations: int
    fdr: bool
    randomisation: str = "total"

    @property
    def hot(self) -> np.ndarray:
        return self.level > 0

    @property
    def cold(self) -> np.ndarray:
        return self.level < 0

    def counts(self) -> dict[int, int]:
        vals, n = np.unique(self.level, return_counts=True)
        return {int(v): int(c) for v, c in zip(vals, n, strict=True)}


def _moments(y: np.ndarray, w_star: sp.csr_matrix):
    """Statistic and analytical moments for Gi* with general non-negative weights incl. self.

    G*_i = sum_j w_ij y_j / sum_j y_j, E = W_i / n,
    Var = (n S1_i - W_i**2) / (n - 1) * s**2 / (n * mean)**2,
    with W_i = sum_j w_ij, S1_i = sum_j w_ij**2 and s**2 the population variance: the exact
    moments under random permutation of the values (Getis & Ord 1992; Ord & Getis 1995). For
    binary weights S1_i = W_i and this is esda's ``card * (n - card)`` form (tested equal).
    """
    n = len(y)
    total = y.sum()
    wi = np.asarray(w_star.sum(axis=1)).ravel()
    s1 = np.asarray(w_star.multiply(w_star).sum(axis=1)).ravel()
    mean = total / n
    var = (y**2).sum() / n - mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (w_star @ y) / total
        expected = wi / n
        variance = (n * s1 - wi**2) / (n - 1) / n**2 * var / mean**2
        z = (g - expected) / np.sqrt(variance)
    z = np.where(np.isfinite(z), z, 0.0)
    return g, expected, variance, z


def esda_permutation_ids(n: int, max_card: int, permutations: int, seed: int) -> np.ndarray:
    """The random neighbour draws esda uses (its ``vec_permutations`` without numba)."""
    rs = np.random.RandomState(seed)
    out = np.empty((permutations, max_card), dtype=np.int64)
    for k in range(permutations):
        out[k] = rs.choice(n - 1, size=max_card, replace=False)
    return out


def fast_permutation_ids(n: int, max_card: int, permutations: int, seed: int) -> np.ndarray:
    """Draws of ``max_card`` distinct ids from range(n - 1), by rejection (same distribution as
    esda's draws, not the same stream; O(draws) instead of O(draws * n))."""
    rng = np.random.default_rng(seed)
    if max_card > (n - 1):
        raise ValueError("more neighbours than other cells")
    out = rng.integers(0, n - 1, size=(permutations, max_card), dtype=np.int32)
    while True:
        srt = np.sort(out, axis=1)
        bad: np.ndarray = (
            np.flatnonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1))
            if max_card > 1
            else np.empty(0, dtype=np.intp)
        )
        if len(bad) == 0:
            return out
        out[bad] = rng.integers(0, n - 1, size=(len(bad), max_card), dtype=np.int32)


def _permutation_p(
    y: np.ndarray,
    w_star: sp.csr_matrix,
    g: np.ndarray,
    permutations: int,
    seed: int,
    chunk_elems: int = 4_000_000,
    subset: np.ndarray | None = None,
    esda_ids: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """esda's conditional randomisation for Gi*, vectorised by neighbour count.

    Returns (esda's directed pseudo p, two-sided pseudo p) for every cell (or for ``subset``,
    aligned with it).
    """
    n = len(y)
    self_w = w_star.diagonal()
    others = w_star.tolil(copy=True)
    others.setdiag(0)
    others = others.tocsr()
    others.eliminate_zeros()
    others.sort_indices()
    card = np.diff(others.indptr)
    max_card = int(card.max()) if n else 0
    scaling = y.sum()
    larger = np.zeros(n, dtype=np.int64)  # draws >= observed
    smaller = np.zeros(n, dtype=np.int64)  # draws <= observed
    if max_card == 0 or scaling == 0:
        return np.ones(n), np.ones(n)
    make_ids = esda_permutation_ids if esda_ids else fast_permutation_ids
    ids = make_ids(n, max_card, permutations, seed)
    wanted = np.ones(n, dtype=bool) if subset is None else np.isin(np.arange(n), subset)
    for k in np.unique(card[wanted]):
        cells = np.flatnonzero((card == k) & wanted)
        if k == 0:
            # islands: esda's random statistic is the self term only
            rstat = np.broadcast_to(
                (self_w[cells] * y[cells])[:, None] / scaling, (len(cells), permutations)
            )
            tol = 1e-12 * np.maximum(1.0, np.abs(g[cells, None]))
            larger[cells] = (rstat >= g[cells, None] - tol).sum(1)
            smaller[cells] = (rstat <= g[cells, None] + tol).sum(1)
            continue
        ids_k = ids[:, :k]  # (P, k)
        # weights of the k other neighbours of each cell, in CSR order (as esda)
        wk = others.data[others.indptr[cells][:, None] + np.arange(k)[None, :]]  # (m, k)
        binary = bool(np.all(wk == 1.0))
        step = max(1, chunk_elems // (permutations * k))
        for s in range(0, len(cells), step):
            c = cells[s : s + step]
            idx = ids_k[None, :, :] + (ids_k[None, :, :] >= c[:, None, None])  # skip self
            vals = y[idx]  # (m, P, k)
            if binary:
                lag = vals.sum(axis=2)
            else:
                lag = np.einsum("mpk,mk->mp", vals, wk[s : s + step])
            rstat = (lag + (self_w[c] * y[c])[:, None]) / scaling
            # exact ties count in both tails; the tolerance absorbs the last-bit differences of
            # the same sum added in another order
            tol = 1e-12 * np.maximum(1.0, np.abs(g[c, None]))
            larger[c] = (rstat >= g[c, None] - tol).sum(axis=1)
            smaller[c] = (rstat <= g[c, None] + tol).sum(axis=1)
    # esda's "directed" pseudo p-value (one tail, chosen by the data; ties count only upwards)
    low = (permutations - larger) < larger
    directed = (np.where(low, permutations - larger, larger) + 1.0) / (permutations + 1.0)
    # two-sided pseudo p-value with ties counted in both tails (conservative for count data)
    tail = np.minimum(larger, smaller)
    two_sided = np.minimum(1.0, 2.0 * (tail + 1.0) / (permutations + 1.0))
    if subset is not None:
        return directed[subset], two_sided[subset]
    return directed, two_sided


def _total_p(
    y: np.ndarray, w_star: sp.csr_matrix, g: np.ndarray, permutations: int, seed: int
) -> np.ndarray:
    """Two-sided pseudo p-values under total randomisation (binary weights incl. self).

    A cell with c cells in its neighbourhood (itself included) is compared with the sums of c
    values drawn without replacement from all cells. That reference distribution depends on c
    only, so one set of draws serves every cell: 99 999 draws cost less than 999 conditional ones.
    """
    n = len(y)
    card = np.diff(w_star.indptr)
    scaling = y.sum()
    if scaling == 0:
        return np.ones(n)
    ids = fast_permutation_ids(n + 1, int(card.max()), permutations, seed)  # distinct, < n
    sums = np.cumsum(y[ids], axis=1)  # (P, kmax): sum of the first c draws in column c - 1
    p2 = np.ones(n)
    for c in np.unique(card):
        ref = np.sort(sums[:, c - 1] / scaling)
        cells = np.flatnonzero(card == c)
        obs = g[cells]
        # tolerance: the same sum computed in another order may differ in the last bits
        tol = 1e-12 * np.maximum(1.0, np.abs(obs))
        ge = permutations - np.searchsorted(ref, obs - tol, side="left")
        le = np.searchsorted(ref, obs + tol, side="right")
        p2[cells] = np.minimum(1.0, 2.0 * (np.minimum(ge, le) + 1.0) / (permutations + 1.0))
    return p2


def classify(z: np.ndarray, p_two_sided: np.ndarray, fdr: bool = True) -> np.ndarray:
    level = np.zeros(len(z), dtype=np.int8)
    for lev, alpha in LEVELS[::-1]:  # 90 first, then overwrite with 95 and 99
        sig = bh_reject(p_two_sided, alpha) if fdr else p_two_sided < alpha
        level = np.where(sig, np.int8(lev), level)
    return (level * np.sign(z)).astype(np.int8)


def gi_star(
    y: np.ndarray,
    neighbours: sp.spmatrix,
    permutations: int = 99_999,
    seed: int = 12345,
    fdr: bool = True,
    randomisation: str = "total",
) -> GiStar:
    """Gi* for values ``y`` with spatial weights ``neighbours``.

    Weights may be binary or general non-negative (e.g. distance decay, row-standardised); the
    moments and z-scores use the general Getis-Ord formulas (W_i, S1_i, see :func:`_moments`).
    Self-weights: taken from the diagonal when it has any; otherwise 1 for binary weights and the
    row maximum for other weights. "total" randomisation needs binary weights (its shared
    reference distribution depends on the neighbourhood size only) and refuses others with a
    ValueError; use ``randomisation="conditional"`` or ``permutations=0`` for them.

    ``randomisation``: "total" (default) or "conditional" (esda's scheme, which also fills
    ``p_sim``; see module docstring).
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    if neighbours.shape != (n, n):
        raise ValueError(f"weights are {neighbours.shape}, values have length {n}")
    if n < 3:
        raise ValueError("Gi* needs at least 3 cells")
    if permutations < 0:
        raise ValueError("permutations must be 0 or more")
    w = sp.csr_matrix(neighbours, dtype=np.float64, copy=True)
    w.eliminate_zeros()
    if w.nnz and (not np.isfinite(w.data).all() or (w.data < 0).any()):
        raise ValueError("weights must be finite and non-negative")
    diag = w.diagonal()
    if not diag.any():
        # no self-weights given: 1 for binary weights, the row maximum otherwise (esda's rule)
        binary = bool(np.all(w.data == 1.0))
        rowmax = np.asarray(w.max(axis=1).todense()).ravel() if w.nnz else np.zeros(n)
        w.setdiag(1.0 if binary else np.where(rowmax > 0, rowmax, 1.0))
    w.sort_indices()
    g, expected, variance, z = _moments(y, w)
    p_norm = stats.norm.sf(np.abs(z))
    if randomisation not in ("total", "conditional"):
        raise ValueError(f"randomisation must be total or conditional (got {randomisation!r})")
    if permutations and randomisation == "conditional":
        p_sim, p2 = _permutation_p(y, w, g, permutations, seed)
    elif permutations:
        if not np.all(w.data == 1.0):
            raise ValueError(
                "total randomisation needs binary weights (0/1, self-weight 1); for other "
                "weights use randomisation='conditional' or permutations=0"
            )
        p_sim = None
        p2 = _total_p(y, w, g, permutations, seed)
    else:
        p_sim = None
        p2 = np.minimum(1.0, 2.0 * p_norm)
    if y.sum() == 0:
        p2 = np.ones(n)
    level = classify(z, p2, fdr)
    return GiStar(
        y, g, expected, variance, z, p_norm, p_sim, p2, level, permutations, fdr, randomisation
    )


def getis_ord_z(y: np.ndarray, w_star: sp.spmatrix) -> np.ndarray:
    """Getis-Ord Gi* z-scores for general (non-negative) weights including self.

    z_i = (sum_j w_ij x_j - mean * W_i) / (s * sqrt((n * S1_i - W_i**2) / (n - 1)))
    with W_i = sum_j w_ij, S1_i = sum_j w_ij**2 and s the population standard deviation.
    For binary weights this equals :func:`gi_star`'s z.
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    w = sp.csr_matrix(w_star, dtype=np.float64)
    mean = y.mean()
    s = np.sqrt((y**2).mean() - mean**2)
    wi = np.asarray(w.sum(axis=1)).ravel()
    s1 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (w @ y - mean * wi) / (s * np.sqrt((n * s1 - wi**2) / (n - 1)))
    return np.where(np.isfinite(z), z, 0.0)
