"""When incidents happen: hour x weekday grid with aoristic weights, and seasonality.

Aoristic weighting: an incident known only by a window (occurred_from .. occurred_to, e.g. a car
found burnt in the morning, a cache found after weeks) gets weight 1 spread over the hours of its
window in proportion to the overlap with each clock hour (Ratcliffe 2002). Incidents with an exact
time get weight 1 in their hour. Hours are Europe/Stockholm wall-clock hours.

Windows longer than a week: whole weeks add the same weight to every cell of the 7 x 24 grid, so
only the remainder (< 168 hours) is spread hour by hour: the work per incident stays bounded.

Seasonality: incidents per calendar month, divided by the number of days of that month the period
covers (so a period with two Januaries and one July is fair), as a rate per 30 days and as an index
(1.0 = average). A chi-square test against "no seasonality" (counts proportional to exposure days)
says whether the monthly differences are more than chance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from scipy import stats

from pax_geo.config import TIMEZONE

HOURS_PER_WEEK = 168


@dataclass
class HourWeekday:
    grid: np.ndarray  # (7, 24): weekday (Mon=0) x hour, weights
    exact: int  # incidents with an exact time
    windowed: int  # incidents spread over a window

    def table(self) -> pd.DataFrame:
        rows = [
            {"weekday": d, "hour": h, "weight": float(self.grid[d, h])}
            for d in range(7)
            for h in range(24)
        ]
        return pd.DataFrame(rows)

    def peak(self) -> tuple[int, int]:
        d, h = np.unravel_index(int(np.argmax(self.grid)), self.grid.shape)
        return int(d), int(h)


def _local(ts: pd.Series) -> pd.Series:
    return pd.to_datetime(ts, utc=True).dt.tz_convert(TIMEZONE)


def hour_weekday(df: pd.DataFrame, aoristic: bool = True) -> HourWeekday:
    """Hour x weekday weights from occurred_at, or from occurred_from/occurred_to windows."""
    grid = np.zeros((7, 24))
    if df.empty:
        return HourWeekday(grid, 0, 0)
    at = _local(df["occurred_at"])
    has_window = np.zeros(len(df), dtype=bool)
    if aoristic and "occurred_from" in df and "occurred_to" in df:
        f = pd.to_datetime(df["occurred_from"], utc=True)
        t = pd.to_datetime(df["occurred_to"], utc=True)
        has_window = (f.notna() & t.notna() & (t > f)).to_numpy()
    ex = at[~has_window]
    np.add.at(grid, (ex.dt.day_of_week.to_numpy(), ex.dt.hour.to_numpy()), 1.0)
    if has_window.any():
        _spread(grid, f[has_window], t[has_window])
    return HourWeekday(grid, int((~has_window).sum()), int(has_window.sum()))


def _spread(grid: np.ndarray, start: pd.Series, end: pd.Series) -> None:
    """Add weight 1 per window, spread by overlap over local clock hours (see module doc)."""
    s = start.to_numpy(dtype="datetime64[ns]")
    e = end.to_numpy(dtype="datetime64[ns]")
    hour = np.timedelta64(3600, "s")
    length_h = (e - s) / hour  # float hours
    full_weeks = np.floor(length_h / HOURS_PER_WEEK)
    uniform = full_weeks * HOURS_PER_WEEK / length_h  # share spread evenly by whole weeks
    grid += uniform.sum() / HOURS_PER_WEEK
    # remainder window: from s + full weeks to e, < 168 hours
    rs = s + (full_weeks * HOURS_PER_WEEK * 3600).astype("int64").astype("timedelta64[s]")
    first = rs.astype("datetime64[h]")  # floor to the UTC hour
    n_hours = ((e - first) / hour).astype(np.int64) + 1
    n_hours = np.minimum(n_hours, HOURS_PER_WEEK + 1)
    idx = np.repeat(np.arange(len(s)), n_hours)
    offs = np.arange(len(idx)) - np.repeat(np.cumsum(n_hours) - n_hours, n_hours)
    h0 = first[idx] + offs * hour
    h1 = h0 + hour
    lo = np.maximum(h0, rs[idx])
    hi = np.minimum(h1, e[idx])
    overlap = np.maximum((hi - lo) / hour, 0.0)
    w = overlap / length_h[idx]
    ok = w > 0
    local = pd.DatetimeIndex(h0[ok]).tz_localize("UTC").tz_convert(TIMEZONE)
    np.add.at(grid, (local.day_of_week.to_numpy(), local.hour.to_numpy()), w[ok])


@dataclass
class Seasonality:
    months: pd.DataFrame  # month 1..12, incidents, exposure_days, per_30_days, index
    chi2: float
    p: float
    dof: int

    def significant(self, alpha: float = 0.05) -> bool:
        """Whether the months differ more than chance allows (chi-square test at alpha)."""
        return bool(self.p < alpha)


def seasonality(times: pd.Series, start: datetime, end: datetime) -> Seasonality:
    """Monthly profile of ``times`` over the period [start, end)."""
    local = _local(pd.Series(times))
    counts = np.bincount(local.dt.month.to_numpy() - 1, minlength=12).astype(float)
    days = pd.date_range(
        pd.Timestamp(start).tz_convert(TIMEZONE).normalize(),
        pd.Timestamp(end).tz_convert(TIMEZONE) - pd.Timedelta(seconds=1),
        freq="D",
    )
    exposure = np.bincount(days.month.to_numpy() - 1, minlength=12).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(exposure > 0, counts / exposure * 30.0, np.nan)
    mean_rate = counts.sum() / exposure.sum() * 30.0 if exposure.sum() else np.nan
    index = rate / mean_rate if mean_rate else np.full(12, np.nan)
    covered = exposure > 0
    total = counts[covered].sum()
    chi2, p, dof = float("nan"), float("nan"), int(covered.sum() - 1)
    if total > 0 and dof >= 1:
        expected = exposure[covered] / exposure[covered].sum() * total
        chi2, p = stats.chisquare(counts[covered], expected)
        chi2, p = float(chi2), float(p)
    months = pd.DataFrame(
        {
            "month": np.arange(1, 13),
            "incidents": counts.astype(int),
            "exposure_days": exposure.astype(int),
            "per_30_days": rate,
            "index": index,
        }
    )
    return Seasonality(months, chi2, p, dof)
