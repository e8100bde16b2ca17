"""Accounts, password login, lockout, application sessions and single sign-on. Core: no Streamlit.

Authentication runs through the ``pax_auth`` database login, which may only call the SECURITY
DEFINER functions of migration 0003; the web app never needs owner credentials to sign
someone in. The argon2 hash is verified here, in Python (argon2-cffi).

* :func:`authenticate` checks a user name and password and, on success, opens a session: a
  random token whose SHA-256 is stored in ``pax_data.app_session``.
* :func:`reader_connection` / :func:`bind_reader` set that token on a reader connection
  (``pax.app_session``); the database resolves it to the application user for 'own'
  observations and for audit rows, so a page cannot claim to be someone else.
* :func:`touch_session` is called on every run: idle expiry, logout, a disabled account or a
  changed role all end the session in the database too.
* Account administration (``pax users``, the admin page, demo loading) uses the owner
  connection: :func:`add_user`, :func:`set_role`, :func:`set_disabled`, :func:`reset_password` …

Unknown user names are verified against a dummy hash and counted for lockout like real ones,
so neither the time taken nor the message tells whether an account exists.
"""

from __future__ import annotations

import json
import re
import secrets
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError

from pax_geo import db
from pax_geo.config import Settings, settings
from pax_geo.layers import ROLES

USERNAME_RE = re.compile(r"^[a-z0-9._-]{2,64}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024

#: The documented password of every demo account (README). Demo databases only.
DEMO_PASSWORD = "pax-demo-2026"

#: Demo accounts, created by demo loading only: (user name, display name, role, district).
DEMO_USERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("polis", "Demo Polis (analytiker)", "police_analyst", None),
    ("sakerhetschef", "Demo Säkerhetschef", "security_chief", None),
    ("kommun", "Demo Kommunal tjänsteperson", "municipal_staff", None),
    ("falt", "Demo Fältarbetare", "field_worker", "Ronna"),
    ("styrelse", "Demo Kommunstyrelsen", "board_viewer", None),
    ("admin", "Demo Administratör", "admin", None),
    ("falt1", "Demo Fältarbetare 1", "field_worker", "Geneta"),
    ("falt2", "Demo Fältarbetare 2", "field_worker", "Hovsjö"),
    ("kommun1", "Demo Kommunal tjänsteperson 1", "municipal_staff", None),
)

LoginStatus = Literal["ok", "invalid", "locked", "throttled", "disabled"]
SessionStatus = Literal["ok", "expired", "ended", "changed", "unknown"]

_hasher = PasswordHasher()


class AuthError(ValueError):
    """Bad input for an account operation; the message names the field and the problem."""


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: str
    area_id: int | None = None


@dataclass(frozen=True)
class LoginResult:
    status: LoginStatus
    account: Account | None = None
    token: str | None = field(default=None, repr=False)
    locked_until: datetime | None = None
    #: This attempt is the one that locked the name (as opposed to an attempt while locked).
    just_locked: bool = False
    #: What is locked: 'account' (the name, for everyone), 'name' (the name, for this client
    #: only) or 'client' (this client, for every name; status 'throttled').
    scope: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class SessionCheck:
    status: SessionStatus
    account: Account | None = None


# --- passwords ------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    validate_password(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(24))


def validate_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AuthError(f"password: must be at most {MAX_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise AuthError("password: must not start or end with white space")


def normalize_username(raw: str | None) -> str:
    """Lower case, trimmed, at most 128 characters, without NUL (which PostgreSQL refuses)."""
    return str(raw or "").replace("\x00", "").strip().lower()[:128]


def _no_control(value: str, what: str) -> str:
    if any(ord(ch) < 32 for ch in value):
        raise AuthError(f"{what}: must not contain control characters")
    return value


def _json(detail: dict | None) -> str:
    """JSON for a jsonb parameter (jsonb refuses the NUL escape)."""
    return json.dumps(detail or {}, default=str, ensure_ascii=False).replace("\\u0000", "")


def validate_username(username: str) -> str:
    name = normalize_username(username)
    if not USERNAME_RE.fullmatch(name):
        raise AuthError(
            f"username {username!r}: use 2-64 characters a-z, 0-9, dot, dash or underscore"
        )
    return name


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise AuthError(f"role {role!r}: must be one of {', '.join(ROLES)}")
    return role


# --- login ----------------------------------------------------------------------------------


def auth_engine(cfg: Settings | None = None) -> Engine:
    return db.reader_engine("auth", cfg)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def normalize_client(client: str | None) -> str | None:
    """A client key (the connection's IP address) or None; at most 128 printable characters."""
    value = "".join(ch for ch in str(client or "") if 32 < ord(ch) < 127)[:128]
    return value or None


def authenticate(
    username: str, password: str, cfg: Settings | None = None, client: str | None = None
) -> LoginResult:
    """Check a user name and password; on success open a session.

    The result never tells an unknown name from a wrong password: both are ``invalid``, both
    count towards the lockout of that name, and both cost one argon2 verification.
    ``disabled`` is only reported to someone who gave the right password.

    With ``client`` (the browser connection's IP address) the per-client limits of migration
    0011 apply: a client with ``lockout_client_attempts`` failures within ``lockout_minutes``
    is ``throttled`` for every name (without any name-dependent work), and one client adds at
    most ``lockout_attempts - 1`` failures to a name's own lockout: after that the name is
    locked for that client only, so no single client can lock somebody else's account.
    """
    cfg = cfg or settings()
    name = normalize_username(username)
    client = normalize_client(client)
    password = password if isinstance(password, str) else ""
    eng = auth_engine(cfg)
    client_lock = None
    if client:
        with eng.begin() as conn:
            client_lock = (
                conn.execute(
                    text("select * from pax_api.auth_client_state(:c, :u)"),
                    {"c": client, "u": name},
                )
                .mappings()
                .one()
            )
        if client_lock["scope"] == "client":
            return LoginResult(
                "throttled", locked_until=client_lock["locked_until"], scope="client"
            )
    with eng.begin() as conn:
        row = (
            conn.execute(text("select * from pax_api.auth_lookup(:u)"), {"u": name})
            .mappings()
            .one()
        )
    stored = row["password_hash"] if row["known"] else None
    if len(password) > MAX_PASSWORD_LENGTH:
        password = ""  # never matches; still one verification
    matched = verify_password(stored or _dummy_hash(), password) and stored is not None
    if row["locked_until"] is not None:
        return LoginResult("locked", locked_until=row["locked_until"], scope="account")
    if client_lock is not None and client_lock["locked_until"] is not None:
        return LoginResult("locked", locked_until=client_lock["locked_until"], scope="name")
    if not matched:
        with eng.begin() as conn:
            if client:
                res = (
                    conn.execute(
                        text("select * from pax_api.auth_client_fail(:c, :u, :a, :m, :n)"),
                        {
                            "c": client,
                            "u": name,
                            "a": cfg.lockout_attempts,
                            "m": cfg.lockout_minutes,
                            "n": cfg.lockout_client_attempts,
                        },
                    )
                    .mappings()
                    .one()
                )
                locked, scope = res["locked_until"], res["scope"]
            else:
                locked = conn.execute(
                    text("select pax_api.auth_fail(:u, :a, :m)"),
                    {"u": name, "a": cfg.lockout_attempts, "m": cfg.lockout_minutes},
                ).scalar()
                scope = "account"
        if locked:
            status: LoginStatus = "throttled" if scope == "client" else "locked"
            return LoginResult(status, locked_until=locked, just_locked=True, scope=scope)
        return LoginResult("invalid")
    if row["disabled"]:
        return LoginResult("disabled")
    token = new_token()
    with eng.begin() as conn:
        acc = (
            conn.execute(
                text("select * from pax_api.auth_success(:u, :t, :i)"),
                {"u": name, "t": token, "i": cfg.session_idle_minutes},
            )
            .mappings()
            .first()
        )
        if acc is not None:
            conn.execute(text("select pax_api.auth_client_success(:u)"), {"u": name})
            conn.execute(text("select pax_api.session_sweep()"))
    if acc is None:  # disabled or locked between lookup and now
        return LoginResult("invalid")
    return LoginResult("ok", account=_account(acc), token=token)


def sso_sign_in(
    email: str | None,
    username: str | None,
    email_verified: bool | None = None,
    cfg: Settings | None = None,
) -> LoginResult:
    """Map an identity from the OpenID Connect provider to an account and open a session.

    The account is found by e-mail (case-insensitive), else by user name. An e-mail the
    provider marks as unverified is not used.
    """
    cfg = cfg or settings()
    mail = (email or "").strip()[:320] or None
    if email_verified is False or (mail and not EMAIL_RE.fullmatch(mail)):
        mail = None
    name = normalize_username(username) or None
    if not mail and not name:
        return LoginResult("invalid")
    token = new_token()
    with auth_engine(cfg).begin() as conn:
        acc = (
            conn.execute(
                text("select * from pax_api.auth_sso(:e, :u, :t, :i)"),
                {"e": mail, "u": name, "t": token, "i": cfg.session_idle_minutes},
            )
            .mappings()
            .first()
        )
    if acc is None:
        return LoginResult("invalid")
    return LoginResult("ok", account=_account(acc), token=token)


def touch_session(token: str, cfg: Settings | None = None) -> SessionCheck:
    """Check a session and mark it active. Anything but ``ok`` means: sign in again."""
    with auth_engine(cfg).begin() as conn:
        row = (
            conn.execute(text("select * from pax_api.session_touch(:t)"), {"t": token or ""})
            .mappings()
            .one()
        )
        # after this session's own check: end and audit the sessions of closed browsers
        conn.execute(text("select pax_api.session_sweep()"))
    status: SessionStatus = row["status"]
    return SessionCheck(status, _account(row) if status == "ok" else None)


def end_session(token: str, reason: str = "logout", cfg: Settings | None = None) -> None:
    with auth_engine(cfg).begin() as conn:
        conn.execute(text("select pax_api.session_end(:t, :r)"), {"t": token or "", "r": reason})


def _account(row) -> Account:
    return Account(row["username"], row["display_name"], row["role"], row["area_id"])


# --- reader connections bound to a session ----------------------------------------------------

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


# --- audit ----------------------------------------------------------------------------------


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


# --- account administration (owner connection) ------------------------------------------------


def resolve_area(conn: Connection, area: str | int | None) -> int | None:
    """An area id from an id, a code or a district name; None for None or ''."""
    if area is None or area == "":
        return None
    raw = _no_control(str(area).strip(), "area")
    if raw.isdigit():
        row = conn.execute(
            text("select id from pax_api.area where id = :i"), {"i": int(raw)}
        ).first()
    else:
        row = conn.execute(
            text(
                "select id from pax_api.area where (code = :v or lower(name) = lower(:v)) "
                "order by (kind = 'district') desc, id limit 1"
            ),
            {"v": raw},
        ).first()
    if row is None:
        raise AuthError(f"area {raw!r}: no such area id, code or name")
    return int(row[0])


def _require_user(conn: Connection, username: str) -> str:
    name = normalize_username(username)
    found = conn.execute(
        text("select 1 from pax_data.app_user where username = :u"), {"u": name}
    ).scalar()
    if not found:
        raise AuthError(f"username {username!r}: no such account")
    return name


def end_user_sessions(conn: Connection, username: str, reason: str) -> int:
    return conn.execute(
        text(
            "update pax_data.app_session s set ended_at = now(), end_reason = :r "
            "from pax_data.app_user u where u.id = s.user_id and u.username = :u "
            "and s.ended_at is null"
        ),
        {"u": normalize_username(username), "r": reason},
    ).rowcount


def add_user(
    conn: Connection,
    username: str,
    role: str,
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    area: str | int | None = None,
    actor: str = "system",
    actor_role: str | None = None,
) -> Account:
    """Create an account. Without a password it can only sign in through single sign-on."""
    name = validate_username(username)
    validate_role(role)
    display = _no_control((display_name or name).strip(), "display name")
    if not display or len(display) > 200:
        raise AuthError("display name: must be 1-200 characters")
    mail = _no_control((email or "").strip(), "email") or None
    if mail and not EMAIL_RE.fullmatch(mail):
        raise AuthError(f"email {email!r}: not an e-mail address")
    area_id = resolve_area(conn, area)
    exists = conn.execute(
        text("select 1 from pax_data.app_user where username = :u"), {"u": name}
    ).scalar()
    if exists:
        raise AuthError(f"username {name!r}: already exists")
    if (
        mail
        and conn.execute(
            text("select 1 from pax_data.app_user where lower(email) = lower(:e)"), {"e": mail}
        ).scalar()
    ):
        raise AuthError(f"email {mail!r}: already used by another account")
    pw_hash = hash_password(password) if password is not None else None
    conn.execute(
        text(
            "insert into pax_data.app_user (username, display_name, role, area_id, password_hash, "
            "email) values (:u, :d, :r, :a, :h, :e)"
        ),
        {"u": name, "d": display, "r": role, "a": area_id, "h": pw_hash, "e": mail},
    )
    owner_audit(
        conn, actor, "user_add", {"username": name, "role": role, "area_id": area_id}, actor_role
    )
    return Account(name, display, role, area_id)


def list_users(conn: Connection) -> list[dict]:
    """All accounts without password hashes (owner, or the admin role's login)."""
    rows = conn.execute(
        text(
            "select username, display_name, email, role, area_id, disabled, failed_attempts, "
            "locked_until, created_at, last_login_at, has_password "
            "from pax_api.app_user order by username"
        )
    ).mappings()
    return [dict(r) for r in rows]


def set_disabled(
    conn: Connection,
    username: str,
    disabled: bool,
    actor: str = "system",
    actor_role: str | None = None,
) -> None:
    name = _require_user(conn, username)
    conn.execute(
        text("update pax_data.app_user set disabled = :d where username = :u"),
        {"u": name, "d": disabled},
    )
    if disabled:
        end_user_sessions(conn, name, "disabled")
    owner_audit(
        conn, actor, "user_disable" if disabled else "user_enable", {"username": name}, actor_role
    )


def set_role(
    conn: Connection, username: str, role: str, actor: str = "system", actor_role: str | None = None
) -> None:
    name = _require_user(conn, username)
    validate_role(role)
    old = conn.execute(
        text("select role from pax_data.app_user where username = :u"), {"u": name}
    ).scalar()
    conn.execute(
        text("update pax_data.app_user set role = :r where username = :u"), {"u": name, "r": role}
    )
    if old != role:
        end_user_sessions(conn, name, "role_changed")
    owner_audit(
        conn, actor, "user_set_role", {"username": name, "from": old, "to": role}, actor_role
    )


def reset_password(
    conn: Connection,
    username: str,
    password: str,
    actor: str = "system",
    actor_role: str | None = None,
) -> None:
    """Set a new password, lift any lockout and end the account's open sessions."""
    name = _require_user(conn, username)
    pw_hash = hash_password(password)
    conn.execute(
        text(
            "update pax_data.app_user set password_hash = :h, failed_attempts = 0, "
            "locked_until = null where username = :u"
        ),
        {"u": name, "h": pw_hash},
    )
    end_user_sessions(conn, name, "password_reset")
    owner_audit(conn, actor, "user_reset_password", {"username": name}, actor_role)


def unlock(
    conn: Connection, username: str, actor: str = "system", actor_role: str | None = None
) -> None:
    name = _require_user(conn, username)
    conn.execute(
        text(
            "update pax_data.app_user set failed_attempts = 0, locked_until = null "
            "where username = :u"
        ),
        {"u": name},
    )
    # also the per-client locks and shares of this name (migration 0011)
    cleared = conn.execute(
        text("delete from pax_data.login_client_name where username = :u"), {"u": name}
    ).rowcount
    owner_audit(
        conn, actor, "user_unlock", {"username": name, "client_locks_cleared": cleared}, actor_role
    )


def set_email(
    conn: Connection,
    username: str,
    email: str | None,
    actor: str = "system",
    actor_role: str | None = None,
) -> None:
    name = _require_user(conn, username)
    mail = _no_control((email or "").strip(), "email") or None
    if mail and not EMAIL_RE.fullmatch(mail):
        raise AuthError(f"email {email!r}: not an e-mail address")
    if (
        mail
        and conn.execute(
            text(
                "select 1 from pax_data.app_user where lower(email) = lower(:e) and username <> :u"
            ),
            {"e": mail, "u": name},
        ).scalar()
    ):
        raise AuthError(f"email {mail!r}: already used by another account")
    conn.execute(
        text("update pax_data.app_user set email = :e where username = :u"), {"u": name, "e": mail}
    )
    owner_audit(conn, actor, "user_set_email", {"username": name, "email": mail}, actor_role)


ADMIN_ACTIONS = ("set_role", "disable", "enable", "unlock", "reset_password", "set_email")


def check_admin_change(actor: str, target: str, action: str, role: str | None = None) -> None:
    """Refuse changes that would lock the acting administrator out of administration."""
    if action not in ADMIN_ACTIONS:
        raise AuthError(f"action {action!r}: must be one of {', '.join(ADMIN_ACTIONS)}")
    if normalize_username(actor) != normalize_username(target):
        return
    if action == "disable" or (action == "set_role" and role != "admin"):
        raise AuthError("you cannot disable your own account or remove your own admin role")


def apply_admin_change(
    conn: Connection,
    actor: str,
    target: str,
    action: str,
    *,
    role: str | None = None,
    password: str | None = None,
    email: str | None = None,
    actor_role: str | None = "admin",
) -> None:
    """One change from the admin page (owner connection; the caller commits)."""
    check_admin_change(actor, target, action, role)
    kw: dict[str, typing.Any] = {"actor": actor, "actor_role": actor_role}
    if action == "set_role":
        set_role(conn, target, validate_role(role or ""), **kw)
    elif action == "disable":
        set_disabled(conn, target, True, **kw)
    elif action == "enable":
        set_disabled(conn, target, False, **kw)
    elif action == "unlock":
        unlock(conn, target, **kw)
    elif action == "reset_password":
        reset_password(conn, target, password or "", **kw)
    elif action == "set_email":
        set_email(conn, target, email, **kw)


def ensure_demo_users(conn: Connection) -> list[str]:
    """Create (or restore) one demo account per role plus the demo reporters, all with
    :data:`DEMO_PASSWORD`. Called by demo loading only, never by migrations."""
    names = []
    for username, display, role, district in DEMO_USERS:
        area_id = conn.execute(
            text("select id from pax_data.area where kind = 'district' and name = :n"),
            {"n": district},
        ).scalar()
        conn.execute(
            text(
                "insert into pax_data.app_user (username, display_name, role, area_id, "
                "password_hash) values (:u, :d, :r, :a, :h) "
                "on conflict (username) do update set display_name = excluded.display_name, "
                "role = excluded.role, area_id = excluded.area_id, "
                "password_hash = excluded.password_hash, disabled = false, "
                "failed_attempts = 0, locked_until = null"
            ),
            {
                "u": username,
                "d": display,
                "r": role,
                "a": area_id,
                "h": _hasher.hash(DEMO_PASSWORD),
            },
        )
        names.append(username)
    owner_audit(conn, "demo", "demo_users", {"usernames": names})
    return names
