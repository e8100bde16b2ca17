"""Horizons reads and the area card against the real PostGIS test database.

A constructed district with known incidents gives the card known answers; the demo data set
checks the role-aware reads (suppression, data status) against independent SQL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import text

from pax_geo.horizons import card, long, medium
from pax_geo.horizons import queries as hq
from pax_geo.horizons.periods import Period, last_days, year_to_date
from pax_geo.layers import layer

TZ = ZoneInfo("Europe/Stockholm")
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=TZ)
SOURCE = "test_horizons"


def _events() -> list[tuple[str, datetime]]:
    """The constructed area's incidents (kind, time)."""
    ev = []
    # Current 7 days: 5 car fires and 2 shootings (none on a window boundary).
    for offset in (timedelta(hours=2), *(timedelta(days=d, hours=3) for d in (1, 2, 3, 4))):
        ev.append(("car_fire", NOW - offset))
    ev.append(("shooting", NOW - timedelta(hours=5)))
    ev.append(("shooting", NOW - timedelta(hours=6)))
    # One car fire in each of the 52 weeks before: 10, 17, …, 367 days ago.
    for i in range(52):
        ev.append(("car_fire", NOW - timedelta(days=10 + 7 * i)))
    return ev


@pytest.fixture(scope="module")
def test_area(owner_engine, demo_loaded):
    """A district 'Testområde H6' with the constructed incidents, committed (reader logins
    must see them) and removed afterwards."""
    with owner_engine.begin() as c:
        area_id = c.execute(
            text(
                "insert into pax_data.area (code, name, kind, geom, population, source, source_id) "
                "values ('HZT01', 'Testområde H6', 'district', "
                "st_multi(st_makeenvelope(700000, 6500000, 701000, 6501000, 3006)), 1000, "
                ":s, 'hzt01') returning id"
            ),
            {"s": SOURCE},
        ).scalar_one()
        c.execute(
            text(
                "insert into pax_data.incident (kind, occurred_at, geom, area_id, source, "
                "source_id, verification) values (:k, :t, st_setsrid(st_makepoint(700500, "
                "6500500), 3006), :a, :s, :sid, 'confirmed')"
            ),
            [
                {"k": k, "t": t, "a": area_id, "s": SOURCE, "sid": f"hz-{i}"}
                for i, (k, t) in enumerate(_events())
            ],
        )
    yield area_id
    with owner_engine.begin() as c:
        c.execute(text("delete from pax_data.incident where source = :s"), {"s": SOURCE})
        c.execute(text("delete from pax_data.area where source = :s"), {"s": SOURCE})


def _count(events, start, end, kinds=("car_fire", "shooting")) -> int:
    return sum(1 for k, t in events if k in kinds and start <= t < end)


# --- the area card on constructed data ---------------------------------------------------------


def test_card_known_answers_for_police(reader_engines, test_area):
    with reader_engines["police_analyst"].connect() as c:
        cd = card.build(c, test_area, NOW)
    assert cd.name == "Testområde H6" and cd.population == 1000 and cd.threshold == 0
    st = {s.window: s for s in cd.statuses}
    # 7 days: 5 car fires + 2 shootings; every one of the 52 weeks before had exactly one.
    assert st["7d"].count.label() == "7"
    assert st["7d"].baseline.n_windows == 52
    assert st["7d"].baseline.mean == pytest.approx(1.0)
    assert st["7d"].baseline.empirical_sd == pytest.approx(0.0)
    assert st["7d"].baseline.spread == pytest.approx(1.0)
    assert st["7d"].light == "red"
    # 30 days: 5 + 2 + the weekly fires 10, 17 and 24 days ago; before: 49 fires in 12 windows.
    assert st["30d"].count.label() == "10"
    assert st["30d"].baseline.mean == pytest.approx(49 / 12)
    # 24 hours: one car fire and two shootings.
    assert st["24h"].count.label() == "3"
    assert st["24h"].baseline.n_windows == 365
    # 24-hour baseline: 365 windows of 24 h before the current one hold the fires 1-4 days ago
    # and the weekly ones from 10 to 360 days ago: 55 fires, each in its own window
    assert st["24h"].baseline.mean == pytest.approx(55 / 365)
    assert cd.overall.light == "red" and not cd.overall.uncertain
    by_kind = cd.status_by_kind.set_index(["kind", "window"])
    assert by_kind.loc[("shooting", "24h"), "label"] == "2"
    assert by_kind.loc[("car_fire", "7d"), "label"] == "5"


def test_card_period_comparisons_match_the_constructed_events(reader_engines, test_area):
    ev = _events()
    with reader_engines["police_analyst"].connect() as c:
        cd = card.build(c, test_area, NOW)
    cur, prev = last_days(NOW, 28)
    assert cd.last_28.total.current.lo == _count(ev, cur.start, cur.end) == 10
    assert cd.last_28.total.previous.lo == _count(ev, prev.start, prev.end) == 4
    assert cd.last_28.total.direction == "up" and cd.last_28.total.pct == pytest.approx(150.0)
    ycur, yprev = year_to_date(NOW)
    assert cd.ytd.total.current.lo == _count(ev, ycur.start, ycur.end)
    assert cd.ytd.total.previous.lo == _count(ev, yprev.start, yprev.end)
    weekly = cd.weekly.frame
    assert weekly["hi"].sum() >= 7 and (weekly["lo"] == weekly["hi"]).all()


def test_card_for_field_worker_shows_released_values(reader_engines, test_area):
    """The field worker's card is built from what the database releases to that login: the
    same windows give the same values, and nothing below the threshold shows as a number."""
    with reader_engines["field_worker"].connect() as c:
        cd = card.build(c, test_area, NOW)
        released = hq.incident_window_cells(c, NOW, timedelta(hours=24), 1, cd.kinds, [test_area])
    assert cd.threshold == 3
    assert "cache" not in cd.kinds  # caches are 'none' for field workers
    st = {s.window: s for s in cd.statuses}
    assert st["24h"].count.lo == int(released["lo"].sum())
    assert st["24h"].count.hi == int(released["hi"].sum())
    assert st["24h"].baseline.n_windows == 365
    by_kind = cd.status_by_kind
    assert not by_kind["label"].isin(["1", "2"]).any()
    assert set(by_kind["kind"]) == set(cd.kinds)
    # the true 24 h count is 3 (one car fire, two shootings); the release stays near it
    assert abs(st["24h"].count.mid - 3) <= 15


def test_card_unknown_area_is_a_clear_error(reader_engines, demo_loaded):
    with (
        reader_engines["police_analyst"].connect() as c,
        pytest.raises(card.UnknownArea, match="no district with id -1"),
    ):
        card.build(c, -1, NOW)


# --- role-aware reads on the demo data --------------------------------------------------------


def test_data_status_follows_the_role_matrix(reader_engines, demo_loaded):
    with reader_engines["police_analyst"].connect() as c:
        police = hq.data_status(c)
    with reader_engines["field_worker"].connect() as c:
        field = hq.data_status(c)
    with reader_engines["admin"].connect() as c:
        admin = hq.data_status(c)
    assert set(police["layer"]) == {"car_fire", "shooting", "explosion", "cache", "observation"}
    assert set(field["layer"]) == {"car_fire", "shooting", "explosion", "observation"}
    assert "observation" not in set(admin["layer"])
    # suppressing roles get the latest event time truncated to the (Stockholm) day
    local = pd.to_datetime(field["data_until"], utc=True).dt.tz_convert(TZ)
    assert ((local.dt.hour == 0) & (local.dt.minute == 0)).all()
    police, field = police[police.source == "demo"], field[field.source == "demo"]
    # ... the day of the latest load (not of the latest event: just after midnight those differ)
    loaded_p = police.set_index("layer").loc["car_fire", "last_loaded_at"]
    fire_f = field.set_index("layer").loc["car_fire", "data_until"]
    assert (
        pd.Timestamp(fire_f).tz_convert(TZ).date() == pd.Timestamp(loaded_p).tz_convert(TZ).date()
    )


def test_data_status_is_not_for_the_login_role(pg_url):
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ProgrammingError

    from pax_geo import db

    eng = create_engine(db.reader_url("auth", database=pg_url.database))
    try:
        with eng.connect() as c, pytest.raises(ProgrammingError, match="permission denied"):
            c.execute(text("select * from pax_api.data_status()"))
    finally:
        eng.dispose()


def test_window_cells_add_up_to_the_whole_span(reader_engines, demo_loaded):
    end = datetime.now(TZ).replace(minute=0, second=0, microsecond=0)
    with reader_engines["police_analyst"].connect() as c:
        win = hq.incident_window_cells(c, end, timedelta(days=7), 8)
        whole = hq.incident_cells(c, Period(end - timedelta(days=56), end))
    assert set(win["window"]) <= set(range(8))
    assert win.groupby("kind")["lo"].sum().to_dict() == whole.groupby("kind")["lo"].sum().to_dict()


def test_suppressed_trend_cells_show_as_less_than_three(reader_engines, demo_loaded):
    now = datetime.now(TZ).replace(minute=0, second=0, microsecond=0)
    with reader_engines["police_analyst"].connect() as c:
        police = medium.incident_trend(c, now, "month", "area_id", ("car_fire", "shooting"))
    with reader_engines["field_worker"].connect() as c:
        field = medium.incident_trend(c, now, "month", "area_id", ("car_fire", "shooting"))
    assert police.threshold == 0 and field.threshold == 3
    f = field.frame
    # released values below the threshold are never shown as numbers
    assert not f["label"].isin(["1", "2"]).any()
    assert (f["label"] == "<3").any()
    # per month the municipality sum of the field worker's ranges stays near the truth
    p_tot = police.frame.groupby("bucket")["lo"].sum()
    f_lo = f.groupby("bucket")["lo"].sum()
    f_hi = f.groupby("bucket")["hi"].sum()
    for bucket, true in p_tot.items():
        assert f_lo.get(bucket, 0) - 25 <= true <= f_hi.get(bucket, 0) + 25, bucket


def _released(conn, period: Period, bucket: str) -> pd.DataFrame:
    from pax_geo import queries

    flt = queries.Filter(period.start, period.end, queries.visible_kinds(conn))
    df = queries.incident_counts(conn, flt, bucket)
    return df.sort_values(["kind", "bucket", "area_id"], na_position="first").reset_index(drop=True)


@pytest.mark.parametrize("role", ["police_analyst", "field_worker", "board_viewer"])
@pytest.mark.parametrize("bucket", ["week", "month"])
def test_finished_buckets_and_the_one_in_progress_release_what_one_read_does(
    reader_engines, demo_loaded, role, bucket
):
    """The trend panels keep the finished buckets' released counts and read only the bucket in
    progress again: the two reads together equal one read of the whole window, noise included,
    and any subset of kinds and areas cut from them equals that subset read by itself."""
    from pax_geo.horizons.periods import split_at_open_bucket

    today = datetime.now(TZ).date()
    instants = [
        datetime.now(TZ).replace(microsecond=0),
        medium.local_midnight(today.replace(day=1)),  # exactly at a month's start
        medium.local_midnight(today - timedelta(days=today.weekday())) + timedelta(seconds=1),
    ]
    with reader_engines[role].connect() as c:
        for now in instants:
            whole = medium.trend_window(now, bucket)
            parts = [p for p in split_at_open_bucket(whole, bucket) if p is not None]
            split = pd.concat([_released(c, p, bucket) for p in parts], ignore_index=True)
            split = split.sort_values(["kind", "bucket", "area_id"], na_position="first")
            pd.testing.assert_frame_equal(
                split.reset_index(drop=True), _released(c, whole, bucket), check_dtype=False
            )
            kinds, areas = ("car_fire", "shooting"), tuple(split["area_id"].dropna()[:3])
            threshold = hq.incident_threshold(c, kinds)
            cut = hq.cells_of(split, kinds, areas, threshold)
            alone = hq.incident_cells(c, whole, bucket, kinds, areas)
            key = ["kind", "bucket", "area_id"]
            pd.testing.assert_frame_equal(
                cut.sort_values(key).reset_index(drop=True),
                alone.sort_values(key).reset_index(drop=True),
                check_dtype=False,
            )


def test_changes_since_totals_match_counts(reader_engines, demo_loaded):
    now = datetime.now(TZ).replace(minute=0, second=0, microsecond=0)
    day = (now - timedelta(days=30)).date()
    with reader_engines["police_analyst"].connect() as c:
        ch = medium.changes(c, day, now)
        after = hq.incident_cells(c, ch.after)
        before = hq.incident_cells(c, ch.before)
    k = ch.by_kind.set_index("kind")
    assert k["cur_lo"].to_dict() == after.groupby("kind")["lo"].sum().to_dict()
    assert k["prev_lo"].to_dict() == before.groupby("kind")["lo"].sum().to_dict()
    assert ch.before.end == ch.after.start
    assert ch.after.start == datetime(day.year, day.month, day.day, tzinfo=TZ)

    def wall(p: Period) -> timedelta:
        a, b = p.local()
        return b.replace(tzinfo=None) - a.replace(tzinfo=None)

    assert wall(ch.after) == wall(ch.before)


def test_indicator_view_average_matches_independent_sql(conn, reader_engines, demo_loaded):
    expected = conn.execute(
        text(
            "select i.year, sum(i.value * a.population) / sum(a.population) "
            "from pax_data.indicator i join pax_data.area a on a.id = i.area_id "
            "where i.key = 'employment_rate' and a.kind = 'district' group by i.year"
        )
    ).all()
    with reader_engines["board_viewer"].connect() as c:
        view = long.indicator_view(c, "employment_rate", "natural_breaks", 5)
        shapes = long.area_shapes(c)
    got = dict(zip(view.averages["year"], view.averages["value"], strict=True))
    assert set(got) == {int(y) for y, _ in expected}
    for year, value in expected:
        assert got[int(year)] == pytest.approx(float(value))
    assert set(view.averages["method"]) == {"population_weighted"}
    assert view.classes.k == 5
    assert view.values["cls"].between(0, 4).all()
    assert view.higher_is_better is True and view.unit == "%"
    assert shapes.crs.to_epsg() == 4326 and len(shapes) >= 21


def test_unknown_indicator_is_a_clear_error(reader_engines, demo_loaded):
    with (
        reader_engines["police_analyst"].connect() as c,
        pytest.raises(long.UnknownIndicator, match="no indicator 'nope'"),
    ):
        long.indicator_view(c, "nope")


def test_night_walks_and_observations_read_for_every_role(reader_engines, demo_loaded):
    now = datetime.now(TZ).replace(minute=0, second=0, microsecond=0)
    for role, eng in reader_engines.items():
        with eng.connect() as c:
            walks = medium.night_walk_trend(c, now, "month")
            obs, _cats = medium.observation_trend(c, now, "month")
        assert walks["walks"].sum() > 0, role
        if layer("observation").precision_for(role) == "none":  # admin, night walkers
            assert obs.frame["hi"].sum() == 0, role
        else:
            assert obs.frame["hi"].sum() > 0, role
    # the same period last year lines up 12 months back
    assert date(2000, 1, 1) < walks["bucket"].min()


def test_counts_are_numbers_even_when_every_cell_is_outside_any_area(
    owner_engine, reader_engines, demo_loaded
):
    """A read whose only released cell is "no area" (one incident placed in the municipality
    only): area_id and n must still be numbers (NaN), so that reads concatenate (the trend
    panels join the finished buckets and the one in progress) into the frame one read gives."""
    from sqlalchemy import text

    from pax_geo import queries

    key = f"numbers-{datetime.now().timestamp()}"
    with owner_engine.begin() as o:
        o.execute(
            text(
                "insert into pax_data.incident (kind, occurred_at, location_precision, source, "
                "source_id) values ('shooting', '1990-02-01 12:00+01', 'municipality', :s, :s)"
            ),
            {"s": key},
        )
    try:
        with reader_engines["police_analyst"].connect() as c:
            flt = queries.Filter(
                datetime(1990, 1, 1, tzinfo=TZ), datetime(1990, 7, 1, tzinfo=TZ), ("shooting",)
            )
            df = queries.incident_counts(c, flt, "month")
        assert len(df) == 1 and df["area_id"].isna().all() and df["n"].tolist() == [1]
        assert df["area_id"].dtype.kind == "f" and df["n"].dtype.kind in "if"
    finally:
        with owner_engine.begin() as o:
            o.execute(text("delete from pax_data.incident where source = :s"), {"s": key})


#: the windows as one call of pax_api.incident_counts each (how the card read them before 0023)
PER_WINDOW = text(
    "select w.i as window, c.area_id, c.kind, c.n, c.suppressed "
    "from generate_series(0, :n - 1) as w(i), "
    "lateral pax_api.incident_counts(:end - (w.i + 1) * :len, :end - w.i * :len, 'all', :kinds) c "
    "where cardinality(cast(:areas as int[])) = 0 or c.area_id = any(cast(:areas as int[]))"
)


@pytest.mark.parametrize("role", ["police_analyst", "field_worker", "security_chief"])
def test_window_counts_in_one_call_equal_one_call_per_window(reader_engines, demo_loaded, role):
    """pax_api.incident_window_counts (0023) against the per-window calls it replaced: the same
    rows for exact and released roles, with and without an area, for windows of 24 hours, a week
    and 30 days, and with records lying exactly on window edges and on the end (excluded)."""
    from pax_geo import queries

    with reader_engines["police_analyst"].connect() as c:
        at = c.execute(
            text(
                "select occurred_at, area_id from pax_api.incident_exact "
                "where area_id is not null order by occurred_at desc offset 40 limit 1"
            )
        ).one()
    cases = [
        (at.occurred_at + timedelta(days=7), timedelta(days=7), 9),  # a record on an edge
        (at.occurred_at, timedelta(hours=24), 40),  # a record exactly on the end
        (datetime.now(TZ).replace(second=0, microsecond=0), timedelta(days=30), 13),
        (datetime(2025, 3, 31, 1, 30, tzinfo=TZ), timedelta(hours=24), 6),  # summer time
    ]
    with reader_engines[role].connect() as c:
        kinds = list(queries.visible_kinds(c))
        compared = 0
        for end, length, n in cases:
            for areas in ([], [int(at.area_id)]):
                params = {"end": end, "len": length, "n": n, "kinds": kinds, "areas": areas}
                old = pd.read_sql_query(PER_WINDOW, c, params=params)
                new = hq.incident_window_cells(c, end, length, n, kinds, areas)
                key = ["window", "kind", "area_id"]
                old = old.sort_values(key, na_position="first").reset_index(drop=True)
                new = new[old.columns].sort_values(key, na_position="first")
                pd.testing.assert_frame_equal(
                    new.reset_index(drop=True), old, check_dtype=False, obj=f"{role} {end} {n}"
                )
                compared += len(old)
    assert compared > 50, compared
