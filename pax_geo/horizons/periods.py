"""Time periods and calendar buckets in Europe/Stockholm, and comparisons between periods.

Pure functions: every period is a pair of timezone-aware datetimes [start, end). Calendar
buckets (weeks from Monday, months from the 1st) are local dates, the way the database's
``incident_counts`` buckets them (``date_trunc`` in Europe/Stockholm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from pax_geo.clock import TZ
from pax_geo.horizons.counts import Count, range_label

BUCKETS = ("week", "month")
#: How many buckets back "the same period last year" is.
BUCKETS_PER_YEAR = {"week": 52, "month": 12}


def _aware(ts: datetime, what: str) -> datetime:
    if ts.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (got {ts.isoformat()})")
    return ts


def local_midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=TZ)


@dataclass(frozen=True)
class Period:
    """[start, end) in absolute time."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _aware(self.start, "period start")
        _aware(self.end, "period end")
        if self.start >= self.end:
            raise ValueError(
                f"period start {self.start.isoformat()} is not before its end {self.end.isoformat()}"
            )

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def days(self) -> float:
        return self.length.total_seconds() / 86400

    def local(self) -> tuple[datetime, datetime]:
        return self.start.astimezone(TZ), self.end.astimezone(TZ)


# --- quick windows ----------------------------------------------------------------------------

#: The named windows every page uses, one definition: rolling periods that end now, counted in
#: whole 24-hour days ("dygn"), never from midnight. Labels are the catalogue's ``window_<key>``
#: on every page, so equal words mean equal periods. Calendar-aligned periods (from midnight of a
#: chosen date, calendar weeks and months, year to date) are named as such where they are used.
QUICK_WINDOWS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "28d": timedelta(days=28),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "1y": timedelta(days=365),
    "3y": timedelta(days=3 * 365),
}
#: The quick windows of the Här och nu map (plus its custom dates).
MAP_WINDOWS = ("24h", "7d", "30d", "90d", "1y")
#: The analysis periods of the Hotspots page.
ANALYSIS_WINDOWS = ("90d", "1y", "3y")
#: CompStat's short comparison: four whole weeks, so both periods hold the same weekdays.
COMPSTAT_WINDOW = "28d"


def quick_window(now: datetime, key: str) -> Period:
    """The quick window ``key`` ending at now."""
    if key not in QUICK_WINDOWS:
        raise ValueError(f"unknown window {key!r}; use one of {', '.join(QUICK_WINDOWS)}")
    _aware(now, "now")
    return Period(now - QUICK_WINDOWS[key], now)


def last_days(now: datetime, days: int) -> tuple[Period, Period]:
    """The last `days` days before now, and the `days` days before those."""
    if days <= 0:
        raise ValueError(f"days must be positive (got {days})")
    _aware(now, "now")
    length = timedelta(days=days)
    return Period(now - length, now), Period(now - 2 * length, now - length)


def _same_wall_time_year_before(ts: datetime) -> datetime:
    local = ts.astimezone(TZ)
    day = local.day
    if local.month == 2 and day == 29:
        day = 28
    return local.replace(year=local.year - 1, day=day)


def year_to_date(now: datetime) -> tuple[Period, Period]:
    """From 1 January (local) to now, and the same stretch of the year before.

    The earlier period ends at the same local date and time one year back (29 February
    counts as 28 February).
    """
    local = _aware(now, "now").astimezone(TZ)
    jan1 = local_midnight(date(local.year, 1, 1))
    prev_jan1 = local_midnight(date(local.year - 1, 1, 1))
    if local <= jan1:
        raise ValueError("year to date needs a time after midnight on 1 January")
    return Period(jan1, now), Period(prev_jan1, _same_wall_time_year_before(now))


def since(day: date, now: datetime) -> tuple[Period, Period]:
    """From local midnight of `day` to now, and an equally long period just before it.

    "Equally long" is in local wall-clock time, so both periods cover the same number of
    calendar days even when a daylight-saving change falls inside one of them.
    """
    _aware(now, "now")
    start = local_midnight(day)
    if start >= now:
        raise ValueError(
            f"the date to compare from ({day.isoformat()}) must be before today "
            f"({now.astimezone(TZ).date().isoformat()})"
        )
    wall = now.astimezone(TZ).replace(tzinfo=None) - start.replace(tzinfo=None)
    before_start = (start.replace(tzinfo=None) - wall).replace(tzinfo=TZ)
    return Period(start, now), Period(before_start, start)


# --- calendar buckets -----------------------------------------------------------------------


def _check_bucket(bucket: str) -> None:
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)} (got {bucket!r})")


def bucket_start(d: date, bucket: str) -> date:
    _check_bucket(bucket)
    if bucket == "week":
        return d - timedelta(days=d.weekday())
    return d.replace(day=1)


def next_bucket(b: date, bucket: str) -> date:
    _check_bucket(bucket)
    if bucket == "week":
        return b + timedelta(days=7)
    return date(b.year + (b.month == 12), b.month % 12 + 1, 1)


def shift_buckets(b: date, bucket: str, n: int) -> date:
    """The bucket n buckets later (n < 0: earlier)."""
    _check_bucket(bucket)
    if bucket == "week":
        return b + timedelta(days=7 * n)
    months = b.year * 12 + (b.month - 1) + n
    return date(months // 12, months % 12 + 1, 1)


def bucket_range(first: date, last: date, bucket: str) -> list[date]:
    """Every bucket start from the bucket holding `first` to the one holding `last`."""
    b = bucket_start(first, bucket)
    end = bucket_start(last, bucket)
    out = []
    while b <= end:
        out.append(b)
        b = next_bucket(b, bucket)
    return out


def series_window(now: datetime, bucket: str, n_buckets: int) -> Period:
    """A query window that starts at a bucket boundary: the last n_buckets full buckets,
    the bucket in progress, and one year more before them (for "same period last year")."""
    if n_buckets <= 0:
        raise ValueError(f"n_buckets must be positive (got {n_buckets})")
    today = _aware(now, "now").astimezone(TZ).date()
    current = bucket_start(today, bucket)
    first = shift_buckets(current, bucket, -(n_buckets + BUCKETS_PER_YEAR[bucket]))
    return Period(local_midnight(first), now)


def settled_span(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """The whole days of ``[start, end)`` before the day ``end`` falls in (local midnights), or
    None when there are none. A window ending now holds the same settled span all day, so what
    is read for it can be kept (the map's and the analyses' past days); see
    pax_geo.queries.Filter.split_settled."""
    first = start.astimezone(TZ)
    a = local_midnight(first.date())
    if a < first:
        a = local_midnight(first.date() + timedelta(days=1))
    b = local_midnight(end.astimezone(TZ).date())
    return (a, b) if a < b else None


def split_at_open_bucket(period: Period, bucket: str) -> tuple[Period | None, Period | None]:
    """The period cut where the bucket holding its end begins: (the finished buckets, the
    bucket in progress), either None where empty. The released counts of a finished bucket do
    not depend on where a window ends (pax_api.incident_counts splits each bucket the same way),
    so the finished part can be kept while "now" moves."""
    end_local = period.end.astimezone(TZ)
    cut = local_midnight(bucket_start(end_local.date(), bucket))
    if cut <= period.start:
        return None, period
    if cut >= period.end:
        return Period(period.start, period.end), None
    return Period(period.start, cut), Period(cut, period.end)


# --- series -----------------------------------------------------------------------------------


def series(
    cells: pd.DataFrame,
    bucket: str,
    period: Period,
    by: Sequence[str] = (),
    groups: Sequence[tuple] | None = None,
) -> pd.DataFrame:
    """A gap-free series from counts cells (columns bucket, lo, hi and the `by` columns).

    Buckets without cells are exact zeros. Returns the `by` columns, bucket (date), lo, hi and
    complete (False for the bucket still in progress at period.end, and for a first bucket
    that began before period.start).
    """
    by = list(by)
    start_l, end_l = period.local()
    buckets = bucket_range(start_l.date(), (end_l - timedelta(microseconds=1)).date(), bucket)
    if groups is None:
        groups = sorted({tuple(r) for r in cells[by].itertuples(index=False)}) if by else [()]
    groups = [tuple(g) for g in groups]
    if not groups:
        return pd.DataFrame(columns=[*by, "bucket", "lo", "hi", "complete"])
    grid = pd.DataFrame([(*g, b) for g in groups for b in buckets], columns=[*by, "bucket"])
    if len(cells):
        c = cells.copy()
        c["bucket"] = pd.to_datetime(c["bucket"]).dt.date
        agg = c.groupby([*by, "bucket"], as_index=False)[["lo", "hi"]].sum()
    else:
        agg = pd.DataFrame(columns=[*by, "bucket", "lo", "hi"])
    out = grid.merge(agg, on=[*by, "bucket"], how="left")
    out[["lo", "hi"]] = out[["lo", "hi"]].fillna(0).astype(int)
    complete = [
        local_midnight(b) >= period.start and local_midnight(next_bucket(b, bucket)) <= period.end
        for b in out["bucket"]
    ]
    out["complete"] = complete
    return out.sort_values([*by, "bucket"]).reset_index(drop=True)


def rolling_mean(s: pd.DataFrame, window: int, by: Sequence[str] = ()) -> pd.DataFrame:
    """Add roll_lo/roll_hi: the mean of the last `window` complete buckets (NaN until there are
    `window` of them, and on incomplete buckets)."""
    if window < 1:
        raise ValueError(f"rolling window must be at least 1 (got {window})")
    out = s.copy()
    out["roll_lo"] = np.nan
    out["roll_hi"] = np.nan
    parts = out.groupby(list(by), sort=False) if by else [((), out)]
    for _key, grp in parts:
        full = grp[grp["complete"]]
        for col in ("lo", "hi"):
            rolled = full[col].astype(float).rolling(window, min_periods=window).mean()
            out.loc[rolled.index, f"roll_{col}"] = rolled
    return out


def same_period_last_year(s: pd.DataFrame, bucket: str, by: Sequence[str] = ()) -> pd.DataFrame:
    """Add ly_lo/ly_hi: the count of the same bucket one year earlier (52 weeks or 12 months),
    NaN where that bucket is outside the series."""
    by = list(by)
    back = s[[*by, "bucket", "lo", "hi"]].rename(columns={"lo": "ly_lo", "hi": "ly_hi"}).copy()
    back["bucket"] = [shift_buckets(b, bucket, BUCKETS_PER_YEAR[bucket]) for b in back["bucket"]]
    return s.merge(back, on=[*by, "bucket"], how="left")


# --- comparisons ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """A count now against a count before."""

    current: Count
    previous: Count

    @property
    def diff_lo(self) -> int:
        return self.current.lo - self.previous.hi

    @property
    def diff_hi(self) -> int:
        return self.current.hi - self.previous.lo

    @property
    def direction(self) -> str:
        """'up', 'down', 'same', or 'uncertain' when suppressed counts leave it open."""
        if self.diff_lo > 0:
            return "up"
        if self.diff_hi < 0:
            return "down"
        if self.diff_lo == self.diff_hi == 0:
            return "same"
        return "uncertain"

    @property
    def pct(self) -> float | None:
        """Relative change in percent; None unless both counts are exact and before > 0."""
        if not (self.current.is_exact and self.previous.is_exact) or self.previous.lo == 0:
            return None
        return (self.current.lo - self.previous.lo) / self.previous.lo * 100

    def diff_label(self) -> str:
        def signed(v: int) -> str:
            return f"+{v}" if v > 0 else ("±0" if v == 0 else f"−{-v}")

        if self.diff_lo == self.diff_hi:
            return signed(self.diff_lo)
        return f"{signed(self.diff_lo)} … {signed(self.diff_hi)}"


def compare(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    by: Sequence[str],
    threshold: int = 0,
    groups: Sequence[tuple] | None = None,
) -> pd.DataFrame:
    """Compare two counts frames (lo/hi plus the `by` columns), summed per group.

    Groups that appear in only one frame count as exact 0 in the other; `groups` adds groups
    that appear in neither. Columns: by..., cur_lo, cur_hi, prev_lo, prev_hi, diff_lo, diff_hi,
    direction, pct, current, previous, diff (labels).
    """
    by = list(by)

    def agg(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
        if frame.empty:
            return pd.DataFrame(columns=[*by, f"{prefix}_lo", f"{prefix}_hi"])
        g = frame.groupby(by, as_index=False)[["lo", "hi"]].sum()
        return g.rename(columns={"lo": f"{prefix}_lo", "hi": f"{prefix}_hi"})

    out = agg(current, "cur").merge(agg(previous, "prev"), on=by, how="outer")
    if groups:
        extra = pd.DataFrame([tuple(g) for g in groups], columns=by)
        out = extra.merge(out, on=by, how="outer")
    cols = ["cur_lo", "cur_hi", "prev_lo", "prev_hi"]
    out[cols] = out[cols].fillna(0).astype(int)
    comps = [
        Comparison(Count(a, b), Count(c, d))
        for a, b, c, d in zip(out.cur_lo, out.cur_hi, out.prev_lo, out.prev_hi, strict=True)
    ]
    out["diff_lo"] = [c.diff_lo for c in comps]
    out["diff_hi"] = [c.diff_hi for c in comps]
    out["direction"] = [c.direction for c in comps]
    out["pct"] = [c.pct for c in comps]
    out["current"] = [c.current.label(threshold) for c in comps]
    out["previous"] = [c.previous.label(threshold) for c in comps]
    out["diff"] = [c.diff_label() for c in comps]
    return out.reset_index(drop=True)


def changes_since(
    after: pd.DataFrame,
    before: pd.DataFrame,
    by: Sequence[str],
    threshold: int = 0,
    groups: Sequence[tuple] | None = None,
) -> pd.DataFrame:
    """`compare` ordered by the size of the change (largest first; certain changes before
    uncertain ones of the same size), then by the `by` columns."""
    out = compare(after, before, by, threshold, groups)
    if out.empty:
        return out
    out["_size"] = (out["diff_lo"] + out["diff_hi"]).abs() / 2
    out["_certain"] = out["direction"].isin(["up", "down"])
    out = out.sort_values(["_size", "_certain", *by], ascending=[False, False, *([True] * len(by))])
    return out.drop(columns=["_size", "_certain"]).reset_index(drop=True)


def fmt_range(lo: int, hi: int, threshold: int = 0) -> str:
    return range_label(lo, hi, threshold)
