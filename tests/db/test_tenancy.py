"""Tenancy (0016_tenancy.py): two municipalities in one database, and what each login gets.

A database of its own (migrated, no demo), so that the second municipality does not change what
the rest of the suite reads: two adjacent synthetic municipalities A (the installation's own
code) and B, each with a district, incidents, a camera, a night-walk route and walk, a field
report, an operation, an indicator, a named place and a Police event. Accounts of A, of B and of
both sign in for real; every ``pax_api`` view and the count functions are read through each
role's own database login, bound to the session. A user of A must get nothing of B.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyproj import Transformer
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from pax_geo import auth, db, i18n, migrate
from pax_geo import config as pax_config
from pax_geo.layers import ROLES, load_layers
from tests.conftest import cluster_lock

A, B = pax_config.settings().municipality_code, "0140"
PASSWORD = auth.DEMO_PASSWORD  # so that tests.app_support.signed_in can sign them in
#: SWEREF 99 TM squares, 10 km each, side by side: A west, B east.
SQUARES = {A: (620_000, 6_560_000), B: (630_000, 6_560_000)}
SIDE = 10_000
NOW = datetime.now(UTC)
CATEGORY = next(iter(load_layers()["observation"].categories.values()))["sv"]
TO_WGS84 = Transformer.from_crs(3006, 4326, always_xy=True)
TO_SWEREF = Transformer.from_crs(4326, 3006, always_xy=True)

#: pax_data tables that hold no municipality's data: settings, accounts and their sessions,
#: the audit log, code lists, and the municipality reference itself. Every other table must be a
#: tenant table (the catalogue test fails for a new table in neither list).
NOT_TENANT = {
    "setting",
    "role_precision",
    "indicator_key",
    "app_user",
    "app_user_area",
    "app_user_municipality",
    "app_session",
    "audit_log",
    "audit_action",
    "login_throttle",
    "login_client",
    "login_client_name",
    "release_key",
    "role_capability",
    "observation_category",
    "collab_group",
    "municipality",
}


def square(code: str, inset: int = 0) -> str:
    x, y = SQUARES[code]
    x0, y0, x1, y1 = x + inset, y + inset, x + SIDE - inset, y + SIDE - inset
    return f"SRID=3006;MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))"


def point(code: str, i: int) -> tuple[float, float]:
    x, y = SQUARES[code]
    return x + 2_000 + 150 * (i % 20), y + 2_000 + 170 * (i // 20)


@dataclasses.dataclass
class World:
    cfg: pax_config.Settings
    owner: Engine
    users: dict[tuple[str, str], tuple[str, str]]  # (role, scope) -> (username, token)

    def reader(self, role: str, scope: str | None):
        if scope is None:
            return auth.reader_connection(role, None, None, self.cfg)
        name, token = self.users[(role, scope)]
        return auth.reader_connection(role, token, name, self.cfg)

    def owner_count(self, table: str, code: str) -> int:
        with self.owner.connect() as c:
            return int(
                c.execute(
                    text(f"select count(*) from pax_data.{table} where municipality_code = :c"),
                    {"c": code},
                ).scalar_one()
            )


def _seed(c: Connection) -> None:
    c.execute(
        text("insert into pax_data.municipality (code, name) values (:b, 'Nykvarn')"), {"b": B}
    )
    for code in (A, B):
        c.execute(
            text(
                "insert into pax_data.area (code, name, kind, geom, source, source_id) "
                "values (:c, :n, 'municipality', st_geomfromewkt(:g), 'test', :c)"
            ),
            {"c": code, "n": f"Kommun {code}", "g": square(code)},
        )
        # no municipality_code given: the trigger places each row from its geometry
        c.execute(
            text(
                "insert into pax_data.area (code, name, kind, geom, source, source_id) "
                "values (:c, :n, 'district', st_geomfromewkt(:g), 'test', :c)"
            ),
            {"c": f"D{code}", "n": f"Distrikt {code}", "g": square(code, 500)},
        )
        for i in range(30):
            x, y = point(code, i)
            c.execute(
                text(
                    "insert into pax_data.incident (kind, occurred_at, geom, title, source, "
                    "source_id) values (:k, :t, st_setsrid(st_point(:x, :y), 3006), :ti, "
                    "'test', :s)"
                ),
                {
                    "k": ("shooting", "car_fire", "cache")[i % 3],
                    "t": NOW - timedelta(days=1 + i),
                    "x": x,
                    "y": y,
                    "ti": f"incident {code}",
                    "s": f"{code}-{i}",
                },
            )
        # placed by its area alone (no position)
        c.execute(
            text(
                "insert into pax_data.incident (kind, occurred_at, location_precision, area_id, "
                "source, source_id) select 'shooting', :t, 'area', id, 'test', :s "
                "from pax_data.area where code = :d"
            ),
            {"t": NOW - timedelta(days=3), "s": f"{code}-area", "d": f"D{code}"},
        )
        x, y = point(code, 5)
        c.execute(
            text(
                "insert into pax_data.camera (name, owner, geom, source, source_id) "
                "values (:n, 'kommunen', st_setsrid(st_point(:x, :y), 3006), 'test', :n)"
            ),
            {"n": f"kamera {code}", "x": x, "y": y},
        )
        c.execute(
            text(
                "insert into pax_data.night_walk_route (name, organisation, geom, source, "
                "source_id) values (:n, 'Nattvandrarna', st_multi(st_makeline("
                "st_setsrid(st_point(:x, :y), 3006), st_setsrid(st_point(:x + 500, :y), 3006))), "
                "'test', :n)"
            ),
            {"n": f"rutt {code}", "x": x, "y": y},
        )
        c.execute(
            text(
                "insert into pax_data.night_walk (route_id, walked_on, participants, source, "
                "source_id) select id, current_date - 2, 4, 'test', :n "
                "from pax_data.night_walk_route where name = :r"
            ),
            {"n": f"walk {code}", "r": f"rutt {code}"},
        )
        c.execute(
            text(
                "insert into pax_data.observation (observed_at, category, text, reporter, geom, "
                "source, source_id) values (:t, :cat, :tx, 'someone', "
                "st_setsrid(st_point(:x, :y), 3006), 'test', :s)"
            ),
            {
                "t": NOW - timedelta(days=2),
                "cat": CATEGORY,
                "tx": f"obs {code}",
                "x": x,
                "y": y,
                "s": f"o{code}",
            },
        )
        c.execute(
            text(
                "insert into pax_data.operation (name, starts_at, ends_at, geom, source, "
                "source_id) values (:n, :s, :e, st_geomfromewkt(:g), 'test', :n)"
            ),
            {
                "n": f"insats {code}",
                "s": NOW - timedelta(days=5),
                "e": NOW + timedelta(days=5),
                "g": square(code, 3_000),
            },
        )
        c.execute(
            text(
                "insert into pax_data.place (name, geom) "
                "values (:n, st_setsrid(st_point(:x, :y), 3006))"
            ),
            {"n": f"torget {code}", "x": x, "y": y},
        )
        c.execute(
            text(
                "insert into pax_data.police_event (event_type, title, occurred_at, "
                "published_at, location_name, location_precision, area_id, source, source_id) "
                "select 'Skottlossning', :ti, :t, :t, 'x', 'area', id, 'test', :s "
                "from pax_data.area where code = :d"
            ),
            {"ti": f"event {code}", "t": NOW - timedelta(days=1), "s": f"p{code}", "d": f"D{code}"},
        )
    c.execute(
        text("update pax_data.municipality set population = :p where code = :c"),
        [{"c": A, "p": 20_000}, {"c": B, "p": 10_000}],
    )
    c.execute(text("update pax_data.area set population = 5000 where kind = 'district'"))
    c.execute(
        text(
            "insert into pax_data.indicator_key (key, label_sv, label_en, unit) "
            "values ('t_key', 'Test', 'Test', 'st')"
        )
    )
    c.execute(
        text(
            "insert into pax_data.indicator (area_id, period, year, key, value, unit, source, "
            "source_id) select a.id, '2025', 2025, 't_key', 1, 'st', 'test', a.code "
            "from pax_data.area a where a.kind = 'district'"
        )
    )


@pytest.fixture(scope="module")
def world(test_db_name: str) -> Iterator[World]:
    base = pax_config.settings()
    name = f"{test_db_name}_tenancy"
    cfg = dataclasses.replace(base, db_name=name)
    with cluster_lock(base):
        db.drop_database(name, base)
        url = db.ensure_database(base, name)
        migrate.upgrade(url, cfg)
    owner = create_engine(url)
    try:
        with owner.begin() as c:
            _seed(c)
            users = {}
            for role in ROLES:
                for scope, codes in (("A", [A]), ("B", [B]), ("AB", [A, B])):
                    username = f"t_{role[:6]}_{scope.lower()}_{uuid.uuid4().hex[:6]}"
                    auth.add_user(c, username, role, password=PASSWORD, municipalities=codes)
                    users[(role, scope)] = username
        signed = {}
        for key, username in users.items():
            res = auth.authenticate(username, PASSWORD, cfg)
            assert res.ok, username
            signed[key] = (username, str(res.token))
        yield World(cfg, owner, signed)
    finally:
        owner.dispose()
        for eng in (db.reader_engine(r, cfg) for r in ROLES):
            eng.dispose()
        db.drop_database(name, base)


def _selectable_views(c: Connection) -> list[str]:
    return list(
        c.execute(
            text(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = 'pax_api' and c.relkind = 'v' "
                "and has_table_privilege(c.oid, 'select') order by 1"
            )
        ).scalars()
    )


def _tenant_views(c: Connection) -> dict[str, str]:
    """pax_api view -> the pax_data table its rows come from, for views that give ids."""
    return {
        "area": "area",
        "incident_exact": "incident",
        "incident_grid": "incident",
        "camera": "camera",
        "operation": "operation",
        "observation": "observation",
        "night_walk_route": "night_walk_route",
        "night_walk": "night_walk",
        "place": "place",
        "police_event": "police_event",
        "indicator": "indicator",
    }


@contextmanager
def negligible_noise(world: World) -> Iterator[None]:
    """The release's noise made negligible (release_alpha 1e-9) for one check, then put back:
    the released counts are then the true ones, so a check on them cannot flake."""
    with world.owner.begin() as o:
        alpha = o.execute(
            text("select value from pax_data.setting where key = 'release_alpha'")
        ).scalar_one()
        o.execute(text("update pax_data.setting set value = '1e-9' where key = 'release_alpha'"))
    try:
        yield
    finally:
        with world.owner.begin() as o:
            o.execute(
                text("update pax_data.setting set value = :v where key = 'release_alpha'"),
                {"v": alpha},
            )


def _rows(c: Connection, view: str) -> int:
    return int(c.execute(text(f"select count(*) from pax_api.{view}")).scalar_one())


def _released_total(c: Connection) -> float:
    got = c.execute(
        text("select coalesce(sum(n), 0) from pax_api.incident_counts(:a, :b, 'month', null)"),
        {"a": NOW - timedelta(days=60), "b": NOW},
    ).scalar()
    return float(got or 0)


# --- the catalogue --------------------------------------------------------------------------


def test_every_data_table_carries_its_municipality_under_row_security(world):
    with world.owner.connect() as c:
        tables = set(
            c.execute(
                text(
                    "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                    "where n.nspname = 'pax_data' and c.relkind in ('r', 'p')"
                )
            ).scalars()
        )
        tenant = tables - NOT_TENANT
        assert {"incident", "camera", "observation", "operation", "area"} <= tenant
        for t in sorted(tenant):
            col = c.execute(
                text(
                    "select is_nullable from information_schema.columns where table_schema = "
                    "'pax_data' and table_name = :t and column_name = 'municipality_code'"
                ),
                {"t": t},
            ).scalar()
            assert col == "NO", f"pax_data.{t}: no municipality_code not null"
            fk = c.execute(
                text(
                    "select 1 from pg_constraint k where k.conrelid = (:q)::regclass "
                    "and k.contype = 'f' and k.confrelid = 'pax_data.municipality'::regclass"
                ),
                {"q": f"pax_data.{t}"},
            ).scalar()
            assert fk, f"pax_data.{t}: municipality_code is not a key of pax_data.municipality"
            rls, forced = c.execute(
                text(
                    "select relrowsecurity, relforcerowsecurity from pg_class where oid = (:q)::regclass"
                ),
                {"q": f"pax_data.{t}"},
            ).one()
            assert rls, f"pax_data.{t}: row-level security is off with two municipalities"
            quals = c.execute(
                text(
                    "select qual, with_check from pg_policies where schemaname = 'pax_data' "
                    "and tablename = :t"
                ),
                {"t": t},
            ).all()
            assert len(quals) == 1 and all("_scope()" in (q or "") for q in quals[0]), t
        # nothing that reads these tables for a reader escapes the policies: the views and the
        # functions belong to a role that neither owns the tables nor bypasses row security
        bypass = c.execute(
            text(
                "select c.relname, r.rolname from pg_class c "
                "join pg_namespace n on n.oid = c.relnamespace "
                "join pg_roles r on r.oid = c.relowner "
                "where n.nspname = 'pax_api' and c.relkind = 'v' "
                "and (r.rolsuper or r.rolbypassrls or c.relowner in "
                "     (select relowner from pg_class where oid = 'pax_data.incident'::regclass))"
            )
        ).all()
        assert bypass == []
        fn_bypass = c.execute(
            text(
                "select p.oid::regprocedure::text from pg_proc p "
                "join pg_namespace n on n.oid = p.pronamespace join pg_roles r on r.oid = p.proowner "
                "where n.nspname = 'pax_api' and p.prosecdef and (r.rolsuper or r.rolbypassrls)"
            )
        ).all()
        assert fn_bypass == []


# --- reads ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_a_user_of_one_municipality_gets_nothing_of_the_other(world, role):
    for scope, code, other in (("A", A, B), ("B", B, A)):
        with world.reader(role, scope) as c:
            assert list(c.execute(text("select pax_api._scope()")).scalar_one()) == [code]
            views = _selectable_views(c)
            for view, table in _tenant_views(c).items():
                if view not in views:
                    continue
                cols = set(c.execute(text(f"select * from pax_api.{view} limit 0")).keys())
                got = _rows(c, view)
                if "id" in cols:
                    with world.owner.connect() as o:
                        foreign = set(
                            o.execute(
                                text(
                                    f"select id from pax_data.{table} where municipality_code = :m"
                                ),
                                {"m": other},
                            ).scalars()
                        )
                    ids = set(c.execute(text(f"select id from pax_api.{view}")).scalars())
                    assert not ids & foreign, f"{role} of {code} sees {view} rows of {other}"
                    # (roles at 'own' precision see only their own reports: none here)
                    assert ids or (view == "observation" and role != "police_analyst"), (
                        f"{role} of {code} sees none of its own {view}"
                    )
                else:
                    assert got > 0, f"{role} of {code}: {view} is empty"
            if "incident_exact" in views:
                titles = set(c.execute(text("select title from pax_api.incident_exact")).scalars())
                assert titles == {f"incident {code}", None}
            # released counts: nothing of the other municipality (checked without noise)
            own = world.owner_count("incident", code)
            with negligible_noise(world):
                total = _released_total(c)
            assert total <= own, (role, code, total, own)
            if role == "police_analyst":
                assert total == own


@pytest.mark.parametrize("role", ["police_analyst", "board_viewer"])
def test_counts_follow_the_session_not_the_login(world, role):
    """The same database login gives three different totals for three sessions, and the
    account of both municipalities gets their sum (checked without noise, so exactly; police:
    exact counts always)."""
    totals = {}
    with negligible_noise(world):
        for scope in ("A", "B", "AB"):
            with world.reader(role, scope) as c:
                totals[scope] = _released_total(c)
    assert totals["A"] > 0 and totals["B"] > 0
    assert totals["AB"] == totals["A"] + totals["B"]
    if role == "police_analyst":
        assert totals["A"] == world.owner_count("incident", A)


def _cells(c: Connection, sql: str) -> dict[tuple, float | None]:
    rows = c.execute(text(sql), {"a": NOW - timedelta(days=60), "b": NOW}).all()
    return {tuple(r[:-1]): (None if r[-1] is None else float(r[-1])) for r in rows}


#: role -> the count functions it may call that release with noise and suppression
RELEASES = {
    "board_viewer": [
        "select area_id, kind, bucket, n from pax_api.incident_counts(:a, :b, 'week', null)",
        "select area_id, category, bucket, n from pax_api.observation_counts(:a, :b, 'month')",
    ],
    "security_chief": [
        "select area_id, kind, bucket, n from pax_api.board_incident_counts(:a, :b, 'week', null)",
        "select area_id, category, bucket, n from pax_api.board_observation_counts(:a, :b, 'all')",
    ],
    "field_worker": [
        "select area_id, kind, bucket, n from pax_api.incident_counts(:a, :b, 'month', null)",
        "select area_id, category, bucket, n from pax_api.observation_counts(:a, :b, 'all')",
    ],
    "regional_analyst": [
        "select area_id, kind, bucket, n from pax_api.incident_counts(:a, :b, 'month', null)",
        "select municipality_code, kind, bucket, n "
        "from pax_api.municipality_counts(:a, :b, 'all', null)",
    ],
}


@pytest.mark.parametrize("role", sorted(RELEASES))
def test_a_municipalitys_released_counts_do_not_depend_on_who_else_is_in_the_scope(world, role):
    """An account of A and an account of A and B get the very same released values for A's
    cells, noise included (0021): otherwise one person with both (or two colleagues) would hold
    two releases of the same cells. "No area" (the first column None) of A and B together is
    the sum of each one's, and released only when both parts are."""
    with world.owner.connect() as o:
        of_a = set(
            o.execute(
                text("select id from pax_data.area where municipality_code = :c"), {"c": A}
            ).scalars()
        ) | {A}
    compared = 0
    for sql in RELEASES[role]:
        got = {}
        for scope in ("A", "B", "AB"):
            with world.reader(role, scope) as c:
                got[scope] = _cells(c, sql)
        a_cells_in_ab = {k: v for k, v in got["AB"].items() if k[0] in of_a}
        a_cells = {k: v for k, v in got["A"].items() if k[0] is not None}
        assert a_cells_in_ab == a_cells, (role, sql)
        compared += len(a_cells)
        for key, both in got["AB"].items():
            if key[0] is not None:
                continue
            parts = [got[s].get(key, 0.0) for s in ("A", "B")]
            if both is not None:
                assert None not in parts and both == sum(parts), (role, sql, key)
            else:
                assert None in parts, (role, sql, key)
    assert compared, role  # the incidents give A cells for every role


@pytest.mark.parametrize("role", ROLES)
def test_with_two_municipalities_a_login_without_a_session_gets_nothing(world, role):
    with world.reader(role, None) as c:
        assert list(c.execute(text("select pax_api._scope()")).scalar_one()) == []
        for view in _selectable_views(c):
            if view in _tenant_views(c):
                assert _rows(c, view) == 0, view
        # no district at all; suppressing roles may get noise on the "no area" cell (zeros are
        # noised too, by design), the police's exact counts are zero
        areas = c.execute(
            text("select distinct area_id from pax_api.incident_counts(:a, :b, 'month', null)"),
            {"a": NOW - timedelta(days=60), "b": NOW},
        ).scalars()
        assert set(areas) <= {None}
        if role == "police_analyst":
            assert _released_total(c) == 0


def test_a_session_cannot_be_borrowed_by_another_login_or_widened(world):
    """A police token bound on the field worker's login is no session; and a session cannot
    set its own scope (the scope is derived, the setting that names it does not exist)."""
    name, token = world.users[("police_analyst", "A")]
    with auth.reader_connection("field_worker", token, name, world.cfg) as c:
        assert list(c.execute(text("select pax_api._scope()")).scalar_one()) == []
        assert _rows(c, "area") == 0
    with world.reader("police_analyst", "A") as c:
        c.execute(text("select set_config('pax.municipalities', :b, false)"), {"b": B})
        c.execute(text("select set_config('pax.municipality', :b, false)"), {"b": B})
        assert list(c.execute(text("select pax_api._scope()")).scalar_one()) == [A]
        with pytest.raises(DBAPIError):
            c.execute(text("select * from pax_data.incident limit 1"))
        c.rollback()
        with pytest.raises(DBAPIError):
            c.execute(text("select * from pax_data.app_user_municipality"))


# --- writes -----------------------------------------------------------------------------------


def _report(c: Connection, code: str) -> int:
    x, y = point(code, 7)
    lon, lat = TO_WGS84.transform(x, y)
    return int(
        c.execute(
            text(
                "select id from pax_api.report_observation(cast(:k as uuid), :cat, :t, "
                ":lon, :lat, null, 'sett')"
            ),
            {
                "k": str(uuid.uuid4()),
                "cat": CATEGORY,
                "t": NOW - timedelta(hours=1),
                "lon": lon,
                "lat": lat,
            },
        ).scalar_one()
    )


def test_a_field_report_lands_in_the_reporters_municipality_and_never_in_another(world):
    with world.reader("field_worker", "A") as c:
        obs = _report(c, A)
        c.commit()
    with world.owner.connect() as o:
        assert (
            o.execute(
                text("select municipality_code from pax_data.observation where id = :i"),
                {"i": obs},
            ).scalar_one()
            == A
        )
    with world.reader("field_worker", "A") as c:
        with pytest.raises(DBAPIError) as err:
            _report(c, B)
        c.rollback()
    assert "municipality" in str(err.value) or "row-level security" in str(err.value)


def test_rows_are_placed_from_their_geometry_or_area_and_refused_when_they_cannot_be(world):
    with world.owner.connect() as o:
        placed = dict(
            o.execute(
                text(
                    "select source_id, municipality_code from pax_data.incident "
                    "where source_id in (:a, :b, :c)"
                ),
                {"a": f"{B}-3", "b": f"{B}-area", "c": f"{A}-3"},
            ).all()
        )
        assert placed == {f"{B}-3": B, f"{B}-area": B, f"{A}-3": A}
        walk = o.execute(
            text("select municipality_code from pax_data.night_walk where source_id = :s"),
            {"s": f"walk {B}"},
        ).scalar_one()
        assert walk == B
        with pytest.raises(DBAPIError) as err:
            o.execute(
                text(
                    "insert into pax_data.incident (kind, occurred_at, location_precision, "
                    "source, source_id) values ('shooting', now(), 'municipality', 'test', 'x')"
                )
            )
        o.rollback()
        assert "cannot tell which municipality" in str(err.value)
        assert "pax_data.incident" in str(err.value)


def test_row_security_is_on_exactly_when_there_are_two_municipalities(conn, demo_loaded):
    """The suite's own database has one municipality: the policies exist but are off (they
    would filter nothing). A second municipality switches them on in the same transaction;
    removing it switches them off."""

    def states() -> list[bool]:
        return list(
            conn.execute(
                text(
                    "select c.relrowsecurity from pg_policies p join pg_class c "
                    "on c.oid = ('pax_data.' || p.tablename)::regclass "
                    "where p.schemaname = 'pax_data' and p.policyname = p.tablename || '_tenant'"
                )
            ).scalars()
        )

    assert len(states()) >= 14 and set(states()) == {False}
    conn.execute(
        text("insert into pax_data.municipality (code, name) values (:b, 'Nykvarn')"), {"b": B}
    )
    assert set(states()) == {True}
    conn.execute(text("delete from pax_data.municipality where code = :b"), {"b": B})
    assert set(states()) == {False}


# --- pages ------------------------------------------------------------------------------------


def _positions(at) -> list[tuple[float, float]]:
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    out = []
    for layer in spec["layers"]:
        if layer["id"].startswith("inc_"):
            for row in layer.get("data") or []:
                pos = row.get("p")
                assert pos and None not in pos, (layer["id"], row)
                out.append((float(pos[0]), float(pos[1])))
    return out


def _in_square(code: str, lon: float, lat: float) -> bool:
    x, y = TO_SWEREF.transform(lon, lat)
    x0, y0 = SQUARES[code]
    return x0 <= x <= x0 + SIDE and y0 <= y <= y0 + SIDE


@pytest.fixture
def on_world(world, monkeypatch):
    """The app reads the two-municipality database; Streamlit's caches start and end empty
    (their keys name a scope, not a database)."""
    import streamlit as st

    monkeypatch.setenv("PAX_DB_NAME", world.cfg.db_name)
    pax_config.settings.cache_clear()
    st.cache_data.clear()
    yield world
    st.cache_data.clear()
    monkeypatch.undo()
    pax_config.settings.cache_clear()


def test_the_map_page_shows_each_session_its_municipalities_and_shares_only_within_one(
    on_world, monkeypatch
):
    """Här och nu as police of A, of B and of both: each map holds exactly its municipalities'
    points; a second account of A is served from the first one's read, an account of B never."""
    from sqlalchemy import text as sql_text

    from pax_geo import mapdata
    from tests.app_support import signed_in

    reads: list[tuple[str, ...]] = []
    real_build = mapdata.build

    def counting_build(conn, *args, **kwargs):
        reads.append(tuple(conn.execute(sql_text("select pax_api._scope()")).scalar_one()))
        return real_build(conn, *args, **kwargs)

    monkeypatch.setattr(mapdata, "build", counting_build)
    page = str(Path(__file__).resolve().parents[2] / "pages" / "har_och_nu.py")
    extra = f"t_polisa2_{uuid.uuid4().hex[:6]}"
    with on_world.owner.begin() as c:
        auth.add_user(c, extra, "police_analyst", password=PASSWORD, municipalities=[A])
    seen = {}
    for label, name in (
        ("A", on_world.users[("police_analyst", "A")][0]),
        ("A2", extra),
        ("B", on_world.users[("police_analyst", "B")][0]),
        ("AB", on_world.users[("police_analyst", "AB")][0]),
    ):
        at = signed_in(page, name)
        at.session_state["har_window"] = "90d"
        at.run()
        assert not at.exception, label
        seen[label] = _positions(at)
    assert reads == [(A,), (B,), tuple(sorted((A, B)))]  # A2 was served from A's read
    assert seen["A"] and all(_in_square(A, *p) for p in seen["A"])
    assert seen["B"] and all(_in_square(B, *p) for p in seen["B"])
    assert sorted(seen["A2"]) == sorted(seen["A"])
    assert sorted(seen["AB"]) == sorted(seen["A"] + seen["B"])


# --- imports ----------------------------------------------------------------------------------


def _import_rows(codes_and_ids: list[tuple[str, str]]) -> list[dict]:
    rows = []
    for i, (code, rid) in enumerate(codes_and_ids):
        lon, lat = TO_WGS84.transform(*point(code, 40 + i))
        rows.append(
            {
                "id": rid,
                "kind": "car_fire",
                "occurred_at": "2026-11-20 21:15:00",
                "lon": lon,
                "lat": lat,
                "title": f"import {code}",
            }
        )
    return rows


def test_an_import_may_write_only_in_the_importers_municipalities(world, tmp_path):
    """The rows are placed by the database; one row in B refuses a file imported by a user of
    A (naming the row's id and the municipality), and nothing is saved. A user of both may."""
    from pax_geo.ingest import ImportOptions, IngestError, import_file
    from tests.ingest_support import write_csv

    user_a = world.users[("police_analyst", "A")][0]
    user_ab = world.users[("police_analyst", "AB")][0]
    ok = write_csv(tmp_path / "a.csv", _import_rows([(A, "imp-a1"), (A, "imp-a2")]))
    mixed = write_csv(tmp_path / "mixed.csv", _import_rows([(A, "imp-m1"), (B, "imp-m2")]))

    def opts(user: str) -> ImportOptions:
        return ImportOptions(source="t_tenancy", username=user, account=user)

    def stored() -> dict[str, str]:
        with world.owner.connect() as o:
            return dict(
                o.execute(
                    text(
                        "select source_id, municipality_code from pax_data.incident "
                        "where source = 't_tenancy'"
                    )
                ).all()
            )

    report = import_file(ok, "incident", opts(user_a), engine=world.owner)
    assert report.inserted == 2 and stored() == {"imp-a1": A, "imp-a2": A}
    with pytest.raises(IngestError) as err:
        import_file(mixed, "incident", opts(user_a), engine=world.owner)
    assert err.value.issues[0].code == "outside_municipalities"
    assert "imp-m2" in str(err.value) and B in str(err.value) and "imp-m1" not in str(err.value)
    assert stored() == {"imp-a1": A, "imp-a2": A}  # nothing of the refused file
    report = import_file(mixed, "incident", opts(user_ab), engine=world.owner)
    assert report.inserted == 2
    assert stored() == {"imp-a1": A, "imp-a2": A, "imp-m1": A, "imp-m2": B}
    # the working area (default "auto") is every municipality served, and no more: 30 km east
    # of B is in Sweden but outside it
    far = _import_rows([(B, "imp-far")])
    far[0]["lon"], far[0]["lat"] = TO_WGS84.transform(SQUARES[B][0] + 40_000, SQUARES[B][1])
    with pytest.raises(IngestError) as err:
        import_file(
            write_csv(tmp_path / "far.csv", far), "incident", opts(user_ab), engine=world.owner
        )
    assert err.value.issues[0].code == "outside_working_area"
    # an id moved across the border (ids are unique per municipality): refused, not doubled
    moved = write_csv(tmp_path / "moved.csv", _import_rows([(B, "imp-a1")]))
    with pytest.raises(IngestError) as err:
        import_file(moved, "incident", opts(user_ab), engine=world.owner)
    assert err.value.issues[0].code == "moved_municipality"
    assert "imp-a1" in str(err.value) and A in str(err.value) and B in str(err.value)
    assert stored() == {"imp-a1": A, "imp-a2": A, "imp-m1": A, "imp-m2": B}


# --- administration -------------------------------------------------------------------------


def test_an_administrator_sees_and_changes_only_its_municipalities_accounts(world):
    """The account list and the audit log through the admin login (0022), and the owner-side
    changes from the admin page: an administrator of A gets nothing of B's staff."""
    only_b = {n for (role, scope), (n, _t) in world.users.items() if scope == "B"}
    of_a = {n for (role, scope), (n, _t) in world.users.items() if scope in ("A", "AB")}
    admin_a = world.users[("admin", "A")][0]
    # every account leaves a row of its own in the audit log, through its own session
    for (role, _scope), (name, token) in world.users.items():
        auth.write_audit(
            "page_view", "t_tenancy", role=role, token=token, username=name, cfg=world.cfg
        )
    with world.reader("admin", "A") as c:
        listed = {u["username"]: u for u in auth.list_users(c)}
        logged = set(c.execute(text("select distinct username from pax_api.audit_log")).scalars())
        # the accounts were added by the system (no account): rows about B's accounts follow them
        added = set(
            c.execute(
                text(
                    "select detail ->> 'username' from pax_api.audit_log where action = 'user_add'"
                )
            ).scalars()
        )
    assert of_a <= set(listed) and not only_b & set(listed)
    assert listed[world.users[("field_worker", "AB")][0]]["municipalities"] == sorted([A, B])
    assert of_a <= logged and not only_b & logged
    assert of_a <= added and not only_b & added
    with world.reader("admin", "AB") as c:
        assert only_b | of_a <= {u["username"] for u in auth.list_users(c)}
    target_b = world.users[("field_worker", "B")][0]
    with world.owner.connect() as o:  # rolled back at the end: the world stays as it was
        with pytest.raises(auth.AuthError, match="no such account"):
            auth.apply_admin_change(o, admin_a, target_b, "disable")
        # an account shared with B is also A's
        auth.apply_admin_change(o, admin_a, world.users[("field_worker", "AB")][0], "unlock")
        with pytest.raises(auth.AuthError, match="not one of the municipalities you administer"):
            auth.add_user(o, "t_new_b", "field_worker", actor=admin_a, municipalities=[B])
        with pytest.raises(auth.AuthError, match="not one of the municipalities you administer"):
            auth.add_user(o, "t_new_db", "field_worker", actor=admin_a, area=f"D{B}")
        auth.add_user(o, "t_new_a", "field_worker", actor=admin_a)
        assert auth.municipalities_of(o, "t_new_a") == [A]
        # areas are named across municipalities on the owner's side; a shared name is refused
        assert auth.resolve_area(o, f"Distrikt {B}") is not None
        o.execute(
            text(
                "insert into pax_data.area (code, name, kind, geom, source, source_id) "
                "values ('DX', :n, 'district', st_geomfromewkt(:g), 'test', 'DX')"
            ),
            {"n": f"Distrikt {A}", "g": square(B, 4_000)},
        )
        with pytest.raises(auth.AuthError, match="areas of several municipalities"):
            auth.resolve_area(o, f"distrikt {A}")
        # an administrator of both must say which
        with pytest.raises(auth.AuthError, match="choose the municipality"):
            auth.add_user(o, "t_new_ab", "field_worker", actor=world.users[("admin", "AB")][0])
        assert (
            o.execute(
                text("select disabled from pax_data.app_user where username = :u"),
                {"u": target_b},
            ).scalar_one()
            is False
        )


# --- the regional view ------------------------------------------------------------------------


def _municipality_counts(c: Connection) -> dict[str, float]:
    rows = c.execute(
        text(
            "select municipality_code, sum(n), bool_or(suppressed) "
            "from pax_api.municipality_counts(:a, :b, 'all', null) group by 1"
        ),
        {"a": NOW - timedelta(days=60), "b": NOW},
    ).all()
    return {code: (float(n) if n is not None else None) for code, n, _s in rows}


def test_counts_per_municipality_are_exact_for_the_police_and_released_for_the_region(world):
    with world.owner.connect() as o:
        truth = dict(
            o.execute(
                text(
                    "select municipality_code, count(*) from pax_data.incident "
                    "where occurred_at >= :a and occurred_at < :b group by 1"
                ),
                {"a": NOW - timedelta(days=60), "b": NOW},
            ).all()
        )
    with world.reader("police_analyst", "AB") as c:
        assert _municipality_counts(c) == {k: float(v) for k, v in truth.items()}
    with world.reader("police_analyst", "A") as c:
        assert set(_municipality_counts(c)) == {A}
    with world.reader("regional_analyst", "AB") as c:
        got = _municipality_counts(c)
        assert set(got) == {A, B}
        # released: never below the threshold (a smaller value comes back suppressed)
        threshold = pax_config.settings().suppress_below
        assert all(n is None or n >= threshold for n in got.values()), got
        names = c.execute(text("select code, name from pax_api.municipality order by 1")).all()
        assert [r.code for r in names] == sorted([A, B])
    # with the noise made negligible for this one check, the release is the truth
    with negligible_noise(world), world.reader("regional_analyst", "AB") as c:
        assert _municipality_counts(c) == {k: float(v) for k, v in truth.items()}
    with world.reader("regional_analyst", "B") as c:
        assert set(_municipality_counts(c)) <= {B}
        assert [r[0] for r in c.execute(text("select code from pax_api.municipality"))] == [B]
    # every other role already gets counts per area: a second, independently noised release
    # per municipality is not theirs to call
    for role in ("field_worker", "board_viewer", "night_walker", "security_chief"):
        with world.reader(role, "AB") as c, pytest.raises(DBAPIError, match="permission denied"):
            _municipality_counts(c)


def test_the_regional_page_compares_the_sessions_municipalities(on_world):
    from tests.app_support import signed_in

    page = str(Path(__file__).resolve().parents[2] / "pages" / "regional.py")
    both = signed_in(page, on_world.users[("regional_analyst", "AB")][0]).run()
    assert not both.exception
    table = both.dataframe[0].value
    home = pax_config.settings().municipality_name
    assert list(table.iloc[:, 0]) == sorted([home, "Nykvarn"]) + [i18n.t("rg_region", "sv")]
    assert i18n.t("rg_one", "sv") not in [i.value for i in both.info]
    one = signed_in(page, on_world.users[("regional_analyst", "A")][0]).run()
    assert not one.exception
    assert i18n.t("rg_one", "sv") in [i.value for i in one.info]
    assert list(one.dataframe[0].value.iloc[:, 0]) == [home, i18n.t("rg_region", "sv")]
    # the police of A may not open it
    police = signed_in(page, on_world.users[("police_analyst", "A")][0]).run()
    assert i18n.t("page_forbidden", "sv", role=i18n.t("role_police_analyst", "sv")) in [
        e.value for e in police.error
    ]


def test_an_account_that_loses_a_municipality_stops_getting_its_rows(on_world, monkeypatch):
    """Police of A and B looks at the map, then loses B. Its next run reads the session's
    scope again: no cached entry of A and B is served, only A's points. And a loader whose key
    is stale (the scope held longer) is refused by the database check and read again."""
    from pax_geo.ui import scope
    from tests.app_support import signed_in

    page = str(Path(__file__).resolve().parents[2] / "pages" / "har_och_nu.py")
    name = f"t_polisab_{uuid.uuid4().hex[:6]}"
    with on_world.owner.begin() as c:
        auth.add_user(c, name, "police_analyst", password=PASSWORD, municipalities=[A, B])
    at = signed_in(page, name)
    at.session_state["har_window"] = "90d"
    at.run()
    assert {_in_square(A, *p) for p in _positions(at)} == {True, False}  # both
    with on_world.owner.begin() as c:
        auth.set_municipalities(c, name, [A])
    monkeypatch.setattr(scope, "SCOPE_TTL", 0.0)
    at.run()
    assert not at.exception and _positions(at)
    assert all(_in_square(A, *p) for p in _positions(at))
    # a key held past a change: the loader's own check refuses it, and no entry under the old
    # key ever holds the other municipality's rows (an account of A alone would be served it)
    monkeypatch.setattr(scope, "SCOPE_TTL", 1e9)  # the session keeps its key ("A")
    with on_world.owner.begin() as c:
        auth.set_municipalities(c, name, [B])
    at.session_state["har_window"] = "30d"  # a new filter: a cache miss under the old key
    at.run()
    assert not at.exception
    assert _positions(at) and not any(_in_square(A, *p) for p in _positions(at))
    only_a = signed_in(page, on_world.users[("police_analyst", "A")][0])
    only_a.session_state["har_window"] = "30d"
    only_a.run()
    assert _positions(only_a) and all(_in_square(A, *p) for p in _positions(only_a))


def test_the_users_page_lists_the_administrators_municipalities_only(on_world):
    from tests.app_support import signed_in

    page = str(Path(__file__).resolve().parents[2] / "pages" / "admin_users.py")
    col = i18n.t("users_municipalities", "sv")
    only_b = {n for (_r, scope), (n, _t) in on_world.users.items() if scope == "B"}
    one = signed_in(page, on_world.users[("admin", "A")][0]).run()
    assert not one.exception
    listed = set(one.dataframe[0].value.iloc[:, 0])
    assert on_world.users[("admin", "AB")][0] in listed and not only_b & listed
    # one municipality: nothing to choose, no column
    assert col not in one.dataframe[0].value.columns
    assert not [m for m in one.multiselect if m.label == col]
    both = signed_in(page, on_world.users[("admin", "AB")][0]).run()
    table = both.dataframe[0].value
    assert only_b <= set(table.iloc[:, 0])
    home = pax_config.settings().municipality_name
    shared = table[table.iloc[:, 0] == on_world.users[("night_walker", "AB")][0]]
    names = {A: home, B: "Nykvarn"}
    assert list(shared[col]) == [", ".join(names[c] for c in sorted(names))]  # by code
    (choose,) = [m for m in both.multiselect if m.label == col]
    assert sorted(choose.options) == sorted([home, "Nykvarn"])
