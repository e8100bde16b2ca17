"""The night walkers' log and the planned walks (pax_geo.field.walks) on the real test database."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from pax_geo import clock
from pax_geo.clock import TZ
from pax_geo.field import reports, walks
from pax_geo.field.reports import ReportError
from tests.field.field_support import HOME

LOG_SQL = "select * from pax_api.log_walk(cast(:k as uuid), :r, :d, :p, :n)"


@pytest.fixture(scope="module")
def route_id(owner_engine: Engine, demo_loaded) -> int:
    with owner_engine.connect() as c:
        return int(
            c.execute(
                text("select id from pax_data.night_walk_route where name = :n"),
                {"n": f"Kvällsrunda {HOME}"},
            ).scalar_one()
        )


def walk_row(owner: Engine, walk_id: int) -> dict | None:
    with owner.connect() as c:
        row = (
            c.execute(text("select * from pax_data.night_walk where id = :i"), {"i": walk_id})
            .mappings()
            .first()
        )
    return dict(row) if row else None


def count_key(owner: Engine, key: str) -> int:
    with owner.connect() as c:
        return int(
            c.execute(
                text(
                    "select count(*) from pax_data.night_walk where source = 'walk_log' "
                    "and source_id = :k"
                ),
                {"k": key},
            ).scalar_one()
        )


def test_a_walk_is_logged_as_the_bound_walker_once_per_form(field_accounts, route_id, owner_engine):
    walker = field_accounts["walker"]
    today = clock.today()
    key = reports.new_key()
    with walker.connect("falt1") as c:
        first = walks.log(c, key, route_id, today - timedelta(days=1), 6, "Lugn kväll", today)
        again = walks.log(c, key, route_id, today - timedelta(days=2), 9, None, today)
    assert first[1] is True and again == (first[0], False)
    assert count_key(owner_engine, key) == 1
    row = walk_row(owner_engine, first[0])
    assert row is not None
    assert row["reported_by"] == walker.name
    assert (row["route_id"], row["walked_on"], row["participants"], row["note"]) == (
        route_id,
        today - timedelta(days=1),
        6,
        "Lugn kväll",
    )
    assert (row["source"], row["source_id"], row["verification"]) == ("walk_log", key, "unverified")
    with owner_engine.connect() as c:
        audit = c.execute(
            text(
                "select username, detail from pax_data.audit_log where action = 'walk_log' "
                "and detail->>'id' = :i"
            ),
            {"i": str(first[0])},
        ).all()
    assert [(u, d["route_id"], d["participants"]) for u, d in audit] == [(walker.name, route_id, 6)]
    # the walk is public: every role sees it in the held walks
    with field_accounts["board"].connect() as c:
        held = walks.held(c, [route_id], today - timedelta(days=1), today - timedelta(days=1))
    assert 6 in set(held["participants"])
    # the same key from another walker is refused
    with field_accounts["walker2"].connect() as c:
        with pytest.raises(ReportError):
            walks.log(c, key, route_id, today, 3, None, today)
    assert count_key(owner_engine, key) == 1


@pytest.mark.parametrize(
    ("days", "participants", "field"),
    [(-1, 5, "date"), (15, 5, "date"), (1, 0, "participants"), (1, 201, "participants")],
    ids=["tomorrow", "15-days-back", "0-participants", "201-participants"],
)
def test_out_of_range_walks_are_refused_by_form_and_database(
    days, participants, field, field_accounts, route_id, owner_engine
):
    walker = field_accounts["walker"]
    today = clock.today()
    walked_on = today - timedelta(days=days)
    key = reports.new_key()
    with walker.connect() as c:
        with pytest.raises(ReportError) as exc:
            walks.log(c, key, route_id, walked_on, participants, None, today)
        assert exc.value.field == field
        with pytest.raises(DBAPIError) as err:
            c.execute(
                text(LOG_SQL),
                {"k": key, "r": route_id, "d": walked_on, "p": participants, "n": None},
            )
        c.rollback()
    assert err.value.orig is not None and err.value.orig.sqlstate == "22023"
    assert count_key(owner_engine, key) == 0


def test_the_edges_of_the_range_are_accepted(field_accounts, route_id, owner_engine):
    today = clock.today()
    with field_accounts["walker"].connect() as c:
        a = walks.log(c, reports.new_key(), route_id, today, 1, None, today)
        b = walks.log(c, reports.new_key(), route_id, today - timedelta(days=14), 200, None, today)
    assert a[1] and b[1]


def test_an_unknown_route_is_refused(field_accounts, owner_engine):
    today = clock.today()
    key = reports.new_key()
    with field_accounts["walker"].connect() as c:
        with pytest.raises(ReportError) as exc:
            walks.log(c, key, 10**6, today, 5, None, today)
    assert exc.value.key == "fm_err_route"
    assert count_key(owner_engine, key) == 0


@pytest.mark.parametrize("note", ["Ring 070-123 45 67", "Pnr 811218-9876"])
def test_personal_data_in_a_walk_note_is_refused(note, field_accounts, route_id, owner_engine):
    today = clock.today()
    key = reports.new_key()
    with field_accounts["walker"].connect() as c:
        with pytest.raises(ReportError) as exc:
            walks.log(c, key, route_id, today, 5, note, today)
        assert exc.value.key.startswith("fm_err_pii_")
        with pytest.raises(DBAPIError) as err:  # past the Python check
            c.execute(text(LOG_SQL), {"k": key, "r": route_id, "d": today, "p": 5, "n": note})
        c.rollback()
    assert "personal data" in str(err.value.orig)
    assert count_key(owner_engine, key) == 0


@pytest.mark.parametrize("who", ["board", "admin"])
def test_roles_without_the_capability_cannot_log(who, field_accounts, route_id, owner_engine):
    today = clock.today()
    key = reports.new_key()
    with field_accounts[who].connect() as c:
        with pytest.raises(ReportError) as exc:
            walks.log(c, key, route_id, today, 5, None, today)
    assert exc.value.key == "fm_err_not_allowed"
    assert count_key(owner_engine, key) == 0


def test_field_worker_may_log_a_walk(field_accounts, route_id, owner_engine):
    today = clock.today()
    with field_accounts["fw"].connect() as c:
        walk_id, created = walks.log(c, reports.new_key(), route_id, today, 4, None, today)
    row = walk_row(owner_engine, walk_id)
    assert created and row is not None and row["reported_by"] == field_accounts["fw"].name


# --- routes in an area -------------------------------------------------------------------------


def test_routes_are_those_crossing_the_areas(field_accounts, geo, owner_engine):
    with owner_engine.connect() as c:
        crossing = set(
            c.execute(
                text(
                    "select r.id from pax_data.night_walk_route r join pax_data.area a "
                    "on st_intersects(a.geom, r.geom) where a.id = :a"
                ),
                {"a": geo["home"]},
            ).scalars()
        )
        both = set(
            c.execute(
                text(
                    "select r.id from pax_data.night_walk_route r join pax_data.area a "
                    "on st_intersects(a.geom, r.geom) where a.id = any(:a)"
                ),
                {"a": [geo["home"], geo["other"]]},
            ).scalars()
        )
        total = int(c.execute(text("select count(*) from pax_data.night_walk_route")).scalar_one())
    assert crossing and len(crossing) < total
    with field_accounts["walker"].connect() as c:
        one = walks.routes(c, [geo["home"]])
        two = walks.routes(c, [geo["home"], geo["other"]])
        every = walks.routes(c)
    assert set(one["id"]) == crossing
    assert f"Kvällsrunda {HOME}" in set(one["name"])
    assert set(two["id"]) == both and crossing < both
    assert len(every) == total
    assert all(isinstance(json.loads(s), list) for s in one["schedule"])


# --- planned walks: pure functions ---------------------------------------------------------------


def frame(*schedule: object) -> pd.DataFrame:
    return pd.DataFrame(
        [{"id": 1, "name": "Runda", "organisation": "Org", "schedule": json.dumps(list(schedule))}]
    )


FRIDAY = date(2026, 12, 4)
SUNDAY = date(2026, 12, 6)
MONDAY = date(2026, 12, 7)


def test_a_schedule_past_midnight_ends_the_next_day():
    rts = frame(
        {"weekday": 4, "start": "20:00", "end": "01:00"},
        {"weekday": 5, "start": "21:00", "end": "23:30"},
    )
    [w] = walks.planned_on(rts, FRIDAY)
    assert w.start == datetime(2026, 12, 4, 20, 0, tzinfo=TZ)
    assert w.end == datetime(2026, 12, 5, 1, 0, tzinfo=TZ)
    assert (w.route_id, w.name, w.organisation) == (1, "Runda", "Org")
    [s] = walks.planned_on(rts, FRIDAY + timedelta(days=1))
    assert (s.start.time(), s.end.date(), s.end.time()) == (
        time(21),
        date(2026, 12, 5),
        time(23, 30),
    )
    # an end at the start runs a whole night
    [z] = walks.planned_on(frame({"weekday": 4, "start": "22:00", "end": "22:00"}), FRIDAY)
    assert z.end - z.start == timedelta(hours=24)


def test_sunday_and_monday_schedules():
    rts = frame(
        {"weekday": 6, "start": "19:00", "end": "22:00"},
        {"weekday": 0, "start": "18:30", "end": "00:00"},
    )
    [sun] = walks.planned_on(rts, SUNDAY)
    assert (sun.start, sun.end) == (
        datetime(2026, 12, 6, 19, tzinfo=TZ),
        datetime(2026, 12, 6, 22, tzinfo=TZ),
    )
    [mon] = walks.planned_on(rts, MONDAY)
    assert mon.end == datetime(2026, 12, 8, 0, 0, tzinfo=TZ)
    assert walks.planned_on(rts, FRIDAY) == []
    # several routes the same evening come by start time, then name
    two = pd.concat([frame({"weekday": 0, "start": "21:00", "end": "23:00"}), rts])
    two["name"] = ["B", "A"]
    assert [w.start.hour for w in walks.planned_on(two, MONDAY)] == [18, 21]
    # junk in a schedule is skipped
    assert walks.planned_on(frame("not a dict", [1]), MONDAY) == []


@pytest.mark.parametrize(
    ("today", "weekend"),
    [
        (MONDAY, (FRIDAY, SUNDAY)),
        (SUNDAY, (date(2026, 11, 27), date(2026, 11, 29))),  # this one is not over yet
        (date(2026, 12, 5), (date(2026, 11, 27), date(2026, 11, 29))),
        (FRIDAY, (date(2026, 11, 27), date(2026, 11, 29))),
        (date(2026, 12, 10), (FRIDAY, SUNDAY)),
    ],
    ids=["monday", "sunday", "saturday", "friday", "thursday"],
)
def test_last_weekend(today, weekend):
    assert walks.last_weekend(today) == weekend


def test_evening_of():
    assert walks.evening_of(datetime(2026, 12, 5, 2, 0, tzinfo=TZ)) == FRIDAY
    assert walks.evening_of(datetime(2026, 12, 4, 23, 0, tzinfo=TZ)) == FRIDAY
    assert walks.evening_of(datetime(2026, 12, 5, 6, 0, tzinfo=TZ)) == date(2026, 12, 5)
