# ruff: noqa: F811 (pytest fixtures imported from browser_support)
"""The Hotspots page in Debian's Chromium: every method draws (a map with colour, or charts), with
its explanation beside it, at desktop size; the municipal staff's grid note and map at tablet
size. Screenshots land in artifacts/."""

from __future__ import annotations

from collections import Counter

import pytest

from pax_geo import i18n

# Fixtures (app_url, browser, page, viewport) come from the tests.browser_support plugin;
# importing them here would start a second Playwright.
from tests.browser_support import (
    charts_drawn,
    distinct_colours,
    login,
    settled_image,
    shot,
    wait_idle,
)

pytestmark = pytest.mark.browser


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


def map_colours(page) -> int:
    """Distinct colours on the map canvas; fails if one colour floods it (a broken layer)."""
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    drawn = settled_image(canvas, ready=lambda im: distinct_colours(im) > 8)
    img = drawn.resize((160, 140))
    pixels = list(img.get_flattened_data())
    colour, n = Counter(pixels).most_common(1)[0]
    background = min(colour) > 225  # the empty map (no basemap) is near white
    assert background or n / len(pixels) < 0.8, f"{colour} covers {n / len(pixels):.0%} of the map"
    return len(set(pixels))


def goto_hotspots(page) -> None:
    """Through the sidebar menu (a reload would start a new session)."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    if not sidebar.locator("a").filter(has_text=tr("page_hotspots")).first.is_visible():
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    sidebar.locator("a").filter(has_text=tr("page_hotspots")).first.click()
    wait_idle(page, 120)


def choose(page, label: str) -> None:
    page.locator('[data-testid="stButtonGroup"] button').filter(has_text=label).first.click()
    wait_idle(page, 120)
    wait_result(page)


def wait_result(page) -> None:
    """Until the explanation beside the result is drawn (the analysis may take a moment)."""
    page.get_by_text(tr("an_what")).first.wait_for(state="visible", timeout=180_000)
    wait_idle(page, 120)


METHODS = ("hotspots", "density", "emerging", "nearrepeat", "coverage", "temporal", "compstat")


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_police_sees_each_method(page, app_url):
    """One signed-in session walks every method (AppTest covers each method's content; here
    the browser must draw it): maps show coloured cells, charts and tables appear."""
    login(page, app_url, "police_analyst")
    goto_hotspots(page)
    page.locator("h1").filter(has_text=tr("page_hotspots")).first.wait_for(timeout=60_000)
    wait_result(page)
    choose(page, tr("an_period_3y"))
    for method in METHODS:
        choose(page, tr(f"an_method_{method}"))
        wait_result(page)
        assert page.get_by_text(tr("an_what")).first.is_visible(), method
        if method == "temporal":
            assert charts_drawn(page, 2) >= 2  # the charts have drawn marks, not only frames
        elif method == "compstat":
            page.wait_for_function(
                "document.querySelectorAll('[data-testid=\"stDataFrame\"]').length >= 2",
                timeout=30_000,
            )
        else:
            assert map_colours(page) > 8, method
        shot(page, f"hotspots-police-{method}")


@pytest.mark.parametrize("viewport", ["tablet"], indirect=True)
def test_municipal_staff_gets_the_grid_note(page, app_url):
    login(page, app_url, "municipal_staff")
    goto_hotspots(page)
    wait_result(page)
    choose(page, tr("an_period_3y"))
    assert page.get_by_text("avrundade till ett 250 m-rutnät").first.is_visible()
    assert map_colours(page) > 5
    shot(page, "hotspots-municipal-staff")
