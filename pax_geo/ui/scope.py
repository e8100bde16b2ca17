"""Cached reads shared by the sessions that see the same thing: the same role *and* the same
municipalities.

The database decides what a login returns from its role and, through the bound session, the
session's municipalities (``pax_api._scope()``, 0016_tenancy.py). A cache entry may therefore be
shared by every session whose role and municipalities are equal, and by no other. The
:func:`shared` decorator keys a loader on exactly that (``"<role>@<codes>"``), and inside the
loader :func:`reader` opens the role's login bound to the signed-in session that missed the
cache, after checking that the database gives that session the municipalities the key names.
A loader therefore never holds rows its key does not name, even when an account's
municipalities changed in between.

The session's municipalities are read from the database at most every :data:`SCOPE_TTL`
seconds (one small query), so an account that loses a municipality stops being served that
municipality's cached rows within that time; the database itself applies the change at once
to every read it makes.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import streamlit as st
from sqlalchemy import Connection

from pax_geo import auth
from pax_geo.tenancy import ScopeChanged, check, key_for, scope_of

SCOPE_TTL = 5.0
_STATE_KEY = "_pax_scope"

#: the scope key of the shared loader running now (set by :func:`shared` on a cache miss)
_running: contextvars.ContextVar[str | None] = contextvars.ContextVar("pax_scope", default=None)

P = ParamSpec("P")
R = TypeVar("R")


def current(role: str) -> str:
    """This session's scope key for ``role``: the role and its municipalities."""
    from pax_geo.ui.session import current_user

    user = current_user()
    if user is None or user.role != role:
        raise RuntimeError(f"a shared loader for {role!r} needs a signed-in {role} session")
    held = st.session_state.get(_STATE_KEY)
    now = time.monotonic()
    if held and held[0] == user.session_token and now - held[1] < SCOPE_TTL:
        return str(held[2])
    with auth.reader_connection(user.role, user.session_token, user.username) as conn:
        key = key_for(role, scope_of(conn))
    st.session_state[_STATE_KEY] = (user.session_token, now, key)
    return key


def forget() -> None:
    """Read the session's municipalities again on the next loader call."""
    st.session_state.pop(_STATE_KEY, None)


@contextmanager
def reader(role: str) -> Iterator[Connection]:
    """The role's login bound to the signed-in session, inside a :func:`shared` loader: the
    database must give the session exactly the municipalities of the loader's key (else
    ScopeChanged, and the wrapper reads the session's scope again and retries once)."""
    from pax_geo.ui.session import current_user

    key = _running.get()
    user = current_user()
    if key is None or user is None or user.role != role or not key.startswith(f"{role}@"):
        raise RuntimeError("scope.reader() is for the body of a @scope.shared loader")
    with auth.reader_connection(role, user.session_token, user.username) as conn:
        try:
            check(conn, key)
        except ScopeChanged:
            forget()
            raise
        yield conn


def shared(**cache_kw: Any) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``st.cache_data(**cache_kw)`` for a loader whose first argument is the role, keyed by
    the session's scope (role and municipalities) instead of the role alone."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        def cached(scope_key: str, *args: Any, **kwargs: Any) -> Any:
            token = _running.set(scope_key)
            try:
                return fn(*args, **kwargs)
            finally:
                _running.reset(token)

        # Streamlit tells caches apart by module and qualified name: one cache per loader
        cached.__module__ = fn.__module__
        cached.__qualname__ = f"{fn.__qualname__}.shared"
        cached.__name__ = fn.__name__
        cache = st.cache_data(**cache_kw)(cached)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            role = str(args[0]) if args else str(kwargs["role"])
            try:
                return cache(current(role), *args, **kwargs)
            except ScopeChanged:
                return cache(current(role), *args, **kwargs)

        wrapper.clear = cache.clear  # type: ignore[attr-defined]
        return wrapper

    return decorate
