"""Hand-written SQL as each database login cannot read beyond its precision.

Every application role logs in as its own database role; these tests try, as each one, what a
buggy or hostile page could try: the base tables, views it lacks, switching role, forging the
application user, calling private functions, crafted arguments, statistics, writing files.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from pax_geo import auth, db
from pax_geo.layers import ROLES
from pax_geo.security import RESTRICTED_VIEWS, restricted_views_for

INSUFFICIENT_PRIVILEGE = "42501"
OWN_ROLES = ("municipal_staff", "field_worker")


@pytest.fixture(scope="session")
def auth_engine(pg_url) -> Iterator[Engine]:
    eng = create_engine(db.reader_url("auth", database=pg_url.database))
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def base_tables(owner_engine, demo_loaded) -> list[str]:
    with owner_engine.connect() as c:
        return list(
            c.execute(
                text("select tablename from pg_tables where schemaname = 'pax_data' order by 1")
            ).scalars()
        )


def sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def refused(eng: Engine, sql: str, params: dict | None = None) -> str:
    """Run sql in its own transaction and return the error's SQLSTATE (fails if it worked)."""
    with eng.connect() as c:
        with pytest.raises(DBAPIError) as exc:
            c.execute(text(sql), params or {})
            c.execute(text("select 1"))
    return sqlstate(exc.value)


def login(username: str) -> auth.LoginResult:
    res = auth.authenticate(username, auth.DEMO_PASSWORD)
    assert res.ok, username
    return res


def own_count(eng: Engine, setup: list[tuple[str, dict]]) -> dict[str, int]:
    with eng.connect() as c:
        for sql, params in setup:
            c.execute(text(sql), params)
        rows = c.execute(text("select reporter, count(*) from pax_api.observation group by 1"))
        return {r: int(n) for r, n in rows}


# --- base tables, views, role switching ------------------------------------------------------


@pytest.mark.parametrize("role", [*ROLES, "auth"])
def test_base_tables_are_refused(role, reader_engines, auth_engine, base_tables):
    eng = auth_engine if role == "auth" else reader_engines[role]
    assert "incident" in base_tables and "app_user" in base_tables
    for table in base_tables:
        assert refused(eng, f"select * from pax_data.{table} limit 1") == INSUFFICIENT_PRIVILEGE


@pytest.mark.parametrize("role", ROLES)
def test_views_beyond_precision_are_refused(role, reader_engines):
    eng = reader_engines[role]
    allowed = restricted_views_for(role)
    for view in RESTRICTED_VIEWS:
        if view in allowed:
            with eng.connect() as c:
                c.execute(text(f"select count(*) from pax_api.{view}")).scalar()
        else:
            assert refused(eng, f"select * from pax_api.{view} limit 1") == INSUFFICIENT_PRIVILEGE


def test_the_matrix_leaves_something_refused():
    """Guards the test above against a matrix where every view is allowed."""
    assert restricted_views_for("field_worker") <= {"observation", "observation_history"}
    assert restricted_views_for("night_walker") == set()
    assert "incident_exact" not in restricted_views_for("security_chief")
    assert "camera" not in restricted_views_for("board_viewer")


@pytest.mark.parametrize("role", [*ROLES, "auth"])
def test_cannot_switch_to_another_role(role, reader_engines, auth_engine):
    eng = auth_engine if role == "auth" else reader_engines[role]
    me = "pax_auth" if role == "auth" else db.db_role_name(role)
    targets = [db.db_role_name(r) for r in ROLES] + ["pax_auth", "postgres"]
    for target in targets:
        if target == me:
            continue
        assert refused(eng, f"set role {target}") == INSUFFICIENT_PRIVILEGE
        assert refused(eng, f"set session authorization {target}") == INSUFFICIENT_PRIVILEGE


@pytest.mark.parametrize("role", ROLES)
def test_group_role_gives_no_more(role, reader_engines):
    """Every login may SET ROLE to the shared pax_reader group; that only loses rights."""
    with reader_engines[role].connect() as c:
        c.execute(text("set role pax_reader"))
        for view in RESTRICTED_VIEWS:
            with pytest.raises(DBAPIError) as exc, c.begin_nested():
                c.execute(text(f"select 1 from pax_api.{view} limit 1"))
            assert sqlstate(exc.value) == INSUFFICIENT_PRIVILEGE


@pytest.mark.parametrize("role", [*ROLES, "auth"])
def test_cannot_create_copy_or_read_files(role, reader_engines, auth_engine):
    eng = auth_engine if role == "auth" else reader_engines[role]
    for sql in (
        "create table public.pax_probe (x int)",
        "create function public.pax_probe() returns int language sql as 'select 1'",
        "create schema pax_probe",
        "copy (select 1) to '/tmp/pax_probe.csv'",
        "select pg_read_file('/etc/hostname')",
        "select lo_import('/etc/hostname')",
    ):
        assert refused(eng, sql) == INSUFFICIENT_PRIVILEGE, sql


@pytest.mark.parametrize("role", ROLES)
def test_statistics_do_not_leak_base_columns(role, reader_engines, owner_engine, demo_loaded):
    with owner_engine.begin() as c:
        c.execute(text("analyze pax_data.incident"))
        assert c.execute(
            text("select count(*) from pg_stats where schemaname = 'pax_data'")
        ).scalar()
    with reader_engines[role].connect() as c:
        n = c.execute(text("select count(*) from pg_stats where schemaname = 'pax_data'")).scalar()
    assert n == 0


# --- functions --------------------------------------------------------------------------------

PRIVATE_CALLS = (
    "select pax_api._token_hash('x')",
    "select * from pax_api._lattice(localtimestamp(0), localtimestamp(0))",
    "select * from pax_api._release_cells(now(), now(), 'all')",
    "select * from pax_api._released_counts('incident', now() - interval '1 day', now(), 'all', array['car_fire'], 3)",
    "select pax_api._start_session(1, repeat('x', 40), 5, 'password')",
)
AUTH_CALLS = (
    "select * from pax_api.auth_lookup('polis')",
    "select pax_api.auth_fail('polis', 5, 15)",
    "select * from pax_api.auth_success('polis', repeat('x', 40), 30)",
    "select * from pax_api.auth_sso('a@b.se', 'polis', repeat('x', 40), 30)",
    "select * from pax_api.session_touch('x')",
    "select pax_api.session_end('x', 'logout')",
)


@pytest.mark.parametrize("role", ROLES)
def test_readers_cannot_call_auth_or_private_functions(role, reader_engines, demo_loaded):
    for sql in PRIVATE_CALLS + AUTH_CALLS:
        assert refused(reader_engines[role], sql) == INSUFFICIENT_PRIVILEGE, sql


def test_auth_login_reads_nothing_but_its_functions(auth_engine, demo_loaded):
    for sql in PRIVATE_CALLS:
        assert refused(auth_engine, sql) == INSUFFICIENT_PRIVILEGE, sql
    for view in (*RESTRICTED_VIEWS, "area", "indicator", "night_walk_route", "app_user"):
        assert refused(auth_engine, f"select 1 from pax_api.{view}") == INSUFFICIENT_PRIVILEGE
    for fn in ("incident_counts(now() - interval '1 year', now())", "app_username()"):
        assert refused(auth_engine, f"select * from pax_api.{fn}") == INSUFFICIENT_PRIVILEGE
    # the hash comes back only for an exact name, never as a list
    with auth_engine.connect() as c:
        rows = c.execute(text("select * from pax_api.auth_lookup('%')")).mappings().all()
    assert len(rows) == 1 and rows[0]["known"] is False and rows[0]["password_hash"] is None


@pytest.mark.parametrize("role", ROLES)
def test_account_list_only_for_admin_and_never_hashes(role, reader_engines, demo_loaded):
    eng = reader_engines[role]
    if role != "admin":
        assert refused(eng, "select * from pax_api.app_user") == INSUFFICIENT_PRIVILEGE
        return
    with eng.connect() as c:
        cols = c.execute(text("select * from pax_api.app_user limit 1")).keys()
    assert "password_hash" not in cols and "username" in cols
    assert refused(eng, "select password_hash from pax_api.app_user") == "42703"


@pytest.mark.parametrize(
    "bucket", ["day'; drop table pax_data.incident; --", "hour", "", "DAY", "week) or (1=1"]
)
@pytest.mark.parametrize("role", ["field_worker", "board_viewer", "police_analyst"])
def test_counts_reject_crafted_buckets(role, bucket, reader_engines, demo_loaded):
    with reader_engines[role].connect() as c:
        with pytest.raises(DBAPIError) as exc:
            c.execute(
                text("select * from pax_api.incident_counts(now() - interval '1 year', now(), :b)"),
                {"b": bucket},
            ).all()
    assert sqlstate(exc.value) == "P0001" and "bucket must be one of" in str(exc.value.orig)


@pytest.mark.parametrize("role", ["field_worker", "municipal_staff"])
def test_counts_ignore_kinds_the_role_may_not_see(role, reader_engines, demo_loaded):
    with reader_engines[role].connect() as c:
        n = c.execute(
            text(
                "select count(*) from pax_api.incident_counts(now() - interval '10 years', "
                "now() + interval '1 day', 'all', array['cache'])"
            )
        ).scalar()
    assert n == 0


@pytest.mark.parametrize("role", ["field_worker", "board_viewer"])
def test_small_windows_cannot_difference_counts(role, reader_engines, demo_loaded):
    """For the suppressing roles a one-minute window is widened to whole hours."""
    with reader_engines["police_analyst"].connect() as c:
        t0 = c.execute(
            text(
                "select date_trunc('hour', occurred_at) + interval '17 minutes' "
                "from pax_api.incident_exact where kind = 'car_fire' "
                "order by occurred_at desc limit 1"
            )
        ).scalar()
    sql = text(
        "select coalesce(sum(n), 0), bool_or(suppressed) from pax_api.incident_counts("
        "cast(:a as timestamptz), cast(:b as timestamptz), 'all', array['car_fire'])"
    )
    with reader_engines[role].connect() as c:
        minute = c.execute(sql, {"a": t0, "b": t0 + timedelta(minutes=1)}).one()
        hour_start = t0.replace(minute=0)
        hour = c.execute(sql, {"a": hour_start, "b": hour_start + timedelta(hours=1)}).one()
    assert tuple(minute) == tuple(hour)


# --- the application user behind 'own' observations ------------------------------------------


@pytest.mark.parametrize("role", OWN_ROLES)
def test_setting_app_user_does_not_widen_own(role, reader_engines, demo_loaded):
    eng = reader_engines[role]
    for victim in ("falt1", "falt2", "kommun1", "polis"):
        seen = own_count(eng, [("select set_config('pax.app_user', :u, false)", {"u": victim})])
        assert seen == {}, victim
    forged = own_count(eng, [("select set_config('pax.app_session', :t, false)", {"t": "x" * 43})])
    assert forged == {}


def test_bound_session_sees_only_its_own(reader_engines, demo_loaded):
    falt1 = login("falt1")
    with auth.reader_connection("field_worker", falt1.token, "falt1") as c:
        assert auth.bound_username(c) == "falt1"
        c.execute(text("select set_config('pax.app_user', 'falt2', false)"))
        rows = dict(
            c.execute(text("select reporter, count(*) from pax_api.observation group by 1")).all()
        )
    assert set(rows) == {"falt1"} and rows["falt1"] > 0


def test_token_of_another_role_or_ended_session_gives_nothing(reader_engines, demo_loaded):
    police = login("polis")
    kommun1 = login("kommun1")
    eng = reader_engines["field_worker"]
    # a valid token of another database role does not bind on this login
    assert (
        own_count(eng, [("select set_config('pax.app_session', :t, false)", {"t": police.token})])
        == {}
    )
    assert (
        own_count(eng, [("select set_config('pax.app_session', :t, false)", {"t": kommun1.token})])
        == {}
    )
    # the right login with kommun1's token sees kommun1's, until the session ends
    eng_ms = reader_engines["municipal_staff"]
    bind = [("select set_config('pax.app_session', :t, false)", {"t": kommun1.token})]
    assert set(own_count(eng_ms, bind)) == {"kommun1"}
    auth.end_session(kommun1.token)
    assert own_count(eng_ms, bind) == {}


def test_pool_checkout_clears_a_bound_session(pg_url, demo_loaded):
    """A connection a page forgets to bind never carries the previous user's session."""
    res = login("falt2")
    url = db.reader_url("field_worker", database=pg_url.database)
    eng = create_engine(url, pool_size=1, max_overflow=0)
    try:
        with eng.connect() as c:
            auth.bind_reader(c, res.token, "falt2")
            assert auth.bound_username(c) == "falt2"
            pid = c.execute(text("select pg_backend_pid()")).scalar()
        with eng.connect() as c:  # the same pooled connection, checked out again
            assert c.execute(text("select pg_backend_pid()")).scalar() == pid
            assert auth.bound_username(c) is None
            assert c.execute(text("select count(*) from pax_api.observation")).scalar() == 0
    finally:
        eng.dispose()


# --- audit rows cannot be forged or changed --------------------------------------------------


def test_reader_cannot_forge_role_or_user_in_audit(reader_engines, owner_engine, demo_loaded):
    marker = uuid.uuid4().hex
    # without a bound session a reader login writes nothing at all (issue 13)
    with pytest.raises(DBAPIError) as exc, reader_engines["field_worker"].begin() as c:
        c.execute(
            text("select pax_api.audit('polis', 'police_analyst', 'export', 'x', :d)"),
            {"d": f'{{"m": "{marker}"}}'},
        )
    assert exc.value.orig.sqlstate == INSUFFICIENT_PRIVILEGE
    falt1 = login("falt1")
    auth.write_audit(
        "export", "x", {"m": marker}, role="field_worker", token=falt1.token, username="polis"
    )
    with owner_engine.connect() as c:
        rows = c.execute(
            text(
                "select username, role, db_login, detail from pax_data.audit_log "
                "where detail->>'m' = :m order by id"
            ),
            {"m": marker},
        ).all()
    assert [(r.username, r.role, r.db_login) for r in rows] == [
        ("falt1", "field_worker", "pax_field_worker"),
    ]
    assert "unverified_user" not in rows[0].detail


@pytest.mark.parametrize("role", [*ROLES, "auth"])
def test_audit_log_is_append_only_for_every_login(role, reader_engines, auth_engine):
    eng = auth_engine if role == "auth" else reader_engines[role]
    for sql in (
        "update pax_api.audit_log set action = 'x'",
        "delete from pax_api.audit_log",
        "update pax_data.audit_log set action = 'x'",
        "delete from pax_data.audit_log",
        "truncate pax_data.audit_log",
        "insert into pax_api.audit_log (action) values ('x')",
    ):
        assert refused(eng, sql) == INSUFFICIENT_PRIVILEGE, sql


def test_owner_is_stopped_by_the_trigger(conn, demo_loaded):
    conn.execute(text("select pax_api.audit('t', null, 'probe', null, '{}'::jsonb)"))
    for sql in (
        "update pax_data.audit_log set action = 'x'",
        "delete from pax_data.audit_log",
        "truncate pax_data.audit_log",
    ):
        with pytest.raises(DBAPIError) as exc, conn.begin_nested():
            conn.execute(text(sql))
        assert "append-only" in str(exc.value.orig)


def test_token_hash_matches_python(conn):
    token = auth.new_token()
    db_hash = conn.execute(text("select pax_api._token_hash(:t)"), {"t": token}).scalar()
    assert db_hash == hashlib.sha256(token.encode()).hexdigest()
