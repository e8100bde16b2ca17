"""The before/after evaluation of one operation.

Periods in whole local days (Europe/Stockholm): the *after* period runs from the operation's
first day to its last day, or, while it is still going on, to yesterday (the last whole day);
the *before* period is the same number of days just before it; the *history* (for the
regression-to-the-mean check) is the year before that. Incidents are counted per zone and day in
the database (:func:`pax_geo.operations.zones.day_counts`) and cut into the weekly buckets of
:func:`pax_geo.analysis.evaluation.week_grid`; the statistics are
:func:`pax_geo.analysis.evaluation.evaluate`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from pax_geo.analysis import evaluation as ev
from pax_geo.clock import TZ, local
from pax_geo.operations import zones as zn

HISTORY_DAYS = 365
DEFAULT_BUFFER_M = 400.0


class TooEarly(ValueError):
    """The operation has no whole day behind it yet."""


@dataclass(frozen=True)
class Periods:
    first_day: date  # the operation's first day (after period starts)
    days: int  # length of each period in days

    @property
    def before_start(self) -> date:
        return self.first_day - timedelta(days=self.days)

    @property
    def after_end(self) -> date:  # exclusive
        return self.first_day + timedelta(days=self.days)

    @property
    def history_start(self) -> date:
        return self.before_start - timedelta(days=HISTORY_DAYS)


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=TZ)


def periods_for(starts_at: datetime, ends_at: datetime, now: datetime) -> Periods:
    """Equal before and after periods in whole local days (see the module docstring)."""
    first = local(starts_at).date()
    end = min(ends_at, now)
    last = local(end - timedelta(microseconds=1)).date()
    if ends_at > now:
        last = min(last, local(now).date() - timedelta(days=1))
    days = (last - first).days + 1
    if days < 1:
        raise TooEarly(f"the operation started {first}; no whole day has passed")
    return Periods(first, days)


def weekly_from_days(days: pd.DataFrame, p: Periods) -> pd.DataFrame:
    """Per-day counts (zone, day, n) -> the weekly buckets (zone, week, days, n) of both
    periods; days outside them are dropped."""
    grid = ev.week_grid(p.days).set_index("week")["days"]
    k = math.ceil(p.days / 7 - 1e-9)
    d = days.loc[(days["day"] >= p.before_start) & (days["day"] < p.after_end)]
    if d.empty:
        return pd.DataFrame(columns=["zone", "week", "days", "n"])
    offset = d["day"].map(lambda x: (x - p.first_day).days)
    week = offset.map(lambda o: o // 7 if o >= 0 else -k + (o + p.days) // 7)
    out = (
        pd.DataFrame({"zone": d["zone"], "week": week.astype(int), "n": d["n"].astype(int)})
        .groupby(["zone", "week"], as_index=False)["n"]
        .sum()
    )
    out["days"] = out["week"].map(grid).astype(float)
    return out[["zone", "week", "days", "n"]]


def week_starts(p: Periods) -> pd.DataFrame:
    """Each bucket's first day (for the chart): week -> start date."""
    grid = ev.week_grid(p.days)
    k = math.ceil(p.days / 7 - 1e-9)
    starts = [
        p.before_start + timedelta(days=7 * (w + k))
        if w < 0
        else p.first_day + timedelta(days=7 * w)
        for w in grid["week"]
    ]
    return pd.DataFrame({"week": grid["week"], "start": starts, "days": grid["days"]})


@dataclass(frozen=True)
class Run:
    """One evaluation: the statistics, the weekly series for the chart, and its settings."""

    result: ev.Evaluation
    weekly: pd.DataFrame  # zone, week, start, days, n (every bucket, zeros included)
    periods: Periods
    buffer_m: float
    comparison: str  # 'municipality' or a district's name
    kinds: tuple[str, ...]
    zones_km2: dict[str, float]


def run(
    conn: Connection,
    target: BaseGeometry,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    kinds: tuple[str, ...],
    municipality: BaseGeometry,
    *,
    buffer_m: float = DEFAULT_BUFFER_M,
    comparison: BaseGeometry | None = None,
    comparison_name: str = "municipality",
) -> Run:
    p = periods_for(starts_at, ends_at, now)
    z = zn.make_zones(target, buffer_m, municipality, comparison)
    days = zn.day_counts(conn, z.items(), _midnight(p.before_start), _midnight(p.after_end), kinds)
    day_sum = days.groupby(["zone", "day"], as_index=False)["n"].sum()
    weekly = weekly_from_days(day_sum, p)
    hist = zn.count(conn, z.target, _midnight(p.history_start), _midnight(p.before_start), kinds)
    history = ev.History(count=hist, days=float(HISTORY_DAYS))
    result = ev.evaluate(weekly, float(p.days), history)
    full = ev.buckets(weekly, float(p.days)).merge(week_starts(p)[["week", "start"]], on="week")
    return Run(
        result=result,
        weekly=full,
        periods=p,
        buffer_m=buffer_m,
        comparison=comparison_name,
        kinds=kinds,
        zones_km2=z.areas_km2(),
    )


def as_record(r: Run) -> dict:
    """What is stored with the operation when the evaluation is saved (JSON)."""
    res = r.result
    return {
        "verdict": res.verdict,
        "target": asdict(res.target),
        "buffer": asdict(res.buffer),
        "comparison": asdict(res.comparison),
        "period_days": r.periods.days,
        "first_day": r.periods.first_day.isoformat(),
        "buffer_m": r.buffer_m,
        "comparison_area": r.comparison,
        "kinds": list(r.kinds),
        "rate_ratio": asdict(res.rate_ratio),
        "wdq": asdict(res.wdq),
        "rtm": asdict(res.rtm) if res.rtm is not None else None,
        "too_few": res.too_few,
        "alpha": res.alpha,
    }


def save(conn: Connection, op_id: int, r: Run) -> str:
    """Store the evaluation with the operation (audited); returns the new status: 'evaluated'
    for an ended operation, unchanged (an evaluation to date) for an ongoing one."""
    status = conn.execute(
        text("select pax_api.operation_evaluation_save(:id, cast(:r as jsonb))"),
        {"id": op_id, "r": json.dumps(as_record(r))},
    ).scalar_one()
    conn.commit()
    return str(status)
