"""Mann-Kendall trend test (vectorised over many series).

S = sum over i < j of sign(x_j - x_i)
Var(S) = [n(n-1)(2n+5) - sum over tie groups t(t-1)(2t+5)] / 18
Z = (S - 1) / sqrt(Var) if S > 0, (S + 1) / sqrt(Var) if S < 0, else 0 (continuity correction)
p = 2 * (1 - Phi(|Z|)) (two-sided); Kendall's tau = S / (n(n-1)/2).
This is the "original" test of Mann (1945) and Kendall (1975) as in Hipel & McLeod (1994) and
pymannkendall.original_test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass
class MannKendall:
    s: np.ndarray
    var_s: np.ndarray
    z: np.ndarray
    p: np.ndarray
    tau: np.ndarray

    def trend(self, alpha: float = 0.05) -> np.ndarray:
        """+1 increasing, -1 decreasing, 0 no significant trend."""
        return np.where(self.p < alpha, np.sign(self.s), 0).astype(np.int8)


def mann_kendall(x: np.ndarray) -> MannKendall:
    """Mann-Kendall test for each row of ``x`` (shape (series, time) or (time,))."""
    x = np.asarray(x, dtype=np.float64)
    one = x.ndim == 1
    if one:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError("series must be a 1-D or 2-D array (series x time)")
    m, n = x.shape
    if n < 3:
        raise ValueError("the Mann-Kendall test needs at least 3 time steps")
    if np.isnan(x).any():
        raise ValueError("series contain missing values (NaN)")
    s = np.zeros(m)
    for k in range(n - 1):
        s += np.sign(x[:, k + 1 :] - x[:, k : k + 1]).sum(axis=1)
    # tie groups: each element of a group of size t contributes (t-1)(2t+5); sum / t per group
    sx = np.sort(x, axis=1)
    ties = np.zeros(m)
    for k in range(n):
        t = (sx == sx[:, k : k + 1]).sum(axis=1)
        ties += (t - 1) * (2 * t + 5)
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var_s), np.where(s < 0, (s + 1) / np.sqrt(var_s), 0))
    z = np.where(np.isfinite(z), z, 0.0)
    p = 2 * stats.norm.sf(np.abs(z))
    tau = s / (n * (n - 1) / 2)
    out = MannKendall(s, var_s, z, p, tau)
    if one:
        out = MannKendall(*(np.asarray(a)[0] for a in (s, var_s, z, p, tau)))
    return out
