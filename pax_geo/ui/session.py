"""The signed-in user, the language, the login gate, idle expiry, page guards, reader connections
bound to the user's session, and audit writes for the Streamlit app.

Every run of app.py calls :func:`sign_in`: no signed-in user (or an expired one) means the
login page and ``st.stop()``. Pages start with ``user = session.require_page("<key>")`` and read
through :func:`reader` (or :func:`bind` on a connection they open themselves), which tells the
database which session they serve, so 'own' rows and audit rows are the database's word.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import streamlit as st
from sqlalchemy import Connection

from pax_geo import auth, i18n
from pax_geo.config import settings
from pax_geo.layers import ROLES
from pax_geo.pages import may_open, page, pages_for
from pax_geo.ui import web

_log = logging.getLogger(__name__)

KEY_USER = "user"
KEY_LAST_ACTIVITY = "pax_last_activity"
KEY_FLASH = "pax_flash"
KEY_AUDITED = "_audited_views"
#: Session-state keys that survive a sign-out (everything else is cleared).
_KEEP_ON_SIGN_OUT = ("lang",)


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    area_id: int | None = None
    session_token: str | None = field(default=None, repr=False, compare=False)
    method: str = "password"

    @classmethod
    def from_login(cls, result: auth.LoginResult, method: str = "password") -> User:
        acc = result.account
        assert acc is not None and result.token
        return cls(acc.username, acc.display_name, acc.role, acc.area_id, result.token, method)


# --- language ---------------------------------------------------------------------------------


def lang() -> str:
    value = st.session_state.get("lang", i18n.DEFAULT_LANG)
    return value if value in i18n.LANGS else i18n.DEFAULT_LANG


def t(key: str, **fmt: object) -> str:
    return i18n.t(key, lang(), **fmt)


def language_selector(where: str = "sidebar") -> None:
    """A language switch; its choice is kept in the plain (non-widget) key 'lang'."""
    wkey = f"_lang_{where}"
    st.session_state[wkey] = lang()

    def _apply() -> None:
        st.session_state["lang"] = st.session_state[wkey]

    box = st.sidebar if where == "sidebar" else st
    box.selectbox(
        t("language"),
        list(i18n.LANGS),
        key=wkey,
        on_change=_apply,
        format_func=lambda x: {"sv": "Svenska", "en": "English"}[x],
    )


# --- the signed-in user -------------------------------------------------------------------------


def current_user() -> User | None:
    user = st.session_state.get(KEY_USER)
    return user if isinstance(user, User) else None


def set_user(user: User | None) -> None:
    if user is None:
        st.session_state.pop(KEY_USER, None)
    else:
        st.session_state[KEY_USER] = user
        st.session_state[KEY_LAST_ACTIVITY] = time.time()


def flash(kind: str, message: str) -> None:
    """A message for the next run of the login page (info, warning or error)."""
    st.session_state[KEY_FLASH] = (kind, message)


def _idle_expired() -> bool:
    last = st.session_state.get(KEY_LAST_ACTIVITY)
    if not isinstance(last, int | float):
        return True
    return time.time() - last > settings().session_idle_minutes * 60


def _clear_state() -> None:
    kept = {k: st.session_state[k] for k in _KEEP_ON_SIGN_OUT if k in st.session_state}
    for key in list(st.session_state.keys()):
        if key not in kept:
            del st.session_state[key]


def _client_cookie() -> str | None:
    """This browser's gate cookie (pax_geo.ui.web), as the websocket handshake carried it."""
    try:
        return st.context.cookies.get(web.CLIENT_COOKIE)
    except Exception:  # no browser connection (AppTest, bare mode)
        return None


def sign_out(reason: str = "logout") -> None:
    """End the session in the database, audit it, clear everything but the language."""
    user = current_user()
    if user is not None:
        if user.session_token:
            web.forget_client(_client_cookie(), user.session_token)
        try:
            if user.session_token:
                auth.end_session(user.session_token, reason)
            action = "logout" if reason == "logout" else "session_expired"
            auth.write_audit(
                action,
                None,
                {"reason": reason, "method": user.method},
                role=user.role,
                username=user.username,
            )
        except Exception as exc:
            from pax_geo.ui import dbstatus

            if not dbstatus.is_outage(exc):
                raise
            # Signing out must work while the database is away: this browser forgets the
            # user now; the database ends the session itself once it is idle past its limit.
            _log.warning("sign-out of %s not recorded: database unreachable", user.username)
    _clear_state()
    if reason == "logout":
        flash("info", t("logged_out"))
    elif reason == "expired":
        flash("warning", t("session_expired", minutes=settings().session_idle_minutes))
    else:
        flash("warning", t("session_ended"))


def _session_problem(user: User) -> str | None:
    """None while the session is alive; else why it is not (expired, ended, changed …)."""
    if _idle_expired():
        return "expired"
    if not user.session_token:
        return "ended"
    # An unreachable database raises here, before any sign-out: app.py (pax_geo.ui.dbstatus)
    # shows a notice with a retry and the session continues when the database is back.
    check = auth.touch_session(user.session_token)
    if check.status != "ok":
        return check.status
    return None


def adopt_handoff() -> User | None:
    """Take over a sign-in made on the plain login page (pax_geo.ui.login_page) by this
    browser, once: the session then starts signed in, in the language chosen there."""
    if current_user() is not None:
        return None
    handed = web.take_handoff(_client_cookie())
    if handed is None:
        return None
    result, language = handed
    st.session_state["lang"] = language
    user = User.from_login(result, "password")
    set_user(user)
    return user


def sign_in() -> User | None:
    """The signed-in user whose session is still live, or None: then the caller shows the login
    page (pax_geo.ui.login, which builds on this module; app.py joins the two)."""
    user = current_user()
    if user is not None:
        problem = _session_problem(user)
        if problem:
            sign_out("expired" if problem == "expired" else problem)
            user = None
    if user is None:
        return None
    st.session_state[KEY_LAST_ACTIVITY] = time.time()
    # this browser may fetch this session's downloads from /media/ (pax_geo.ui.web)
    web.register_client(_client_cookie(), user.session_token, user.role, user.username)
    return user


# --- pages ------------------------------------------------------------------------------------


def refuse(key: str, user: User | None) -> None:
    """Show a clear refusal for a page the user may not open, audit it, and stop."""
    role = t(f"role_{user.role}") if user and user.role in ROLES else "-"
    st.error(t("page_forbidden", role=role), icon=":material/block:")
    if user is not None:
        allowed = ", ".join(t(p.title_key) for p in pages_for(user.role))
        st.caption(t("page_forbidden_hint", pages=allowed))
        audit("page_refused", key, {"role": user.role})
    st.stop()


def require_page(key: str) -> User:
    """Stop the page unless a signed-in user whose role may open it is present."""
    page(key)  # unknown keys fail loudly
    user = current_user()
    if user is None or user.role not in ROLES or _idle_expired():
        st.error(t("login_required"), icon=":material/lock:")
        st.stop()
    if not may_open(user.role, key):
        refuse(key, user)
    return user


def sidebar(user: User, links: list) -> None:
    """The menu (only the pages the role may open), the language, the user and a logout."""
    for link in links:
        st.sidebar.page_link(link)
    st.sidebar.divider()
    language_selector("sidebar")
    from pax_geo.ui.widgets import builtin_texts  # widgets imports this module

    builtin_texts()
    st.sidebar.caption(t("signed_in_as", name=user.display_name))
    st.sidebar.caption(t("signed_in_role", role=t(f"role_{user.role}")))
    if st.sidebar.button(t("logout"), key="pax_logout", icon=":material/logout:"):
        method = user.method
        sign_out("logout")
        if method == "sso":
            st.logout()
        st.rerun()


# --- database access bound to the session ---------------------------------------------------


@contextmanager
def reader() -> Iterator[Connection]:
    """A connection as the signed-in role's own login, bound to this browser session."""
    user = current_user()
    if user is None:
        raise RuntimeError("reader() needs a signed-in user")
    with auth.reader_connection(user.role, user.session_token, user.username) as conn:
        yield conn


# --- audit ------------------------------------------------------------------------------------


def audit(action: str, page_key: str | None, detail: dict) -> None:
    """Write an audit row: through the role's login bound to the session when signed in (the
    database then records the verified user), else through the login role."""
    audit_as(current_user(), action, page_key, detail)


def audit_as(user: User | None, action: str, page_key: str | None, detail: dict) -> None:
    """:func:`audit` for a given user: usable outside a script run (a deferred download's
    callable runs in a thread of its own, without the session state)."""
    if user is not None and user.session_token:
        auth.write_audit(
            action,
            page_key,
            detail,
            role=user.role,
            token=user.session_token,
            username=user.username,
        )
    else:
        auth.write_audit(action, page_key, detail, username=user.username if user else None)


def audit_page_view(page_key: str, filters: dict) -> None:
    """Audit a page view once per distinct filter set in this session."""
    seen = st.session_state.setdefault(KEY_AUDITED, set())
    sig = page_key + json.dumps(filters, sort_keys=True, default=str)
    if sig not in seen:
        seen.add(sig)
        audit("page_view", page_key, filters)
