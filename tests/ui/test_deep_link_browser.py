"""A deep link as the first visit after the server starts (a bookmark, a link in an e-mail):
the login comes first (the plain login page the gate sends every first visit to), and then the
linked page with its parameters, as the first script run of the process.

Streamlit runs a process in its old "pages/ directory" mode until some run has called
st.navigation; server.py starts it in navigation mode. Without that, this first visit ran
pages/omradeskort.py on its own (no login form, a menu of every page file) and so did every
visit after it until someone opened "/". The server here is fresh, so the deep link is the
first script run of its process. Real Streamlit (server.py), Chromium and PostGIS."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from pax_geo.auth import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.browser_support import DESKTOP, serve_app, signed_in

pytestmark = pytest.mark.browser


def test_a_deep_link_opened_first_signs_in_and_then_opens(
    browser, pg_url, owner_engine, demo_loaded
):
    with owner_engine.connect() as c:
        area = c.execute(
            text("select id from pax_data.area where kind = 'district' and name = 'Geneta'")
        ).scalar()
    with serve_app(pg_url.database) as url:
        ctx = browser.new_context(viewport=DESKTOP, locale="sv-SE")
        page = ctx.new_page()
        try:
            page.goto(f"{url}/omradeskort?area={area}")
            page.get_by_label("Användarnamn").wait_for(timeout=90_000)
            assert "/login?next=" in page.url
            # the app's own login page, not a page file run on its own with a menu of files
            assert page.get_by_role("heading", name="Pax lägesbild").count() == 1
            assert page.get_by_text("admin audit").count() == 0
            page.get_by_label("Användarnamn").fill(DEMO_ACCOUNTS["board_viewer"])
            page.get_by_label("Lösenord").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Logga in").click()
            signed_in(page)
            main = page.locator('[data-testid="stMain"]')
            expect(main).to_contain_text("Geneta", timeout=60_000)
            assert "/omradeskort" in page.url and f"area={area}" in page.url
            # a second browser opening "/" afterwards gets the same app
            other = ctx.browser.new_context(viewport=DESKTOP, locale="sv-SE").new_page()
            other.goto(url)
            other.get_by_label("Användarnamn").wait_for(timeout=90_000)
            other.context.close()
        finally:
            ctx.close()
