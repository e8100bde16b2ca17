"""Medellång sikt, Lång sikt and Områdeskort in Debian's Chromium at desktop (1440x900) and
tablet (820x1180) sizes. Each test is one signed-in session that checks the layouts at both
sizes by resizing its window: a field worker walks Medellång sikt and the area card on a tablet,
the security chief's per-area panels and the board's Lång sikt start at desktop size.
Screenshots (the whole page, not only the first screen) land in artifacts/horizons-*.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from pax_geo import i18n
from pax_geo.auth import DEMO_ACCOUNTS
from tests.browser_support import (
    ARTIFACTS,
    DESKTOP,
    TABLET,
    charts_drawn,
    frames,
    in_view,
    login,
    wait_idle,
)

pytestmark = pytest.mark.browser


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


def full_shot(page, name: str) -> Path:
    """Screenshot of the whole page: Streamlit scrolls inside its main container, so the
    viewport is stretched to the content height for the shot and restored afterwards."""
    size = page.viewport_size
    height = page.evaluate(
        """() => { let h = document.body.scrollHeight;
        document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppScrollToBottomContainer"], section')
          .forEach(e => { h = Math.max(h, e.scrollHeight); });
        return h; }"""
    )
    page.set_viewport_size(
        {"width": size["width"], "height": min(max(height + 40, size["height"]), 9000)}
    )
    frames(page, 3)  # the charts redraw at the new size
    page.wait_for_timeout(250)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"horizons-{name}-{page.viewport_name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    frames(page, 3)
    return path


def visible(locator, timeout: float = 60) -> bool:
    """Wait for the locator to show (Streamlit draws after the run ends), then True."""
    locator.wait_for(state="visible", timeout=timeout * 1000)
    return locator.is_visible()


def no_horizontal_overflow(page) -> bool:
    main = page.locator('[data-testid="stMain"]').first
    return page.evaluate("(m) => m.scrollWidth <= m.clientWidth + 2", main.element_handle())


def go(page, title: str) -> None:
    """Open a page by its exact menu title ("Lång sikt" is also part of "Medellång sikt")."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    link = sidebar.get_by_role("link", name=title, exact=True).first
    if not in_view(page, link):  # a folded sidebar keeps its links, off screen
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        page.wait_for_timeout(500)
    link.click()
    wait_idle(page)


def close_sidebar_on_tablet(page) -> None:
    if page.viewport_name == "tablet":
        button = page.locator('[data-testid="stSidebarCollapseButton"] button')
        if button.count() and button.first.is_visible():
            button.first.click()
            page.wait_for_timeout(800)


# --- Medellång sikt --------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", ["tablet"], indirect=True)
def test_medellang_trends_and_changes_since_then_the_area_card(page, app_url):
    """One field worker session on a tablet: Medellång sikt's trends, changes since and
    reporting, then the area card's layout and rule (Områdeskort), at tablet size and again
    with the window widened to a desktop's."""
    login(page, app_url, "field_worker")
    go(page, tr("page_medellang"))
    close_sidebar_on_tablet(page)
    assert visible(page.get_by_role("heading", name=tr("page_medellang")).first)
    assert charts_drawn(page, 3) >= 3  # one panel per incident type the role may see
    assert visible(page.get_by_text(tr("hz_suppressed_note", n=3, m=2)).first)
    full_shot(page, "medellang-trends-field-worker")

    page.get_by_role("tab", name=tr("hz_tab_since")).click()
    wait_idle(page)
    since = page.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text=re.compile(r"^Från midnatt \d{4}-\d{2}-\d{2}")
    )
    assert visible(since.first)
    # Calendar-aligned, and said so; its length in whole days and hours, not "N dagar".
    assert re.search(r"\d+ dygn och \d+ h, kalenderjusterat", since.first.inner_text())
    full_shot(page, "medellang-changes-since-field-worker")

    page.get_by_role("tab", name=tr("hz_tab_reporting")).click()
    wait_idle(page)
    full_shot(page, "medellang-reporting-field-worker")

    # --- Områdeskort, in the same session
    go(page, tr("page_omradeskort"))
    close_sidebar_on_tablet(page)
    assert visible(page.get_by_role("heading", name="Ronna").first)  # the worker's area
    metrics = page.locator('[data-testid="stMetric"]')
    assert metrics.count() >= 5  # 24 h, 7 d, 30 d, 28 days, year to date
    rule = page.get_by_text(tr("hz_rule_title")).first
    assert visible(rule)
    for light in ("hz_light_green", "hz_light_yellow", "hz_light_red"):
        assert page.get_by_text(tr(light)).count() >= 1  # the rule names each light
    for name, size in (("tablet", TABLET), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.viewport_name = name
        close_sidebar_on_tablet(page)
        frames(page, 3)  # laid out again at the new size
        first = metrics.nth(0).bounding_box()
        third = metrics.nth(2).bounding_box()
        rule_box = rule.bounding_box()
        # the three lights share one row at both sizes
        assert abs(first["y"] - third["y"]) < 5, name
        if name == "desktop":
            assert rule_box["x"] > third["x"] + third["width"]  # the rule beside the lights
        else:
            assert rule_box["y"] > third["y"] + third["height"]  # … and below them on a tablet
        assert no_horizontal_overflow(page), name
        charts_drawn(page, 1)
        full_shot(page, "area-card-field-worker")


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_medellang_per_area_panels(page, app_url):
    """Every district's panel, without horizontal overflow, at desktop size and then, in the
    same session, with the window resized to tablet size."""
    login(page, app_url, "security_chief")
    go(page, tr("page_medellang"))
    page.locator('[data-testid="stButtonGroup"] button').filter(
        has_text=tr("hz_panel_by_area_id")
    ).first.click()
    wait_idle(page)
    for name, size in (("desktop", DESKTOP), ("tablet", TABLET)):
        page.set_viewport_size(size)
        page.viewport_name = name
        close_sidebar_on_tablet(page)
        frames(page, 3)  # laid out again at the new size
        assert charts_drawn(page, 21) >= 21, name  # every district gets a panel
        assert no_horizontal_overflow(page), name
        full_shot(page, "medellang-per-area-security-chief")


# --- Lång sikt -----------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_lang_choropleth_and_click_opens_the_card(page, app_url, owner_engine):
    """A board viewer's session at desktop size, then with the window narrowed to a tablet's:
    the choropleth fits at both, and a click on a district opens its card. Both page views are
    audited with what they showed."""
    with owner_engine.connect() as c:
        start = c.execute(text("select coalesce(max(id), 0) from pax_data.audit_log")).scalar()
    login(page, app_url, "board_viewer")
    go(page, tr("page_lang"))
    for name, size in (("desktop", DESKTOP), ("tablet", TABLET)):
        page.set_viewport_size(size)
        page.viewport_name = name
        close_sidebar_on_tablet(page)
        frames(page, 3)  # laid out again at the new size
        charts_drawn(page, 2)
        full_shot(page, "lang-choropleth-board")
        assert no_horizontal_overflow(page), name

    # Click inside the map: its lower middle lies in one of the large southern districts.
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    box = chart.bounding_box()
    assert box and box["height"] > 200
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.75)
    page.wait_for_url(re.compile(r"/omradeskort\?area=\d+"), timeout=60_000)
    wait_idle(page)
    assert visible(page.get_by_role("heading", name=tr("page_omradeskort")).first)
    assert visible(page.get_by_text(tr("hz_rule_title")).first)
    full_shot(page, "lang-click-opened-card")
    area = int(re.search(r"area=(\d+)", page.url).group(1))

    with owner_engine.connect() as c:
        rows = c.execute(
            text(
                "select page, detail from pax_data.audit_log where id > :s "
                "and username = :u and action = 'page_view' order by id"
            ),
            {"s": start, "u": DEMO_ACCOUNTS["board_viewer"]},
        ).all()
    lang_view = next(r.detail for r in rows if r.page == "lang_sikt")
    assert {"indicator", "scheme", "classes", "year"} <= set(lang_view)
    cards = [r.detail for r in rows if r.page == "omradeskort"]
    assert cards and cards[-1]["area_id"] == area
