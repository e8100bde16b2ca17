"""Reports from the street (pax_geo.field.reports, 0013_field.py) against the real test database,
each write through the reporter's own bound login; checks read the tables as the owner."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from pax_geo import db
from pax_geo.field import reports
from pax_geo.field.reports import ReportError, Saved, Where
from tests.field.field_support import Account

PNR = "Pojke med pnr 811218-9876 vid torget"  # valid check digit
PNR_BAD_CHECK = "Lapp med 811218-9875 på"  # wrong check digit: not a personnummer
PHONE = "Ring 070-123 45 67 om det blir bråk"
REPORT_SQL = (
    "select * from pax_api.report_observation(cast(:k as uuid), :c, :t, :lon, :lat, null, :n)"
)


def now() -> datetime:
    return datetime.now(UTC)


def send(
    acc: Account,
    geo: dict,
    key: str | None = None,
    category: str = "graffiti",
    when: datetime | None = None,
    where: Where | None = None,
    note: str | None = "Nytt klotter på väggen",
    claimed: str | None = None,
) -> Saved:
    lon, lat = geo["home_point"]
    with acc.connect(claimed) as c:
        return reports.report(
            c,
            key or reports.new_key(),
            category,
            when or now() - timedelta(minutes=10),
            where or Where(lon, lat, how="device"),
            note,
            now(),
        )


def live(owner: Engine, obs_id: int) -> dict | None:
    with owner.connect() as c:
        row = (
            c.execute(text("select * from pax_data.observation where id = :i"), {"i": obs_id})
            .mappings()
            .first()
        )
    return dict(row) if row else None


def history(owner: Engine, obs_id: int) -> list[tuple]:
    with owner.connect() as c:
        return [
            tuple(r)
            for r in c.execute(
                text(
                    "select revision, action, text, changed_by from pax_data.observation_history "
                    "where observation_id = :i order by id"
                ),
                {"i": obs_id},
            )
        ]


def audit_rows(owner: Engine, action: str, obs_id: int) -> list[tuple]:
    with owner.connect() as c:
        return [
            tuple(r)
            for r in c.execute(
                text(
                    "select username, detail from pax_data.audit_log where action = :a "
                    "and detail->>'id' = :i order by id"
                ),
                {"a": action, "i": str(obs_id)},
            )
        ]


def sql_refused(c: Connection, sql: str, params: dict) -> DBAPIError:
    with pytest.raises(DBAPIError) as exc:
        c.execute(text(sql), params)
    c.rollback()
    return exc.value


def police_total(acc: Account) -> int:
    with acc.connect() as c:
        return int(
            c.execute(
                text(
                    "select coalesce(sum(n), 0) from pax_api.observation_counts("
                    "now() - interval '30 days', now() + interval '1 day')"
                )
            ).scalar_one()
        )


# --- saving --------------------------------------------------------------------------------


def test_report_is_saved_as_the_bound_user_with_area_and_audit(field_accounts, geo, owner_engine):
    fw = field_accounts["fw"]
    key = reports.new_key()
    # the client claims to be somebody else: the database takes the user from the session
    saved = send(fw, geo, key=key, claimed="falt1")
    assert saved.created
    row = live(owner_engine, saved.id)
    assert row is not None
    assert row["reporter"] == fw.name
    assert row["area_id"] == geo["home"]
    assert (row["source"], row["source_id"]) == ("field_report", key)
    assert row["category"] == reports.categories()["graffiti"]["sv"]
    assert row["text"] == "Nytt klotter på väggen"
    assert (row["status"], row["revision"], row["verification"]) == ("new", 1, "unverified")
    assert row["place_name"] is None
    assert history(owner_engine, saved.id) == [(1, "report", "Nytt klotter på väggen", fw.name)]
    [(user, detail)] = audit_rows(owner_engine, "observation_report", saved.id)
    assert user == fw.name
    assert detail["area_id"] == geo["home"]
    assert detail["category"] == row["category"]


def test_report_at_a_named_place_takes_its_area(field_accounts, geo, owner_engine):
    place_id, name, area_id = geo["place"]
    saved = send(field_accounts["fw"], geo, where=Where(place_id=place_id, how="place"))
    row = live(owner_engine, saved.id)
    assert row is not None
    assert (row["place_name"], row["area_id"]) == (name, area_id)


def test_the_same_form_twice_is_one_report_even_after_withdrawal(field_accounts, geo, owner_engine):
    fw = field_accounts["fw"]
    key = reports.new_key()
    first = send(fw, geo, key=key)
    again = send(fw, geo, key=key, note="Ändrad text i ett nytt försök")
    assert first.created and again == Saved(first.id, False)
    with owner_engine.connect() as c:
        n = c.execute(
            text("select count(*) from pax_data.observation where source_id = :k"), {"k": key}
        ).scalar()
    assert n == 1
    row = live(owner_engine, first.id)
    assert row is not None and row["text"] == "Nytt klotter på väggen"
    with fw.connect() as c:
        reports.withdraw(c, first.id)
    assert live(owner_engine, first.id) is None
    before = history(owner_engine, first.id)
    assert send(fw, geo, key=key) == Saved(first.id, False)
    assert live(owner_engine, first.id) is None
    assert history(owner_engine, first.id) == before
    assert len(audit_rows(owner_engine, "observation_report", first.id)) == 1


def test_a_form_key_of_another_user_is_refused(field_accounts, geo, owner_engine):
    key = reports.new_key()
    saved = send(field_accounts["fw"], geo, key=key)
    with pytest.raises(ReportError) as exc:
        send(field_accounts["fw2"], geo, key=key)
    assert exc.value.key == "fm_err_key"
    row = live(owner_engine, saved.id)
    assert row is not None and row["reporter"] == field_accounts["fw"].name
    # still refused once the report is withdrawn (the key lives on in the history)
    with field_accounts["fw"].connect() as c:
        reports.withdraw(c, saved.id)
    with pytest.raises(ReportError) as exc:
        send(field_accounts["fw2"], geo, key=key)
    assert exc.value.key == "fm_err_key"


def test_the_same_key_sent_at_once_from_two_connections_is_one_report(
    field_accounts, geo, owner_engine
):
    fw = field_accounts["fw"]
    for _ in range(5):
        key = reports.new_key()
        barrier = threading.Barrier(2)

        def go(key: str = key, barrier: threading.Barrier = barrier) -> Saved:
            lon, lat = geo["home_point"]
            with fw.connect() as c:
                barrier.wait(timeout=10)
                return reports.report(
                    c, key, "vandalism", now() - timedelta(minutes=1), Where(lon, lat), None, now()
                )

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _i: go(), range(2)))
        assert len({r.id for r in results}) == 1
        assert sorted(r.created for r in results) == [False, True]
        with owner_engine.connect() as c:
            assert (
                c.execute(
                    text("select count(*) from pax_data.observation where source_id = :k"),
                    {"k": key},
                ).scalar()
                == 1
            )
            assert (
                c.execute(
                    text("select count(*) from pax_data.observation_history where client_key = :k"),
                    {"k": key},
                ).scalar()
                == 1
            )


# --- correction and withdrawal ---------------------------------------------------------------


def test_correction_keeps_the_earlier_version(field_accounts, geo, owner_engine):
    fw = field_accounts["fw"]
    saved = send(fw, geo, note="Första versionen")
    with fw.connect() as c:
        rev = reports.correct(
            c,
            saved.id,
            "vandalism",
            now() - timedelta(minutes=5),
            Where(),
            "Andra versionen",
            now(),
        )
    assert rev == 2
    row = live(owner_engine, saved.id)
    assert row is not None
    assert (row["text"], row["category"], row["revision"]) == ("Andra versionen", "Skadegörelse", 2)
    assert row["area_id"] == geo["home"]  # an empty place keeps the position
    assert history(owner_engine, saved.id) == [
        (1, "report", "Första versionen", fw.name),
        (2, "correct", "Andra versionen", fw.name),
    ]
    assert [u for u, _d in audit_rows(owner_engine, "observation_correct", saved.id)] == [fw.name]
    # a correction to a new place moves the report to that place's area
    place_id, name, area_id = geo["place"]
    with fw.connect() as c:
        assert (
            reports.correct(
                c, saved.id, "vandalism", now(), Where(place_id=place_id), "Tredje", now()
            )
            == 3
        )
    row = live(owner_engine, saved.id)
    assert row is not None and (row["area_id"], row["place_name"]) == (area_id, name)


def test_withdrawal_removes_the_report_from_counts_and_keeps_the_history(
    field_accounts, geo, owner_engine
):
    fw, police = field_accounts["fw"], field_accounts["police"]
    saved = send(fw, geo)
    before = police_total(police)
    with fw.connect() as c:
        reports.withdraw(c, saved.id)
    assert police_total(police) == before - 1
    assert live(owner_engine, saved.id) is None
    assert [(r, a) for r, a, _t, _u in history(owner_engine, saved.id)] == [
        (1, "report"),
        (2, "withdraw"),
    ]
    assert [u for u, _d in audit_rows(owner_engine, "observation_withdraw", saved.id)] == [fw.name]
    with pytest.raises(ReportError):  # nothing left to withdraw
        with fw.connect() as c:
            reports.withdraw(c, saved.id)


def test_after_24_hours_a_report_can_no_longer_be_changed(field_accounts, geo, owner_engine):
    fw = field_accounts["fw"]
    saved = send(fw, geo)
    with owner_engine.begin() as c:
        c.execute(
            text(
                "update pax_data.observation set reported_at = now() - interval '24 hours 1 minute' "
                "where id = :i"
            ),
            {"i": saved.id},
        )
    with fw.connect() as c:
        with pytest.raises(ReportError) as exc:
            reports.correct(c, saved.id, "vandalism", now(), Where(), "För sent", now())
        assert exc.value.key == "fm_err_too_late"
        with pytest.raises(ReportError) as exc:
            reports.withdraw(c, saved.id)
        assert exc.value.key == "fm_err_too_late"
    row = live(owner_engine, saved.id)
    assert row is not None and (row["revision"], row["text"]) == (1, "Nytt klotter på väggen")
    assert len(history(owner_engine, saved.id)) == 1


@pytest.mark.parametrize("other", ["fw2", "municipal", "police"])
def test_someone_elses_report_cannot_be_changed(other, field_accounts, geo, owner_engine):
    saved = send(field_accounts["fw"], geo)
    with field_accounts[other].connect() as c:
        with pytest.raises(ReportError):
            reports.correct(c, saved.id, "vandalism", now(), Where(), "Inte min", now())
        with pytest.raises(ReportError):
            reports.withdraw(c, saved.id)
        err = sql_refused(c, "select pax_api.withdraw_observation(:i)", {"i": saved.id})
        assert err.orig is not None and err.orig.sqlstate == "42501"
    row = live(owner_engine, saved.id)
    assert row is not None and row["revision"] == 1
    assert len(history(owner_engine, saved.id)) == 1


# --- what is refused -------------------------------------------------------------------------


def test_a_position_outside_the_municipality_is_refused(field_accounts, geo):
    lon, lat = geo["outside"]
    with pytest.raises(ReportError) as exc:
        send(field_accounts["fw"], geo, where=Where(lon, lat, how="map"))
    assert exc.value.key == "fm_err_outside"
    with pytest.raises(ReportError) as exc:
        send(field_accounts["fw"], geo, where=Where(place_id=10**6, how="place"))
    assert exc.value.key == "fm_err_where"


def test_an_unknown_category_is_refused_by_the_form_and_the_database(field_accounts, geo):
    with pytest.raises(ReportError) as exc:
        send(field_accounts["fw"], geo, category="no_such_category")
    assert exc.value.key == "fm_err_category"
    lon, lat = geo["home_point"]
    with field_accounts["fw"].connect() as c:
        err = sql_refused(
            c,
            REPORT_SQL,
            {
                "k": reports.new_key(),
                "c": "Påhittad",
                "t": now(),
                "lon": lon,
                "lat": lat,
                "n": None,
            },
        )
    assert "unknown observation category" in str(err.orig)


@pytest.mark.parametrize(
    ("offset", "key"),
    [(timedelta(hours=1), "fm_err_future"), (timedelta(days=-8), "fm_err_too_old")],
    ids=["future", "8-days-back"],
)
def test_a_time_in_the_future_or_too_far_back_is_refused(offset, key, field_accounts, geo):
    with pytest.raises(ReportError) as exc:
        send(field_accounts["fw"], geo, when=now() + offset)
    assert exc.value.key == key
    lon, lat = geo["home_point"]
    with field_accounts["fw"].connect() as c:
        err = sql_refused(
            c,
            REPORT_SQL,
            {
                "k": reports.new_key(),
                "c": "Klotter",
                "t": now() + offset,
                "lon": lon,
                "lat": lat,
                "n": None,
            },
        )
    assert reports._db_error(err).key == key


@pytest.mark.parametrize("note", [PNR, PHONE, "19811218-9876", "+46 70 123 45 67"])
def test_personal_data_in_a_note_is_refused_by_the_database(
    note, field_accounts, geo, owner_engine
):
    fw = field_accounts["fw"]
    with pytest.raises(ReportError) as exc:  # the form
        send(fw, geo, note=note)
    assert exc.value.key.startswith("fm_err_pii_")
    lon, lat = geo["home_point"]
    key = reports.new_key()
    with fw.connect() as c:  # straight to the database, past the Python check
        err = sql_refused(
            c, REPORT_SQL, {"k": key, "c": "Klotter", "t": now(), "lon": lon, "lat": lat, "n": note}
        )
    assert err.orig is not None and err.orig.sqlstate == "22023"
    assert "personal data" in str(err.orig)
    with owner_engine.connect() as c:
        assert not c.execute(
            text("select count(*) from pax_data.observation where source_id = :k"), {"k": key}
        ).scalar()
    # nor can a correction slip it in
    saved = send(fw, geo)
    with fw.connect() as c:
        err = sql_refused(
            c,
            "select pax_api.correct_observation(:i, 'Klotter', now(), null, null, null, :n)",
            {"i": saved.id, "n": note},
        )
    assert "personal data" in str(err.orig)


def test_a_number_with_a_wrong_check_digit_is_accepted(field_accounts, geo, owner_engine):
    saved = send(field_accounts["fw"], geo, note=PNR_BAD_CHECK)
    row = live(owner_engine, saved.id)
    assert row is not None and row["text"] == PNR_BAD_CHECK
    lon, lat = geo["home_point"]
    with field_accounts["fw"].connect() as c:
        row2 = c.execute(
            text(REPORT_SQL),
            {
                "k": reports.new_key(),
                "c": "Klotter",
                "t": now(),
                "lon": lon,
                "lat": lat,
                "n": "Skylt 811218-9875",
            },
        ).one()
        c.commit()
    assert row2.created


@pytest.mark.parametrize("who", ["walker", "board", "admin"])
def test_roles_without_the_capability_cannot_report(who, field_accounts, geo, owner_engine):
    acc = field_accounts[who]
    with acc.connect() as c:
        assert not c.execute(
            text("select has_function_privilege(:f, 'execute')"),
            {
                "f": "pax_api.report_observation(uuid, text, timestamptz, float8, float8, int4, text)"
            },
        ).scalar()
    with pytest.raises(ReportError) as exc:
        send(acc, geo)
    assert exc.value.key == "fm_err_not_allowed"
    with owner_engine.connect() as c:
        assert not c.execute(
            text("select count(*) from pax_data.observation where reporter = :u"), {"u": acc.name}
        ).scalar()


def test_the_capability_is_checked_inside_even_with_execute(owner_engine, field_accounts, geo):
    """A grant given by mistake is not enough: the function checks the login's capability."""
    fn = "pax_api.report_observation(uuid, text, timestamptz, float8, float8, int4, text)"
    login = db.db_role_name("night_walker")
    with owner_engine.begin() as c:
        c.execute(text(f"grant execute on function {fn} to {login}"))
    try:
        with pytest.raises(ReportError) as exc:
            send(field_accounts["walker"], geo)
        assert exc.value.key == "fm_err_not_allowed"
    finally:
        with owner_engine.begin() as c:
            c.execute(text(f"revoke execute on function {fn} from {login}"))


def test_an_unbound_connection_cannot_report(field_accounts, geo, reader_engines):
    lon, lat = geo["home_point"]
    with reader_engines["field_worker"].connect() as c:
        err = sql_refused(
            c,
            REPORT_SQL,
            {"k": reports.new_key(), "c": "Klotter", "t": now(), "lon": lon, "lat": lat, "n": None},
        )
    assert err.orig is not None and err.orig.sqlstate == "42501"


# --- triage ----------------------------------------------------------------------------------


def test_triage_by_police_sets_status_and_links_an_incident(field_accounts, geo, owner_engine):
    police, fw = field_accounts["police"], field_accounts["fw"]
    saved = send(fw, geo)
    with owner_engine.connect() as c:
        incident = int(c.execute(text("select max(id) from pax_data.incident")).scalar_one())
    with police.connect() as c:
        reports.triage(c, saved.id, "seen", incident_id=incident)
    row = live(owner_engine, saved.id)
    assert row is not None
    assert (row["status"], row["status_by"], row["incident_id"]) == ("seen", police.name, incident)
    assert row["status_at"] is not None and abs(row["status_at"] - now()) < timedelta(minutes=1)
    hist = history(owner_engine, saved.id)
    assert [(a, u) for _r, a, _t, u in hist] == [("report", fw.name), ("triage", police.name)]
    [(user, detail)] = audit_rows(owner_engine, "observation_triage", saved.id)
    assert user == police.name and detail["incident_id"] == incident
    # the reporter sees the status of the own report
    with fw.connect() as c:
        mine = reports.my_reports(c, limit=500)
    assert mine.set_index("id").loc[saved.id, "status"] == "seen"
    # ... but not who on the police side set it, nor the linked incident, nor the triager's
    # name in the report's history
    own = mine.set_index("id").loc[saved.id]
    assert own["status_by"] is None and pd.isna(own["incident_id"])
    with fw.connect() as c:
        seen_hist = reports.history(c, saved.id)
    assert seen_hist["changed_by"].tolist() == [fw.name, None]
    assert seen_hist["incident_id"].isna().all()
    # the security chief may triage too
    with field_accounts["chief"].connect() as c:
        reports.triage(c, saved.id, "handled")
    row = live(owner_engine, saved.id)
    assert row is not None and (row["status"], row["incident_id"]) == ("handled", None)
    assert row["status_by"] == field_accounts["chief"].name


@pytest.mark.parametrize("who", ["fw", "municipal", "walker", "board"])
def test_triage_is_refused_for_other_roles(who, field_accounts, geo, owner_engine):
    saved = send(field_accounts["fw"], geo)
    with field_accounts[who].connect() as c:
        with pytest.raises(ReportError) as exc:
            reports.triage(c, saved.id, "handled")
    assert exc.value.key == "fm_err_not_allowed"
    row = live(owner_engine, saved.id)
    assert row is not None and (row["status"], row["status_by"]) == ("new", None)


def test_triage_refuses_unknown_incident_status_and_report(field_accounts, geo, owner_engine):
    saved = send(field_accounts["fw"], geo)
    with owner_engine.connect() as c:
        missing = int(c.execute(text("select max(id) + 1000 from pax_data.incident")).scalar_one())
    with field_accounts["police"].connect() as c:
        with pytest.raises(ReportError) as exc:
            reports.triage(c, saved.id, "seen", incident_id=missing)
        assert exc.value.key == "fm_err_no_incident"
        with pytest.raises(ReportError) as exc:
            reports.triage(c, saved.id, "closed")
        assert exc.value.key == "fm_err_status"
        err = sql_refused(
            c, "select pax_api.triage_observation(:i, 'closed', null, null)", {"i": saved.id}
        )
        assert "unknown status" in str(err.orig)
        with pytest.raises(ReportError):
            reports.triage(c, 10**12, "seen")
    row = live(owner_engine, saved.id)
    assert row is not None and row["status"] == "new" and row["incident_id"] is None


# --- who sees which reports ------------------------------------------------------------------


def visible(acc: Account, view: str, column: str = "id") -> set[int]:
    with acc.connect() as c:
        return set(c.execute(text(f"select {column} from pax_api.{view}")).scalars())  # noqa: S608


def owner_ids(owner: Engine, table: str, reporter: str | None) -> set[int]:
    sql = f"select id from pax_data.{table}"  # noqa: S608 (constant)
    with owner.connect() as c:
        if reporter is None:
            return set(c.execute(text(sql)).scalars())
        return set(c.execute(text(sql + " where reporter = :u"), {"u": reporter}).scalars())


@contextmanager
def quiet_noise(owner: Engine) -> Iterator[None]:
    """Release noise with alpha 1e-9 (P(noise != 0) about 2e-9 per cell) while inside."""
    with owner.begin() as c:
        before = c.execute(
            text("select value from pax_data.setting where key = 'release_alpha'")
        ).scalar_one()
        c.execute(text("update pax_data.setting set value = '1e-9' where key = 'release_alpha'"))
    try:
        yield
    finally:
        with owner.begin() as c:
            c.execute(
                text("update pax_data.setting set value = :v where key = 'release_alpha'"),
                {"v": before},
            )


@pytest.mark.parametrize(("me", "other"), [("fw", "fw2"), ("municipal", "municipal2")])
def test_own_roles_see_exactly_their_own_reports(me, other, field_accounts, geo, owner_engine):
    mine_acc, other_acc = field_accounts[me], field_accounts[other]
    mine = send(mine_acc, geo)
    theirs = send(other_acc, geo, where=Where(*geo["other_point"]))
    with mine_acc.connect() as c:
        reports.correct(c, mine.id, "vandalism", now(), Where(), "Rättad", now())
    assert visible(mine_acc, "observation") == owner_ids(owner_engine, "observation", mine_acc.name)
    assert mine.id in visible(mine_acc, "observation")
    assert theirs.id not in visible(mine_acc, "observation")
    hist = visible(mine_acc, "observation_history")
    assert hist == owner_ids(owner_engine, "observation_history", mine_acc.name)
    assert len(hist) >= 2
    assert visible(mine_acc, "observation_history", "observation_id").isdisjoint({theirs.id})
    with mine_acc.connect() as c:
        assert reports.history(c, theirs.id).empty
        assert list(reports.history(c, mine.id)["action"]) == ["report", "correct"]
    # the others' reports only as counts per area: released cells carry noise that can take an
    # area with one report to nothing, so the noise is made negligible for this one check
    with quiet_noise(owner_engine), mine_acc.connect() as c:
        rows = c.execute(
            text(
                "select * from pax_api.observation_counts(now() - interval '1 year', "
                "now() + interval '1 day')"
            )
        )
        assert list(rows.keys()) == ["area_id", "category", "bucket", "n", "suppressed"]
        areas = {r.area_id for r in rows}
    assert geo["other"] in areas and geo["home"] in areas
    # asking the row functions for a police login's rows is refused
    with mine_acc.connect() as c:
        for fn in ("observation_rows", "observation_history_rows"):
            err = sql_refused(c, f"select count(*) from pax_api.{fn}('pax_police_analyst')", {})
            assert err.orig is not None and err.orig.sqlstate == "42501"


def test_police_see_every_report_and_version(field_accounts, geo, owner_engine):
    a = send(field_accounts["fw"], geo)
    b = send(field_accounts["municipal2"], geo, where=Where(*geo["other_point"]))
    police = field_accounts["police"]
    assert visible(police, "observation") == owner_ids(owner_engine, "observation", None)
    assert {a.id, b.id} <= visible(police, "observation")
    assert visible(police, "observation_history") == owner_ids(
        owner_engine, "observation_history", None
    )
    with police.connect() as c:
        listed = reports.triage_list(c)
        assert {a.id, b.id} <= set(listed["id"])
        assert reports.my_reports(c).empty  # police's own list holds only police's reports
