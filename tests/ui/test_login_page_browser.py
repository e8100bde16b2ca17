"""The plain login page in Chromium (server.py, PostGIS): usable on a phone and a tablet, light
and dark, without any script; it prefetches Streamlit's start-up files while the user types;
a refusal stays on the page; a sign-in in English opens the app in English."""

from __future__ import annotations

import pytest

from pax_geo import i18n
from pax_geo.auth import DEMO_ACCOUNTS, DEMO_PASSWORD
from pax_geo.ui.login_page import startup_files
from tests.browser_support import ARTIFACTS, signed_in

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "tablet": (820, 1180)}


def _context(browser, size: tuple[int, int], scheme: str = "light"):
    w, h = size
    ctx = browser.new_context(
        viewport={"width": w, "height": h},
        locale="sv-SE",
        timezone_id="Europe/Stockholm",
        color_scheme=scheme,  # type: ignore[arg-type]
        has_touch=True,
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return ctx, page, errors


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", list(SIZES))
def test_usable_on_phone_and_tablet(browser, app_url, device, scheme):
    ctx, page, errors = _context(browser, SIZES[device], scheme)
    try:
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(app_url)
        page.get_by_label("Användarnamn").wait_for(timeout=30_000)
        assert "/login?next=" in page.url
        # no sideways scrolling, every control a finger can hit (44 px)
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[device][0]
        for sel in ["#username", "#password", "button[type=submit]", "a.lang"]:
            box = page.locator(sel).bounding_box()
            assert box and box["height"] >= 44, sel
            assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES[device][0], sel
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(14, 17, 23)") == (scheme == "dark"), background
        assert page.locator("script").count() == 0
        page.screenshot(path=str(ARTIFACTS / f"login-page-{device}-{scheme}.png"))
        # while the user types, the browser fetches Streamlit's start-up files
        page.get_by_label("Användarnamn").fill(DEMO_ACCOUNTS["field_worker"])
        page.wait_for_timeout(1500)
        fetched = {u.split("/static/", 1)[-1] for u in requested if "/static/" in u}
        wanted = {f.split("static/", 1)[-1] for f in startup_files()}
        assert any(f.startswith("js/index.") for f in fetched & wanted)
        assert all(app_url in u or u.startswith("data:") for u in requested), requested
        assert not errors, errors
    finally:
        ctx.close()


def test_a_refusal_stays_on_the_page_and_english_carries_into_the_app(browser, app_url):
    ctx, page, errors = _context(browser, SIZES["tablet"])
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else 0)
    try:
        page.goto(app_url + "/omradeskort")
        page.get_by_label("Användarnamn").fill(DEMO_ACCOUNTS["security_chief"])
        page.get_by_label("Lösenord").fill("not the password")
        page.get_by_role("button", name="Logga in").click()
        alert = page.get_by_role("alert")
        alert.wait_for(timeout=30_000)
        assert alert.inner_text() == i18n.t("login_invalid", "sv")
        assert page.get_by_label("Användarnamn").input_value() == DEMO_ACCOUNTS["security_chief"]
        assert page.get_by_label("Lösenord").input_value() == ""
        page.get_by_role("link", name=i18n.t("login_other_lang", "sv")).click()
        page.get_by_label(i18n.t("login_username", "en")).fill(DEMO_ACCOUNTS["security_chief"])
        page.get_by_label(i18n.t("login_password", "en")).fill(DEMO_PASSWORD)
        page.get_by_role("button", name=i18n.t("login_submit", "en")).click()
        signed_in(page)
        main = page.locator('[data-testid="stMain"]')
        main.get_by_role("heading", name=i18n.t("page_omradeskort", "en")).first.wait_for(
            timeout=90_000
        )
        assert "/omradeskort" in page.url
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert i18n.t("logout", "en") in sidebar.inner_text()
        # the refused sign-in (401), and Streamlit probing a deep link's path for its own
        # base path (it then finds "/"): nothing else failed
        for line in failed:
            assert (
                line.endswith("/login")
                and line.startswith("401")
                or (line.startswith("404") and "/omradeskort/_stcore/" in line)
            ), failed
        assert not [e for e in errors if "Failed to load resource" not in e], errors
    finally:
        ctx.close()
