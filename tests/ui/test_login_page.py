"""The plain login page (pax_geo/ui/login_page.py) and the gate that sends page loads to it
(pax_geo/ui/web.py), over HTTP against the real server (server.py, PostGIS): who is sent
where, what a sign-in hands over to Streamlit and to whom, and what is refused. The browser
side (the form in Chromium, the prefetch, the hand-over to the app) is in
test_login_page_browser.py."""

from __future__ import annotations

import urllib.parse

import pytest
from sqlalchemy import text

from pax_geo import i18n
from pax_geo.auth import DEMO_ACCOUNTS, DEMO_PASSWORD
from pax_geo.ui import web
from pax_geo.ui.login_page import landing, startup_files
from tests.auth_support import PASSWORD
from tests.http_support import Browser


def _audit(owner_engine, username: str) -> list[tuple[str, dict]]:
    with owner_engine.connect() as c:
        rows = c.execute(
            text("select action, detail from pax_data.audit_log where username = :u order by id"),
            {"u": username},
        )
        return [(r.action, r.detail) for r in rows]


@pytest.mark.parametrize("path", ["/", "/har_och_nu", "/omradeskort?area=3", "/insatser/"])
def test_a_page_load_without_a_sign_in_goes_to_the_login_page(app_url, path):
    status, headers, _ = Browser().request(app_url + path)
    assert status == 303
    location = headers["location"]
    assert location.startswith("/login?next=")
    assert urllib.parse.unquote(location.split("next=", 1)[1]) == path
    assert headers["cache-control"] == "no-store"
    assert "pax_client=" in headers["set-cookie"] and "HttpOnly" in headers["set-cookie"]


@pytest.mark.parametrize(
    "path", ["/_stcore/health", "/static/js/nothing.js", "/vendor/x", "/not_a_page", "/?sso=1"]
)
def test_everything_else_is_not_redirected(app_url, path):
    status, _, _ = Browser().request(app_url + path)
    assert status != 303


def test_the_page_is_small_escaped_and_prefetches_streamlit(app_url):
    b = Browser()
    status, headers, body = b.request(app_url + '/login?next=/"><script>alert(1)</script>')
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "<script" not in body  # the page has no script, and the bad next is not echoed
    assert 'name="next" value="/"' in body
    assert len(body.encode()) < 12_000
    assert i18n.t("login_username", "sv") in body and i18n.t("login_submit", "sv") in body
    files = startup_files()
    assert any(f.endswith(".js") for f in files) and any(f.endswith(".css") for f in files)
    for f in files:
        assert f'<link rel="prefetch" href="/{f}" crossorigin>' in body
        # each is a file Streamlit really serves
        assert b.request(f"{app_url}/{f}", method="HEAD")[0] == 200
    _, _, english = b.request(app_url + "/login?lang=en")
    assert '<html lang="en">' in english and i18n.t("login_username", "en") in english


def test_a_sign_in_lets_this_browser_and_no_other_into_the_app(app_url, owner_engine):
    b = Browser()
    status, headers, _ = b.sign_in(
        app_url, DEMO_ACCOUNTS["municipal_staff"], DEMO_PASSWORD, "/omradeskort?area=3"
    )
    assert status == 303 and headers["location"] == "/omradeskort?area=3"
    # the page load now passes the gate (Streamlit's own page), once the hand-over is waiting
    status, _, body = b.request(app_url + "/omradeskort?area=3")
    assert status == 200 and '<div id="root">' in body  # Streamlit's own page
    actions = [a for a, _ in _audit(owner_engine, DEMO_ACCOUNTS["municipal_staff"])]
    assert actions[-1] == "login"
    # another browser (no cookie of this one) is still sent to the login page
    assert Browser().request(app_url + "/omradeskort?area=3")[0] == 303


def test_the_start_page_of_the_role_is_the_root(app_url):
    status, headers, _ = Browser().sign_in(
        app_url, DEMO_ACCOUNTS["police_analyst"], DEMO_PASSWORD, "/har_och_nu"
    )
    assert status == 303 and headers["location"] == "/"
    assert landing("/mitt_omrade?x=1", "field_worker") == "/?x=1"
    assert landing("/har_och_nu", "field_worker") == "/har_och_nu"


def test_a_wrong_password_is_refused_counted_and_audited(app_url, owner_engine, make_user):
    name = make_user("field_worker")
    b = Browser()
    status, _, body = b.sign_in(app_url, name, "wrong password", "/mitt_omrade")
    assert status == 401
    assert i18n.t("login_invalid", "sv") in body
    assert f'value="{name}"' in body  # the name is kept, the password is not
    assert "wrong password" not in body
    action, detail = _audit(owner_engine, name)[-1]
    assert action == "login_failed" and detail["reason"] == "invalid"
    assert detail["client"] == b.source  # counted against this client
    # an unknown name reads exactly the same
    _, _, other = Browser().sign_in(app_url, "t_nobody_here", "wrong password")
    assert i18n.t("login_invalid", "sv") in other
    # and the right password still works
    assert b.sign_in(app_url, name, PASSWORD)[0] == 303


def test_the_lockout_speaks_on_this_page_too(app_url, make_user):
    name = make_user("field_worker")
    b = Browser()
    bodies = [b.sign_in(app_url, name, f"wrong {i}")[2] for i in range(6)]
    assert i18n.t("login_invalid", "sv") in bodies[0]
    assert any("spärrad" in body for body in bodies)
    status, _, body = b.sign_in(app_url, name, PASSWORD)
    assert status == 401 and "spärrad" in body
    # one client cannot lock a name for everyone: another device still signs in
    assert Browser().sign_in(app_url, name, PASSWORD)[0] == 303


def test_a_form_from_elsewhere_or_without_a_cookie_is_refused(app_url, owner_engine):
    name = DEMO_ACCOUNTS["security_chief"]
    before = len(_audit(owner_engine, name))
    b = Browser()
    fields = b.form(app_url)
    # another browser's token (a form posted from another site) does not sign this one in
    other = Browser()
    other.form(app_url)
    fields.update(username=name, password=DEMO_PASSWORD)
    status, _, body = other.request(f"{app_url}/login", fields)
    assert status == 400 and i18n.t("login_stale", "sv") in body
    # no cookie at all (a cross-site POST: the cookie is SameSite=Strict)
    status, _, body = Browser().request(f"{app_url}/login", fields)
    assert status == 400 and i18n.t("login_cookies", "sv").split(".")[0] in body
    # nor a body larger than a form
    status, _, _ = b.request(f"{app_url}/login", {**fields, "password": "x" * 10_000})
    assert status == 413
    assert len(_audit(owner_engine, name)) == before  # no attempt was made
    assert b.request(f"{app_url}/login", fields)[0] == 303


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "/static/x.js", "/login"],
)
def test_it_sends_nobody_to_another_site(app_url, target):
    status, headers, _ = Browser().sign_in(
        app_url, DEMO_ACCOUNTS["security_chief"], DEMO_PASSWORD, target
    )
    assert status == 303 and headers["location"] == "/"


def test_a_hand_over_is_for_one_cookie_once_and_expires(monkeypatch):
    from pax_geo.auth import Account, LoginResult

    result = LoginResult("ok", Account("t_someone", "Someone", "field_worker", None), "t" * 43)
    cookie, other = "c" * 43, "d" * 43
    assert web.hand_over(cookie, result, "en")
    assert web.take_handoff(other) is None
    assert web.take_handoff(cookie) == (result, "en")
    assert web.take_handoff(cookie) is None
    assert not web.hand_over("short", result, "sv")
    web.hand_over(cookie, result, "sv")
    monkeypatch.setattr(web, "HANDOFF_SECONDS", -1.0)
    web.hand_over(other, result, "sv")
    assert not web.has_handoff(other) and web.take_handoff(other) is None
