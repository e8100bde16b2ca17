"""The one clock: Europe/Stockholm, and "now" to the whole minute.

Every page and report asks this module for the time zone and for now, so equal words mean equal
periods everywhere (a page's "30 dygn" and another's end at the same minute) and a rerun within
the same minute reads the same windows (and hits the same caches).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pax_geo.config import TIMEZONE

#: Europe/Stockholm: the zone every time is shown in and every calendar bucket is cut in.
TZ = ZoneInfo(TIMEZONE)


def now() -> datetime:
    """The current time in Europe/Stockholm, to the whole minute (seconds dropped)."""
    return datetime.now(TZ).replace(second=0, microsecond=0)


def to_ten_minutes(t: datetime) -> datetime:
    """t down to ten minutes: the time a cached reading is taken for, so reruns and saves
    within the same ten minutes share one cache entry."""
    return t.replace(minute=t.minute - t.minute % 10, second=0, microsecond=0)


def today() -> date:
    """Today's date in Europe/Stockholm."""
    return now().date()


def local(t: datetime) -> datetime:
    """An aware time shown in Europe/Stockholm; a naive time is refused (it has no zone)."""
    if t.tzinfo is None:
        raise ValueError(f"a time without a zone cannot be placed in {TIMEZONE}: {t}")
    return t.astimezone(TZ)
