"""The signed-in user, the language, page guards and audit writes for the Streamlit app."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from pax_geo import i18n
from pax_geo.layers import ROLES
from pax_geo.pages import may_open, page


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    area_id: int | None = None


def lang() -> str:
    return st.session_state.get("lang", i18n.DEFAULT_LANG)


def t(key: str, **fmt: object) -> str:
    return i18n.t(key, lang(), **fmt)


def current_user() -> User | None:
    return st.session_state.get("user")


def set_user(user: User | None) -> None:
    if user is None:
        st.session_state.pop("user", None)
    else:
        st.session_state["user"] = user


def require_page(key: str) -> User:
    """Stop the page unless a user is signed in whose role may open it."""
    user = current_user()
    if user is None or user.role not in ROLES:
        st.error(t("page_forbidden", role="-"))
        st.stop()
    if not may_open(user.role, key):
        st.error(t("page_forbidden", role=t(f"role_{user.role}")))
        audit("page_refused", page(key).key, {})
        st.stop()
    return user


def audit(action: str, page_key: str | None, detail: dict) -> None:
    """Write an audit row through the signed-in role's own database login."""
    from pax_geo.audit import write

    user = current_user()
    write(user.role if user else "auth", user.username if user else None, action, page_key, detail)


def audit_page_view(page_key: str, filters: dict) -> None:
    """Audit a page view once per distinct filter set in this session."""
    import json

    seen = st.session_state.setdefault("_audited_views", set())
    sig = page_key + json.dumps(filters, sort_keys=True, default=str)
    if sig not in seen:
        seen.add(sig)
        audit("page_view", page_key, filters)


def sign_in() -> User:
    """The current user. Until login exists this is a plain role selector (demo only)."""
    st.sidebar.selectbox(
        t("language"),
        ["sv", "en"],
        key="lang",
        format_func=lambda x: {"sv": "Svenska", "en": "English"}[x],
    )
    role = st.sidebar.selectbox(
        t("role"), list(ROLES), key="demo_role", format_func=lambda r: t(f"role_{r}")
    )
    user = User(username=f"demo_{role}", display_name=t(f"role_{role}"), role=role)
    set_user(user)
    return user


def sidebar_footer(user: User) -> None:
    st.sidebar.caption(t("signed_in_as", name=user.display_name))
