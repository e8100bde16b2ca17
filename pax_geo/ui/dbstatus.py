"""What the app shows when the database cannot be reached.

A stopped, restarting or unreachable PostgreSQL must not end in Streamlit's generic (English)
error page, and must not sign anybody out. app.py runs the session check and the page inside
:func:`guard`; the login page uses :func:`is_outage` and :func:`notice` around its own sign-in
attempt. The notice names the database (host:port/dbname, never a password) and offers a retry;
a retry that fails again keeps the notice (with the time of the last attempt).

The run that shows the notice ends with ``st.stop()``: Streamlit then keeps the widget state of
the page that was not drawn, so when the database is back the retry continues the same session
on the same page with the same filters. Cached loaders (``st.cache_data``) never store a raised
error, and the engines check pooled connections before use (``pool_pre_ping`` in
:mod:`pax_geo.db`), so connections killed by the restart are replaced transparently.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import streamlit as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import NullPool

from pax_geo import db
from pax_geo.clock import TZ
from pax_geo.config import Settings, settings
from pax_geo.ui import session

log = logging.getLogger(__name__)

#: Session-state key of the ongoing outage: {"since": epoch, "attempts": n, "last": epoch}.
KEY_OUTAGE = "_pax_db_outage"
#: Seconds a reachability probe may take (a stopped server refuses at once; a lost network
#: host would otherwise hang for the operating system's TCP timeout).
PROBE_TIMEOUT_S = 3


def database_location(cfg: Settings | None = None) -> str:
    """host:port/dbname of the database the app uses; never a user name or password."""
    cfg = cfg or settings()
    if cfg.database_url:
        try:
            url = make_url(cfg.database_url)
        except Exception:
            return "DATABASE_URL"
        return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    return f"127.0.0.1:{cfg.pg_port}/{cfg.db_name}"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def _looks_like_connection_error(exc: BaseException) -> bool:
    import psycopg

    for e in _chain(exc):
        if isinstance(e, OperationalError | InterfaceError | PoolTimeoutError):
            return True
        if isinstance(e, DBAPIError) and e.connection_invalidated:
            return True
        if isinstance(e, psycopg.OperationalError | psycopg.InterfaceError):
            return True
        if isinstance(e, db.DatabaseError) and "unreachable" in str(e):
            return True
    return False


def _is_disconnect(exc: BaseException) -> bool:
    return any(isinstance(e, DBAPIError) and e.connection_invalidated for e in _chain(exc))


def reachable(cfg: Settings | None = None) -> bool:
    """Whether a fresh connection (as the login role, outside every pool) works right now."""
    try:
        url = db.reader_url("auth", cfg)
    except Exception:
        return False
    eng = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": PROBE_TIMEOUT_S})
    try:
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False
    finally:
        eng.dispose()


def is_outage(exc: BaseException) -> bool:
    """True when exc means the database cannot be used now (stopped, restarting, unreachable,
    or a connection the restart killed). Other database errors (a cancelled statement, a
    bug) are not outages: for an OperationalError the server is probed before deciding."""
    if not isinstance(exc, Exception) or not _looks_like_connection_error(exc):
        return False
    if _is_disconnect(exc):
        return True
    return not reachable()


def _describe(exc: BaseException) -> str:
    """One line for the server log: exception types and the driver's first line (the driver
    never puts the password in it; the SQL text and its parameters are left out)."""
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    return f"{type(exc).__name__}/{type(orig).__name__}: {first[:300]}"


def _record_attempt() -> dict:
    now = time.time()
    state = st.session_state.get(KEY_OUTAGE)
    if not isinstance(state, dict):
        state = {"since": now, "attempts": 0}
    state = {**state, "attempts": int(state.get("attempts", 0)) + 1, "last": now}
    st.session_state[KEY_OUTAGE] = state
    return state


#: Session-state key of the page's keyed widget values saved when an outage began.
KEY_SAVED = "_pax_db_saved_widgets"


def _keyed_widget_values() -> dict:
    """The values of this session's keyed widgets that can be set through st.session_state
    (not buttons, file uploaders and the like). Uses Streamlit's widget metadata; when that
    is not available nothing is saved and the page falls back to its defaults."""
    try:
        from streamlit.runtime.state import get_session_state

        state = get_session_state()._state
        metadata = state._new_widget_state.widget_metadata
        out = {}
        for wid, key in state._key_id_mapper.id_key_mapping.items():
            meta = metadata.get(wid)
            if (
                meta is None
                or "trigger" in meta.value_type
                or meta.value_type
                in (
                    "file_uploader_state_value",
                    "bytes_value",
                )
            ):
                continue
            if key.startswith(("_", "FormSubmitter:")) or key in st.session_state.get(
                KEY_SAVED, {}
            ):
                continue
            try:
                out[key] = st.session_state[key]
            except (KeyError, AttributeError):
                continue
        return out
    except Exception:  # internal API changed: keep the notice working
        log.debug("widget values not saved", exc_info=True)
        return {}


def _save_widgets() -> None:
    """Keep the page's filters for when the database is back. The run that shows the notice
    does not draw the page, and the browser forgets the state of widgets it no longer shows."""
    saved = dict(st.session_state.get(KEY_SAVED) or {})
    for key, value in _keyed_widget_values().items():
        saved.setdefault(key, value)
    st.session_state[KEY_SAVED] = saved


def clear() -> None:
    """The database answered: forget the outage and give the page its filters back. They are
    set through st.session_state even where the server still holds them, so that the browser,
    which dropped those widgets while the notice was shown, draws them with these values
    again (the page was not shown during the outage, so nobody changed them meanwhile)."""
    st.session_state.pop(KEY_OUTAGE, None)
    saved = st.session_state.pop(KEY_SAVED, None)
    if isinstance(saved, dict):
        for key, value in saved.items():
            try:
                st.session_state[key] = value
            except Exception:  # a widget Streamlit does not let us set: its default then
                log.debug("could not restore %s", key, exc_info=True)


def _clock(epoch: float) -> str:

    return datetime.fromtimestamp(epoch, TZ).strftime("%H:%M:%S")


def notice(
    exc: BaseException,
    *,
    retry_key: str,
    on_retry: Callable[[], None] | None = None,
    body_key: str = "db_unreachable_body",
) -> None:
    """Draw the outage message with a retry button (in the current container)."""
    log.warning("database %s unreachable: %s", database_location(), _describe(exc))
    state = _record_attempt()
    t = session.t
    st.error(
        t("db_unreachable", where=database_location()),
        icon=":material/cloud_off:",
    )
    st.markdown(t(body_key))
    since = _clock(state["since"])
    if state["attempts"] > 1:
        st.caption(t("db_unreachable_retried", since=since, last=_clock(state["last"])))
    else:
        st.caption(t("db_unreachable_since", since=since))
    st.button(
        t("db_retry"),
        key=retry_key,
        type="primary",
        icon=":material/refresh:",
        on_click=on_retry,
    )


@contextmanager
def guard(slot, user: session.User | None, draw_sidebar: Callable[[], None] | None = None):
    """Run the block; if the database turns out to be unreachable, draw the outage notice in
    ``slot`` (an ``st.empty()`` at the top of the page) and stop this run. What the block drew
    before the failure stays below the notice (usually nothing: the session check at the start
    of every run is the first to reach the database). Running the page inside the placeholder
    instead would let the notice replace it, but Streamlit then draws only the page's first
    element in the browser.

    ``draw_sidebar`` draws the menu when the outage happened before the menu was drawn, so a
    signed-in user keeps the menu, the language switch and the logout.
    """
    try:
        yield
    except Exception as exc:
        if not is_outage(exc):
            raise
        _save_widgets()
        with slot.container():
            st.title(session.t("app_title"))
            notice(exc, retry_key="pax_db_retry")
        if user is not None and draw_sidebar is not None:
            draw_sidebar()
        st.stop()
