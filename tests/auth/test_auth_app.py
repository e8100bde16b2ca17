"""The login gate, expiry, logout, SSO button and the admin pages, driven through AppTest on the
real app (app.py) against the test database."""

from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from pax_geo import auth, config, i18n
from pax_geo.pages import PAGES
from pax_geo.ui.session import KEY_LAST_ACTIVITY
from tests.app_support import TIMEOUT, app, signed_in_app, submit_login

#: app.py runs as a server runs it (st.navigation), see conftest.navigation_mode
pytestmark = pytest.mark.usefixtures("navigation_mode")

ROOT = Path(__file__).resolve().parents[2]

#: Strings a hostile user types into every text field.
HOSTILE = [
    "' or '1'='1",
    "admin'--",
    "'; drop table pax_data.audit_log; --",
    '" or ""="',
    "%",
    "_",
    "\\",
    "polis' union select password_hash from pax_data.app_user --",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    '=HYPERLINK("http://x")',
    "a" * 300,
    "nul\x00byte",
    "ñämé ünïcødé 🚓",
]
#: What must never reach the page (error internals of the database or Python).
LEAK_MARKERS = ("Traceback", "psycopg", "sqlalchemy", "SQLSTATE", "syntax error", "pax_data.")


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


def leaks(at: AppTest, typed: str = "") -> list[str]:
    """Error internals shown on the page (the user's own input echoed back does not count)."""
    shown = texts(at)
    for piece in {typed, typed[:64], typed[:128], typed[:200], typed[:320]} - {""}:
        shown = shown.replace(piece, "")
    return [m for m in LEAK_MARKERS if m in shown]


def texts(at: AppTest) -> str:
    parts = []
    for kind in (
        "error",
        "warning",
        "info",
        "success",
        "markdown",
        "caption",
        "title",
        "exception",
    ):
        for el in at.get(kind):
            parts.append(str(getattr(el, "value", "") or getattr(el, "message", "")))
    return "\n".join(parts)


def on_login_page(at: AppTest) -> bool:
    keys = {w.key for w in at.text_input}
    return {"login_username", "login_password"} <= keys


def token_of(at: AppTest) -> str:
    return at.session_state["user"].session_token


# --- no page and no data without login --------------------------------------------------------


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.key)
def test_every_registered_page_has_its_file(spec):
    assert (ROOT / spec.path).is_file(), f"pax_geo/pages.py registers {spec.path}, which is missing"


def test_no_page_without_login(demo_loaded):
    at = app().run()
    assert on_login_page(at)
    assert "user" not in at.session_state
    titles = {tr(p.title_key) for p in PAGES}
    assert not titles & {t.value for t in at.title}
    assert not at.page_link  # no menu either


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.key)
def test_page_urls_without_login_show_the_login(spec, demo_loaded):
    at = app().run()
    at.switch_page(spec.path).run()
    # the login page, or (when the page file runs on its own) the page's own refusal
    assert on_login_page(at) or [e.value for e in at.error] == [tr("login_required")]
    assert tr(spec.title_key) not in {t.value for t in at.title}
    assert not at.dataframe and not at.get("deck_gl_json_chart")


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.key)
def test_page_files_refuse_without_a_user(spec, demo_loaded):
    """Run directly (not through app.py), every page still refuses without a user."""
    at = AppTest.from_file(str(ROOT / spec.path), default_timeout=TIMEOUT).run()
    assert tr("login_required") in [e.value for e in at.error]


# --- password login -------------------------------------------------------------------------


def test_login_with_demo_account(demo_loaded):
    at = submit_login(app().run(), "Kommun1", auth.DEMO_PASSWORD)
    user = at.session_state["user"]
    assert user.username == "kommun1" and user.role == "municipal_staff"
    assert not on_login_page(at)
    assert auth.touch_session(user.session_token).status == "ok"


def test_wrong_password_and_unknown_user_get_the_same_message(demo_loaded):
    at = submit_login(app().run(), "polis", "not the password")
    wrong = [e.value for e in at.error]
    at = submit_login(app().run(), f"nobody{uuid.uuid4().hex[:6]}", "not the password")
    unknown = [e.value for e in at.error]
    assert wrong == unknown == [tr("login_invalid")]
    assert "user" not in at.session_state


def test_lockout_message_without_revealing_existence(env_settings, owner_engine, demo_loaded):
    env_settings(PAX_LOCKOUT_ATTEMPTS="2", PAX_LOCKOUT_MINUTES="9")
    real = f"lock{uuid.uuid4().hex[:6]}"
    with owner_engine.begin() as c:
        auth.add_user(c, real, "field_worker", password="right password 1")
    ghost = f"ghost{uuid.uuid4().hex[:6]}"
    messages = {}
    for name in (real, ghost):
        at = app().run()
        for _ in range(2):
            at = submit_login(at, name, "wrong password!")
        messages[name] = [e.value for e in at.error]
        # the right password is refused while locked
        at = submit_login(at, name, "right password 1")
        assert "user" not in at.session_state
        assert [e.value for e in at.error] == [tr("login_locked", minutes=9)]
    assert messages[real] == messages[ghost] == [tr("login_locked", minutes=9)]


def test_disabled_account_message(owner_engine, demo_loaded):
    name = f"dis{uuid.uuid4().hex[:6]}"
    with owner_engine.begin() as c:
        auth.add_user(c, name, "board_viewer", password="right password 1")
        auth.set_disabled(c, name, True)
    at = submit_login(app().run(), name, "right password 1")
    assert [e.value for e in at.error] == [tr("login_disabled")]
    at = submit_login(app().run(), name, "wrong password!")
    assert [e.value for e in at.error] == [tr("login_invalid")]


def test_empty_fields_are_a_clear_message(demo_loaded):
    at = submit_login(app().run(), "", "")
    assert [e.value for e in at.error] == [tr("login_missing")]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_login_input_has_no_effect_and_leaks_nothing(hostile, owner_engine, demo_loaded):
    with owner_engine.connect() as c:
        before = c.execute(text("select count(*) from pax_data.app_user")).scalar()
    at = app().run()
    at = submit_login(at, hostile, hostile)
    assert "user" not in at.session_state
    assert not at.exception
    assert [e.value for e in at.error] in ([tr("login_invalid")], [tr("login_missing")])
    assert not leaks(at, hostile)
    # and as a password for a real account
    at = submit_login(app().run(), "styrelse", hostile)
    assert "user" not in at.session_state and not at.exception
    with owner_engine.connect() as c:
        assert c.execute(text("select count(*) from pax_data.app_user")).scalar() == before
        assert c.execute(text("select to_regclass('pax_data.audit_log')")).scalar()
    # reset the lock state the attempts built up for the real account
    with owner_engine.begin() as c:
        auth.unlock(c, "styrelse")


def test_language_switch_on_login_page(demo_loaded):
    at = app().run()
    at.selectbox(key="_lang_main").select("en").run()
    assert at.session_state["lang"] == "en"
    labels = {w.label for w in at.text_input}
    assert i18n.t("login_username", "en") in labels


# --- expiry, logout, changed accounts -------------------------------------------------------


def test_idle_expiry_in_the_browser_session(env_settings, owner_engine, demo_loaded):
    env_settings(PAX_SESSION_IDLE_MINUTES="20")
    at = signed_in_app("sakerhetschef")
    token = token_of(at)
    at.session_state[KEY_LAST_ACTIVITY] = time.time() - 21 * 60
    at.run()
    assert on_login_page(at) and "user" not in at.session_state
    assert tr("session_expired", minutes=20) in [w.value for w in at.warning]
    assert auth.touch_session(token).status == "ended"


def test_activity_keeps_the_session(env_settings, demo_loaded):
    env_settings(PAX_SESSION_IDLE_MINUTES="20")
    at = signed_in_app("sakerhetschef")
    at.session_state[KEY_LAST_ACTIVITY] = time.time() - 19 * 60
    at.run()
    assert at.session_state["user"].username == "sakerhetschef"
    assert time.time() - at.session_state[KEY_LAST_ACTIVITY] < 60


def test_expiry_enforced_by_the_database_too(owner_engine, demo_loaded):
    at = signed_in_app("kommun")
    token = token_of(at)
    with owner_engine.begin() as c:
        c.execute(
            text(
                "update pax_data.app_session set last_seen_at = now() - interval '1 day' "
                "where token_hash = :h"
            ),
            {"h": hashlib.sha256(token.encode()).hexdigest()},
        )
    at.run()
    assert on_login_page(at)
    assert tr("session_expired", minutes=config.settings().session_idle_minutes) in [
        w.value for w in at.warning
    ]


def test_logout(demo_loaded):
    at = signed_in_app("styrelse")
    token = token_of(at)
    at.button(key="pax_logout").click().run()
    assert on_login_page(at) and "user" not in at.session_state
    assert tr("logged_out") in [i.value for i in at.info]
    assert auth.touch_session(token).status == "ended"


def test_role_change_by_admin_ends_the_session(owner_engine, demo_loaded):
    name = f"chg{uuid.uuid4().hex[:6]}"
    with owner_engine.begin() as c:
        auth.add_user(c, name, "police_analyst", password="right password 1")
    at = app().run()
    at = submit_login(at, name, "right password 1")
    assert at.session_state["user"].role == "police_analyst"
    with owner_engine.begin() as c:
        auth.set_role(c, name, "field_worker")
    at.run()
    assert on_login_page(at)
    assert tr("session_ended") in [w.value for w in at.warning]


# --- single sign-on -------------------------------------------------------------------------

SSO_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "pax",
        "client_secret": "secret",
        "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
    }
}


def test_no_sso_button_unless_configured(demo_loaded):
    at = app().run()
    assert not [b for b in at.button if b.key and b.key.startswith("sso_")]


def test_sso_identity_maps_to_account(owner_engine, demo_loaded):
    name = f"sso{uuid.uuid4().hex[:6]}"
    mail = f"{name}@sodertalje.se"
    with owner_engine.begin() as c:
        auth.add_user(c, name, "security_chief", email=mail)
    at = app()
    at.secrets.update(SSO_SECRETS)
    at.user = {"is_logged_in": True, "email": mail.upper(), "email_verified": True}
    at.run()
    at.button(key="sso_continue").click().run()
    user = at.session_state["user"]
    assert user.username == name and user.method == "sso" and not on_login_page(at)


def test_sso_identity_without_account_is_refused(demo_loaded):
    at = app()
    at.secrets.update(SSO_SECRETS)
    at.user = {"is_logged_in": True, "email": "stranger@example.org", "email_verified": True}
    at.run()
    at.button(key="sso_continue").click().run()
    assert "user" not in at.session_state
    assert tr("sso_unmapped") in [e.value for e in at.error]


# --- admin pages ----------------------------------------------------------------------------


def test_admin_audit_page_filters_and_export(demo_loaded):
    at = signed_in_app("admin")
    at.switch_page("pages/admin_audit.py").run()
    assert not at.exception
    assert tr("page_audit") in [t.value for t in at.title]
    assert at.dataframe and len(at.dataframe[0].value) > 0
    at.text_input(key="audit_user").input("polis").run()
    users = set(at.dataframe[0].value[tr("audit_col_user")]) if at.dataframe else set()
    assert users and all("polis" in u for u in users)
    at.multiselect(key="audit_actions").select("login").run()
    if at.dataframe:
        assert set(at.dataframe[0].value[tr("audit_col_action")]) == {"login"}


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_audit_filter_has_no_effect(hostile, demo_loaded):
    at = signed_in_app("admin", run=False)
    at.run()
    at.switch_page("pages/admin_audit.py").run()
    typed = hostile[:128]  # what the browser lets through (max_chars)
    at.text_input(key="audit_user").input(typed).run()
    assert at.text_input(key="audit_user").value == typed
    assert not at.exception
    assert not leaks(at, hostile)
    shown = at.dataframe[0].value if at.dataframe else None
    if shown is not None and len(shown):
        needle = typed.replace("\x00", "").strip().lower()
        assert all(needle in str(u).lower() for u in shown[tr("audit_col_user")])


def test_admin_users_page_adds_and_changes(owner_engine, demo_loaded):
    at = signed_in_app("admin")
    at.switch_page("pages/admin_users.py").run()
    assert not at.exception
    name = f"pg{uuid.uuid4().hex[:6]}"
    at.text_input(key="users_new_username").input(name)
    at.text_input(key="users_new_display").input("Ny Person")
    at.selectbox(key="users_new_role").select("field_worker")
    at.text_input(key="users_new_password").input("a good password")
    next(b for b in at.button if b.label == tr("users_add")).click().run()
    assert not at.exception
    assert tr("users_added", username=name) in [s.value for s in at.success]
    at.selectbox(key="users_target").select(name)
    at.selectbox(key="users_change_action").select("set_role")
    at.selectbox(key="users_change_role").select("board_viewer")
    next(b for b in at.button if b.label == tr("users_apply")).click().run()
    with owner_engine.connect() as c:
        role = c.execute(
            text("select role from pax_data.app_user where username = :u"), {"u": name}
        ).scalar()
        actors = c.execute(
            text(
                "select username, role, action from pax_data.audit_log "
                "where detail->>'username' = :u order by id"
            ),
            {"u": name},
        ).all()
    assert role == "board_viewer"
    assert [tuple(a) for a in actors] == [
        ("admin", "admin", "user_add"),
        ("admin", "admin", "user_set_role"),
    ]


def test_admin_cannot_disable_self_on_page(demo_loaded):
    at = signed_in_app("admin")
    at.switch_page("pages/admin_users.py").run()
    at.selectbox(key="users_target").select("admin")
    at.selectbox(key="users_change_action").select("disable")
    next(b for b in at.button if b.label == tr("users_apply")).click().run()
    assert any(tr("users_error", error="")[:10] in e.value for e in at.error)
    assert at.session_state["user"].username == "admin"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_user_form_input_is_refused_cleanly(hostile, owner_engine, demo_loaded):
    with owner_engine.connect() as c:
        before = c.execute(text("select count(*) from pax_data.app_user")).scalar()
    at = signed_in_app("admin")
    at.switch_page("pages/admin_users.py").run()
    at.text_input(key="users_new_username").input(hostile[:64])
    at.text_input(key="users_new_display").input(hostile[:200])
    at.text_input(key="users_new_email").input(hostile[:320])
    at.text_input(key="users_new_password").input("a good password")
    next(b for b in at.button if b.label == tr("users_add")).click().run()
    assert not at.exception
    assert not leaks(at, hostile)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith(tr("users_error", error="").strip())
    with owner_engine.connect() as c:
        assert c.execute(text("select count(*) from pax_data.app_user")).scalar() == before
    # the change form's free text (e-mail) too
    at.selectbox(key="users_target").select("falt")
    at.selectbox(key="users_change_action").select("set_email")
    at.text_input(key="users_change_email").input(hostile[:320])
    next(b for b in at.button if b.label == tr("users_apply")).click().run()
    assert not at.exception
    assert not leaks(at, hostile)
    with owner_engine.connect() as c:
        email = c.execute(
            text("select email from pax_data.app_user where username = 'falt'")
        ).scalar()
    assert email is None
