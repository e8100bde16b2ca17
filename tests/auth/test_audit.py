"""The audit rows each action writes: login, failed login, lockout, logout, expiry, page view with
its filters (once per distinct filter set), opening a restricted record, export."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from pax_geo import auth
from pax_geo.ui.session import KEY_LAST_ACTIVITY, User
from tests.app_support import app, press_download, signed_in_app, submit_login

#: app.py runs as a server runs it (st.navigation), see conftest.navigation_mode
pytestmark = pytest.mark.usefixtures("navigation_mode")


@pytest.fixture
def audit_since(owner_engine):
    """Call once to mark, then again to get the rows written since the mark."""
    with owner_engine.connect() as c:
        mark = c.execute(text("select coalesce(max(id), 0) from pax_data.audit_log")).scalar()

    def rows() -> list[dict]:
        with owner_engine.connect() as c:
            return [
                dict(r)
                for r in c.execute(
                    text(
                        "select username, role, action, page, detail, db_login "
                        "from pax_data.audit_log where id > :m order by id"
                    ),
                    {"m": mark},
                ).mappings()
            ]

    return rows


def slim(rows: list[dict], *keys: str) -> list[tuple]:
    return [tuple(r[k] for k in keys) for r in rows]


def test_login_writes_a_verified_row(audit_since, demo_loaded):
    submit_login(app().run(), "falt2", auth.DEMO_PASSWORD)
    rows = [r for r in audit_since() if r["action"] != "page_view"]  # the landing page's view
    assert slim(rows, "username", "role", "action", "db_login") == [
        ("falt2", "field_worker", "login", "pax_field_worker")
    ]
    assert rows[0]["detail"] == {"method": "password"}


def test_failed_login_and_lockout_rows(env_settings, audit_since, owner_engine, demo_loaded):  # noqa: F811
    env_settings(PAX_LOCKOUT_ATTEMPTS="2", PAX_LOCKOUT_MINUTES="3")
    name = f"aud{uuid.uuid4().hex[:6]}"
    with owner_engine.begin() as c:
        auth.add_user(c, name, "board_viewer", password="right password 1")
    rows_before_attempts = len(audit_since())  # the user_add row
    at = app().run()
    for _ in range(3):
        at = submit_login(at, name, "wrong password!")
    rows = audit_since()[rows_before_attempts:]
    assert slim(rows, "username", "role", "action", "db_login") == [
        (name, None, "login_failed", "pax_auth"),
        (name, None, "lockout", "pax_auth"),
        (name, None, "login_locked", "pax_auth"),
    ]
    assert rows[0]["detail"] == {"reason": "invalid"}


def test_logout_and_expiry_rows(audit_since, demo_loaded):
    at = signed_in_app("sakerhetschef")
    at.button(key="pax_logout").click().run()
    at = signed_in_app("kommun")
    at.session_state[KEY_LAST_ACTIVITY] = time.time() - 24 * 3600
    at.run()
    rows = [r for r in audit_since() if r["action"] in ("logout", "session_expired")]
    assert slim(rows, "username", "role", "action") == [
        ("sakerhetschef", "security_chief", "logout"),
        ("kommun", "municipal_staff", "session_expired"),
    ]
    assert rows[1]["detail"]["reason"] == "expired"


def test_page_view_with_filters_once_per_filter_set(audit_since, demo_loaded):
    at = signed_in_app("admin")
    at.switch_page("pages/admin_audit.py").run()
    at.run()  # the same filters again: no second row
    at.text_input(key="audit_user").input("falt").run()
    views = [r for r in audit_since() if r["action"] == "page_view" and r["page"] == "audit"]
    assert slim(views, "username", "role", "db_login") == [("admin", "admin", "pax_admin")] * 2
    assert views[0]["detail"]["user"] == "" and views[1]["detail"]["user"] == "falt"
    assert {"start", "end", "actions", "page"} <= set(views[1]["detail"])


def test_export_row(audit_since, demo_loaded):
    at = signed_in_app("admin")
    at.switch_page("pages/admin_audit.py").run()
    assert [r for r in audit_since() if r["action"] == "export"] == []  # nothing until pressed
    data = press_download(at, [b.key for b in at.get("download_button")].index("audit_export"))
    assert data.decode("utf-8-sig").startswith("at,")
    exports = [r for r in audit_since() if r["action"] == "export"]
    assert slim(exports, "username", "role", "page") == [("admin", "admin", "audit")]
    assert exports[0]["detail"]["format"] == "csv" and exports[0]["detail"]["rows"] > 0


def _open_record_script() -> None:
    from pax_geo.ui import session

    user = session.current_user()
    session.audit("open_record", "har_och_nu", {"incident_id": 7, "claimed": user.username})


def test_open_record_row_is_bound_to_the_session(audit_since, demo_loaded):
    res = auth.authenticate("polis", auth.DEMO_PASSWORD)
    at = AppTest.from_function(_open_record_script)
    # a page could hold a stale or wrong user name; the database records the session's
    at.session_state["user"] = User("someone_else", "x", "police_analyst", None, res.token)
    at.run()
    assert not at.exception
    rows = [r for r in audit_since() if r["action"] == "open_record"]
    assert slim(rows, "username", "role", "page", "db_login") == [
        ("polis", "police_analyst", "har_och_nu", "pax_police_analyst")
    ]
    assert rows[0]["detail"]["incident_id"] == 7


def test_csv_export_neutralises_formulas(demo_loaded):
    import pandas as pd

    from pax_geo import auth_audit

    df = pd.DataFrame(
        {
            "at": pd.to_datetime(["2026-01-01T10:00:00Z"]).tz_convert(auth_audit.TZ),
            "username": ['=HYPERLINK("http://x")'],
            "role": [None],
            "action": ["login_failed"],
            "page": [None],
            "detail": [{"reason": "invalid"}],
            "db_login": ["pax_auth"],
        }
    )
    out = auth_audit.to_csv(df).decode("utf-8-sig")
    assert "'=HYPERLINK" in out and "\n=HYPERLINK" not in out and ",=HYPERLINK" not in out
