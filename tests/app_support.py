"""Shared helpers for AppTest: a page opened by a real signed-in demo account, the text a page
shows, the check that no error internals reach the screen, and the press of a deferred
download button."""

from __future__ import annotations

import time
from pathlib import Path

import streamlit.testing.v1.app_test as _app_test
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from pax_geo import auth, i18n
from pax_geo import config as pax_config
from pax_geo.auth import DEMO_ACCOUNTS
from pax_geo.ui.session import KEY_LAST_ACTIVITY, User


class _KeptMediaFileManager(MediaFileManager):
    """AppTest gives every run a fresh media manager and drops it afterwards; this one stays
    reachable, so that a test can press a deferred download button of the last run."""

    last: MediaFileManager | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        type(self).last = self


_app_test.MediaFileManager = _KeptMediaFileManager


def press_download(at: AppTest, index: int = 0) -> bytes:
    """Press a deferred download button (``data`` a callable, ``on_click="ignore"``) of the
    last run as the browser does: the server runs its callable in the media manager, without
    a rerun, and the browser fetches the file. AppTest's own click cannot do it."""
    button = at.get("download_button")[index]
    file_id = button.proto.deferred_file_id
    assert file_id, "not a deferred download"
    mgr = _KeptMediaFileManager.last
    assert mgr is not None
    url = mgr.execute_deferred(file_id)
    return mgr._storage.get_file(url.rsplit("/", 1)[-1].split(".")[0]).content


#: What must never reach a page: error internals of the database or Python.
LEAK_MARKERS = ("Traceback", "psycopg", "sqlalchemy", "SQLSTATE", "pax_data.")


#: (database, username) -> a live session this test process signed in (live_login)
_LOGINS: dict[tuple[str, str], auth.LoginResult] = {}


def live_login(username: str) -> auth.LoginResult:
    """A live session of the account (password sign-in), reused while it stays live: a
    sign-in costs an argon2 hash (0.1 s), and page tests sign in hundreds of times. The
    session is checked (and the account read again) on every reuse, so an ended session, a
    changed role or a disabled account gets a new sign-in or its refusal, as for a user."""
    key = (pax_config.settings().db_name, username)
    res = _LOGINS.get(key)
    if res is not None and res.token:
        check = auth.touch_session(str(res.token))
        if check.status == "ok" and check.account is not None:
            return auth.LoginResult("ok", account=check.account, token=res.token)
    res = auth.authenticate(username, auth.DEMO_PASSWORD)
    assert res.ok, username
    _LOGINS[key] = res
    return res


def signed_in(script: str, username: str, lang: str = "sv", timeout: int = 300) -> AppTest:
    """An AppTest of script (app.py or a page file) whose session holds a live session of the
    demo account username (or of a role's demo account). Not yet run."""
    username = DEMO_ACCOUNTS.get(username, username)
    res = live_login(username)
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
    res = live_login(username)
    at = app()
    at.session_state["user"] = User.from_login(res)
    at.session_state[KEY_LAST_ACTIVITY] = time.time()
    return at.run() if run else at
