"""Shared helpers for AppTest: a page opened by a real signed-in demo account, the text a page
shows, and the check that no error internals reach the screen."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from pax_geo import auth
from pax_geo.ui.session import KEY_LAST_ACTIVITY, User
from tests.browser_support import DEMO_USER_BY_ROLE

#: What must never reach a page: error internals of the database or Python.
LEAK_MARKERS = ("Traceback", "psycopg", "sqlalchemy", "SQLSTATE", "pax_data.")


def signed_in(script: str, username: str, lang: str = "sv", timeout: int = 300) -> AppTest:
    """An AppTest of script (app.py or a page file) whose session holds a live session of the
    demo account username (or of a role's demo account). Not yet run."""
    username = DEMO_USER_BY_ROLE.get(username, username)
    res = auth.authenticate(username, auth.DEMO_PASSWORD)
    assert res.ok, username
    at = AppTest.from_file(script, default_timeout=timeout)
    at.session_state["user"] = User.from_login(res)
    at.session_state[KEY_LAST_ACTIVITY] = time.time()
    at.session_state["lang"] = lang
    return at


def page_text(
    at: AppTest, kinds=("error", "warning", "info", "markdown", "caption", "title", "subheader")
) -> str:
    return "\n".join(str(getattr(el, "value", "") or "") for kind in kinds for el in at.get(kind))


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    shown = page_text(at)
    for marker in LEAK_MARKERS:
        assert marker not in shown
