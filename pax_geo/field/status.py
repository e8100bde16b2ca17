""" "Mitt område": the status of a field worker's areas at one glance.

Per assigned area: the traffic light of the area card (the same rule, :mod:`pax_geo.horizons.
traffic`, on the same 24 h / 7 d / 30 d windows, so the tablet and the Områdeskort never
disagree) with a one-line reason naming the window that set it; and per incident type the
counts for *tonight*, the last 24 hours and the last 7 days against the area's normal.

*Tonight* is the evening shift: from 18:00 local time to now between 18:00 and 06:00, and last
night's 18:00-06:00 during the day. Its normal is the mean over the same clock window of the 28
evenings before. All counts come through the role's own login, so a field worker's small counts
are released by the database (noisy lattice, "<3") and shown as ranges, never finer.

Speed on a tablet: the area card's 24 h normal reads 365 rolling windows (one released count
each, seconds for a suppressing role). Here each normal is read as *calendar buckets* of the
year before, in one query each: 365 days for 24 h, 52 ISO weeks for 7 d, 12 months for 30 d
(for a suppressing role each bucket is one lattice cell, so the baseline carries less noise
than a sum of cells); the current windows are the same rolling windows as on the card. Areas
are read together, so the view costs seven queries whatever the number of areas. The light can
differ from the card's only where the two normals differ (rolling versus calendar windows).

The three normals are a year of released buckets each, the larger part of the cost (seconds at
a million incidents), and they change only when a bucket ends: :class:`Normals` keeps them per
reader (database, login, municipalities) for an hour at most, so the minute-by-minute refresh
of :mod:`pax_geo.field.live` reads only the current windows and the evenings. A record that
arrives late for a past day reaches the normal within the hour; the current counts at once.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pandas as pd
from sqlalchemy import Connection, text

from pax_geo import clock, queries, tenancy
from pax_geo.clock import TZ
from pax_geo.horizons import queries as hq
from pax_geo.horizons.counts import Count, with_ranges
from pax_geo.horizons.periods import Period, bucket_start, local_midnight, shift_buckets
from pax_geo.horizons.traffic import (
    STATUS_WINDOWS,
    Baseline,
    Overall,
    Status,
    baseline,
    overall,
    status,
)

EVENING_START = time(18)
EVENING_END = time(6)
#: Evenings before tonight that make tonight's normal.
TONIGHT_BASELINE = 28
#: Status window -> (calendar bucket, number of buckets) of its normal.
BASELINE_BUCKETS: dict[str, tuple[str, int]] = {
    "24h": ("day", 365),
    "7d": ("week", 52),
    "30d": ("month", 12),
}
#: The windows shown per type, in order.
COUNT_WINDOWS: tuple[str, ...] = ("tonight", "24h", "7d")


@dataclass(frozen=True)
class KindCount:
    kind: str
    window: str  # "tonight", "24h", "7d"
    count: Count
    normal: float


@dataclass(frozen=True)
class AreaStatus:
    area_id: int
    name: str
    statuses: tuple[Status, ...]  # 24h, 7d, 30d as on the area card
    overall: Overall
    tonight: tuple[datetime, datetime]
    tonight_count: Count
    tonight_baseline: Baseline
    counts: tuple[KindCount, ...]
    threshold: int = 0  # released counts below it are ranges ("<3")

    @property
    def deciding(self) -> Status:
        """The window that sets the light (the first with the area's light; else 7 d)."""
        for s in self.statuses:
            if s.light == self.overall.light and self.overall.light != "green":
                return s
        return next(s for s in self.statuses if s.window == "7d")


def tonight_window(now: datetime) -> tuple[datetime, datetime]:
    """The evening shift as [start, end): since 18:00 when it is evening or night, otherwise
    last night's 18:00-06:00."""
    local = now.astimezone(TZ)
    if local.time() >= EVENING_START:
        return datetime.combine(local.date(), EVENING_START, tzinfo=TZ), now
    if local.time() < EVENING_END:
        start_day = local.date() - timedelta(days=1)
        return datetime.combine(start_day, EVENING_START, tzinfo=TZ), now
    start_day = local.date() - timedelta(days=1)
    return (
        datetime.combine(start_day, EVENING_START, tzinfo=TZ),
        datetime.combine(local.date(), EVENING_END, tzinfo=TZ),
    )


def evening_windows(
    now: datetime, n_before: int = TONIGHT_BASELINE
) -> list[tuple[datetime, datetime]]:
    """Tonight's window and the same local clock window on each of the `n_before` evenings
    before (window 0 = tonight). Local wall times, so a DST night keeps the clock times."""
    start, end = tonight_window(now)
    ls, le = start.astimezone(TZ), end.astimezone(TZ)
    out = []
    for i in range(n_before + 1):
        s = datetime.combine(ls.date() - timedelta(days=i), ls.time(), tzinfo=TZ)
        e = datetime.combine(le.date() - timedelta(days=i), le.time(), tzinfo=TZ)
        out.append((s, e))
    return out


def window_cells(
    conn: Connection,
    windows: Sequence[tuple[datetime, datetime]],
    kinds: Sequence[str],
    area_ids: Sequence[int],
) -> pd.DataFrame:
    """Counts per (window index, area, kind) for arbitrary windows, in one query, as released
    to the role (columns: window, area_id, kind, n, suppressed, lo, hi)."""
    cols = ["window", "area_id", "kind", "n", "suppressed", "lo", "hi"]
    if not kinds or not windows:
        return pd.DataFrame(columns=cols)
    df = pd.read_sql_query(
        text(
            "select (w.i - 1)::int as window, c.area_id, c.kind, c.n, c.suppressed "
            "from unnest(cast(:s as timestamptz[]), cast(:e as timestamptz[])) "
            "with ordinality as w(s, e, i), "
            "lateral pax_api.incident_counts(w.s, w.e, 'all', :kinds) c "
            "where c.area_id = any(cast(:areas as int[]))"
        ),
        conn,
        params={
            "s": [w[0] for w in windows],
            "e": [w[1] for w in windows],
            "kinds": list(kinds),
            "areas": [int(a) for a in area_ids],
        },
    )
    return with_ranges(df, hq.incident_threshold(conn, kinds))[cols]


def baseline_period(now: datetime, bucket: str, n: int) -> Period:
    """The `n` whole calendar buckets before the one `now` falls in (local dates)."""
    today = now.astimezone(TZ).date()
    if bucket == "day":
        current, first = today, today - timedelta(days=n)
    else:
        current = bucket_start(today, bucket)
        first = shift_buckets(current, bucket, -n)
    return Period(local_midnight(first), local_midnight(current))


def slot_counts(
    cells: pd.DataFrame, slot: str, keys: Sequence[str]
) -> dict[tuple, dict[object, Count]]:
    """Totals per ``keys`` (e.g. area, or area and kind) and per ``slot`` (a window index or a
    bucket), summed over everything else, in one grouping: {key values: {slot: Count}}."""
    out: dict[tuple, dict[object, Count]] = defaultdict(dict)
    if len(cells):
        tot = cells.groupby([*keys, slot])[["lo", "hi"]].sum()
        for idx, lo, hi in zip(tot.index, tot["lo"], tot["hi"], strict=True):
            out[tuple(idx[:-1])][idx[-1]] = Count(int(lo), int(hi))
    return out


def bucket_counts(totals: dict[object, Count], n: int) -> list[Count]:
    """The n buckets' totals (buckets without cells are exact 0; order does not matter for a
    baseline)."""
    counts = list(totals.values())
    return counts + [Count.exact(0)] * max(0, n - len(counts))


def window_list(totals: dict[object, Count], n: int) -> list[Count]:
    """Windows 0..n-1 in order (windows without cells are exact 0)."""
    return [totals.get(i, Count.exact(0)) for i in range(n)]


class Normals:
    """Released normals (a year of calendar buckets) kept per reader and period.

    The key is everything the release depends on: the database, the login (the role), the
    municipalities the connection is given, the kinds, the areas, the bucket and the period
    (which moves when a bucket ends). Entries older than ``max_age`` are read again, so that
    late records reach the normal; at most ``size`` are kept (the oldest go first)."""

    def __init__(
        self,
        max_age: timedelta = timedelta(hours=1),
        size: int = 32,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self.max_age, self.size, self._now = max_age, size, now
        self._entries: dict[tuple, tuple[datetime, pd.DataFrame]] = {}
        self._guard = threading.Lock()
        self.reads = 0  # how many were read from the database (for tests and benches)

    @staticmethod
    def reader(conn: Connection) -> tuple:
        url = conn.engine.url
        login = conn.execute(text("select current_user")).scalar_one()
        return (url.host, url.port, url.database, login, tenancy.scope_of(conn))

    def cells(
        self,
        conn: Connection,
        period: Period,
        bucket: str,
        kinds: Sequence[str],
        area_ids: Sequence[int],
        reader: tuple | None = None,
    ) -> pd.DataFrame:
        """``hq.incident_cells`` of the period, read once per max_age."""
        key = (
            reader or self.reader(conn),
            bucket,
            period.start,
            period.end,
            tuple(kinds),
            tuple(sorted(int(a) for a in area_ids)),
        )
        now = self._now()
        with self._guard:
            hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self.max_age:
            return hit[1].copy()
        cells = hq.incident_cells(conn, period, bucket, kinds, area_ids)
        with self._guard:
            self.reads += 1
            self._entries[key] = (now, cells)
            while len(self._entries) > self.size:
                del self._entries[min(self._entries, key=lambda k: self._entries[k][0])]
        return cells.copy()


#: the process's normals (pax_geo.field.live serves every session of a process)
NORMALS = Normals()


def build(
    conn: Connection,
    area_ids: Sequence[int],
    now: datetime,
    normals: Normals | None = NORMALS,
) -> list[AreaStatus]:
    """The status of each area (in the given order; unknown ids are left out). The normals come
    from ``normals`` (None: read them now)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    areas = queries.area_table(conn)
    names = dict(zip(areas["id"].astype(int), areas["name"], strict=True))
    ids = [int(a) for a in area_ids if int(a) in names]
    if not ids:
        return []
    kinds = queries.visible_kinds(conn)
    current = {
        key: hq.incident_window_cells(conn, now, length, 1, kinds, ids)
        for key, (length, _n) in STATUS_WINDOWS.items()
    }
    reader = normals.reader(conn) if normals else None
    normal = {
        key: (
            normals.cells(conn, baseline_period(now, bucket, n), bucket, kinds, ids, reader)
            if normals
            else hq.incident_cells(conn, baseline_period(now, bucket, n), bucket, kinds, ids)
        )
        for key, (bucket, n) in BASELINE_BUCKETS.items()
    }
    evenings = evening_windows(now)
    tonight = window_cells(conn, evenings, kinds, ids)
    threshold = hq.incident_threshold(conn, kinds)
    # every total the statuses need, grouped once per read (not filtered per area and kind)
    cur_area = {k: slot_counts(c, "window", ["area_id"]) for k, c in current.items()}
    cur_kind = {k: slot_counts(c, "window", ["area_id", "kind"]) for k, c in current.items()}
    base_area = {k: slot_counts(c, "bucket", ["area_id"]) for k, c in normal.items()}
    base_kind = {k: slot_counts(c, "bucket", ["area_id", "kind"]) for k, c in normal.items()}
    eve_area = slot_counts(tonight, "window", ["area_id"])
    eve_kind = slot_counts(tonight, "window", ["area_id", "kind"])
    out = []
    for area_id in ids:
        statuses = []
        for key in STATUS_WINDOWS:
            n = BASELINE_BUCKETS[key][1]
            count = window_list(cur_area[key][(area_id,)], 1)[0]
            statuses.append(status(key, count, bucket_counts(base_area[key][(area_id,)], n)))
        tc = window_list(eve_area[(area_id,)], len(evenings))
        kind_counts = []
        for kind in kinds:
            kc = window_list(eve_kind[(area_id, kind)], len(evenings))
            kind_counts.append(KindCount(kind, "tonight", kc[0], baseline(kc[1:]).mean))
            for key in ("24h", "7d"):
                n = BASELINE_BUCKETS[key][1]
                now_k = window_list(cur_kind[key][(area_id, kind)], 1)[0]
                b = bucket_counts(base_kind[key][(area_id, kind)], n)
                kind_counts.append(KindCount(kind, key, now_k, baseline(b).mean))
        out.append(
            AreaStatus(
                area_id=area_id,
                name=str(names[area_id]),
                statuses=tuple(statuses),
                overall=overall(statuses),
                tonight=evenings[0],
                tonight_count=tc[0],
                tonight_baseline=baseline(tc[1:]),
                counts=tuple(kind_counts),
                threshold=threshold,
            )
        )
    return out
