"""Database roles and privileges, generated from the layer specs.

Each application role logs in as its own database role (``pax_<role>``). Its privileges are:

* membership of ``pax_reader``: the non-sensitive views (areas, routes, indicators) and the
  counts functions, which aggregate and suppress according to ``pax_data.role_precision``;
* SELECT on exactly the precision views that its row in the matrix allows.

:func:`sync_privileges` writes the matrix into ``pax_data.role_precision`` and (re)grants, so
the specs in ``layers/`` are the one source. It is idempotent and runs on every migrate.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

from pax_geo.audit import ACTIONS as AUDIT_ACTIONS
from pax_geo.audit import AUTH_ACTIONS
from pax_geo.capabilities import CAPABILITIES
from pax_geo.config import Settings, settings
from pax_geo.db import AUTH_ROLE, db_role_name, db_role_password
from pax_geo.layers import INCIDENT_KINDS, ROLES, SUPPRESSING_ROLES, load_layers
from pax_geo.sqlident import ident

READER_GROUP = "pax_reader"

#: Views every role may read (no sensitive positions in them).
PUBLIC_VIEWS = (
    "area",
    "indicator_key",
    "indicator",
    "night_walk_route",
    "night_walk",
    "my_precision",
    "place",
    # the municipalities of the session's scope (0018_regional.py)
    "municipality",
)
PUBLIC_FUNCTIONS = (
    "incident_counts(timestamptz, timestamptz, text, text[])",
    "observation_counts(timestamptz, timestamptz, text)",
    "audit(text, text, text, text, jsonb)",
    # map cells (0012): counted inside at the role's precision; nothing for area-only roles
    "incident_hex_counts(float8, timestamptz, timestamptz, text[], int4[], text[], text[])",
    "incident_grid_counts(timestamptz, timestamptz, text[], int4[], text[], text[])",
    # back-to-back windows in one call, the area card's lights (0023)
    "incident_window_counts(timestamptz, interval, int4, text[], int4[])",
)
RESTRICTED_VIEWS = (
    "incident_exact",
    "incident_grid",
    "camera",
    "operation",
    "observation",
    "observation_history",
)
#: Field-mode functions (0013_field.py) -> the capability whose roles may execute them. Each one
#: checks the capability again inside, against the login; my_account/set_my_theme are everyone's.
FIELD_FUNCTIONS: dict[str, str | None] = {
    "report_observation(uuid, text, timestamptz, float8, float8, int4, text)": (
        "report_observation"
    ),
    "correct_observation(int8, text, timestamptz, float8, float8, int4, text)": (
        "report_observation"
    ),
    "withdraw_observation(int8)": "report_observation",
    "triage_observation(int8, text, int8, int4)": "triage_observation",
    "log_walk(uuid, int4, date, int4, text)": "log_walk",
    "my_account()": None,
    "set_my_theme(text)": None,
}

#: Lägesbild functions (0014_board.py) -> the capability whose roles may execute them; each
#: checks it again inside. The two views read definer row functions that filter per capability.
BOARD_FUNCTIONS: dict[str, str] = {
    "briefing_save(int4, text, timestamptz, timestamptz, text)": "build_briefing",
    "briefing_comment_save(int4, text, text)": "build_briefing",
    "briefing_present(int4, date, jsonb)": "build_briefing",
    "briefing_delete(int4)": "build_briefing",
    "board_incident_counts(timestamptz, timestamptz, text, text[])": "build_briefing",
    "board_observation_counts(timestamptz, timestamptz, text)": "build_briefing",
    "board_pattern(timestamptz, timestamptz, text[])": "build_briefing",
    "board_operations(timestamptz, timestamptz)": "build_briefing",
    "briefing_rows()": "view_briefing",
    "briefing_comment_rows()": "view_briefing",
}
BOARD_VIEWS = ("briefing", "briefing_comment")

#: Insatser functions (0015_operations.py) -> the capability whose roles may execute them (each
#: checks it again inside), or a layer's precision the role must have ("operation:exact|area").
OPERATION_FUNCTIONS: dict[str, str] = {
    "operation_save(uuid, int4, text, text, text, bool, text, timestamptz, timestamptz, text, "
    "int4[], text, text[], text)": "record_action",
    "operation_set_status(int4, text)": "record_action",
    "operation_evaluation_save(int4, jsonb)": "evaluate_operation",
    "zone_day_counts(text[], text[], timestamptz, timestamptz, text[])": "evaluate_operation",
    "zone_incident_times(text, timestamptz, timestamptz, text[])": "evaluate_operation",
    "zone_count(text, timestamptz, timestamptz, text[])": "evaluate_operation",
    "operation_register()": "operation:exact|area",
    "collab_groups()": "operation:exact|area",
}

#: The non-superuser, NOLOGIN role that owns every function in pax_api. It may read
#: every pax_data table (the definer functions are the API to them) and write only what
#: DEFINER_WRITES lists; it has no CREATE anywhere and cannot log in.
DEFINER_ROLE = "pax_definer"
#: pax_data table -> the write privileges the definer functions need on it. A new definer
#: function that writes a table must add the table here.
DEFINER_WRITES = {
    "audit_log": "insert",
    "app_user": "update",
    "app_session": "insert, update, delete",
    "login_throttle": "insert, update, delete",
    # per-client login limits (0011_client_limits.py)
    "login_client": "insert, update, delete",
    "login_client_name": "insert, update, delete",
    # field mode (0013_field.py): reports, their history, the night walkers' log
    "observation": "insert, update, delete",
    "observation_history": "insert",
    "night_walk": "insert",
    # lägesbilder (0014_board.py)
    "briefing": "insert, update, delete",
    "briefing_comment": "insert, update, delete",
    # Insatser (0015_operations.py): the register and its evaluations
    "operation": "insert, update",
}
#: The schemas whose SECURITY DEFINER functions get DEFINER_ROLE as owner and a safe search_path.
DEFINER_SCHEMAS = ("pax_api", "pax_data")
#: The search_path a definer function gets when it sets none.
DEFAULT_DEFINER_PATH = ("pg_catalog", "pax_data", "public")
#: Every PL/pgSQL function in pax_api (and every definer one in pax_data) plans each call for
#: its own arguments. PL/pgSQL caches a statement's plan and, from the sixth call on a
#: connection, may switch to a generic plan built without the argument values; for the
#: released counts (0009) that generic plan took 60 s where the custom one takes 0.3 s.
PLAN_CACHE_SETTING = "plan_cache_mode=force_custom_plan"
#: pg_class columns readers must not see: they give every table's size and row count.
HIDDEN_PG_CLASS_COLUMNS = ("reltuples", "relpages", "relallvisible")
#: Size functions that reveal how many rows a table holds.
SIZE_FUNCTIONS = (
    "pg_catalog.pg_relation_size(regclass)",
    "pg_catalog.pg_relation_size(regclass, text)",
    "pg_catalog.pg_total_relation_size(regclass)",
    "pg_catalog.pg_table_size(regclass)",
    "pg_catalog.pg_indexes_size(regclass)",
    "pg_catalog.pg_database_size(name)",
    "pg_catalog.pg_database_size(oid)",
)


def restricted_views_for(role: str) -> set[str]:
    """The restricted views a role may SELECT from, derived from the matrix."""
    specs = load_layers()
    incident_prec = {specs[k].precision_for(role) for k in INCIDENT_KINDS}
    views: set[str] = set()
    if "exact" in incident_prec:
        views.add("incident_exact")
    if incident_prec & {"exact", "grid"}:
        views.add("incident_grid")
    if specs["camera"].precision_for(role) == "exact":
        views.add("camera")
    if specs["operation"].precision_for(role) == "exact":
        views.add("operation")
    if specs["observation"].precision_for(role) in ("exact", "own"):
        views.add("observation")
        views.add("observation_history")
    return views


def safe_search_path(config: list[str] | None) -> list[str]:
    """The search_path a definer function must run with: its own entries, pg_catalog first
    and pg_temp last (so the caller's temporary objects can never shadow anything)."""
    current = None
    for item in config or []:
        if item.startswith("search_path="):
            current = item.split("=", 1)[1]
    entries = ([e.strip().strip('"') for e in current.split(",")] if current else []) or list(
        DEFAULT_DEFINER_PATH
    )
    entries = [e for e in entries if e and e not in ("pg_temp", "$user")]
    if "pg_catalog" in entries:
        entries.remove("pg_catalog")
    return ["pg_catalog", *[ident(e, plain=True) for e in entries], "pg_temp"]


def _sync_definer(conn: Connection) -> None:
    """Create the definer role, give it exactly its rights, and hand it every pax_api function
    (and every definer function in pax_data), each definer one with a safe search_path.

    Runs after every migration, so functions added or replaced by later revisions are covered
    without being named here.
    """
    role = ident(DEFINER_ROLE, plain=True)
    conn.execute(
        text(
            "do $$ begin "
            f"create role {role} nologin nosuperuser nocreatedb nocreaterole noinherit "
            "noreplication nobypassrls; "
            "exception when duplicate_object or unique_violation then null; end $$"
        )
    )
    bad = conn.execute(
        text(
            "select rolsuper or rolcanlogin or rolbypassrls or rolcreaterole or rolcreatedb "
            "or rolreplication from pg_roles where rolname = :r"
        ),
        {"r": role},
    ).scalar()
    if bad:
        conn.execute(
            text(
                f"alter role {role} nologin nosuperuser nocreatedb nocreaterole noinherit "
                "noreplication nobypassrls"
            )
        )
    # a role created by a non-superuser owner: the owner must be a member to hand it objects
    if not conn.execute(
        text("select rolsuper from pg_roles where rolname = current_user")
    ).scalar():
        conn.execute(text(f"grant {role} to current_user"))
    for schema in ("pax_api", "pax_data", "public"):
        conn.execute(text(f"revoke create on schema {schema} from {role}"))
        conn.execute(text(f"grant usage on schema {schema} to {role}"))
    conn.execute(text(f"revoke all on all tables in schema pax_data from {role}"))
    conn.execute(text(f"grant select on all tables in schema pax_data to {role}"))
    conn.execute(text(f"grant usage on all sequences in schema pax_data to {role}"))
    for table, privs in DEFINER_WRITES.items():
        if conn.execute(text("select to_regclass(:t)"), {"t": f"pax_data.{table}"}).scalar():
            conn.execute(text(f"grant {privs} on pax_data.{ident(table, plain=True)} to {role}"))
    if conn.execute(text("select to_regprocedure('pax_data.personal_data_kind(text)')")).scalar():
        conn.execute(text(f"grant execute on function pax_data.personal_data_kind(text) to {role}"))
    if conn.execute(text("select to_regclass('pax_data.municipality')")).scalar():
        conn.execute(
            text(f"grant execute on function pax_data.municipality_at(public.geometry) to {role}")
        )
    # The views read pax_data as their owner. Owned by the definer (not the tables' owner, no
    # BYPASSRLS) they are under the tenancy policies (0016_tenancy.py) like the functions are.
    views = (
        conn.execute(
            text(
                "select c.oid::regclass::text from pg_class c "
                "join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = 'pax_api' and c.relkind = 'v' "
                "and pg_get_userbyid(c.relowner) <> :r order by 1"
            ),
            {"r": DEFINER_ROLE},
        )
        .scalars()
        .all()
    )
    for view in views:
        conn.execute(text(f"alter view {view} owner to {role}"))

    rows = conn.execute(
        text(
            "select p.oid::regprocedure::text as sig, p.prosecdef, p.proconfig, "
            "n.nspname, pg_get_userbyid(p.proowner) as owner, l.lanname "
            "from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "join pg_language l on l.oid = p.prolang "
            "where n.nspname = any(:schemas) and p.prokind in ('f', 'p') "
            "and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass "
            "                and d.objid = p.oid and d.deptype = 'e') "
            "order by 1"
        ),
        {"schemas": list(DEFINER_SCHEMAS)},
    ).all()
    for sig, secdef, config, schema, owner, language in rows:
        if schema != "pax_api" and not secdef:
            continue  # e.g. pax_data's trigger functions run as the invoker
        if owner != role:
            conn.execute(text(f"alter routine {sig} owner to {role}"))
        has_path = any(c.startswith("search_path=") for c in config or [])
        if secdef or has_path:
            path = safe_search_path(config)
            wanted = "search_path=" + ", ".join(path)
            if wanted not in (config or []):
                conn.execute(text(f"alter routine {sig} set search_path = {', '.join(path)}"))
        if language == "plpgsql" and PLAN_CACHE_SETTING not in (config or []):
            conn.execute(text(f"alter routine {sig} set plan_cache_mode = force_custom_plan"))


def _sync_catalog(conn: Connection, dbname: str, logins: list[str]) -> None:
    """No login but the owner may create objects (TEMP included) or read table sizes and row
    counts from the catalogue or the statistics functions."""
    conn.execute(text(f"revoke temporary, create on database {ident(dbname)} from public"))
    conn.execute(text("revoke create on schema public from public"))
    for login in logins:
        conn.execute(
            text(
                f"revoke temporary, create on database {ident(dbname)} from {ident(login, plain=True)}"
            )
        )
        for schema in ("pax_api", "pax_data", "public"):
            conn.execute(text(f"revoke create on schema {schema} from {ident(login, plain=True)}"))
    if not conn.execute(
        text("select rolsuper from pg_roles where rolname = current_user")
    ).scalar():
        return  # catalogue privileges can only be changed by a superuser
    cols = conn.execute(
        text(
            "select attname from pg_attribute where attrelid = 'pg_catalog.pg_class'::regclass "
            "and attnum > 0 and not attisdropped and attname <> all(:hidden) order by attnum"
        ),
        {"hidden": list(HIDDEN_PG_CLASS_COLUMNS)},
    ).scalars()
    conn.execute(text("revoke select on pg_catalog.pg_class from public"))
    conn.execute(
        text(
            f"grant select ({', '.join(ident(c, plain=True) for c in cols)}) on pg_catalog.pg_class to public"
        )
    )
    stat_fns = conn.execute(
        text(
            "select p.oid::regprocedure::text from pg_proc p "
            "where p.pronamespace = 'pg_catalog'::regnamespace "
            "and p.proname like 'pg_stat_get%' and p.pronargs >= 1 "
            "and p.proargtypes[0] in ('oid'::regtype, 'regclass'::regtype)"
        )
    ).scalars()
    for fn in [*stat_fns, *SIZE_FUNCTIONS]:
        conn.execute(text(f"revoke execute on function {fn} from public"))
    # PostGIS's definer function reads the planner statistics of any table (extents of hidden
    # layers): the application never calls it.
    for fn in conn.execute(
        text(
            "select p.oid::regprocedure::text from pg_proc p "
            "where p.prosecdef and p.proname = 'st_estimatedextent'"
        )
    ).scalars():
        conn.execute(text(f"revoke execute on function {fn} from public"))


def _sync_audit_actions(conn: Connection) -> None:
    conn.execute(text("delete from pax_data.audit_action"))
    conn.execute(
        text("insert into pax_data.audit_action (action, auth_login) values (:a, :x)"),
        [{"a": a, "x": a in AUTH_ACTIONS} for a in AUDIT_ACTIONS],
    )
    conn.execute(
        text(
            "insert into pax_data.setting (key, value) values ('auth_login', :v) "
            "on conflict (key) do update set value = excluded.value"
        ),
        {"v": AUTH_ROLE},
    )


def _ensure_login_role(conn: Connection, role: str, cfg: Settings) -> None:
    role = ident(role, plain=True)
    password = db_role_password(role, cfg)
    assert re.fullmatch(r"[0-9a-f]+", password)
    exists = conn.execute(text("select 1 from pg_roles where rolname = :r"), {"r": role}).scalar()
    verb = "alter" if exists else "create"
    conn.execute(
        text(
            f"{verb} role {role} with login nosuperuser nocreatedb nocreaterole "
            f"noreplication nobypassrls password '{password}'"
        )
    )


def _sync_field(conn: Connection) -> None:
    """Capabilities and observation categories into the database (0013_field.py), and execute
    rights on the field-mode functions for exactly the roles that have the capability."""
    if not conn.execute(text("select to_regclass('pax_data.role_capability')")).scalar():
        return
    conn.execute(text("delete from pax_data.role_capability"))
    conn.execute(
        text("insert into pax_data.role_capability (db_role, capability) values (:r, :c)"),
        [
            {"r": db_role_name(role), "c": cap}
            for cap, roles in sorted(CAPABILITIES.items())
            for role in sorted(roles)
        ],
    )
    conn.execute(text("delete from pax_data.observation_category"))
    cats = load_layers()["observation"].categories
    if cats:
        conn.execute(
            text(
                "insert into pax_data.observation_category (label_sv, key, label_en) "
                "values (:sv, :k, :en)"
            ),
            [{"sv": v["sv"], "k": k, "en": v["en"]} for k, v in cats.items()],
        )
    for fn, cap in FIELD_FUNCTIONS.items():
        for role in ROLES:
            login = ident(db_role_name(role), plain=True)
            verb = "grant" if cap is None or role in CAPABILITIES[cap] else "revoke"
            prep = "to" if verb == "grant" else "from"
            conn.execute(text(f"{verb} execute on function pax_api.{fn} {prep} {login}"))


def _sync_board(conn: Connection) -> None:
    """Execute rights on the lägesbild functions and views (0014_board.py) for exactly the roles
    with the capability, and the board's login as the reference for the board-level release."""
    if not conn.execute(text("select to_regclass('pax_data.briefing')")).scalar():
        return
    conn.execute(
        text("update pax_data.setting set value = :v where key = 'board_db_role'"),
        {"v": db_role_name("board_viewer")},
    )
    for role in ROLES:
        login = ident(db_role_name(role), plain=True)
        for fn, cap in BOARD_FUNCTIONS.items():
            verb, prep = ("grant", "to") if role in CAPABILITIES[cap] else ("revoke", "from")
            conn.execute(text(f"{verb} execute on function pax_api.{fn} {prep} {login}"))
        for view in BOARD_VIEWS:
            if role in CAPABILITIES["view_briefing"]:
                conn.execute(text(f"grant select on pax_api.{view} to {login}"))
            else:
                conn.execute(text(f"revoke all on pax_api.{view} from {login}"))


#: The roles that may read counts per municipality (pax_api.municipality_counts).
MUNICIPALITY_COUNT_ROLES = ("regional_analyst", "police_analyst")


def _sync_tenancy(conn: Connection, cfg: Settings) -> None:
    """The installation's own municipality in the reference table (0016_tenancy.py), under
    its configured name; and the scope function for every login (the policies call it)."""
    conn.execute(
        text(
            "insert into pax_data.municipality (code, name) values (:c, :n) "
            "on conflict (code) do update set name = excluded.name"
        ),
        {"c": cfg.municipality_code, "n": cfg.municipality_name},
    )
    conn.execute(text(f"grant execute on function pax_api._scope() to {READER_GROUP}, {AUTH_ROLE}"))
    # Counts per municipality (0018) only for the roles that compare municipalities: to any
    # other role they would be a second, independently noised release of the counts it
    # already gets per area, which narrows the noise of both.
    fn = "pax_api.municipality_counts(timestamptz, timestamptz, text, text[])"
    if conn.execute(text("select to_regprocedure(:f)"), {"f": fn}).scalar() is None:
        return
    conn.execute(text(f"revoke all on function {fn} from {READER_GROUP}"))
    for role in ROLES:
        login = ident(db_role_name(role), plain=True)
        verb = "grant" if role in MUNICIPALITY_COUNT_ROLES else "revoke"
        conn.execute(
            text(f"{verb} execute on function {fn} {'to' if verb == 'grant' else 'from'} {login}")
        )


def may_execute(role: str, rule: str) -> bool:
    """Whether a role gets EXECUTE on a function under OPERATION_FUNCTIONS' rule."""
    if rule.startswith("operation:"):
        return load_layers()["operation"].precision_for(role) in rule.split(":", 1)[1].split("|")
    return role in CAPABILITIES[rule]


def _sync_operations(conn: Connection) -> None:
    """Execute rights on the Insatser functions (0015_operations.py) for exactly the roles that
    the capability or the operation layer's precision allows."""
    if not conn.execute(text("select to_regclass('pax_data.collab_group')")).scalar():
        return
    for role in ROLES:
        login = ident(db_role_name(role), plain=True)
        for fn, rule in OPERATION_FUNCTIONS.items():
            verb, prep = ("grant", "to") if may_execute(role, rule) else ("revoke", "from")
            conn.execute(text(f"{verb} execute on function pax_api.{fn} {prep} {login}"))


def sync_privileges(conn: Connection, cfg: Settings | None = None) -> None:
    cfg = cfg or settings()
    exists = conn.execute(
        text("select 1 from pg_roles where rolname = :r"), {"r": READER_GROUP}
    ).scalar()
    if not exists:
        conn.execute(text(f"create role {READER_GROUP} nologin"))
    dbname = str(conn.execute(text("select current_database()")).scalar_one())
    conn.execute(text(f"grant connect on database {ident(dbname)} to {READER_GROUP}"))
    conn.execute(text(f"grant usage on schema pax_api to {READER_GROUP}"))
    conn.execute(text(f"grant usage on schema public to {READER_GROUP}"))
    for view in PUBLIC_VIEWS:
        conn.execute(text(f"grant select on pax_api.{view} to {READER_GROUP}"))
    for fn in PUBLIC_FUNCTIONS:
        conn.execute(text(f"grant execute on function pax_api.{fn} to {READER_GROUP}"))
    # --- data freshness for the "Källa · data t.o.m." captions (0006) ---
    conn.execute(text(f"grant execute on function pax_api.data_status() to {READER_GROUP}"))

    conn.execute(
        text("update pax_data.setting set value = :v where key = :k"),
        [
            {"k": "grid_m", "v": str(cfg.grid_m)},
            {"k": "suppress_below", "v": str(cfg.suppress_below)},
            {"k": "release_alpha", "v": repr(float(cfg.release_alpha))},
        ],
    )
    conn.execute(text("delete from pax_data.role_precision"))
    rows = []
    for spec in load_layers().values():
        for role in ROLES:
            rows.append(
                {
                    "r": db_role_name(role),
                    "l": spec.id,
                    "p": spec.precision_for(role),
                    "s": cfg.suppress_below if role in SUPPRESSING_ROLES else 0,
                }
            )
    conn.execute(
        text(
            "insert into pax_data.role_precision (db_role, layer, precision, suppress_below) "
            "values (:r, :l, :p, :s)"
        ),
        rows,
    )

    for role in ROLES:
        db_role = ident(db_role_name(role), plain=True)
        _ensure_login_role(conn, db_role, cfg)
        conn.execute(text(f"grant {READER_GROUP} to {db_role}"))
        conn.execute(text(f"revoke all on all tables in schema pax_data from {db_role}"))
        for view in RESTRICTED_VIEWS:
            conn.execute(text(f"revoke all on pax_api.{view} from {db_role}"))
            conn.execute(text(f"revoke all on function pax_api.{view}_rows from {db_role}"))
        for view in sorted(restricted_views_for(role)):
            conn.execute(text(f"grant select on pax_api.{view} to {db_role}"))
            # the view reads this definer function, which filters inside
            conn.execute(text(f"grant execute on function pax_api.{view}_rows to {db_role}"))
        conn.execute(text(f"revoke all on pax_api.audit_log from {db_role}"))
    conn.execute(text(f"grant select on pax_api.audit_log to {db_role_name('admin')}"))

    # --- ingest -------------------------------------------------------------------------------
    # The Police feed is public information: every role may read the kept events. The import
    # history (file names, counts, reports) only for the roles that may open the import page.
    conn.execute(text(f"grant select on pax_api.police_event to {READER_GROUP}"))
    for role in ROLES:
        conn.execute(
            text(f"revoke all on pax_api.import_run from {ident(db_role_name(role), plain=True)}")
        )
    for role in ("admin", "police_analyst"):
        conn.execute(
            text(f"grant select on pax_api.import_run to {ident(db_role_name(role), plain=True)}")
        )
    # --- end ingest ----------------------------------------------------------------------

    _ensure_login_role(conn, AUTH_ROLE, cfg)
    conn.execute(text(f"grant connect on database {ident(dbname)} to {AUTH_ROLE}"))
    conn.execute(text(f"grant usage on schema pax_api to {AUTH_ROLE}"))
    conn.execute(
        text(
            f"grant execute on function pax_api.audit(text, text, text, text, jsonb) to {AUTH_ROLE}"
        )
    )
    # --- login, sessions, audit: see sql/migrations/versions/0003_auth.py ---
    for fn in (
        "auth_lookup(text)",
        "auth_fail(text, int, int)",
        "auth_success(text, text, int)",
        "auth_sso(text, text, text, int)",
        "session_touch(text)",
        "session_end(text, text)",
    ):
        conn.execute(text(f"grant execute on function pax_api.{fn} to {AUTH_ROLE}"))
    # --- client limits and the session sweep (0011_client_limits.py) ---
    for fn in (
        "auth_client_state(text, text)",
        "auth_client_fail(text, text, int, int, int)",
        "auth_client_success(text)",
        "session_sweep()",
    ):
        conn.execute(text(f"grant execute on function pax_api.{fn} to {AUTH_ROLE}"))
    # the observation view resolves the bound session through this function
    conn.execute(text(f"grant execute on function pax_api.app_username() to {READER_GROUP}"))
    for role in ROLES:
        conn.execute(
            text(f"revoke all on pax_api.app_user from {ident(db_role_name(role), plain=True)}")
        )
    conn.execute(text(f"grant select on pax_api.app_user to {db_role_name('admin')}"))

    _sync_field(conn)
    _sync_board(conn)
    _sync_operations(conn)

    _sync_tenancy(conn, cfg)

    # --- hardening: definer owner and search_path, no CREATE/TEMP, no row counts ---
    _sync_audit_actions(conn)
    _sync_definer(conn)
    _sync_catalog(
        conn,
        dbname,
        [READER_GROUP, AUTH_ROLE, DEFINER_ROLE, *(db_role_name(r) for r in ROLES)],
    )
