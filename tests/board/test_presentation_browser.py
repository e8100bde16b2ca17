"""Presentation mode in Debian's Chromium: tests/board/present_app.py (the sample deck, no
database) served by Streamlit, at a projector's 1920x1080 and at 1280x720.

Every slide fills the window with nothing outside it and no scrollbars, its title is large,
Streamlit's chrome is hidden, the keyboard (and a presenter's clicker: PageUp/PageDown) moves
between slides, Escape and the exit button return to the page. Screenshots of every slide go to
artifacts/board/present-<w>x<h>-<n>.png.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from pax_geo.board.html import SLIDES_CSS, SLIDES_JS, slides_html
from pax_geo.board.model import Deck, KeyFigure, Slide, Table
from tests.board.board_support import bar_chart, sample_deck
from tests.browser_support import ARTIFACTS, ROOT, serve_script

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (1280, 720)]
APP = ROOT / "tests" / "board" / "present_app.py"
SHOTS = ARTIFACTS / "board"

#: Everything of the current slide that lies outside the window (or is clipped inside it).
OUTSIDE = """() => {
  const s = document.querySelector('.pax-slide.is-current');
  const W = window.innerWidth, H = window.innerHeight, bad = [];
  for (const el of [s, ...s.querySelectorAll('*')]) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5)
      bad.push(`${el.tagName}.${el.className} ${Math.round(r.left)},${Math.round(r.top)} `
               + `${Math.round(r.right)},${Math.round(r.bottom)}`);
  }
  for (const el of s.querySelectorAll('.pax-main, .pax-body, .pax-media, .pax-text, .pax-below, .pax-title-page')) {
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
      bad.push(`clipped ${el.className} ${el.scrollWidth}x${el.scrollHeight} `
               + `in ${el.clientWidth}x${el.clientHeight}`);
  }
  const se = document.scrollingElement;
  if (se.scrollHeight > H + 1 || se.scrollWidth > W + 1)
    bad.push(`document scrolls ${se.scrollWidth}x${se.scrollHeight}`);
  return bad;
}"""

#: Sizes of the current slide's parts as fractions of the window height.
SIZES_JS = """() => {
  const s = document.querySelector('.pax-slide.is-current');
  const H = window.innerHeight;
  const px = (sel) => { const el = s.querySelector(sel);
    return el ? parseFloat(getComputedStyle(el).fontSize) / H : null; };
  return { title: px('.pax-title'), bullets: px('.pax-bullets'), comment: px('.pax-comment-text'),
           table: px('.pax-table'), value: px('.pax-kf-value'), fit: parseFloat(s.dataset.fit || '1') };
}"""


@pytest.fixture(scope="module")
def present_url() -> Iterator[str]:
    """Serve the sample presentation app (no database) on a free port."""
    with serve_script(APP) as url:
        yield url


def open_deck(browser, url: str, size: tuple[int, int]):
    w, h = size
    ctx = browser.new_context(
        viewport={"width": w, "height": h}, locale="sv-SE", timezone_id="Europe/Stockholm"
    )
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    pg.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    pg.goto(url)
    wait_ready(pg)
    return ctx, pg, errors


def wait_ready(pg) -> None:
    pg.wait_for_selector('.pax-deck[data-ready="1"] .pax-slide.is-current', timeout=60_000)
    pg.evaluate("() => document.fonts.ready.then(() => true)")


def current(pg) -> int:
    return int(pg.evaluate("() => document.querySelector('.pax-deck').dataset.current"))


def counter(pg) -> str:
    return pg.locator(".pax-slide.is-current .pax-counter").inner_text().strip()


def run_count(pg) -> int:
    """The app's script runs (the app writes them under the slides)."""
    text = pg.get_by_text("Sidinnehåll under presentationen").inner_text()
    return int(text.rsplit(" ", 1)[-1])


def press(pg, key: str) -> None:
    pg.keyboard.press(key)
    pg.wait_for_timeout(80)


def visible_box(pg):
    return pg.locator(".pax-slide.is-current").bounding_box()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_slides_fill_the_screen_and_move_with_the_keys(browser, present_url, size) -> None:
    w, h = size
    ctx, pg, errors = open_deck(browser, present_url, size)
    try:
        # Streamlit's chrome is gone; the slide is what the window shows
        assert pg.locator('[data-testid="stSidebar"]').count() == 1  # the app has one ...
        assert not pg.locator('[data-testid="stSidebar"]').is_visible()  # ... hidden
        assert not pg.locator('[data-testid="stHeader"]').is_visible()
        assert not pg.locator('[data-testid="stToolbar"]').is_visible()
        assert not pg.get_by_text("Pax lägesbild – sidopanel").is_visible()
        on_top = pg.evaluate(
            """([W, H]) => [[2, 2], [W - 3, 2], [2, H - 3], [W - 3, H - 3], [W / 2, H / 2]]
                 .map(([x, y]) => !!document.elementFromPoint(x, y)?.closest('.pax-deck'))""",
            [w, h],
        )
        assert all(on_top), on_top
        box = visible_box(pg)
        assert box == {"x": 0, "y": 0, "width": w, "height": h}
        assert pg.locator(".pax-slide.is-current").get_attribute("data-key") == "title"
        assert counter(pg) == "1 / 8" and current(pg) == 1
        sizes = pg.evaluate(SIZES_JS)
        assert sizes["title"] >= 0.04, sizes
        natural = pg.evaluate(
            "() => [...document.querySelectorAll('.pax-deck img')].map(i => i.complete && i.naturalWidth)"
        )
        assert len(natural) == 4 and all(n and n > 0 for n in natural), natural
        assert pg.evaluate(OUTSIDE) == []

        # clicker keys
        press(pg, "ArrowRight")
        press(pg, "ArrowRight")
        press(pg, "PageDown")
        assert current(pg) == 4 and counter(pg) == "4 / 8"
        assert pg.locator(".pax-slide.is-current").get_attribute("data-key") == "here_now"
        assert pg.locator(".pax-slide:visible").count() == 1
        press(pg, "PageUp")
        assert current(pg) == 3 and counter(pg) == "3 / 8"
        press(pg, "End")
        assert current(pg) == 8 and counter(pg) == "8 / 8"
        press(pg, "ArrowRight")  # stays on the last
        assert current(pg) == 8
        press(pg, "Home")
        assert current(pg) == 1 and counter(pg) == "1 / 8"

        # every slide: fits, readable, screenshot
        SHOTS.mkdir(parents=True, exist_ok=True)
        for n in range(1, 9):
            assert current(pg) == n
            assert visible_box(pg) == {"x": 0, "y": 0, "width": w, "height": h}
            assert pg.evaluate(OUTSIDE) == [], f"slide {n}"
            sizes = pg.evaluate(SIZES_JS)
            assert sizes["title"] >= 0.04, (n, sizes)
            for part in ("bullets", "comment"):
                if sizes[part] is not None:
                    assert sizes[part] >= 0.026, (n, part, sizes)
            if sizes["table"] is not None:
                assert sizes["table"] >= 0.019, (n, sizes)
            if sizes["value"] is not None:
                assert sizes["value"] >= 0.08, (n, sizes)
            pg.screenshot(path=str(SHOTS / f"present-{w}x{h}-{n}.png"))
            press(pg, "ArrowRight")
        assert current(pg) == 8
        assert errors == []
    finally:
        ctx.close()


def test_exit_and_come_back(browser, present_url) -> None:
    ctx, pg, errors = open_deck(browser, present_url, (1280, 720))
    try:
        # clicks on the right and left thirds
        pg.mouse.click(1100, 360)
        assert current(pg) == 2
        pg.mouse.click(640, 360)  # the middle does nothing
        assert current(pg) == 2
        pg.mouse.click(100, 360)
        assert current(pg) == 1
        press(pg, "Space")
        press(pg, "Enter")
        assert current(pg) == 3
        press(pg, "Backspace")
        press(pg, "ArrowUp")
        assert current(pg) == 1

        # Escape leaves: Python gets the trigger and the page comes back
        press(pg, "Escape")
        pg.get_by_text("Presentationen avslutad").wait_for(timeout=30_000)
        # the deck goes when the run that left it ends (Streamlit drops stale elements then)
        pg.wait_for_function("document.querySelectorAll('.pax-deck').length === 0", timeout=30_000)
        assert pg.locator('[data-testid="stSidebar"]').is_visible()

        # back in: at the first slide, one listener only (one key press = one slide)
        pg.get_by_role("button", name="Visa presentationen").click()
        wait_ready(pg)
        assert current(pg) == 1 and counter(pg) == "1 / 8"
        press(pg, "ArrowRight")
        assert current(pg) == 2
        # a rerun (Streamlit's "r") keeps the slide and adds no listener
        runs = run_count(pg)
        press(pg, "r")
        deadline = time.monotonic() + 30
        while run_count(pg) == runs and time.monotonic() < deadline:
            pg.wait_for_timeout(200)
        assert run_count(pg) > runs
        wait_ready(pg)
        assert current(pg) == 2
        press(pg, "ArrowRight")
        assert current(pg) == 3 and counter(pg) == "3 / 8"

        # the exit button shows while the mouse moves, and leaves
        button = pg.locator(".pax-exit")
        pg.mouse.move(600, 300)
        pg.mouse.move(640, 320)
        # it fades in (a CSS transition): shown within a moment of the movement
        pg.wait_for_function(
            "() => parseFloat(getComputedStyle(document.querySelector('.pax-exit')).opacity) > 0",
            timeout=5_000,
        )
        box = button.bounding_box()
        assert box and box["x"] + box["width"] <= 1280 and box["y"] >= 0
        assert button.inner_text() == "Avsluta"
        button.click()
        pg.get_by_text("Presentationen avslutad").wait_for(timeout=30_000)
        # the deck goes when the run that left it ends (Streamlit drops stale elements then)
        pg.wait_for_function("document.querySelectorAll('.pax-deck').length === 0", timeout=30_000)
        assert errors == []
    finally:
        ctx.close()


def stress_deck() -> Deck:
    """Too much on every slide: the layout and the script's --fit must still keep each slide
    inside the window."""
    chart = bar_chart(
        "c", "Händelser per vecka", [f"v{n}" for n in range(1, 11)], [30 + n for n in range(10)]
    )
    long = (
        "Ordningsstörningarna kvällstid har ökat i flera av de centrala områdena, och "
        "polisen bedömer att ökningen hänger samman med en handfull personer som rör sig "
        "mellan Centrum, Geneta och Hovsjö under helgerna."
    )
    rows = tuple((f"Område {n}", str(n * 7), str(n * 3), f"{n * 1.5:.1f}") for n in range(1, 26))
    big = Table(("Område", "Händelser", "Normalt", "Timmar"), rows, numeric=(1, 2, 3))
    return Deck(
        title="En mycket lång titel på lägesbilden för styrelsens sammanträde i april med bilagor",
        municipality="Södertälje kommun",
        period_label="Vecka 1–13 2025",
        presenter="Anna Lindqvist, säkerhetschef, säkerhetsavdelningen",
        marking="Begränsad spridning – endast för styrelsens ledamöter och ersättare",
        data_until="2025-03-31",
        generated="2025-04-07 08:00",
        slides=(
            Slide("title", "Lägesbild", subtitle="Trygghet, ordning och säkerhet i kommunen"),
            Slide(
                "assessment",
                "Bedömning och förslag till styrelsen inför sommaren och hösten",
                bullets=tuple(f"{n}. {long[: 60 + 10 * n]}" for n in range(1, 10)),
                comment=long + "\n\n" + long,
                note="Not: " + long,
            ),
            Slide(
                "operations",
                "Insatser per område",
                subtitle="Alla områden",
                tables=(big,),
                bullets=("Flest insatser i Centrum", long),
                comment=long,
                note="Källa: Pax.",
            ),
            Slide(
                "long",
                "Trend och tabell",
                images=(chart,),
                tables=(Table(big.header, big.rows[:10], big.numeric),),
                bullets=("Ökning sedan vecka 6", long),
                comment=long,
            ),
            Slide(
                "key_figures",
                "Åtta nyckeltal",
                key_figures=tuple(
                    KeyFigure(
                        f"Nyckeltal nummer {n} med lång etikett",
                        f"{n * 1234:,}".replace(",", " "),
                        (long[:70],),
                        "up",
                    )
                    for n in range(1, 9)
                ),
                comment=long,
            ),
        ),
    )


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)], ids=["1280x720", "1024x768"])
def test_too_much_text_still_fits(browser, size) -> None:
    """The slides alone (no Streamlit): a 4:3 projector too."""
    w, h = size
    ctx = browser.new_context(viewport={"width": w, "height": h}, locale="sv-SE")
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    try:
        js = SLIDES_JS.replace("export default function", "window.paxInit = function")
        pg.set_content(
            f"<!doctype html><html><head><meta charset='utf-8'><style>{SLIDES_CSS}</style>"
            f"</head><body>{slides_html(stress_deck())}"
            f"<script type='module'>{js}; window.paxInit({{}});</script></body></html>"
        )
        wait_ready(pg)
        # Streamlit may call the script again without its cleanup: still one step per key
        pg.evaluate("() => { window.paxInit({}); window.paxInit({}); }")
        press(pg, "PageDown")
        assert current(pg) == 2
        press(pg, "PageUp")
        # the clicker's blank-screen key
        press(pg, "b")
        assert pg.evaluate(
            "() => document.querySelector('.pax-deck').classList.contains('pax-blank')"
        )
        press(pg, "b")
        assert current(pg) == 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        for n in range(1, 6):
            assert current(pg) == n
            assert pg.evaluate(OUTSIDE) == [], f"slide {n}"
            sizes = pg.evaluate(SIZES_JS)
            assert sizes["title"] >= 0.035, (n, sizes)
            pg.screenshot(path=str(SHOTS / f"stress-{w}x{h}-{n}.png"))
            press(pg, "PageDown")
        assert errors == []
    finally:
        ctx.close()


def test_new_slides_on_a_rerun_keep_the_place(browser) -> None:
    """As Streamlit calls the script when the data changes (new figures on a rerun): the slides
    are replaced, the slide shown stays, and one key press still moves one slide."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, locale="sv-SE")
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    try:
        deck = sample_deck()
        first, second = slides_html(deck), slides_html(replace(deck, generated="2025-04-08"))
        js = SLIDES_JS.replace("export default function", "window.paxInit = function")
        pg.set_content(
            f"<!doctype html><html><head><meta charset='utf-8'><style>{SLIDES_CSS}</style>"
            "</head><body><div id='host'><div class='pax-present-root'></div></div>"
            f"<script type='module'>{js};</script></body></html>"
        )
        mount = "([html, fp]) => window.paxInit({parentElement: document.getElementById('host'), data: {html, fp}})"
        pg.wait_for_function("() => typeof window.paxInit === 'function'")
        pg.evaluate(mount, [first, "a"])
        wait_ready(pg)
        press(pg, "PageDown")
        press(pg, "PageDown")
        assert current(pg) == 3
        pg.evaluate(mount, [second, "b"])
        wait_ready(pg)
        assert pg.locator(".pax-deck").count() == 1
        assert "2025-04-08" in pg.locator(".pax-slide").first.inner_html()
        assert current(pg) == 3 and counter(pg) == "3 / 8"
        press(pg, "PageDown")
        assert current(pg) == 4
        pg.evaluate(mount, [second, "b"])  # the same data again: nothing replaced
        press(pg, "PageUp")
        assert current(pg) == 3
        assert errors == []
    finally:
        ctx.close()
