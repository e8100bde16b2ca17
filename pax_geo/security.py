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

from pax_geo.config import Settings, settings
from pax_geo.db import AUTH_ROLE, db_role_name, db_role_password
from pax_geo.layers import INCIDENT_KINDS, ROLES, SUPPRESSING_ROLES, load_layers

READER_GROUP = "pax_reader"

#: Views every role may read (no sensitive positions in them).
PUBLIC_VIEWS = (
    "area",
    "indicator_key",
    "indicator",
    "night_walk_route",
    "night_walk",
    "my_precision",
)
PUBLIC_FUNCTIONS = (
    "incident_counts(timestamptz, timestamptz, text, text[])",
    "observation_counts(timestamptz, timestamptz, text)",
    "audit(text, text, text, text, jsonb)",
)
RESTRICTED_VIEWS = ("incident_exact", "incident_grid", "camera", "operation", "observation")


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
    return views


def _ident(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"unsafe identifier {name!r}")
    return name


def _ensure_login_role(conn: Connection, role: str, cfg: Settings) -> None:
    role = _ident(role)
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


def sync_privileges(conn: Connection, cfg: Settings | None = None) -> None:
    cfg = cfg or settings()
    exists = conn.execute(
        text("select 1 from pg_roles where rolname = :r"), {"r": READER_GROUP}
    ).scalar()
    if not exists:
        conn.execute(text(f"create role {READER_GROUP} nologin"))
    dbname = conn.execute(text("select current_database()")).scalar()
    conn.execute(text(f'grant connect on database "{dbname}" to {READER_GROUP}'))
    conn.execute(text(f"grant usage on schema pax_api to {READER_GROUP}"))
    conn.execute(text(f"grant usage on schema public to {READER_GROUP}"))
    for view in PUBLIC_VIEWS:
        conn.execute(text(f"grant select on pax_api.{view} to {READER_GROUP}"))
    for fn in PUBLIC_FUNCTIONS:
        conn.execute(text(f"grant execute on function pax_api.{fn} to {READER_GROUP}"))
    # --- issue 6 (horizons): data freshness for the "Källa · data t.o.m." captions (0006) ---
    conn.execute(text(f"grant execute on function pax_api.data_status() to {READER_GROUP}"))
    # --- end issue 6 ---

    conn.execute(
        text("update pax_data.setting set value = :v where key = :k"),
        [
            {"k": "grid_m", "v": str(cfg.grid_m)},
            {"k": "suppress_below", "v": str(cfg.suppress_below)},
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
        db_role = _ident(db_role_name(role))
        _ensure_login_role(conn, db_role, cfg)
        conn.execute(text(f"grant {READER_GROUP} to {db_role}"))
        conn.execute(text(f"revoke all on all tables in schema pax_data from {db_role}"))
        for view in RESTRICTED_VIEWS:
            conn.execute(text(f"revoke all on pax_api.{view} from {db_role}"))
        for view in sorted(restricted_views_for(role)):
            conn.execute(text(f"grant select on pax_api.{view} to {db_role}"))
        conn.execute(text(f"revoke all on pax_api.audit_log from {db_role}"))
    conn.execute(text(f"grant select on pax_api.audit_log to {db_role_name('admin')}"))

    # --- ingest (issue 4) ------------------------------------------------------------------
    # The Police feed is public information: every role may read the kept events. The import
    # history (file names, counts, reports) only for the roles that may open the import page.
    conn.execute(text(f"grant select on pax_api.police_event to {READER_GROUP}"))
    for role in ROLES:
        conn.execute(text(f"revoke all on pax_api.import_run from {_ident(db_role_name(role))}"))
    for role in ("admin", "police_analyst"):
        conn.execute(text(f"grant select on pax_api.import_run to {_ident(db_role_name(role))}"))
    # --- end ingest ----------------------------------------------------------------------

    _ensure_login_role(conn, AUTH_ROLE, cfg)
    conn.execute(text(f'grant connect on database "{dbname}" to {AUTH_ROLE}'))
    conn.execute(text(f"grant usage on schema pax_api to {AUTH_ROLE}"))
    conn.execute(
        text(
            f"grant execute on function pax_api.audit(text, text, text, text, jsonb) to {AUTH_ROLE}"
        )
    )
    # --- issue 3 (login, sessions, audit): see sql/migrations/versions/0003_auth.py ---
    for fn in (
        "auth_lookup(text)",
        "auth_fail(text, int, int)",
        "auth_success(text, text, int)",
        "auth_sso(text, text, text, int)",
        "session_touch(text)",
        "session_end(text, text)",
    ):
        conn.execute(text(f"grant execute on function pax_api.{fn} to {AUTH_ROLE}"))
    # the observation view resolves the bound session through this function
    conn.execute(text(f"grant execute on function pax_api.app_username() to {READER_GROUP}"))
    for role in ROLES:
        conn.execute(text(f"revoke all on pax_api.app_user from {_ident(db_role_name(role))}"))
    conn.execute(text(f"grant select on pax_api.app_user to {db_role_name('admin')}"))
    # --- end issue 3 ---
