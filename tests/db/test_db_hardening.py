"""Issue 13: definer functions cannot be hijacked, reader logins create nothing, plans and the
catalogue reveal no hidden rows, grid rows carry no ids or exact times, audit rows cannot be
forged. Everything runs against the real PostGIS test database as the real login roles."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from pax_geo import auth, clock, db, queries
from pax_geo.audit import ACTIONS, AUTH_ACTIONS
from pax_geo.layers import ROLES
from pax_geo.security import (
    DEFINER_ROLE,
    DEFINER_WRITES,
    PLAN_CACHE_SETTING,
    restricted_views_for,
)

INSUFFICIENT_PRIVILEGE = "42501"
LOGINS = (*ROLES, "auth")
DEMO_USER = auth.DEMO_ACCOUNTS
SCALAR_TYPES = ("timestamptz", "text", "int4", "int8", "bool", "jsonb", "date", "name", "float8")


def login_name(login: str) -> str:
    return db.AUTH_ROLE if login == "auth" else db.db_role_name(login)


@pytest.fixture(scope="module")
def fresh(pg_url) -> Iterator:
    """Engines without a pool: every connect is a new backend (plpgsql caches its parse)."""
    engines: dict[str, Engine] = {}

    def get(login: str) -> Engine:
        if login not in engines:
            engines[login] = create_engine(
                db.reader_url(login, database=pg_url.database), poolclass=NullPool
            )
        return engines[login]

    yield get
    for e in engines.values():
        e.dispose()


def sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def refused(c: Connection, sql: str, params: dict | None = None) -> DBAPIError:
    with pytest.raises(DBAPIError) as exc, c.begin_nested():
        c.execute(text(sql), params or {})
    return exc.value


@contextmanager
def temp_granted(owner_engine: Engine, login: str) -> Iterator[None]:
    """TEMP on the test database for one login, for the duration of the block only: the
    search_path defence must hold on its own, even if TEMP were granted again by mistake."""
    dbname = owner_engine.url.database
    with owner_engine.begin() as c:
        c.execute(text(f'grant temporary on database "{dbname}" to {login_name(login)}'))
    try:
        yield
    finally:
        with owner_engine.begin() as c:
            c.execute(text(f'revoke temporary on database "{dbname}" from {login_name(login)}'))


# --- 1. definer functions: owner and search_path ---------------------------------------------


def test_every_definer_function_is_owned_by_the_definer_role(owner_engine, demo_loaded):
    with owner_engine.connect() as c:
        role = c.execute(
            text(
                "select rolsuper, rolcanlogin, rolbypassrls, rolcreaterole, rolcreatedb, "
                "rolreplication from pg_roles where rolname = :r"
            ),
            {"r": DEFINER_ROLE},
        ).one()
        assert not any(role), role
        rows = c.execute(
            text(
                "select p.oid::regprocedure::text as sig, pg_get_userbyid(p.proowner) as owner, "
                "p.proconfig, exists (select 1 from pg_depend d "
                "  where d.classid = 'pg_proc'::regclass and d.objid = p.oid "
                "  and d.deptype = 'e') as ext "
                "from pg_proc p where p.prosecdef order by 1"
            )
        ).all()
        own = [r for r in rows if not r.ext]
        assert len(own) >= 15  # counts, audit, auth, row functions …
        for r in own:
            assert r.owner == DEFINER_ROLE, r.sig
            path = [
                e.strip()
                for cfg in r.proconfig or []
                if cfg.startswith("search_path=")
                for e in cfg.split("=", 1)[1].split(",")
            ]
            assert path and path[0] == "pg_catalog" and path[-1] == "pg_temp", (r.sig, path)
        # extension definer functions (PostGIS st_estimatedextent) are not callable by readers
        for r in (r for r in rows if r.ext):
            for login in LOGINS:
                assert not c.execute(
                    text("select has_function_privilege(:u, :f, 'execute')"),
                    {"u": login_name(login), "f": r.sig},
                ).scalar(), (login, r.sig)
        # every pax_api function, definer or not, belongs to the definer role
        owners = c.execute(
            text(
                "select distinct pg_get_userbyid(proowner) from pg_proc "
                "where pronamespace = 'pax_api'::regnamespace"
            )
        ).scalars()
        assert set(owners) == {DEFINER_ROLE}


def test_every_plpgsql_function_plans_each_call_for_its_arguments(owner_engine, demo_loaded):
    """PL/pgSQL switches a statement to a generic plan from the sixth call on a connection;
    for the released counts that plan took 60 s instead of 0.3 s. The sync after every
    migration gives each of these functions plan_cache_mode=force_custom_plan."""
    with owner_engine.connect() as c:
        rows = c.execute(
            text(
                "select p.oid::regprocedure::text as sig, p.proconfig "
                "from pg_proc p join pg_language l on l.oid = p.prolang "
                "where l.lanname = 'plpgsql' "
                "and (p.pronamespace = 'pax_api'::regnamespace "
                "     or (p.pronamespace = 'pax_data'::regnamespace and p.prosecdef))"
            )
        ).all()
    names = {r.sig.split("(")[0] for r in rows}
    assert {"pax_api._released_counts", "pax_api.incident_counts"} <= names
    assert [r.sig for r in rows if PLAN_CACHE_SETTING not in (r.proconfig or [])] == []


def test_definer_role_has_only_the_rights_it_needs(owner_engine, demo_loaded):
    with owner_engine.connect() as c:
        dbname = owner_engine.url.database
        assert not c.execute(
            text("select has_database_privilege(:r, :d, 'CREATE, TEMPORARY')"),
            {"r": DEFINER_ROLE, "d": dbname},
        ).scalar()
        creatable = (
            c.execute(
                text(
                    "select nspname from pg_namespace where has_schema_privilege(:r, oid, 'CREATE')"
                ),
                {"r": DEFINER_ROLE},
            )
            .scalars()
            .all()
        )
        assert creatable == []
        tables = c.execute(
            text(
                "select c.relname, pg_get_userbyid(c.relowner) as owner, "
                "has_table_privilege(:r, c.oid, 'INSERT') as i, "
                "has_table_privilege(:r, c.oid, 'UPDATE') as u, "
                "has_table_privilege(:r, c.oid, 'DELETE') as d, "
                "has_table_privilege(:r, c.oid, 'TRUNCATE, REFERENCES, TRIGGER') as x "
                "from pg_class c where c.relnamespace = 'pax_data'::regnamespace "
                "and c.relkind = 'r'"
            ),
            {"r": DEFINER_ROLE},
        ).all()
        assert tables
        for t in tables:
            assert t.owner != DEFINER_ROLE
            assert not t.x, t.relname
            allowed = DEFINER_WRITES.get(t.relname, "")
            assert t.i == ("insert" in allowed), t.relname
            assert t.u == ("update" in allowed), t.relname
            assert t.d == ("delete" in allowed), t.relname


# --- 2. the hijack of issue 13, run as every login -------------------------------------------

ATTACK = [
    # the caller's code, which must never run inside a definer function
    "create function pg_temp.pax_evil(v anyelement) returns pg_catalog.bool "
    "language plpgsql as $$ begin raise exception 'HIJACKED as %', current_user; end $$",
    *(
        f"create domain pg_temp.{t} as pg_catalog.{t} check (pg_temp.pax_evil(value))"
        for t in SCALAR_TYPES
    ),
    # shadowing functions and operators a definer function uses
    "create function pg_temp.left(a pg_catalog.text, n pg_catalog.int4) returns pg_catalog.text "
    "language sql as $$ select pg_temp.pax_evil(a)::pg_catalog.text $$",
    "create function pg_temp.substr(a pg_catalog.text, n pg_catalog.int4) returns pg_catalog.text "
    "language sql as $$ select pg_temp.pax_evil(a)::pg_catalog.text $$",
    "create function pg_temp.now() returns pg_catalog.timestamptz "
    "language sql as $$ select pg_catalog.now() where pg_temp.pax_evil(1) $$",
    "create function pg_temp.date_trunc(f pg_catalog.text, t pg_catalog.timestamptz) "
    "returns pg_catalog.timestamptz language sql as $$ select t where pg_temp.pax_evil(f) $$",
    "create function pg_temp.pg_has_role(a pg_catalog.name, b pg_catalog.name, m pg_catalog.text)"
    " returns pg_catalog.bool language sql as $$ select pg_temp.pax_evil(m) $$",
    "create function pg_temp.evil_eq(a pg_catalog.text, b pg_catalog.text) returns pg_catalog.bool "
    "language sql as $$ select pg_temp.pax_evil(a) $$",
    "create operator pg_temp.= (leftarg = pg_catalog.text, rightarg = pg_catalog.text, "
    "function = pg_temp.evil_eq)",
    "create function pg_temp.evil_ge(a pg_catalog.timestamptz, b pg_catalog.timestamptz) "
    "returns pg_catalog.bool language sql as $$ select pg_temp.pax_evil(a) $$",
    "create operator pg_temp.>= (leftarg = pg_catalog.timestamptz, "
    "rightarg = pg_catalog.timestamptz, function = pg_temp.evil_ge)",
    # shadowing tables: a role_precision that would grant everything
    "create temp table role_precision (db_role pg_catalog.text, layer pg_catalog.text, "
    "precision pg_catalog.text, suppress_below pg_catalog.int4)",
    "insert into pg_temp.role_precision select session_user::pg_catalog.text, l, "
    "'exact', 0 from pg_catalog.unnest(array['car_fire','shooting','explosion','cache',"
    "'camera','operation','observation']::pg_catalog.text[]) l",
    "create temp table incident (id pg_catalog.int8)",
    "create temp table setting (key pg_catalog.text, value pg_catalog.text)",
    "create temp table app_session (token_hash pg_catalog.text)",
]


def _calls(login: str) -> list[str]:
    frm, to = "now() - interval '400 days'", "now()"
    if login == "auth":
        return [
            "select known, username from pax_api.auth_lookup('nobody-hijack')",
            "select status from pax_api.session_touch('x')",
            "select pax_api.auth_fail('nobody-hijack', 1000, 1)",
        ]
    calls = [
        f"select * from pax_api.incident_counts({frm}, {to}, 'month') order by 1, 2, 3",
        f"select * from pax_api.observation_counts({frm}, {to}, 'month') order by 1, 2, 3",
        "select * from pax_api.data_status() order by 1, 2",
        "select pax_api.app_username()",
    ]
    for view in sorted(restricted_views_for(login)):
        calls.append(f"select count(*) from pax_api.{view}")
    if "incident_grid" in restricted_views_for(login):
        calls.append(
            f"select count(*) from pax_api.incident_grid_rows({frm}, {to}, p_located => true)"
        )
    return calls


def _run_calls(c: Connection, calls: list[str]) -> list:
    out = []
    for sql in calls:
        try:
            with c.begin_nested():
                out.append([tuple(r) for r in c.execute(text(sql)).all()])
        except DBAPIError as exc:
            assert "HIJACKED" not in str(exc), sql
            out.append(("error", sqlstate(exc)))
    return out


@pytest.mark.parametrize("login", LOGINS)
def test_temp_hijack_gains_nothing(login, fresh, owner_engine, demo_loaded):
    calls = _calls(login)
    token = None
    if login != "auth":
        token = auth.authenticate(DEMO_USER[login], auth.DEMO_PASSWORD).token
        assert token
    bind = "select set_config('pax.app_session', :t, false)"

    with fresh(login).connect() as c:  # the honest answers
        if token:
            c.execute(text(bind), {"t": token})
        honest = _run_calls(c, calls)
        c.rollback()
    assert all(r != ("error", INSUFFICIENT_PRIVILEGE) for r in honest), honest

    # Without TEMP the attack cannot even start.
    with fresh(login).connect() as c:
        exc = refused(c, ATTACK[0])
        assert sqlstate(exc) == INSUFFICIENT_PRIVILEGE

    # With TEMP granted (by mistake) the search_path still keeps the caller's objects out.
    with temp_granted(owner_engine, login), fresh(login).connect() as c:
        if token:
            c.execute(text(bind), {"t": token})
        for sql in ATTACK:
            c.execute(text(sql))
        # positive control: the caller's own code does run in the caller's own context
        exc = refused(c, "select '2020-01-01'::timestamptz")
        assert "HIJACKED as " + login_name(login) in str(exc)
        attacked = _run_calls(c, calls)
        marker = uuid.uuid4().hex
        action = "page_view" if login != "auth" else "login_failed"
        c.execute(
            text(
                "select pax_api.audit('x', 'admin', :a, 'har_och_nu', cast(:d as pg_catalog.jsonb))"
            ),
            {"a": action, "d": json.dumps({"m": marker})},
        )
        c.commit()
    assert attacked == honest
    with owner_engine.connect() as oc:
        row = oc.execute(
            text("select username, role, db_login from pax_data.audit_log where detail->>'m' = :m"),
            {"m": marker},
        ).one()
    expected_user = "x" if login == "auth" else DEMO_USER[login]
    assert row.username == expected_user and row.db_login == login_name(login)


# --- 3. no objects, no TEMP, no row counts from the catalogue --------------------------------

CREATE_SQL = (
    "create temp table pax_t (a int)",
    "create temporary table pax_t (a int)",
    "create function pg_temp.pax_f() returns int language sql as 'select 1'",
    "create function public.pax_f() returns int language sql as 'select 1'",
    "create function pax_api.pax_f() returns int language sql as 'select 1'",
    "create function pax_data.pax_f() returns int language sql as 'select 1'",
    "create table public.pax_t (a int)",
    "create view public.pax_v as select 1 as a",
    "create schema pax_evil",
)


@pytest.mark.parametrize("login", LOGINS)
def test_reader_logins_cannot_create_objects(login, fresh, demo_loaded):
    with fresh(login).connect() as c:
        for as_group in (False, True):
            if as_group and login != "auth":
                c.execute(text("set role pax_reader"))
            for sql in CREATE_SQL:
                assert sqlstate(refused(c, sql)) == INSUFFICIENT_PRIVILEGE, (login, sql)


INCIDENT_OID = (
    "(select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace "
    "where n.nspname = 'pax_data' and c.relname = 'incident')"
)
CATALOG_LEAKS = tuple(
    sql.replace("'pax_data.incident'::regclass", INCIDENT_OID)
    for sql in (
        "select reltuples from pg_class where oid = 'pax_data.incident'::regclass",
        "select relpages from pg_class where oid = 'pax_data.incident'::regclass",
        "select relallvisible from pg_class where oid = 'pax_data.incident'::regclass",
        "select * from pg_class where relname = 'incident'",
        "select n_live_tup from pg_stat_user_tables where relname = 'incident'",
        "select n_tup_ins from pg_stat_all_tables where relname = 'incident'",
        "select idx_tup_read from pg_stat_user_indexes",
        "select heap_blks_read from pg_statio_user_tables",
        "select tup_inserted from pg_stat_database",
        "select pg_stat_get_live_tuples('pax_data.incident'::regclass)",
        "select pg_stat_get_tuples_inserted('pax_data.incident'::regclass)",
        "select pg_relation_size('pax_data.incident'::regclass)",
        "select pg_total_relation_size('pax_data.incident'::regclass)",
        "select pg_table_size('pax_data.incident'::regclass)",
        "select pg_indexes_size('pax_data.incident'::regclass)",
        "select pg_database_size(current_database())",
        "select st_estimatedextent('pax_data', 'incident', 'geom')",
    )
)


@pytest.mark.parametrize("login", LOGINS)
def test_catalogue_gives_no_row_counts(login, fresh, owner_engine, demo_loaded):
    with owner_engine.begin() as oc:
        oc.execute(text("analyze pax_data.incident"))
        assert (
            oc.execute(
                text("select reltuples from pg_class where oid = 'pax_data.incident'::regclass")
            ).scalar()
            > 0
        )
    with fresh(login).connect() as c:
        for sql in CATALOG_LEAKS:
            assert sqlstate(refused(c, sql)) == INSUFFICIENT_PRIVILEGE, (login, sql)
        # what clients read from pg_class still works
        assert c.execute(
            text(
                "select c.relname, c.relkind, c.relnamespace::regnamespace::text from pg_class c "
                f"where c.oid = {INCIDENT_OID}"
            )
        ).one() == ("incident", "r", "pax_data")
        assert c.execute(text("select count(*) from pg_tables")).scalar() > 0
        assert (
            c.execute(text("select count(*) from pg_stats where schemaname = 'pax_data'")).scalar()
            == 0
        )


# --- 4. EXPLAIN shows no hidden rows ----------------------------------------------------------


def _plan_nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def test_explain_analyze_shows_no_hidden_rows(reader_engines, owner_engine, demo_loaded):
    with owner_engine.connect() as oc:
        # an area and cache subtype with caches a municipal staff member may not see
        area, subtype, hidden = oc.execute(
            text(
                "select area_id, subtype, count(*) from pax_data.incident "
                "where kind = 'cache' and area_id is not null and subtype is not null "
                "group by 1, 2 order by 3 desc limit 1"
            )
        ).one()
    assert hidden >= 3
    sql = (
        "select * from pax_api.incident_grid where area_id = :a and subtype = :s "
        "and occurred_at > now() - interval '20 years'"
    )
    with reader_engines["municipal_staff"].connect() as c:
        visible = c.execute(text("select count(*) from pax_api.incident_grid")).scalar()
        got = c.execute(text(f"select count(*) from ({sql}) q"), {"a": area, "s": subtype}).scalar()
        assert got == 0  # municipal staff see no caches at all
        plan = c.execute(
            text(f"explain (analyze, verbose, format json) {sql}"), {"a": area, "s": subtype}
        ).scalar()
    nodes = list(_plan_nodes(plan[0]["Plan"]))
    assert not [n for n in nodes if "Relation Name" in n], "a table scan shows in the plan"
    scans = [n for n in nodes if n["Node Type"] == "Function Scan"]
    assert scans
    for n in scans:
        # the function returns exactly what the role may see; the filter drops only those rows
        assert n["Actual Rows"] + n.get("Rows Removed by Filter", 0) == visible
    for n in nodes:
        for key in ("Actual Rows", "Rows Removed by Filter", "Rows Removed by Index Recheck"):
            assert n.get(key, 0) <= visible


@pytest.mark.parametrize("role", ROLES)
def test_no_restricted_view_plan_touches_a_table(role, reader_engines, demo_loaded):
    with reader_engines[role].connect() as c:
        c.execute(text("select 1"))
        for view in sorted(restricted_views_for(role)):
            plan = c.execute(
                text(f"explain (analyze, format json) select * from pax_api.{view} where true")
            ).scalar()
            nodes = list(_plan_nodes(plan[0]["Plan"]))
            assert not [n for n in nodes if "Relation Name" in n], (role, view)


def test_row_functions_refuse_another_role(reader_engines, demo_loaded):
    with reader_engines["municipal_staff"].connect() as c:
        exc = refused(c, "select * from pax_api.incident_grid_rows(p_role => 'pax_police_analyst')")
        assert sqlstate(exc) == INSUFFICIENT_PRIVILEGE
        # and no other row function is callable at all
        for fn in ("incident_exact_rows", "operation_rows"):
            assert sqlstate(refused(c, f"select * from pax_api.{fn}()")) == INSUFFICIENT_PRIVILEGE


# --- 5. grid rows: no ids, hours only ---------------------------------------------------------


def test_grid_rows_have_no_id_and_hour_times(reader_engines, demo_loaded):
    with reader_engines["municipal_staff"].connect() as c:
        cols = c.execute(text("select * from pax_api.incident_grid limit 1")).keys()
        assert "id" not in cols
        off_hour = c.execute(
            text(
                "select count(*) from pax_api.incident_grid where "
                "date_trunc('hour', occurred_at, 'Europe/Stockholm') <> occurred_at "
                "or date_trunc('hour', occurred_from, 'Europe/Stockholm') <> occurred_from "
                "or date_trunc('hour', occurred_to, 'Europe/Stockholm') <> occurred_to"
            )
        ).scalar()
        assert off_hour == 0
        n = c.execute(text("select count(*) from pax_api.incident_grid")).scalar()
        assert n > 100
        end = datetime.now(clock.TZ)
        flt = queries.Filter(end - timedelta(days=365), end)
        pts = queries.incident_points(c, flt)
        assert len(pts) > 50 and set(pts["precision"]) == {"grid"}
        assert pts["id"].isna().all()
        assert (pts["occurred_at"].dt.minute == 0).all() and (
            pts["occurred_at"].dt.second == 0
        ).all()


def test_grid_windows_cannot_split_an_hour(reader_engines, owner_engine, demo_loaded):
    with owner_engine.connect() as oc:
        t = oc.execute(
            text(
                "select occurred_at from pax_data.incident where kind <> 'cache' "
                "and geom is not null and extract(minute from occurred_at) between 10 and 50 "
                "order by occurred_at desc limit 1"
            )
        ).scalar()
    hour = t.replace(minute=0, second=0, microsecond=0)
    sql = (
        "select kind, occurred_at, x, y from pax_api.incident_grid_rows(:f, :t) order by 1, 2, 3, 4"
    )
    with reader_engines["municipal_staff"].connect() as c:
        whole = c.execute(text(sql), {"f": hour, "t": hour + timedelta(hours=1)}).all()
        # a window around the incident's exact minute gives the whole hour, no more, no less
        narrow = c.execute(
            text(sql), {"f": t - timedelta(minutes=1), "t": t + timedelta(minutes=1)}
        ).all()
        before = c.execute(text(sql), {"f": hour, "t": t}).all()
    assert whole and narrow == whole and before == whole


# --- 6. audit rows cannot be forged -----------------------------------------------------------

AUDIT = "select pax_api.audit(:u, :r, :a, :p, cast(:d as jsonb))"


def _audit_params(action: str, detail: dict | None = None, user: str = "polis") -> dict:
    return {"u": user, "r": "police_analyst", "a": action, "p": "x", "d": json.dumps(detail or {})}


def test_audit_action_list_is_in_the_database(owner_engine, demo_loaded):
    with owner_engine.connect() as c:
        rows = dict(c.execute(text("select action, auth_login from pax_data.audit_action")).all())
    assert rows == {a: a in AUTH_ACTIONS for a in ACTIONS}


@pytest.mark.parametrize("role", ROLES)
def test_reader_without_session_writes_no_row(role, reader_engines, demo_loaded):
    with reader_engines[role].connect() as c:
        for action in ("page_view", "export", "login"):
            exc = refused(c, AUDIT, _audit_params(action))
            assert sqlstate(exc) == INSUFFICIENT_PRIVILEGE
        # a token of another login or a made-up one is no session either
        other = auth.authenticate(
            "falt1" if role != "field_worker" else "polis", auth.DEMO_PASSWORD
        )
        for tok in (other.token, "x" * 43):
            c.execute(text("select set_config('pax.app_session', :t, false)"), {"t": tok})
            assert sqlstate(refused(c, AUDIT, _audit_params("page_view"))) == INSUFFICIENT_PRIVILEGE


def test_bound_reader_writes_only_listed_bounded_rows(owner_engine, demo_loaded):
    res = auth.authenticate("kommun", auth.DEMO_PASSWORD)
    marker = uuid.uuid4().hex
    with auth.reader_connection("municipal_staff", res.token, "kommun") as c:
        for action in ("evil_action", "user_add_fake", "probe"):
            exc = refused(c, AUDIT, _audit_params(action, {"m": marker}))
            assert sqlstate(exc) == INSUFFICIENT_PRIVILEGE, action
        big = {"m": marker, "pad": "x" * 9000}
        assert sqlstate(refused(c, AUDIT, _audit_params("export", big))) == "22001"
        c.execute(text(AUDIT), _audit_params("export", {"m": marker}, user="admin"))
        c.commit()
    with owner_engine.connect() as oc:
        rows = oc.execute(
            text("select username, role, action from pax_data.audit_log where detail->>'m' = :m"),
            {"m": marker},
        ).all()
    assert [tuple(r) for r in rows] == [("kommun", "municipal_staff", "export")]


def test_auth_login_writes_only_sign_in_rows(pg_url, owner_engine, demo_loaded):
    eng = create_engine(db.reader_url("auth", database=pg_url.database), poolclass=NullPool)
    marker = uuid.uuid4().hex
    try:
        with eng.connect() as c:
            for action in ("export", "open_record", "page_view", "user_add", "evil"):
                exc = refused(c, AUDIT, _audit_params(action, {"m": marker}))
                assert sqlstate(exc) == INSUFFICIENT_PRIVILEGE, action
            c.execute(
                text(AUDIT),
                {**_audit_params("login_failed", {"m": marker}, user="no-such-user"), "r": None},
            )
            c.commit()
    finally:
        eng.dispose()
    with owner_engine.connect() as oc:
        rows = oc.execute(
            text(
                "select username, action, db_login from pax_data.audit_log where detail->>'m' = :m"
            ),
            {"m": marker},
        ).all()
    assert [tuple(r) for r in rows] == [("no-such-user", "login_failed", db.AUTH_ROLE)]


def test_app_audit_writes_still_work(owner_engine, demo_loaded):
    res = auth.authenticate("polis", auth.DEMO_PASSWORD)
    marker = uuid.uuid4().hex
    auth.write_audit(
        "open_record",
        "har_och_nu",
        {"m": marker},
        role="police_analyst",
        token=res.token,
        username="polis",
    )
    auth.write_audit("login_failed", None, {"m": marker}, username="whoever")
    with owner_engine.begin() as oc:
        auth.owner_audit(oc, "cli:test", "user_unlock", {"m": marker})
    with owner_engine.connect() as oc:
        rows = oc.execute(
            text(
                "select username, action from pax_data.audit_log where detail->>'m' = :m order by id"
            ),
            {"m": marker},
        ).all()
    assert [tuple(r) for r in rows] == [
        ("polis", "open_record"),
        ("whoever", "login_failed"),
        ("cli:test", "user_unlock"),
    ]
