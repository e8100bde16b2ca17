"""The periods a lägesbild covers: since the last one presented (the default), a quarter, a
tertial or custom dates; each compared with the period of the same length just before it and
with the same dates one year earlier. Whole local days, [start, end)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pax_geo.clock import local
from pax_geo.horizons.periods import Period, local_midnight

KINDS = ("since_last", "quarter", "tertial", "custom")
#: Without an earlier lägesbild, "since the last one" means the last 90 days.
FIRST_DAYS = 90


@dataclass(frozen=True)
class Periods:
    current: Period
    previous: Period
    last_year: Period

    @property
    def first_day(self) -> date:
        return self.current.local()[0].date()

    @property
    def last_day(self) -> date:
        """The last whole day in the period (its end is the midnight after it)."""
        return (self.current.local()[1] - timedelta(seconds=1)).date()


def _year_before(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def of_days(first: date, last: date) -> Periods:
    """The whole local days first..last, the as many days just before, and the same dates a
    year earlier."""
    if last < first:
        raise ValueError(f"the period's last day {last} is before its first day {first}")
    n = (last - first).days + 1
    cur = Period(local_midnight(first), local_midnight(last + timedelta(days=1)))
    prev = Period(local_midnight(first - timedelta(days=n)), local_midnight(first))
    ly = Period(
        local_midnight(_year_before(first)),
        local_midnight(_year_before(last) + timedelta(days=1)),
    )
    return Periods(cur, prev, ly)


def quarter(year: int, q: int) -> tuple[date, date]:
    if q not in (1, 2, 3, 4):
        raise ValueError(f"a quarter is 1 to 4 (got {q})")
    first = date(year, 3 * q - 2, 1)
    nxt = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return first, nxt - timedelta(days=1)


def tertial(year: int, t: int) -> tuple[date, date]:
    if t not in (1, 2, 3):
        raise ValueError(f"a tertial is 1 to 3 (got {t})")
    first = date(year, 4 * t - 3, 1)
    nxt = date(year + 1, 1, 1) if t == 3 else date(year, 4 * t + 1, 1)
    return first, nxt - timedelta(days=1)


def clip_to(first: date, last: date, today: date) -> tuple[date, date]:
    """A period cannot reach past yesterday (today is not over)."""
    yesterday = today - timedelta(days=1)
    if first > yesterday:
        raise ValueError(f"the period starting {first} has no whole day before today")
    return first, min(last, yesterday)


def since_last(last_end: datetime | None, today: date) -> tuple[date, date]:
    """From the day after the last presented lägesbild ended to yesterday; without one, the
    last FIRST_DAYS days."""
    yesterday = today - timedelta(days=1)
    if last_end is None:
        return yesterday - timedelta(days=FIRST_DAYS - 1), yesterday
    first = local(last_end).date()
    if local(last_end) != local_midnight(first):
        first += timedelta(days=1)
    if first > yesterday:  # presented yesterday or today: nothing new yet, show one week
        first = yesterday - timedelta(days=6)
    return first, yesterday


def _recent(today: date, n: int, per_year: int) -> list[tuple[int, int]]:
    """(year, part) of the year cut in per_year equal parts (4 quarters, 3 tertials) with at
    least one whole day before today, newest first."""
    months = 12 // per_year
    y, k = today.year, (today.month - 1) // months + 1
    if date(y, months * (k - 1) + 1, 1) >= today:
        y, k = (y - 1, per_year) if k == 1 else (y, k - 1)
    out: list[tuple[int, int]] = []
    while len(out) < n:
        out.append((y, k))
        y, k = (y - 1, per_year) if k == 1 else (y, k - 1)
    return out


def recent_quarters(today: date, n: int = 6) -> list[tuple[int, int]]:
    """(year, quarter) with at least one whole day before today, newest first."""
    return _recent(today, n, 4)


def recent_tertials(today: date, n: int = 4) -> list[tuple[int, int]]:
    """(year, tertial) with at least one whole day before today, newest first."""
    return _recent(today, n, 3)
