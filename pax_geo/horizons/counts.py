"""Counts that may be suppressed, as ranges.

The database releases per-area counts to some roles (field workers, the board) only as
protected values: a fixed calendar lattice with deterministic noise on every cell (migration
0009, README "Small counts"). Released values below the threshold come back as suppressed,
meaning "1 to threshold-1" of the *released* value; a missing row is a released 0. Every sum
over suppressed cells is therefore a range. :class:`Count` carries that range through sums and
comparisons, and labels it the way the pages show it: ``12`` when exact, ``<3`` for one
suppressed cell, ``12–14`` for a sum. For roles without suppression the counts are exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Count:
    """A count known to lie in [lo, hi] (lo == hi when exact)."""

    lo: int
    hi: int

    def __post_init__(self) -> None:
        if self.lo < 0 or self.hi < self.lo:
            raise ValueError(f"invalid count range [{self.lo}, {self.hi}]")

    @classmethod
    def exact(cls, n: int) -> Count:
        return cls(int(n), int(n))

    @classmethod
    def suppressed(cls, threshold: int) -> Count:
        """One suppressed cell: at least 1, at most threshold - 1."""
        if threshold < 2:
            raise ValueError(f"a suppression threshold must be at least 2 (got {threshold})")
        return cls(1, threshold - 1)

    @classmethod
    def total(cls, counts: Iterable[Count]) -> Count:
        lo = hi = 0
        for c in counts:
            lo += c.lo
            hi += c.hi
        return cls(lo, hi)

    @property
    def is_exact(self) -> bool:
        return self.lo == self.hi

    @property
    def mid(self) -> float:
        return (self.lo + self.hi) / 2

    def __add__(self, other: Count) -> Count:
        return Count(self.lo + other.lo, self.hi + other.hi)

    def label(self, threshold: int = 0) -> str:
        """``12``; ``<3`` for exactly the range of one suppressed cell; else ``12–14``."""
        if self.is_exact:
            return str(self.lo)
        if threshold >= 2 and self.lo == 1 and self.hi == threshold - 1:
            return f"<{threshold}"
        return f"{self.lo}–{self.hi}"


def with_ranges(cells: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Add lo/hi columns to a counts frame with columns n (None when suppressed), suppressed.

    A suppressed cell becomes [1, threshold-1]; a released cell [n, n]. A frame that says a cell
    is suppressed while the threshold is below 2 is inconsistent and fails loudly.
    """
    out = cells.copy()
    supp = out["suppressed"].fillna(False).astype(bool).to_numpy()
    n = pd.to_numeric(out["n"], errors="coerce")
    if (~supp & n.isna().to_numpy()).any():
        raise ValueError("counts frame has a missing n on a row that is not marked suppressed")
    if supp.any() and threshold < 2:
        raise ValueError(
            f"counts frame has suppressed rows but the suppression threshold is {threshold}"
        )
    out["lo"] = np.where(supp, 1, n.fillna(0)).astype(int)
    out["hi"] = np.where(supp, max(threshold - 1, 1), n.fillna(0)).astype(int)
    return out


def range_label(lo: int, hi: int, threshold: int = 0) -> str:
    return Count(int(lo), int(hi)).label(threshold)


def labels(frame: pd.DataFrame, threshold: int, lo: str = "lo", hi: str = "hi") -> pd.Series:
    """Display labels for the lo/hi columns of a frame."""
    return pd.Series(
        [range_label(a, b, threshold) for a, b in zip(frame[lo], frame[hi], strict=True)],
        index=frame.index,
        dtype=object,
    )
