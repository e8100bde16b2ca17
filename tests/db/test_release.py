"""The release mechanism for the roles whose small counts are suppressed (migration 0009).

Checks the calendar lattice against an independent Python implementation, the noise against
the two-sided geometric law, the consistency properties the design rests on, and runs an
automated differencing attacker with the field worker's and the board's own database logins
(and the Här och nu page) that fails the build if it recovers suppressed counts.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, text

from pax_geo import i18n
from tests.app_support import signed_in

TZ = ZoneInfo("Europe/Stockholm")
THRESHOLD = 3

# --- an independent implementation of the lattice ---------------------------------------------


def _floor(unit: str, t: datetime) -> datetime:
    if unit == "year":
        return t.replace(month=1, day=1, hour=0)
    if unit == "quarter":
        return t.replace(month=(t.month - 1) // 3 * 3 + 1, day=1, hour=0)
    if unit == "month":
        return t.replace(day=1, hour=0)
    if unit == "week":
        d = t.replace(hour=0)
        return d - timedelta(days=d.weekday())
    if unit == "day":
        return t.replace(hour=0)
    return t.replace(hour=t.hour // 6 * 6)


def _next(unit: str, t: datetime) -> datetime:
    if unit in ("year", "quarter", "month"):
        months = {"year": 12, "quarter": 3, "month": 1}[unit]
        m = t.month - 1 + months
        return t.replace(year=t.year + m // 12, month=m % 12 + 1)
    return t + {"week": timedelta(days=7), "day": timedelta(days=1)}.get(unit, timedelta(hours=6))


UNITS = ("year", "quarter", "month", "week", "day", "block")
LEVEL = {"year": 6, "quarter": 5, "month": 4, "week": 3, "day": 2, "block": 1}


def reference_cells(a: datetime, b: datetime, units=UNITS) -> list[tuple[int, datetime]]:
    """Canonical split of naive local [a, b) (on block boundaries): coarsest whole cells
    first, the rest on each side recursively with the next finer unit."""
    if a >= b:
        return []
    unit, rest = units[0], units[1:]
    s = _floor(unit, a)
    if s < a:
        s = _next(unit, s)
    e = _floor(unit, b)
    if unit == "block" or s < e:
        out, t = [], s
        while t < e:
            out.append((LEVEL[unit], t))
            t = _next(unit, t)
        if unit == "block":
            return out
        return reference_cells(a, s, rest) + out + reference_cells(e, b, rest)
    return reference_cells(a, b, rest)


def _snap(t: datetime) -> datetime:
    local = t.astimezone(TZ).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    return local.replace(hour=local.hour // 6 * 6)


def _snap_up(t: datetime) -> datetime:
    local = t.astimezone(TZ).replace(tzinfo=None)
    s = _snap(t)
    return s if s == local else s + timedelta(hours=6)


def test_lattice_equals_an_independent_implementation(conn):
    rng = random.Random(20261203)
    base = datetime(2024, 1, 1, tzinfo=TZ)
    windows = [
        (datetime(2026, 7, 3, tzinfo=TZ), datetime(2026, 11, 1, tzinfo=TZ)),
        (datetime(2026, 3, 28, 22, 30, tzinfo=TZ), datetime(2026, 3, 30, 1, tzinfo=TZ)),  # DST
        (datetime(2026, 10, 24, 23, tzinfo=TZ), datetime(2026, 10, 26, 7, tzinfo=TZ)),  # DST
        (datetime(2024, 1, 1, tzinfo=TZ), datetime(2026, 1, 1, tzinfo=TZ)),
    ]
    for _ in range(120):
        a = base + timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
        windows.append((a, a + timedelta(minutes=rng.randrange(1, 500 * 24 * 60))))
    for a, b in windows:
        got = conn.execute(
            text("select lvl, c_from, c_to from pax_api._release_cells(:a, :b, 'all')"),
            {"a": a, "b": b},
        ).all()
        ref = sorted(reference_cells(_snap(a), _snap_up(b)), key=lambda c: c[1])
        assert [(lvl, c.astimezone(TZ).replace(tzinfo=None)) for lvl, c, _e in got] == ref, (a, b)
        # contiguous, covering the widened window, no overlap
        assert got[0][1].astimezone(TZ).replace(tzinfo=None) == _snap(a)
        assert got[-1][2].astimezone(TZ).replace(tzinfo=None) == _snap_up(b)
        assert all(got[i][2] == got[i + 1][1] for i in range(len(got) - 1))


def test_bucketed_cells_split_each_bucket_on_its_own(conn):
    a, b = datetime(2026, 7, 3, 13, tzinfo=TZ), datetime(2026, 10, 31, tzinfo=TZ)
    got = conn.execute(
        text("select bucket, lvl, c_from from pax_api._release_cells(:a, :b, 'month')"),
        {"a": a, "b": b},
    ).all()
    by_bucket = Counter(r.bucket for r in got)
    assert set(by_bucket) == {date(2026, m, 1) for m in (7, 8, 9, 10)}
    # August and September are whole months: one cell each
    assert by_bucket[date(2026, 8, 1)] == by_bucket[date(2026, 9, 1)] == 1
    for r in got:
        local = r.c_from.astimezone(TZ)
        assert date(local.year, local.month, 1) == r.bucket


def _geometric_quantile(u: float, alpha: float) -> int:
    """Inverse CDF of the two-sided geometric law, written from its definition."""
    probs = {0: (1 - alpha) / (1 + alpha)}
    for k in range(1, 60):
        probs[k] = probs[-k] = (1 - alpha) / (1 + alpha) * alpha**k
    # the database maps u < P(0) to 0, then the lower half of the rest to negative values
    if u < probs[0]:
        return 0
    v = (u - probs[0]) / (1 - probs[0])
    sign, w = (-1, 2 * v) if v < 0.5 else (1, 2 * (v - 0.5))
    acc = 0.0
    for k in range(1, 60):
        acc += probs[k] / ((1 - probs[0]) / 2)
        if w < acc:
            return sign * k
    return sign * 60


def test_noise_follows_the_two_sided_geometric_law(conn):
    alpha = 0.3
    us = [(i + 0.5) / 4000 for i in range(4000)]
    got = conn.execute(
        text("select pax_api._geometric_noise(u, :a) from unnest(cast(:us as float8[])) u"),
        {"a": alpha, "us": us},
    ).scalars()
    got = list(got)
    want = [_geometric_quantile(u, alpha) for u in us]
    # floating point may move a value sitting exactly on a step; nothing else may differ
    assert sum(g != w for g, w in zip(got, want, strict=True)) <= 2
    freq = Counter(got)
    assert freq[0] / len(got) == pytest.approx((1 - alpha) / (1 + alpha), abs=0.002)
    assert freq[1] == pytest.approx(freq[-1], abs=2)
    assert freq[2] / freq[1] == pytest.approx(alpha, abs=0.02)


def test_the_release_key_is_unreadable_to_every_application_role(reader_engines, demo_loaded):
    for role, eng in reader_engines.items():
        with eng.connect() as c:
            with pytest.raises(Exception, match="permission denied"):
                c.execute(text("select secret from pax_data.release_key")).all()
            assert role


# --- what the suppressing roles get --------------------------------------------------------


def released(
    c: Connection, a: datetime, b: datetime, kinds=None, bucket: str = "all"
) -> dict[tuple, int | None]:
    """(area_id, kind, bucket) -> released n (None when suppressed); missing means 0."""
    rows = c.execute(
        text("select * from pax_api.incident_counts(:a, :b, :bucket, :kinds)"),
        {"a": a, "b": b, "bucket": bucket, "kinds": kinds},
    ).all()
    return {(r.area_id, r.kind, r.bucket): r.n for r in rows}


def test_same_cells_give_the_same_answer(reader_engines, demo_loaded):
    now = datetime.now(TZ)
    with reader_engines["field_worker"].connect() as c:
        first = released(c, now - timedelta(days=30), now)
        again = released(c, now - timedelta(days=30), now)
        # any start inside the same six-hour block gives the same cells and the same answer
        block = _snap(now - timedelta(days=30)).replace(tzinfo=TZ)
        inside = released(c, block + timedelta(minutes=7), now)
        assert first == again == inside == released(c, block, now)
        # a kind asked alone is the same cell as the kind asked with the others
        alone = released(c, block, now, ["shooting"])
        assert alone == {k: v for k, v in first.items() if k[1] == "shooting"}


def test_nothing_below_the_threshold_is_released_as_a_number(reader_engines, demo_loaded):
    now = datetime.now(TZ)
    for role in ("field_worker", "board_viewer"):
        with reader_engines[role].connect() as c:
            for bucket in ("all", "day", "week", "month"):
                rows = c.execute(
                    text(
                        "select n, suppressed from pax_api.incident_counts(:a, :b, :bucket) "
                        "union all select n, suppressed "
                        "from pax_api.observation_counts(:a, :b, :bucket)"
                    ),
                    {"a": now - timedelta(days=120), "b": now, "bucket": bucket},
                ).all()
                assert rows
                for n, supp in rows:
                    assert (n is None and supp) or (n >= THRESHOLD and not supp)


def test_released_totals_stay_close_to_the_truth(reader_engines, owner_engine, demo_loaded):
    """Utility: per kind the municipality total over areas is the noisy total, unbiased."""
    now = datetime.now(TZ)
    with owner_engine.connect() as oc:
        true = dict(
            oc.execute(
                text(
                    "select kind, count(*) from pax_data.incident "
                    "where occurred_at >= :a and occurred_at < :b group by 1"
                ),
                {"a": now - timedelta(days=365), "b": now},
            ).all()
        )
    with reader_engines["board_viewer"].connect() as c:
        rel = released(c, now - timedelta(days=365), now)
    for kind, n in true.items():
        lo = sum(v or 1 for (_a, k, _b), v in rel.items() if k == kind)
        hi = sum(v or THRESHOLD - 1 for (_a, k, _b), v in rel.items() if k == kind)
        assert lo - 30 <= n <= hi + 30, (kind, n, lo, hi)


def test_data_status_does_not_date_the_latest_event_for_suppressing_roles(
    reader_engines, owner_engine, demo_loaded
):
    with owner_engine.connect() as oc:
        loaded = oc.execute(
            text(
                "select date_trunc('day', max(loaded_at), 'Europe/Stockholm') "
                "from pax_data.incident where kind = 'shooting'"
            )
        ).scalar()
    with reader_engines["field_worker"].connect() as c:
        rows = c.execute(
            text("select data_until from pax_api.data_status() where layer = 'shooting'")
        ).scalars()
        assert set(rows) == {loaded}


# --- the attacker -------------------------------------------------------------------------------


def _small_targets(oc: Connection, kinds: tuple[str, ...], limit: int) -> list[tuple]:
    """(area_id, kind, month start) cells of the last two years whose true count is 1 or 2."""
    rows = oc.execute(
        text(
            "select area_id, kind, date_trunc('month', occurred_at at time zone "
            "'Europe/Stockholm')::date as m, count(*) as n from pax_data.incident "
            "where occurred_at >= now() - interval '26 months' "
            "and occurred_at < date_trunc('month', now()) and area_id is not null "
            "and kind = any(:kinds) group by 1, 2, 3 having count(*) < 3 order by 3, 1, 2"
        ),
        {"kinds": list(kinds)},
    ).all()
    rng = random.Random(7)
    rows = list(rows)
    rng.shuffle(rows)
    return [(r.area_id, r.kind, r.m, r.n) for r in rows[:limit]]


def _value(rel: dict, area: int, kind: str) -> int | None:
    """A released value as an attacker reads it: None when suppressed; 0 when absent."""
    key = (area, kind, None)
    if key not in rel:
        return 0
    return rel[key]


def _month_bounds(m: date) -> tuple[datetime, datetime]:
    start = datetime(m.year, m.month, 1, tzinfo=TZ)
    end = datetime(m.year + (m.month == 12), m.month % 12 + 1, 1, tzinfo=TZ)
    return start, end


def _attack(c: Connection, area: int, kind: str, m: date) -> list[int]:
    """Point estimates of one month's count from nested and adjacent windows around it, as
    the issue's attacker did (3 Jul-31 Oct minus 3 Jul-30 Sep, and so on)."""
    start, end = _month_bounds(m)
    estimates = []
    for days in (1, 3, 9, 17, 33, 64, 95):
        s = start - timedelta(days=days)
        outer = _value(released(c, s, end, [kind]), area, kind)
        inner = _value(released(c, s, start, [kind]), area, kind)
        if outer is not None and inner is not None:
            estimates.append(outer - inner)
        e = end + timedelta(days=days)
        outer = _value(released(c, start, e, [kind]), area, kind)
        inner = _value(released(c, end, e, [kind]), area, kind)
        if outer is not None and inner is not None:
            estimates.append(outer - inner)
    # and the month asked directly, day by day, and as a bucket of a longer window
    direct = _value(released(c, start, end, [kind]), area, kind)
    if direct is not None:
        estimates.append(direct)
    return estimates


@pytest.mark.parametrize(
    ("role", "kinds"),
    [("field_worker", ("shooting", "explosion")), ("board_viewer", ("cache", "explosion"))],
)
def test_differencing_attacker_cannot_recover_suppressed_counts(
    role, kinds, reader_engines, owner_engine, demo_loaded
):
    with owner_engine.connect() as oc:
        targets = _small_targets(oc, kinds, 24)
    assert len(targets) >= 15, "the demo data should have enough small monthly cells"
    truths = Counter(t[3] for t in targets)
    # what an attacker knows before asking anything: most small counts are 1
    prior = max(truths.values()) / len(targets)
    mode_right = clamp_right = 0
    spread = []
    with reader_engines[role].connect() as c:
        for area, kind, m, truth in targets:
            est = _attack(c, area, kind, m)
            assert est, "some window pair should give released values"
            spread.append(len(set(est)))
            # the naive attacker: the most frequent difference
            mode_right += Counter(est).most_common(1)[0][0] == truth
            # a smarter one: it knows the month is small, so it clamps the median to 1..2
            med = sorted(est)[len(est) // 2]
            clamp_right += min(max(med, 1), THRESHOLD - 1) == truth
    n = len(targets)
    print(
        f"{role}: {n} targets, prior {prior:.2f}, mode {mode_right / n:.2f}, "
        f"clamped median {clamp_right / n:.2f}"
    )
    # Before 0009 the naive attacker was right every time. Now neither attacker does
    # clearly better than guessing the most common small count without asking anything.
    assert mode_right / n <= prior + 0.2, (mode_right, n, prior)
    assert clamp_right / n <= prior + 0.2, (clamp_right, n, prior)
    assert any(s > 1 for s in spread), "different windows should disagree about a small cell"


def test_day_by_day_attacker_cannot_date_the_events(reader_engines, owner_engine, demo_loaded):
    """Before 0009 a row ("<3") for a single day meant an event that day, its absence none."""
    with owner_engine.connect() as oc:
        area, kind = oc.execute(
            text(
                "select area_id, kind from pax_data.incident where kind = 'shooting' "
                "and area_id is not null and occurred_at >= now() - interval '120 days' "
                "group by 1, 2 order by count(*) desc limit 1"
            )
        ).one()
        days = {
            d
            for (d,) in oc.execute(
                text(
                    "select distinct (occurred_at at time zone 'Europe/Stockholm')::date "
                    "from pax_data.incident where area_id = :a and kind = :k "
                    "and occurred_at >= now() - interval '120 days'"
                ),
                {"a": area, "k": kind},
            )
        }
    today = datetime.now(TZ).date()
    seen = set()
    with reader_engines["field_worker"].connect() as c:
        for i in range(1, 121):
            d = today - timedelta(days=i)
            a = datetime(d.year, d.month, d.day, tzinfo=TZ)
            if (area, kind, None) in released(c, a, a + timedelta(days=1), [kind]):
                seen.add(d)
    window = {today - timedelta(days=i) for i in range(1, 121)}
    days &= window
    assert days, "the demo area should have shootings in the last 120 days"
    hits = len(days & seen)
    false_alarms = len(seen - days)
    misses = len(days - seen)
    print(f"event days {len(days)}: found {hits}, missed {misses}, false {false_alarms}")
    assert misses + false_alarms >= 0.2 * len(days)


def test_har_och_nu_page_shows_only_what_the_database_releases(reader_engines, demo_loaded):
    """The page adds nothing: its per-type figures are the released values for its window,
    so the page is no stronger an oracle than the function the attacker above used."""
    at = signed_in(str(Path(__file__).resolve().parents[2] / "pages" / "har_och_nu.py"), "falt")
    at.run()
    at.segmented_control(key="har_window").set_value("custom").run()
    today = datetime.now(TZ).date()
    pick = (today - timedelta(days=200), today - timedelta(days=80))
    at.date_input(key="har_window_range").set_value(pick).run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    a = datetime.combine(pick[0], datetime.min.time(), TZ)
    b = datetime.combine(pick[1], datetime.min.time(), TZ) + timedelta(days=1)
    with reader_engines["field_worker"].connect() as c:
        rel = released(c, a, b)
    for kind in ("car_fire", "shooting", "explosion"):
        vals = [v for (_a, k, _b), v in rel.items() if k == kind]
        lo = sum(v or 1 for v in vals)
        hi = sum(v or THRESHOLD - 1 for v in vals)
        label = str(lo) if lo == hi else ("<3" if (lo, hi) == (1, 2) else f"{lo}–{hi}")
        assert shown[i18n.t(f"kind_{kind}", "sv")] == label, kind


def test_unbounded_and_very_long_windows_are_answered(reader_engines, owner_engine, demo_loaded):
    """A date picker can ask from 1900 or to infinity: the lattice clamps to the years that
    can hold records instead of failing, and the all-time totals stay near the truth."""
    with owner_engine.connect() as oc:
        true = dict(
            oc.execute(text("select kind, count(*) from pax_data.incident group by 1")).all()
        )
    with reader_engines["board_viewer"].connect() as c:
        forever = released(c, datetime(1900, 1, 1, tzinfo=TZ), datetime(2200, 1, 1, tzinfo=TZ))
        rows = c.execute(
            text("select count(*) from pax_api.incident_counts('-infinity', 'infinity', 'year')")
        ).scalar()
    assert rows > 0
    for kind, n in true.items():
        lo = sum(v or 1 for (_a, k, _b), v in forever.items() if k == kind)
        hi = sum(v or THRESHOLD - 1 for (_a, k, _b), v in forever.items() if k == kind)
        # about 70 cells (every year from 1970 is one, empty or not): sd about 9
        assert lo - 60 <= n <= hi + 60, (kind, n, lo, hi)
