"""The role x page x layer matrix. Every cell is asserted allowed or refused.

* layers: the issue's table (written out by hand below) = layers/*.toml = pax_data.role_precision
  = what each database login actually gets back from the views and functions;
* pages: every role x every registered page through app.py (AppTest): allowed pages run, the
  others are refused with a clear message before the page's code runs, and the refusal is
  audited.
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from streamlit.testing.v1 import AppTest

from pax_geo import auth, config, db, i18n
from pax_geo.capabilities import CAPABILITIES
from pax_geo.layers import INCIDENT_KINDS, ROLES, SUPPRESSING_ROLES, load_layers, precision_matrix
from pax_geo.pages import PAGES, may_open
from pax_geo.security import FIELD_FUNCTIONS, sync_privileges
from tests import app_support

#: app.py runs as a server runs it (st.navigation), see conftest.navigation_mode
pytestmark = pytest.mark.usefixtures("navigation_mode")

E, G, A, OWN, N = "exact", "grid", "area", "own", "none"
ISSUE_ROLES = (
    "police_analyst",
    "security_chief",
    "municipal_staff",
    "field_worker",
    "board_viewer",
)
#: The table in issue 3, cell by cell ("all" = exact; "counts per area" = area).
ISSUE_MATRIX: dict[str, tuple[str, str, str, str, str]] = {
    "car_fire": (E, G, G, A, A),
    "shooting": (E, G, G, A, A),
    "explosion": (E, G, G, A, A),
    "cache": (E, A, N, N, A),
    "camera": (E, E, E, N, N),
    "night_walk_route": (E, E, E, E, E),
    "observation": (E, E, OWN, OWN, A),
    "indicator": (E, E, E, E, E),
}
#: The night walkers' row (field mode): routes and area counts like the board, no points, no
#: caches, no cameras, no operations, no observations.
NIGHT_WALKER_ROW: dict[str, str] = {
    "area": E,
    "car_fire": A,
    "shooting": A,
    "explosion": A,
    "cache": N,
    "camera": N,
    "operation": N,
    "night_walk_route": E,
    "observation": N,
    "indicator": E,
}
#: The regional coordinator's row (Mälardalen): counts per area of every incident kind with
#: suppression, areas, routes and indicators; no positions, cameras, operations, observations.
REGIONAL_ROW: dict[str, str] = {
    "area": E,
    "car_fire": A,
    "shooting": A,
    "explosion": A,
    "cache": A,
    "camera": N,
    "operation": N,
    "night_walk_route": E,
    "observation": N,
    "indicator": E,
}
#: A demo account per role; for 'own' roles one that has reported observations.
DEMO_ACCOUNT = {**auth.DEMO_ACCOUNTS, "municipal_staff": "kommun1", "field_worker": "falt1"}


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


# --- the matrix in one place ----------------------------------------------------------------


def test_issue_table_equals_layer_specs():
    specs = load_layers()
    for layer, cells in ISSUE_MATRIX.items():
        for role, expected in zip(ISSUE_ROLES, cells, strict=True):
            assert specs[layer].precision_for(role) == expected, (layer, role)


def test_night_walker_row_equals_layer_specs():
    specs = load_layers()
    assert "night_walker" in ROLES
    assert {layer: spec.precision_for("night_walker") for layer, spec in specs.items()} == (
        NIGHT_WALKER_ROW
    )


def test_regional_analyst_row_equals_layer_specs():
    specs = load_layers()
    assert "regional_analyst" in ROLES and "regional_analyst" in SUPPRESSING_ROLES
    assert {layer: spec.precision_for("regional_analyst") for layer, spec in specs.items()} == (
        REGIONAL_ROW
    )


def test_database_matrix_equals_layer_specs(owner_engine, demo_loaded):
    cfg = config.settings()
    with owner_engine.connect() as c:
        rows = c.execute(
            text("select db_role, layer, precision, suppress_below from pax_data.role_precision")
        ).all()
        settings = dict(c.execute(text("select key, value from pax_data.setting")).all())
    db_matrix = {(r.db_role.removeprefix("pax_"), r.layer): r.precision for r in rows}
    assert db_matrix == precision_matrix()
    for r in rows:
        role = r.db_role.removeprefix("pax_")
        assert r.suppress_below == (cfg.suppress_below if role in SUPPRESSING_ROLES else 0)
    assert settings["grid_m"] == str(cfg.grid_m)


def test_threshold_and_grid_are_configurable(conn, demo_loaded):
    """Both come from settings (PAX_SUPPRESS_BELOW, PAX_GRID_M) through sync_privileges."""
    cfg = dataclasses.replace(config.settings(), suppress_below=5, grid_m=500)
    sync_privileges(conn, cfg)
    supp = dict(
        conn.execute(
            text("select db_role, max(suppress_below) from pax_data.role_precision group by 1")
        ).all()
    )
    assert supp["pax_field_worker"] == supp["pax_board_viewer"] == 5
    assert supp["pax_police_analyst"] == 0
    conn.execute(text("set local role pax_security_chief"))
    xy = conn.execute(text("select st_x(geom), st_y(geom) from pax_api.incident_grid")).all()
    assert xy and all(x % 500 == 250 and y % 500 == 250 for x, y in xy)


# --- what each login actually gets, per layer ---------------------------------------------------


def _count(c, sql: str, **params) -> int | None:
    """Row count, or None when the login may not read it at all."""
    try:
        with c.begin_nested():
            return int(c.execute(text(sql), params).scalar())
    except DBAPIError as exc:
        assert getattr(exc.orig, "sqlstate", None) == "42501", exc
        return None


def observed(c, owner: Engine, layer: str, username: str, grid_m: int) -> str:
    """The precision a login gets for a layer, judged from the data it receives."""
    with owner.connect() as oc:
        if layer in INCIDENT_KINDS:
            total = oc.execute(
                text("select count(*) from pax_data.incident where kind = :k"), {"k": layer}
            ).scalar()
        else:
            total = oc.execute(text(f"select count(*) from pax_data.{layer}")).scalar()
    assert (total or 0) > 0, layer
    if layer in INCIDENT_KINDS:
        exact = _count(c, "select count(*) from pax_api.incident_exact where kind = :k", k=layer)
        grid = _count(c, "select count(*) from pax_api.incident_grid where kind = :k", k=layer)
        off_grid = _count(
            c,
            "select count(*) from pax_api.incident_grid where kind = :k and "
            "(st_x(geom)::numeric % :g <> :h or st_y(geom)::numeric % :g <> :h)",
            k=layer,
            g=grid_m,
            h=grid_m / 2,
        )
        counts = _count(
            c,
            "select count(*) from pax_api.incident_counts(now() - interval '10 years', "
            "now() + interval '1 day', 'all', cast(array[:k] as text[]))",
            k=layer,
        )
        if exact == total:
            return E
        assert not exact, (layer, exact)
        if grid == total:
            assert off_grid == 0
            return G
        assert not grid
        return A if counts else N
    if layer == "observation":
        rows = _count(c, "select count(*) from pax_api.observation")
        others = _count(
            c, "select count(*) from pax_api.observation where reporter <> :u", u=username
        )
        counts = _count(
            c,
            "select count(*) from pax_api.observation_counts(now() - interval '10 years', "
            "now() + interval '1 day')",
        )
        if rows == total:
            return E
        if rows:
            assert others == 0
            assert counts, "own precision includes counts per area"
            return OWN
        if counts:
            return A
        # 'own' with no own reports is indistinguishable here; the demo accounts have some
        return N
    if layer == "operation":
        rows = _count(c, "select count(*) from pax_api.operation")
        register = _count(c, "select count(*) from pax_api.operation_register()")
        polygons = _count(
            c, "select count(*) from pax_api.operation_register() where geom is not null"
        )
        if rows == total:
            assert register == polygons == total
            return E
        assert not rows and not polygons, (rows, polygons)
        if register:
            # per district only: the partners' actions, and police operations once started
            with owner.connect() as oc:
                visible = oc.execute(
                    text(
                        "select count(*) from pax_data.operation "
                        "where not is_police or starts_at <= now()"
                    )
                ).scalar()
            assert register == visible
            return A
        return N
    rows = _count(c, f"select count(*) from pax_api.{layer}")
    if rows == total:
        return E
    assert not rows, (layer, rows)
    return N


@pytest.mark.parametrize("role", ROLES)
def test_each_login_gets_exactly_its_precision(role, owner_engine, demo_loaded):
    username = DEMO_ACCOUNT[role]
    res = auth.authenticate(username, auth.DEMO_PASSWORD)
    assert res.ok
    grid_m = config.settings().grid_m
    with auth.reader_connection(role, res.token, username) as c:
        got = {layer: observed(c, owner_engine, layer, username, grid_m) for layer in load_layers()}
    expected = {layer: spec.precision_for(role) for layer, spec in load_layers().items()}
    assert got == expected


def test_exact_positions_are_the_real_ones(owner_engine, reader_engines, demo_loaded):
    with owner_engine.connect() as oc:
        base = dict(oc.execute(text("select id, st_astext(geom) from pax_data.incident")).all())
    with reader_engines["police_analyst"].connect() as c:
        seen = dict(c.execute(text("select id, st_astext(geom) from pax_api.incident_exact")).all())
    assert seen == base


@pytest.mark.parametrize("role", ROLES)
def test_small_counts_suppressed_for_field_and_board(
    role, owner_engine, reader_engines, demo_loaded
):
    """Exact counts for the other roles; for the suppressing roles no value below the threshold
    is ever released, and the released totals stay close to the truth (see test_release.py)."""
    cfg = config.settings()
    sql = (
        "select area_id, kind, n, suppressed from pax_api.incident_counts("
        "date_trunc('hour', now()) - interval '30 days', date_trunc('hour', now()))"
    )
    with reader_engines[role].connect() as c:
        got = {(r.area_id, r.kind): (r.n, r.suppressed) for r in c.execute(text(sql))}
    with owner_engine.connect() as oc:
        true = {
            (r.area_id, r.kind): r.n
            for r in oc.execute(
                text(
                    "select area_id, kind, count(*) as n from pax_data.incident "
                    "where occurred_at >= date_trunc('hour', now()) - interval '30 days' "
                    "and occurred_at < date_trunc('hour', now()) group by 1, 2"
                )
            )
        }
    prec = load_layers()
    visible = {k for k in INCIDENT_KINDS if prec[k].precision_for(role) != N}
    assert {k for _a, k in got} <= visible
    if role not in SUPPRESSING_ROLES:
        assert {k: v for k, v in got.items()} == {
            k: (n, False) for k, n in true.items() if k[1] in visible
        }
        return
    small = 0
    for (_area, _kind), (n, suppressed) in got.items():
        if suppressed:
            assert n is None
            small += 1
        else:
            assert n is not None and n >= cfg.suppress_below
    assert small > 0, "the demo data should have some small counts to suppress"
    for kind in visible:
        lo = sum(n or 1 for (_a, k), (n, _s) in got.items() if k == kind)
        hi = sum(n or cfg.suppress_below - 1 for (_a, k), (n, _s) in got.items() if k == kind)
        real = sum(v for (_a, k), v in true.items() if k == kind)
        # the noise on a 30-day total has a standard deviation of about 5
        assert lo - 30 <= real <= hi + 30, (kind, lo, hi, real)


# --- field mode: report history, places, write functions ------------------------------------


@pytest.fixture(scope="module")
def history_rows(owner_engine, demo_loaded):
    """Committed history rows of three demo reporters (removed again after the module)."""
    reporters = ("falt1", "falt2", "kommun1")
    with owner_engine.begin() as c:
        ids = (
            c.execute(
                text(
                    "insert into pax_data.observation_history (observation_id, revision, action, "
                    "category, text, reporter, changed_by) "
                    "select o.id, 1, 'report', o.category, o.text, o.reporter, o.reporter "
                    "from (select distinct on (reporter) * from pax_data.observation "
                    "      where reporter = any(:r) order by reporter, id) o "
                    "returning id"
                ),
                {"r": list(reporters)},
            )
            .scalars()
            .all()
        )
    assert len(ids) == len(reporters)
    yield ids
    with owner_engine.begin() as c:
        c.execute(text("delete from pax_data.observation_history where id = any(:i)"), {"i": ids})


@pytest.mark.parametrize("role", ROLES)
def test_observation_history_follows_the_observation_precision(
    role, owner_engine, history_rows, demo_loaded
):
    username = DEMO_ACCOUNT[role]
    prec = load_layers()["observation"].precision_for(role)
    with owner_engine.connect() as oc:
        every = set(oc.execute(text("select id from pax_data.observation_history")).scalars())
        own = set(
            oc.execute(
                text("select id from pax_data.observation_history where reporter = :u"),
                {"u": username},
            ).scalars()
        )
    res = auth.authenticate(username, auth.DEMO_PASSWORD)
    assert res.ok
    with auth.reader_connection(role, res.token, username) as c:
        may = c.execute(
            text("select has_table_privilege('pax_api.observation_history', 'select')")
        ).scalar()
        try:
            with c.begin_nested():
                seen: set[int] | None = set(
                    c.execute(text("select id from pax_api.observation_history")).scalars()
                )
        except DBAPIError as exc:
            assert getattr(exc.orig, "sqlstate", None) == "42501", exc
            seen = None
        # nor through the row function the view reads
        try:
            with c.begin_nested():
                direct: set[int] | None = set(
                    c.execute(text("select id from pax_api.observation_history_rows()")).scalars()
                )
        except DBAPIError as exc:
            assert getattr(exc.orig, "sqlstate", None) == "42501", exc
            direct = None
    if prec == E:
        assert may and seen == every and direct == every
        assert set(history_rows) <= every
    elif prec == OWN:
        assert may and seen == own and direct == own
        assert own & set(history_rows), "the demo reporter should have a history row"
    else:
        assert not may and seen is None and direct is None


@pytest.mark.parametrize("role", ROLES)
def test_named_places_are_readable_by_every_role(role, owner_engine, reader_engines, demo_loaded):
    with owner_engine.connect() as oc:
        truth = {
            r.id: (r.name, r.area_id)
            for r in oc.execute(text("select id, name, area_id from pax_data.place"))
        }
    assert truth
    with reader_engines[role].connect() as c:
        rows = c.execute(text("select id, name, area_id, lon, lat from pax_api.place")).all()
    assert {r.id: (r.name, r.area_id) for r in rows} == truth
    assert all(17 < r.lon < 18.5 and 58.8 < r.lat < 59.5 for r in rows)  # WGS84, Södertälje


def test_field_functions_are_executable_exactly_by_the_capable_roles(owner_engine, demo_loaded):
    with owner_engine.connect() as c:
        for fn, cap in FIELD_FUNCTIONS.items():
            for role in ROLES:
                got = c.execute(
                    text("select has_function_privilege(:u, :f, 'execute')"),
                    {"u": db.db_role_name(role), "f": f"pax_api.{fn}"},
                ).scalar()
                assert got == (cap is None or role in CAPABILITIES[cap]), (fn, role)
            # the sign-in login writes nothing in field mode
            assert not c.execute(
                text("select has_function_privilege(:u, :f, 'execute')"),
                {"u": db.AUTH_ROLE, "f": f"pax_api.{fn}"},
            ).scalar(), fn
        # the helpers behind them are nobody's to call
        for fn in (
            "_bound_user()",
            "_require(text)",
            "_clean_note(text, int4)",
            "_report_position(float8, float8, int4)",
            "_check_observed_at(timestamptz)",
            "_check_category(text)",
            "_observation_snapshot(int8, text, text, uuid)",
            "_own_recent(int8, text)",
        ):
            for login in (*(db.db_role_name(r) for r in ROLES), db.AUTH_ROLE, "pax_reader"):
                assert not c.execute(
                    text("select has_function_privilege(:u, :f, 'execute')"),
                    {"u": login, "f": f"pax_api.{fn}"},
                ).scalar(), (fn, login)
        # the capabilities the functions check inside are the ones in capabilities.py
        rows = c.execute(text("select db_role, capability from pax_data.role_capability")).all()
    assert {(r.db_role, r.capability) for r in rows} == {
        (db.db_role_name(role), cap) for cap, roles in CAPABILITIES.items() for role in roles
    }


# --- pages ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def role_apps(demo_loaded) -> dict[str, AppTest]:
    """One signed-in app per role for the whole matrix, as one user moving from page to page
    (each cell opens its page from wherever the previous cell left the app)."""
    return {}


def role_app(role_apps: dict[str, AppTest], role: str) -> AppTest:
    if role not in role_apps:
        role_apps[role] = app_support.signed_in_app(DEMO_ACCOUNT[role])
    return role_apps[role]


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.key)
@pytest.mark.parametrize("role", ROLES)
def test_role_page_cell(role, spec, owner_engine, demo_loaded, role_apps):
    at = role_app(role_apps, role)
    with owner_engine.connect() as oc:
        before = oc.execute(text("select coalesce(max(id), 0) from pax_data.audit_log")).scalar()
    at.switch_page(spec.path).run()
    # the menu lists exactly the pages the role may open, on every page
    menu = {link.value for link in at.page_link}
    assert menu == {tr(p.title_key) for p in PAGES if may_open(role, p.key)}
    refusal = tr("page_forbidden", role=tr(f"role_{role}"))
    errors = [e.value for e in at.error]
    with owner_engine.connect() as oc:
        refused_rows = oc.execute(
            text(
                "select username, role from pax_data.audit_log where id > :b "
                "and action = 'page_refused' and page = :p"
            ),
            {"b": before, "p": spec.key},
        ).all()
    if may_open(role, spec.key):
        assert refusal not in errors and tr("login_required") not in errors
        assert refused_rows == []
    else:
        assert refusal in errors
        assert tr(spec.title_key) not in [t.value for t in at.title]
        assert [tuple(r) for r in refused_rows] == [(DEMO_ACCOUNT[role], role)]
