"""The session's scope: its role and the municipalities the database gives it
(``pax_api._scope()``, sql/migrations/versions/0016_tenancy.py).

Shared caches are keyed by a scope key, ``"<role>@<code>,<code>"``: sessions with equal keys get
equal rows from the database, so they may share an entry, and no others may.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

_SEP = "@"


class ScopeChanged(RuntimeError):
    """The database gives the session other municipalities than the cache key names."""


def scope_of(conn: Connection) -> tuple[str, ...]:
    """The municipalities the database gives this connection (bound session or none)."""
    return tuple(conn.execute(text("select pax_api._scope()")).scalar_one() or ())


def key_for(role: str, codes: tuple[str, ...]) -> str:
    return f"{role}{_SEP}{','.join(codes)}"


def split_key(key: str) -> tuple[str, tuple[str, ...]]:
    """(role, codes) of a scope key."""
    role, sep, codes = key.partition(_SEP)
    if not sep or not role:
        raise ValueError(f"not a scope key: {key!r}")
    return role, tuple(c for c in codes.split(",") if c)


def check(conn: Connection, key: str) -> None:
    """Raise ScopeChanged unless this connection's scope is the key's."""
    role, codes = split_key(key)
    got = scope_of(conn)
    if got != codes:
        raise ScopeChanged(f"{role}: the database gives {got}, the key names {codes}")


#: Tables sharded by municipality_code in a distributed installation (Citus): every primary and
#: unique key, and every foreign key between them, contains it (0019_distribution_keys.py).
DISTRIBUTED_TABLES: tuple[str, ...] = (
    "incident",
    "observation",
    "observation_history",
    "camera",
    "night_walk_route",
    "night_walk",
    "operation",
    "indicator",
    "place",
    "police_event",
    "import_run",
    "briefing",
    "briefing_comment",
)
#: Small tables copied to every node (Citus reference tables). ``area`` carries a municipality
#: (and row security) but stays whole: accounts point at areas.
REFERENCE_TABLES: tuple[str, ...] = (
    "municipality",
    "area",
    "indicator_key",
    "collab_group",
    "observation_category",
    "setting",
    "role_precision",
    "role_capability",
    "release_key",
    "audit_action",
    "app_user",
    "app_user_area",
    "app_user_municipality",
    "app_session",
    "login_throttle",
    "login_client",
    "login_client_name",
)
#: Kept on the coordinator only (Citus local tables): append-only, never joined with shards.
LOCAL_TABLES: tuple[str, ...] = ("audit_log",)
#: Tables whose rows belong to a municipality (the distributed ones and the areas).
TENANT_TABLES: tuple[str, ...] = (*DISTRIBUTED_TABLES, "area")


def unique_key(table: str, key: tuple[str, ...]) -> tuple[str, ...]:
    """The database's unique key for a logical one (``("source", "source_id")``): on a
    municipality's table it leads with municipality_code, which the database fills itself."""
    name = table.removeprefix("pax_data.")
    return ("municipality_code", *key) if name in TENANT_TABLES else tuple(key)
