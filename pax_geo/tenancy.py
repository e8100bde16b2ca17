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
