"""The Här och nu map in Debian's Chromium, read from what deck.gl drew: the first click on a
point opens its details where the police analyst sees them at 1440x900, and then every display
mode keeps the incidents on the map (layers, pixels, no console errors). One signed-in session.
The first click on an area: tests/ui/test_browser_har_och_nu.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pax_geo import i18n
from pax_geo.layers import load_layers
from tests.browser_support import DESKTOP, login, on_screen, shot, wait_idle
from tests.deck_support import (
    VISIBLE_POINTS,
    ConsoleLog,
    canvas_pixels,
    colour_share,
    deck_layers,
)

pytestmark = pytest.mark.browser


def tr(key: str) -> str:
    return i18n.t(key, "sv")


@pytest.fixture
def viewport() -> tuple[str, dict]:
    """Desktop only: these are the analyst's desktop map (tablet is covered elsewhere)."""
    return "desktop", DESKTOP


def choose(page, option: str) -> None:
    page.locator('[data-testid="stButtonGroup"] button').filter(has_text=option).first.click()
    wait_idle(page)


MODES = {
    # display option -> deck.gl class every incident layer must be drawn with
    "display_points": "ScatterplotLayer",
    "display_hex": "ColumnLayer",
    "display_heat": "HeatmapLayer",
    "display_auto": "ScatterplotLayer",  # 3000 demo incidents: within the point budget
}


def _click_first_visible(page, prefix: str) -> dict:
    points = page.evaluate(VISIBLE_POINTS, [prefix, 40])
    assert points, f"no {prefix} row inside the visible part of the map"

    # A point apart from the others, so the click cannot land on a neighbour.
    def crowding(p):
        return sum(1 for q in points if abs(q["x"] - p["x"]) < 14 and abs(q["y"] - p["y"]) < 14)

    target = min(points, key=crowding)
    page.mouse.click(target["x"], target["y"])
    return target


def test_first_click_on_a_point_then_every_display_mode(page, app_url):
    log = ConsoleLog(page)
    login(page, app_url, "police_analyst")
    deck_layers(page, lambda ls: any(layer["id"].startswith("inc_car_fire") for layer in ls))
    # No scrolling: the user clicks what the page shows on arrival. On a loaded machine the map
    # can still be settling its first view when the layers arrive, so a click that opened
    # nothing is made once more on the points as they are drawn then (as a user would).
    field = page.get_by_text(tr("field_time") + ":").first
    for attempt in range(2):
        target = _click_first_visible(page, "inc_car_fire")
        wait_idle(page)
        try:
            field.wait_for(state="visible", timeout=20_000)
            break
        except PlaywrightTimeout:
            if attempt:
                raise
    shot(page, "map-first-click-point")
    assert on_screen(page, field), field.bounding_box()
    # The record opened is the one clicked: its position is the clicked row's.
    lon, lat = target["row"]["p"]
    assert page.get_by_text(f"{lat:.5f}, {lon:.5f}").first.is_visible()
    assert not log.errors

    choose(page, tr("window_1y"))
    deck_layers(page, lambda ls: any(layer["id"].startswith("inc_") for layer in ls))
    fire = load_layers()["car_fire"].color
    # Points first, then each forced mode, and back: a layer changing class under one id is
    # what broke the map (deck.gl reused the old layer's attributes).
    for option in (
        "display_points",
        "display_hex",
        "display_heat",
        "display_points",
        "display_heat",
        "display_hex",
        "display_auto",
    ):
        choose(page, tr(option))
        expected = MODES[option]
        layers = deck_layers(
            page,
            lambda ls, expected=expected: (
                {layer["type"] for layer in ls if layer["id"].startswith("inc_")} == {expected}
            ),
        )
        incidents = [layer for layer in layers if layer["id"].startswith("inc_")]
        kinds = {
            layer["id"].split("_", 1)[1].removesuffix("_hex").removesuffix("_heat")
            for layer in incidents
        }
        assert kinds == {"car_fire", "shooting", "explosion", "cache"}, (option, incidents)
        for layer in incidents:
            assert layer["visible"], (option, layer)
            assert layer["data"] and layer["data"] > 0, (option, layer)
            assert layer["instances"] == layer["data"], (option, layer)
        ids = [layer["id"] for layer in incidents]
        assert len(set(ids)) == len(ids)
        pixels = canvas_pixels(page)
        share = colour_share(pixels, fire)
        shot(page, f"map-mode-{option}")
        # Car fires (orange) cover a visible part of the canvas in every mode.
        assert share > 0.0005, (option, share)
        assert not log.errors, (option, log.errors)
