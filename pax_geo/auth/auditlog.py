"""Writing audit rows: through a reader login bound to its session, or as the owner."""

from __future__ import annotations

from sqlalchemy import Connection, text

from pax_geo.auth.binding import reader_connection
from pax_geo.auth.credentials import _json
from pax_geo.auth.sessions import auth_engine
from pax_geo.config import Settings


def write_audit(
    action: str,
    page: str | None = None,
    detail: dict | None = None,
    *,
    role: str | None = None,
    token: str | None = None,
    username: str | None = None,
    cfg: Settings | None = None,
) -> None:
    """Append an audit row.

    With ``role`` and ``token`` the row is written through that role's login bound to the
    session, and the database fills in the verified user and role. Without them (login events
    before a session exists) it is written through ``pax_auth`` with the given user name.
    """
    params = {
        "u": username,
        "r": role,
        "a": action,
        "p": page,
        "d": _json(detail),
    }
    sql = text("select pax_api.audit(:u, :r, :a, :p, cast(:d as jsonb))")
    if role and token:
        with reader_connection(role, token, username, cfg) as conn:
            conn.execute(sql, params)
            conn.commit()
    else:
        with auth_engine(cfg).begin() as conn:
            conn.execute(sql, params)


def owner_audit(
    conn: Connection, actor: str, action: str, detail: dict, role: str | None = None
) -> None:
    """Audit an administrative change in the same (owner) transaction as the change.

    ``actor`` is the signed-in administrator (admin page) or ``cli:<os user>`` (``pax users``).
    """
    conn.execute(
        text("select pax_api.audit(:u, :r, :a, 'users', cast(:d as jsonb))"),
        {
            "u": actor,
            "r": role,
            "a": action,
            "d": _json(detail),
        },
    )
