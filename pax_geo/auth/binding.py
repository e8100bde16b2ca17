"""Binding a reader connection to the signed-in session (``pax.app_session``), so the database
resolves the application user itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError

from pax_geo import db
from pax_geo.auth.credentials import validate_role
from pax_geo.config import Settings

_CLEAR_SQL = (
    "select set_config('pax.app_session', '', false), set_config('pax.app_user', '', false)"
)


_guarded: set[int] = set()


def _guard_engine(engine: Engine) -> None:
    """Clear any bound session on every checkout from this engine's pool, so that a connection
    a page forgets to bind never carries another user's session."""
    if id(engine) in _guarded:
        return
    _guarded.add(id(engine))

    @event.listens_for(engine, "checkout")
    def _clear(dbapi_conn, _record, _proxy) -> None:  # pragma: no cover - trivial
        with dbapi_conn.cursor() as cur:
            cur.execute(_CLEAR_SQL)
        dbapi_conn.commit()


def bind_reader(conn: Connection, token: str | None, username: str | None = None) -> None:
    """Tell the database which signed-in session this reader connection serves.

    The settings are session-level and committed at once, so a later rollback on the
    connection does not drop them. ``pax.app_user`` is informational only; the database
    trusts ``pax.app_session`` alone.
    """
    _guard_engine(conn.engine)
    conn.execute(
        text(
            "select set_config('pax.app_session', :t, false), set_config('pax.app_user', :u, false)"
        ),
        {"t": token or "", "u": username or ""},
    )
    conn.commit()


@contextmanager
def reader_connection(
    role: str, token: str | None, username: str | None = None, cfg: Settings | None = None
) -> Iterator[Connection]:
    """A connection as ``role``'s own database login, bound to the session ``token``."""
    validate_role(role)
    eng = db.reader_engine(role, cfg)
    with eng.connect() as conn:
        bind_reader(conn, token, username)
        try:
            yield conn
        finally:
            try:
                conn.rollback()
                conn.execute(text(_CLEAR_SQL))
                conn.commit()
            except DBAPIError:
                conn.invalidate()


def bound_username(conn: Connection) -> str | None:
    """The application user the database resolves this connection's session to."""
    return conn.execute(text("select pax_api.app_username()")).scalar()
