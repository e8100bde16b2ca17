"""The database goes away under a signed-in browser session and comes back (Chromium).

Other test sessions share the embedded cluster on PAX_PG_PORT, so this test starts a cluster of
its own (temporary PAX_HOME, free port), migrates it, loads a small demo, serves the app against
it, and really stops (pg_ctl stop -m fast) and starts that cluster.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from pax_geo import cluster, db, migrate
from pax_geo.auth import DEMO_ACCOUNTS, DEMO_PASSWORD
from pax_geo.config import Settings
from tests.browser_support import (
    DESKTOP,
    ROOT,
    _free_port,
    login,
    open_page,
    serve_script,
    shot,
    signed_in,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[Settings]:
    """A separate embedded cluster with a small demo; stopped and removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix="pax-outage-"))
    cfg = Settings(home=home, pg_port=_free_port(), db_name="pax")
    try:
        cluster.start(cfg)
        url = db.ensure_database(cfg)
        migrate.upgrade(url, cfg)
        from pax_geo.demo import load_demo

        eng = create_engine(url)
        try:
            with eng.begin() as conn:
                load_demo(conn, incidents=400, seed=11)
        finally:
            eng.dispose()
        yield cfg
    finally:
        try:
            cluster.stop(cfg)
        finally:
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def own_app(own_cluster: Settings) -> Iterator[str]:
    """app.py served (through server.py, as pax serve does) against the separate cluster."""
    with serve_script(
        ROOT / "server.py",
        DATABASE_URL=None,
        PAX_HOME=str(own_cluster.home),
        PAX_PG_PORT=str(own_cluster.pg_port),
        PAX_DB_NAME=own_cluster.db_name,
        PAX_BASEMAP="none",
    ) as url:
        yield url


def _main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def _selected_area(page) -> str:
    return page.get_by_role("combobox", name="Välj område").input_value().strip()


def test_database_stops_and_comes_back(browser, own_cluster: Settings, own_app: str) -> None:
    ctx = browser.new_context(viewport=DESKTOP, locale="sv-SE", timezone_id="Europe/Stockholm")
    page = ctx.new_page()
    page.viewport_name = "desktop"  # type: ignore[attr-defined]
    where = f"127.0.0.1:{own_cluster.pg_port}/{own_cluster.db_name}"
    try:
        login(page, own_app, "police_analyst")
        open_page(page, "Områdeskort")
        # a filter that is not the default: the third area
        first = _selected_area(page)
        page.get_by_role("combobox", name="Välj område").click()
        page.get_by_role("option").nth(2).click()
        wait_idle(page)
        chosen = _selected_area(page)
        assert chosen and chosen != first, (first, chosen)
        url_before = page.url
        shot(page, "db-outage-0-before")

        cluster.stop(own_cluster)
        assert not cluster.port_in_use(own_cluster.pg_port)

        # The next click (the language switch in the sidebar) meets the stopped database.
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_role("combobox", name="Språk").click()
        page.get_by_role("option", name="English").click()
        wait_idle(page)
        text = _main_text(page)
        assert f"The database {where} cannot be reached" in text, text
        assert "Traceback" not in text and "psycopg" not in text
        assert page.get_by_role("button", name="Try again").is_visible()
        assert "Signed in as" in sidebar.inner_text()  # the menu is still there
        shot(page, "db-outage-1-english")

        sidebar.get_by_role("combobox", name="Language").click()
        page.get_by_role("option", name="Svenska").click()
        wait_idle(page)
        text = _main_text(page)
        assert f"Databasen {where} går inte att nå" in text, text
        assert "Inloggad som" in sidebar.inner_text()
        password = cluster.superuser_password(own_cluster)
        assert password not in page.content()

        # Slow to come back: a retry that fails again keeps the notice.
        page.get_by_role("button", name="Försök igen").click()
        wait_idle(page)
        text = _main_text(page)
        assert f"Databasen {where} går inte att nå" in text, text
        assert "senaste försöket" in text
        shot(page, "db-outage-2-retry-still-down")

        # Someone signing in meanwhile, on the plain login page, is told so (and nothing of
        # it counts as a failed attempt); the same form works once the database is back.
        other = browser.new_context(viewport=DESKTOP, locale="sv-SE").new_page()
        other.goto(own_app)
        other.get_by_label("Användarnamn").fill(DEMO_ACCOUNTS["security_chief"])
        other.get_by_label("Lösenord").fill(DEMO_PASSWORD)
        other.get_by_role("button", name="Logga in").click()
        alert = other.get_by_role("alert")
        alert.wait_for(timeout=60_000)
        assert f"Databasen {where} går inte att nå" in alert.inner_text()
        assert "Traceback" not in other.content() and password not in other.content()

        cluster.start(own_cluster)
        page.get_by_role("button", name="Försök igen").click()
        wait_idle(page)
        text = _main_text(page)
        assert "går inte att nå" not in text, text
        assert "Välj område" in text  # the same page
        assert _selected_area(page) == chosen, (url_before, page.url)  # the same filter
        assert page.url == url_before
        assert "Inloggad som" in sidebar.inner_text()  # still signed in
        assert page.get_by_label("Lösenord").count() == 0
        shot(page, "db-outage-3-back")

        other.get_by_label("Lösenord").fill(DEMO_PASSWORD)
        other.get_by_role("button", name="Logga in").click()
        signed_in(other)
        assert "Inloggad som" in other.locator('[data-testid="stSidebar"]').inner_text()
        other.context.close()
    finally:
        if not cluster.status(own_cluster).running:
            cluster.start(own_cluster)
        ctx.close()
