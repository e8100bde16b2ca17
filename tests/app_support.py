"""Shared helpers for AppTest: a page opened by a real signed-in demo account, the text a page
shows, and the check that no error internals reach the screen."""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from pax_geo import auth, i18n
from pax_geo.auth import DEMO_ACCOUNTS
from pax_geo.ui.session import KEY_LAST_ACTIVITY, User

#: What must never reach a page: error internals of the database or Python.
LEAK_MARKERS = ("Traceback", "psycopg", "sqlalchemy", "SQLSTATE", "pax_data.")


def signed_in(script: str, username: str, lang: str = "sv", timeout: int = 300) -> AppTest:
    """An AppTest of script (app.py or a page file) whose session holds a live session of the
    demo account username (or of a role's demo account). Not yet run."""
    username = DEMO_ACCOUNTS.get(username, username)
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


ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


TIMEOUT = 120


def app() -> AppTest:
    """app.py under AppTest, not yet run."""
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def submit_login(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == i18n.t("login_submit", "sv")).click()
    return at.run()


def signed_in_app(username: str, run: bool = True) -> AppTest:
    """An app whose session holds a real, live session of a demo account."""
    res = auth.authenticate(username, auth.DEMO_PASSWORD)
    assert res.ok, username
    at = app()
    at.session_state["user"] = User.from_login(res)
    at.session_state[KEY_LAST_ACTIVITY] = time.time()
    return at.run() if run else at
