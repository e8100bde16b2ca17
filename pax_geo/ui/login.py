"""The login page: user name and password, and optionally single sign-on through ``st.login``.

Messages never tell whether an account exists: an unknown name and a wrong password give the
same text, and both count towards the lockout of that name.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

import streamlit as st

from pax_geo import auth
from pax_geo.auth.attempt import password_attempt
from pax_geo.ui import dbstatus, session

t = session.t


def _complete(result: auth.LoginResult, method: str) -> None:
    user = session.User.from_login(result, method)
    session.set_user(user)
    session.audit("login", None, {"method": method})
    st.rerun()


def client_address() -> str | None:
    """The client the per-client login limit counts: the browser connection's IP address as
    Streamlit saw it (st.context.ip_address, None for loopback, which is then '127.0.0.1').
    Behind ``pax serve``'s nginx (pax_geo.frontdoor) this is the browser's own address:
    uvicorn takes it from the X-Forwarded-For that nginx sets, and trusts that header from
    127.0.0.1 only. None without a browser connection (AppTest), where only the per-name
    lockout applies."""
    try:
        ip = st.context.ip_address
        connected = isinstance(st.context.headers.get("Host"), str)
    except Exception:
        return None
    if type(ip) is str and ip:
        return ip
    return "127.0.0.1" if connected else None


def _attempt(username: str, password: str) -> None:
    attempt = password_attempt(username, password, client_address())
    if attempt.ok and attempt.result is not None:
        _complete(attempt.result, "password")
    st.error(t(attempt.message or "login_invalid", minutes=attempt.minutes or 1))


# --- single sign-on -------------------------------------------------------------------------


def sso_providers() -> list[str | None]:
    """Providers configured under [auth] in secrets.toml: [None] for a single flat [auth]
    section, the names of [auth.<name>] sub-sections otherwise, [] when not configured."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets.toml at all
        return []
    if not isinstance(section, Mapping) or not section:
        return []
    named: list[str | None] = [str(k) for k, v in section.items() if isinstance(v, Mapping)]
    return named or [None]


def _sso_identity() -> dict:
    try:
        info = st.user.to_dict()
    except Exception:
        return {}
    return info if info.get("is_logged_in") else {}


def _sso_section(providers: list[str | None]) -> None:
    st.divider()
    identity = _sso_identity()
    if identity:
        shown = identity.get("email") or identity.get("preferred_username") or "?"
        if st.button(t("sso_continue", who=shown), key="sso_continue", type="primary"):
            result = auth.sso_sign_in(
                identity.get("email"),
                identity.get("preferred_username"),
                identity.get("email_verified"),
            )
            if result.ok:
                _complete(result, "sso")
            auth.write_audit(
                "login_failed",
                None,
                {"reason": "sso_unmapped", "method": "sso", "email": str(shown)[:320]},
                username=auth.normalize_username(identity.get("preferred_username"))[:64] or None,
            )
            st.error(t("sso_unmapped"))
        if st.button(t("sso_switch"), key="sso_logout"):
            st.logout()
        return
    if importlib.util.find_spec("authlib") is None:
        st.warning(t("sso_missing_authlib"))
        return
    for provider in providers:
        label = t("sso_login", provider=provider or t("sso_default_provider"))
        if st.button(label, key=f"sso_login_{provider or 'default'}", icon=":material/key:"):
            st.login(provider) if provider else st.login()


# --- the page -------------------------------------------------------------------------------

#: Set by the retry button of the database-unreachable notice: sign in again with the values
#: still in the form.
KEY_RETRY = "_pax_login_retry"


def _retry() -> None:
    st.session_state[KEY_RETRY] = True


def render() -> None:
    """Draw the login page. The caller stops the run afterwards."""
    left, mid, right = st.columns([1, 2, 1])
    with mid:
        st.title(t("app_title"))
        st.caption(t("app_subtitle"))
        session.language_selector("main")
        message = st.session_state.pop(session.KEY_FLASH, None)
        if message:
            kind, text = message
            {"info": st.info, "warning": st.warning}.get(kind, st.error)(text)
        outage = st.container()  # the database-unreachable notice, above the form
        with st.form("login_form", clear_on_submit=False):
            st.subheader(t("login_heading"))
            username = st.text_input(
                t("login_username"), key="login_username", max_chars=128, autocomplete="username"
            )
            password = st.text_input(
                t("login_password"),
                key="login_password",
                type="password",
                max_chars=auth.MAX_PASSWORD_LENGTH,
                autocomplete="current-password",
            )
            submitted = st.form_submit_button(t("login_submit"), type="primary")
        if submitted or st.session_state.pop(KEY_RETRY, False):
            try:
                _attempt(username or "", password or "")
            except Exception as exc:
                if not dbstatus.is_outage(exc):
                    raise
                with outage:
                    dbstatus.notice(
                        exc,
                        retry_key="pax_login_retry",
                        on_retry=_retry,
                        body_key="db_unreachable_login_body",
                    )
            else:
                dbstatus.clear()
        providers = sso_providers()
        if providers:
            _sso_section(providers)
        st.caption(t("login_privacy_note"))
