"""The real page in Debian's Chromium: a police analyst signs in, opens "Lägesbild för
styrelsen", creates a draft from the test database and presents it at a projector's 1920x1080
and at 1280x720; the slides drawn from the database fill the window, the keyboard and a clicker
move through them, Escape returns to the page (one session, the window resized between the
two). Screenshots: artifacts/board/page-*.png."""

from __future__ import annotations

import pytest

from pax_geo import i18n
from tests.browser_support import ARTIFACTS, login, open_page, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_briefings")]
SIZES = [(1920, 1080), (1280, 720)]
SHOTS = ARTIFACTS / "board"


def tr(key: str) -> str:
    return i18n.t(key, "sv")


def state(pg) -> dict:
    return pg.evaluate(
        """() => {
          const d = document.querySelector('.pax-deck');
          const s = document.querySelector('.pax-slide.is-current');
          const r = s.getBoundingClientRect();
          const se = document.scrollingElement;
          return {current: +d.dataset.current, total: +d.dataset.total, key: s.dataset.key,
                  counter: s.querySelector('.pax-counter').innerText.trim(),
                  box: [r.left, r.top, r.width, r.height],
                  scrolls: se.scrollHeight > innerHeight + 1 || se.scrollWidth > innerWidth + 1,
                  title: parseFloat(getComputedStyle(s.querySelector('h1, h2')).fontSize),
                  images: [...s.querySelectorAll('img')].map(i => i.complete && i.naturalWidth)};
        }"""
    )


SLIDE_KEYS = [
    "title",
    "key_figures",
    "map_car_fire",
    "map_shooting",
    "map_explosion",
    "map_cache",
    "here_now",
    "medium",
    "long",
    "operations",
    "assessment",
]


def present_and_walk(pg, w: int, h: int) -> None:
    """Present the draft in a w x h window, walk every slide with the keys, leave with Escape."""
    pg.set_viewport_size({"width": w, "height": h})
    pg.get_by_role("button", name=tr("bd_present")).click()
    pg.wait_for_selector('.pax-deck[data-ready="1"] .pax-slide.is-current', timeout=60_000)
    pg.evaluate("() => document.fonts.ready.then(() => true)")
    assert not pg.locator('[data-testid="stSidebar"]').is_visible()
    assert not pg.locator('[data-testid="stHeader"]').is_visible()
    s = state(pg)
    n_slides = len(SLIDE_KEYS)  # 7 sections and one map per incident type (4 for the board)
    assert (s["current"], s["total"], s["key"], s["counter"]) == (
        1,
        n_slides,
        "title",
        f"1 / {n_slides}",
    )
    assert s["box"] == [0, 0, w, h] and not s["scrolls"]
    assert s["title"] >= 0.04 * h
    SHOTS.mkdir(parents=True, exist_ok=True)
    seen = []
    for n in range(1, n_slides + 1):
        s = state(pg)
        assert s["current"] == n and s["counter"] == f"{n} / {n_slides}"
        assert s["box"] == [0, 0, w, h] and not s["scrolls"], (w, h, n, s)
        assert all(i and i > 0 for i in s["images"]), (n, s["images"])
        seen.append(s["key"])
        pg.screenshot(path=str(SHOTS / f"page-{w}x{h}-{n}.png"))
        pg.keyboard.press("PageDown" if n % 2 else "ArrowRight")
        pg.wait_for_timeout(80)
    assert seen == SLIDE_KEYS
    pg.keyboard.press("Home")
    pg.wait_for_timeout(80)
    assert state(pg)["current"] == 1
    pg.keyboard.press("PageUp")  # stays on the first
    assert state(pg)["current"] == 1
    # Escape leaves the presentation: the page with its sections is back
    pg.keyboard.press("Escape")
    pg.get_by_role("heading", name=f"2. {tr('bd_sec_key_figures')}").wait_for(timeout=60_000)
    # the deck goes when the run that left it ends (Streamlit drops stale elements then)
    pg.wait_for_function("document.querySelectorAll('.pax-deck').length === 0", timeout=30_000)
    wait_idle(pg)
    # … the lägesbild that was presented, not the form for a new one
    assert pg.get_by_role("heading", name=f"2. {tr('bd_sec_key_figures')}").is_visible()
    assert not pg.get_by_role("button", name=tr("bd_create")).count()


def test_present_a_draft_from_the_page(browser, app_url) -> None:
    """One session: the draft is presented at a projector's 1920x1080, then again with the
    window at 1280x720."""
    w, h = SIZES[0]
    ctx = browser.new_context(
        viewport={"width": w, "height": h}, locale="sv-SE", timezone_id="Europe/Stockholm"
    )
    pg = ctx.new_page()
    errors: list[str] = []
    # a closed network: requests to the internet fail (the favicon); other errors count
    pg.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "ERR_NAME_NOT_RESOLVED" not in m.text
            else None
        ),
    )
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    try:
        login(pg, app_url, "police_analyst")
        open_page(pg, tr("page_styrelse"))
        errors.clear()  # what the landing map logged is the map's business (tests/ui)
        pg.get_by_role("button", name=tr("bd_create")).click()
        wait_idle(pg, 120)
        pg.get_by_role("heading", name=f"2. {tr('bd_sec_key_figures')}").wait_for(timeout=60_000)
        for w, h in SIZES:
            present_and_walk(pg, w, h)
        assert errors == []
    finally:
        ctx.close()
