"""Regional jämförelse in Debian's Chromium: the regional coordinator signs in to a database
with three municipalities and lands on the comparison; its charts draw (ink in the canvases,
not only frames), its tables name every municipality and the region, nothing overflows at a
desk (1440x900) or on a tablet (820x1180), and the console stays clean. Screenshots in
artifacts/regional-*.png."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from pax_geo import i18n
from tests.browser_support import (
    ARTIFACTS,
    TABLET,
    charts_drawn,
    drawn_marks,
    login,
    serve_app,
    wait_idle,
)

pytestmark = pytest.mark.browser


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


@pytest.fixture(scope="module")
def regional_url(regional_db):
    with serve_app(regional_db.url.database) as url:
        yield url


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_the_coordinator_compares_the_municipalities(page, regional_url, regional_db):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    with regional_db.connect() as c:
        names = list(
            c.execute(text("select name from pax_data.municipality order by name")).scalars()
        )
    assert len(names) == 3

    login(page, regional_url, "regional_analyst")
    wait_idle(page)
    # the coordinator's start page
    page.get_by_role("heading", name=tr("page_regional")).wait_for(timeout=60_000)
    assert charts_drawn(page, 5) >= 5
    page.wait_for_timeout(1500)
    ink = drawn_marks(page)
    # a bar chart per type (up to four bars each: three municipalities and the region; car
    # fires, the first, are frequent enough never to be suppressed) and the monthly lines
    # (three municipalities), not empty frames
    assert len(ink) == 5 and ink[0] == 4 and all(n <= 4 for n in ink[:4]) and ink[4] >= 3, ink
    main = page.locator('[data-testid="stMain"]')
    text_now = main.inner_text()
    for name in names:
        assert name in text_now, name
    assert tr("rg_compstat_heading") in text_now and tr("rg_indicators_heading") in text_now
    # the tables: CompStat and the indicators show in full; the rates table is folded
    frames = page.locator('[data-testid="stDataFrame"]')
    assert frames.count() >= 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "regional-desktop.png"), full_page=True)
    assert page.evaluate("(m) => m.scrollWidth <= m.clientWidth + 2", main.first.element_handle())

    # another type in the monthly chart redraws it
    before = drawn_marks(page)
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has_text=tr("rg_kind")
    )
    box.first.scroll_into_view_if_needed()
    box.first.click()
    page.get_by_role("option", name=tr("kind_shooting"), exact=True).click()
    wait_idle(page)
    page.wait_for_timeout(1500)
    after = drawn_marks(page)
    assert after[:4] == before[:4] and after[4] != before[4] and after[4] >= 3, (before, after)

    # the same session on a tablet
    page.set_viewport_size(TABLET)
    page.wait_for_timeout(1500)
    assert charts_drawn(page, 5) >= 5
    assert page.evaluate("(m) => m.scrollWidth <= m.clientWidth + 2", main.first.element_handle())
    page.screenshot(path=str(ARTIFACTS / "regional-tablet.png"), full_page=True)
    assert errors == []
