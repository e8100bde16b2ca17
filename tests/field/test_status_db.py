"""Mitt område (pax_geo.field.status): the evening window, the calendar-bucket normals and
the status of an account's areas, read through the account's own login."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import pytest
from sqlalchemy import text

from pax_geo import clock, config, queries
from pax_geo.clock import TZ
from pax_geo.field import status
from pax_geo.horizons import queries as hq
from pax_geo.horizons.counts import Count
from pax_geo.horizons.traffic import STATUS_WINDOWS


def local(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


# --- tonight -----------------------------------------------------------------------------------


def test_tonight_in_the_evening_runs_from_six_to_now():
    now = local(2026, 12, 3, 19)
    assert status.tonight_window(now) == (local(2026, 12, 3, 18), now)


def test_tonight_after_midnight_started_yesterday():
    now = local(2026, 12, 4, 2)
    assert status.tonight_window(now) == (local(2026, 12, 3, 18), now)
    # the same instant given in UTC
    assert status.tonight_window(now.astimezone(UTC)) == (local(2026, 12, 3, 18), now)


def test_tonight_during_the_day_is_last_night():
    assert status.tonight_window(local(2026, 12, 4, 14)) == (
        local(2026, 12, 3, 18),
        local(2026, 12, 4, 6),
    )
    # the edges: 06:00 is day, 18:00 is evening
    assert status.tonight_window(local(2026, 12, 4, 6))[1] == local(2026, 12, 4, 6)
    assert status.tonight_window(local(2026, 12, 4, 18))[0] == local(2026, 12, 4, 18)


@pytest.mark.parametrize(
    ("now", "dst_night", "hours"),
    [
        (local(2026, 10, 27, 14), date(2026, 10, 24), 13),  # clocks back on 25 October
        (local(2026, 3, 31, 14), date(2026, 3, 28), 11),  # clocks forward on 29 March
    ],
    ids=["autumn", "spring"],
)
def test_evening_windows_keep_the_local_clock_across_dst(now, dst_night, hours):
    wins = status.evening_windows(now, 5)
    assert len(wins) == 6
    for i, (s, e) in enumerate(wins):
        ls, le = s.astimezone(TZ), e.astimezone(TZ)
        assert (ls.time(), le.time()) == (time(18), time(6))
        assert ls.date() == now.date() - timedelta(days=i + 1)
        assert le.date() == ls.date() + timedelta(days=1)
        length = (e.astimezone(UTC) - s.astimezone(UTC)).total_seconds() / 3600
        assert length == (hours if ls.date() == dst_night else 12), (ls, length)


def test_evening_windows_in_the_evening_end_at_the_same_clock_time():
    now = local(2026, 12, 3, 21, 15)
    wins = status.evening_windows(now, 2)
    assert wins[0] == (local(2026, 12, 3, 18), now)
    assert wins[2] == (local(2026, 12, 1, 18), local(2026, 12, 1, 21, 15))


# --- the normals' calendar buckets -------------------------------------------------------------


NOW = local(2026, 12, 3, 15, 30)


def test_day_baseline_is_the_365_days_before_today():
    p = status.baseline_period(NOW, "day", 365)
    s, e = p.local()
    assert e == local(2026, 12, 3, 0)
    assert s == local(2025, 12, 3, 0)
    assert (e.date() - s.date()).days == 365


def test_week_baseline_is_the_52_weeks_before_this_week():
    p = status.baseline_period(NOW, "week", 52)
    s, e = p.local()
    assert e == local(2026, 11, 30, 0)  # Monday of the current week
    assert s.weekday() == 0 and s.time() == time(0)
    assert (e.date() - s.date()).days == 52 * 7


def test_month_baseline_is_the_12_months_before_this_month():
    s, e = status.baseline_period(NOW, "month", 12).local()
    assert (s, e) == (local(2025, 12, 1, 0), local(2026, 12, 1, 0))
    # in January the year before starts in the January before
    s, e = status.baseline_period(local(2027, 1, 1, 0, 30), "month", 12).local()
    assert (s, e) == (local(2026, 1, 1, 0), local(2027, 1, 1, 0))


def test_the_buckets_of_the_status_windows():
    assert status.BASELINE_BUCKETS == {
        "24h": ("day", 365),
        "7d": ("week", 52),
        "30d": ("month", 12),
    }
    assert list(status.BASELINE_BUCKETS) == list(STATUS_WINDOWS)


def test_bucket_counts_fill_missing_buckets_with_zero():
    cells = pd.DataFrame(
        {
            "area_id": [1, 1, 1, 2],
            "kind": ["a", "b", "a", "a"],
            "bucket": ["x", "x", "y", "x"],
            "lo": [1, 3, 0, 5],
            "hi": [2, 3, 0, 5],
        },
    )
    per_area = status.slot_counts(cells, "bucket", ["area_id"])
    assert per_area == {(1,): {"x": Count(4, 5), "y": Count(0, 0)}, (2,): {"x": Count(5, 5)}}
    got = status.bucket_counts(per_area[(1,)], 4)
    assert sorted(got, key=lambda c: (c.lo, c.hi)) == [
        Count(0, 0),
        Count(0, 0),
        Count(0, 0),
        Count(4, 5),
    ]
    per_kind = status.slot_counts(cells, "bucket", ["area_id", "kind"])
    assert per_kind[(1, "a")] == {"x": Count(1, 2), "y": Count(0, 0)}
    assert status.bucket_counts(per_kind[(3, "a")], 2) == [Count(0, 0), Count(0, 0)]
    assert status.slot_counts(cells.iloc[0:0], "bucket", ["area_id"]) == {}


def test_window_list_keeps_the_window_order():
    assert status.window_list({2: Count(1, 2), 0: Count(3, 3)}, 4) == [
        Count(3, 3),
        Count(0, 0),
        Count(1, 2),
        Count(0, 0),
    ]


# --- build -----------------------------------------------------------------------------------


def test_build_gives_one_status_per_area_in_order_with_ranges(field_accounts, geo):
    fw = field_accounts["fw_two"]  # assigned to OTHER, then HOME
    threshold = config.settings().suppress_below
    now = clock.now()
    with fw.connect() as c:
        assert hq.incident_threshold(c) == threshold
        kinds = queries.visible_kinds(c)
        got = status.build(c, [*fw.area_ids, 10**6], now)  # an unknown id is left out
    assert [a.area_id for a in got] == [geo["other"], geo["home"]]
    assert [a.name for a in got] == ["Geneta", "Ronna"]
    for a in got:
        assert [s.window for s in a.statuses] == list(STATUS_WINDOWS)
        assert a.overall.light in ("green", "yellow", "red")
        assert a.deciding in a.statuses
        assert a.tonight == status.evening_windows(now)[0]
        assert [(k.kind, k.window) for k in a.counts] == [
            (kind, w) for kind in kinds for w in status.COUNT_WINDOWS
        ]
        cells = [k.count for k in a.counts] + [s.count for s in a.statuses] + [a.tonight_count]
        for k in a.counts:
            c = k.count
            # one released cell: 0, a number at or above the threshold, or "<threshold"
            if c.is_exact:
                assert c.lo == 0 or c.lo >= threshold, (k, c)
            else:
                assert (c.lo, c.hi) == (1, threshold - 1), (k, c)
            assert k.normal >= 0
        for c in cells:
            assert c.lo >= 0 and c.hi >= c.lo
    with fw.connect() as c:
        assert status.build(c, [], now) == []
        with pytest.raises(ValueError):
            status.build(c, fw.area_ids, now.replace(tzinfo=None))


def test_police_7d_counts_are_the_true_counts(field_accounts, geo, owner_engine):
    police = field_accounts["police"]
    now = clock.now()
    with police.connect() as c:
        kinds = queries.visible_kinds(c)
        [a] = status.build(c, [geo["home"]], now)
    with owner_engine.connect() as oc:
        truth = dict(
            oc.execute(
                text(
                    "select kind, count(*) from pax_data.incident where area_id = :a "
                    "and occurred_at >= :s and occurred_at < :e group by kind"
                ),
                {"a": geo["home"], "s": now - timedelta(days=7), "e": now},
            ).all()
        )
        day = dict(
            oc.execute(
                text(
                    "select kind, count(*) from pax_data.incident where area_id = :a "
                    "and occurred_at >= :s and occurred_at < :e group by kind"
                ),
                {"a": geo["home"], "s": now - timedelta(hours=24), "e": now},
            ).all()
        )
    assert sum(truth.values()) > 0, "the demo data should have incidents in the last 7 days"
    got7 = {k.kind: k.count for k in a.counts if k.window == "7d"}
    got24 = {k.kind: k.count for k in a.counts if k.window == "24h"}
    assert set(got7) == set(kinds)
    for kind in kinds:
        assert got7[kind] == Count.exact(truth.get(kind, 0)), kind
        assert got24[kind] == Count.exact(day.get(kind, 0)), kind
    seven = next(s for s in a.statuses if s.window == "7d")
    assert seven.count == Count.exact(sum(truth.get(k, 0) for k in kinds))
    assert not seven.uncertain


# --- the normals kept between refreshes ---------------------------------------------------------


def test_normals_are_read_once_per_reader_and_equal_a_fresh_read(field_accounts, geo):
    """The normals kept by Normals give the same statuses as a build that reads them now; they
    are kept per login (the field worker never gets the police's exact normal), read again when
    they are older than max_age or when the period moves (a bucket ended)."""
    clock_now = [clock.now()]
    normals = status.Normals(max_age=timedelta(hours=1), now=lambda: clock_now[0])
    now = clock_now[0]
    fw, police = field_accounts["fw_two"], field_accounts["police"]
    with fw.connect() as c:
        fresh_fw = status.build(c, fw.area_ids, now, normals=None)
        kept_fw = status.build(c, fw.area_ids, now, normals=normals)
        assert normals.reads == 3  # day, week and month buckets
        assert status.build(c, fw.area_ids, now, normals=normals) == kept_fw == fresh_fw
        assert normals.reads == 3
    with police.connect() as c:
        fresh_police = status.build(c, fw.area_ids, now, normals=None)
        assert status.build(c, fw.area_ids, now, normals=normals) == fresh_police
        assert normals.reads == 6  # another login: its own normals
    assert fresh_police != fresh_fw  # exact counts against ranges: the keys must differ
    with fw.connect() as c:
        clock_now[0] = now + timedelta(minutes=59)
        status.build(c, fw.area_ids, now, normals=normals)
        assert normals.reads == 6
        clock_now[0] = now + timedelta(minutes=61)  # too old: read again
        status.build(c, fw.area_ids, now, normals=normals)
        assert normals.reads == 9
        # a day later the day, and perhaps the week and month, buckets have moved on
        status.build(c, fw.area_ids, now + timedelta(days=1), normals=normals)
        assert normals.reads >= 10
