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
so neither the time taken nor the message tells whether an account exists."""

from __future__ import annotations

from pax_geo.auth.accounts import (
    ADMIN_ACTIONS,
    DEMO_ACCOUNTS,
    DEMO_USERS,
    add_user,
    apply_admin_change,
    check_actor_scope,
    check_admin_change,
    end_user_sessions,
    ensure_demo_users,
    list_users,
    municipalities_of,
    reset_password,
    resolve_area,
    resolve_areas,
    set_areas,
    set_disabled,
    set_email,
    set_municipalities,
    set_role,
    unlock,
)
from pax_geo.auth.auditlog import (
    owner_audit,
    write_audit,
)
from pax_geo.auth.binding import (
    bind_reader,
    bound_username,
    reader_connection,
)
from pax_geo.auth.credentials import (
    DEMO_PASSWORD,
    EMAIL_RE,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    USERNAME_RE,
    AuthError,
    hash_password,
    normalize_username,
    validate_password,
    validate_role,
    validate_username,
    verify_password,
)
from pax_geo.auth.sessions import (
    Account,
    LoginResult,
    LoginStatus,
    SessionCheck,
    SessionStatus,
    auth_engine,
    authenticate,
    end_session,
    new_token,
    normalize_client,
    sso_sign_in,
    touch_session,
)

__all__ = [
    "USERNAME_RE",
    "EMAIL_RE",
    "MIN_PASSWORD_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "DEMO_PASSWORD",
    "AuthError",
    "hash_password",
    "verify_password",
    "validate_password",
    "normalize_username",
    "validate_username",
    "validate_role",
    "LoginStatus",
    "SessionStatus",
    "Account",
    "LoginResult",
    "SessionCheck",
    "auth_engine",
    "new_token",
    "normalize_client",
    "authenticate",
    "sso_sign_in",
    "touch_session",
    "end_session",
    "bind_reader",
    "reader_connection",
    "bound_username",
    "write_audit",
    "owner_audit",
    "DEMO_USERS",
    "resolve_area",
    "resolve_areas",
    "set_areas",
    "set_municipalities",
    "end_user_sessions",
    "add_user",
    "list_users",
    "municipalities_of",
    "set_disabled",
    "set_role",
    "reset_password",
    "unlock",
    "set_email",
    "ADMIN_ACTIONS",
    "DEMO_ACCOUNTS",
    "check_admin_change",
    "apply_admin_change",
    "check_actor_scope",
    "ensure_demo_users",
]
