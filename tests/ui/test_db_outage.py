"""An unreachable database (a real closed port, no mocks) gives a clear notice with a retry,
not Streamlit's error page, and never signs the user out. The browser test with a real stopped
and restarted cluster is tests/test_db_outage_browser.py."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pax_geo import config
from pax_geo.config import Settings
from pax_geo.ui import dbstatus
from pax_geo.ui.session import KEY_LAST_ACTIVITY, User

APP = str(Path(__file__).resolve().parents[2] / "app.py")
LEAK_MARKERS = ("Traceback", "psycopg", "sqlalchemy", "SQLSTATE")


@pytest.fixture(autouse=True)
def navigation_mode(monkeypatch):
    """Run app.py as a server does after its first run (see tests/test_auth_app.py)."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test as app_test_module

    class V2PagesManager(PagesManager):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    monkeypatch.setattr(app_test_module, "PagesManager", V2PagesManager)
    yield
    PagesManager.uses_pages_directory = None


@pytest.fixture
def closed_port(monkeypatch, tmp_path) -> int:
    """Point the app at a port nothing listens on (the server is 'stopped')."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PAX_HOME", str(tmp_path))
    monkeypatch.setenv("PAX_PG_PORT", str(port))
    monkeypatch.setenv("PAX_DB_NAME", "pax")
    config.settings.cache_clear()
    yield port
    config.settings.cache_clear()


def _texts(at: AppTest) -> str:
    kinds = ("error", "markdown", "caption", "title")
    return "\n".join(str(el.value) for k in kinds for el in at.get(k))


@pytest.mark.parametrize(
    ("lang", "says", "retry"),
    [
        ("sv", "Databasen 127.0.0.1:{port}/pax går inte att nå", "Försök igen"),
        ("en", "The database 127.0.0.1:{port}/pax cannot be reached", "Try again"),
    ],
)
def test_signed_in_page_shows_notice(closed_port, lang, says, retry) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    user = User("polis", "Demo Polis", "police_analyst", None, "not-a-live-token")
    at.session_state["user"] = user
    at.session_state[KEY_LAST_ACTIVITY] = time.time()
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = _texts(at)
    assert says.format(port=closed_port) in shown
    assert not any(m in shown for m in LEAK_MARKERS)
    assert at.button(key="pax_db_retry").label == retry
    assert at.session_state["user"] == user  # not signed out
    # a retry while the database is still away keeps the notice
    at.button(key="pax_db_retry").click().run()
    assert not at.exception
    assert says.format(port=closed_port) in _texts(at)
    assert at.session_state["user"] == user


def test_login_page_shows_notice(closed_port) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_username").input("polis")
    at.text_input(key="login_password").input("pax-demo-2026")
    [b for b in at.button if b.label == "Logga in"][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = _texts(at)
    assert f"Databasen 127.0.0.1:{closed_port}/pax går inte att nå" in shown
    assert not any(m in shown for m in LEAK_MARKERS)
    at.button(key="pax_login_retry").click().run()
    assert not at.exception
    assert "går inte att nå" in _texts(at)
    assert "user" not in at.session_state


def test_location_never_shows_a_password() -> None:
    cfg = Settings(database_url="postgresql+psycopg://pax:s3cret@db.example:6543/paxdb")
    assert dbstatus.database_location(cfg) == "db.example:6543/paxdb"
    assert dbstatus.database_location(Settings(pg_port=5555, db_name="x")) == "127.0.0.1:5555/x"


def test_other_errors_are_not_outages() -> None:
    assert not dbstatus.is_outage(ValueError("not a database problem"))
