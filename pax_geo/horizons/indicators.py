"""Indicator statistics: municipality averages, area against average, classed colour scales.

Pure functions over frames read from ``pax_api.indicator`` (area_id, key, year, value, …) and
the areas' populations.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

WEIGHTED = "population_weighted"
UNWEIGHTED = "unweighted"

#: Classification schemes offered on the Lång sikt page (key -> mapclassify class name).
#: mapclassify is imported when a map is classed, not with this module: its import takes
#: seconds (scipy, scikit-learn), which the area card and Medellång sikt need not pay.
SCHEMES: dict[str, str] = {
    "quantiles": "Quantiles",
    "natural_breaks": "FisherJenks",
    "equal_interval": "EqualInterval",
}


@dataclass(frozen=True)
class Average:
    value: float
    method: str  # WEIGHTED or UNWEIGHTED
    n_areas: int


def municipality_average(
    values: pd.DataFrame, population: Mapping[int, int | None]
) -> Average | None:
    """The municipality average of one indicator in one period.

    `values` has columns area_id, value. Weighted by population when every area with a value
    has a known, positive population; otherwise the plain mean of the areas (and the method
    says so). None when there are no values.
    """
    v = values.dropna(subset=["value"])
    if v.empty:
        return None
    pops = [population.get(int(a)) for a in v["area_id"]]
    if all(p is not None and p > 0 for p in pops):
        w = np.asarray(pops, dtype=float)
        return Average(float(np.average(v["value"].to_numpy(float), weights=w)), WEIGHTED, len(v))
    return Average(float(v["value"].mean()), UNWEIGHTED, len(v))


def averages(ind: pd.DataFrame, population: Mapping[int, int | None]) -> pd.DataFrame:
    """Municipality average per key and year. Columns: key, year, value, method, n_areas."""
    rows = []
    for (key, year), grp in ind.groupby(["key", "year"], sort=True):
        avg = municipality_average(grp[["area_id", "value"]], population)
        if avg is not None:
            rows.append((key, int(year), avg.value, avg.method, avg.n_areas))
    return pd.DataFrame(rows, columns=["key", "year", "value", "method", "n_areas"])


def versus_average(
    ind: pd.DataFrame,
    area_id: int,
    population: Mapping[int, int | None],
    higher_is_better: Mapping[str, bool],
) -> pd.DataFrame:
    """Each indicator of one area in its latest year against the municipality average of that
    year. Columns: key, year, value, average, method, diff, better (True/False, None if equal
    or the key's direction is unknown).
    """
    mine = ind[ind["area_id"] == area_id]
    if mine.empty:
        return pd.DataFrame(columns=["key", "year", "value", "average", "method", "diff", "better"])
    latest = mine.sort_values("year").groupby("key", as_index=False).last()
    rows = []
    for r in latest.itertuples(index=False):
        same = ind[(ind["key"] == r.key) & (ind["year"] == r.year)]
        avg = municipality_average(same[["area_id", "value"]], population)
        assert avg is not None  # the area's own value is in `same`
        diff = float(r.value) - avg.value
        hib = higher_is_better.get(r.key)
        better = None if hib is None or np.isclose(diff, 0) else (diff > 0) == hib
        rows.append((r.key, int(r.year), float(r.value), avg.value, avg.method, diff, better))
    return pd.DataFrame(
        rows, columns=["key", "year", "value", "average", "method", "diff", "better"]
    )


@dataclass(frozen=True)
class Classes:
    """Class breaks: class i holds values in (bins[i-1], bins[i]] (class 0 from `lower`)."""

    scheme: str
    lower: float
    bins: tuple[float, ...]

    @property
    def k(self) -> int:
        return len(self.bins)

    def assign(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Class index per value (values above the top break go to the top class)."""
        idx = np.searchsorted(np.asarray(self.bins), np.asarray(values, dtype=float), side="left")
        return np.minimum(idx, self.k - 1)

    def bounds(self) -> list[tuple[float, float]]:
        lows = (self.lower, *self.bins[:-1])
        return list(zip(lows, self.bins, strict=True))


def classify(values: pd.Series | np.ndarray, scheme: str = "quantiles", k: int = 5) -> Classes:
    """Class breaks for `values` (pooled over every year shown, so colours compare across
    years). Fewer distinct values than `k` give fewer classes."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown classification {scheme!r}; use one of {', '.join(SCHEMES)}")
    v = np.asarray(pd.Series(values).dropna(), dtype=float)
    if v.size == 0:
        raise ValueError("no values to classify")
    if k < 1:
        raise ValueError(f"k must be at least 1 (got {k})")
    distinct = np.unique(v)
    k = min(k, distinct.size)
    if k == 1:
        return Classes(scheme, float(v.min()), (float(v.max()),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mapclassify warns when classes collapse
        scheme_class = getattr(importlib.import_module("mapclassify"), SCHEMES[scheme])
        clf = scheme_class(v, k=k)
    bins = tuple(float(b) for b in np.unique(clf.bins))
    return Classes(scheme, float(v.min()), bins)
