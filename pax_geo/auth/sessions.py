"""Signing in (password and single sign-on), lockout and application sessions, through the
``pax_auth`` login and its SECURITY DEFINER functions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, text

from pax_geo import db
from pax_geo.auth.credentials import (
    EMAIL_RE,
    MAX_PASSWORD_LENGTH,
    _dummy_hash,
    normalize_username,
    verify_password,
)
from pax_geo.config import Settings, settings

LoginStatus = Literal["ok", "invalid", "locked", "throttled", "disabled"]


SessionStatus = Literal["ok", "expired", "ended", "changed", "unknown"]


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
