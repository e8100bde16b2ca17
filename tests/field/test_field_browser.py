"""The field mode in Debian's Chromium: Mitt område on a tablet (both ways round) and a phone,
the dark theme remembered per account, Rapportera with the device's position, and a report
sent while the connection drops (exactly one report, "Sparad" only once it exists).

Signs in as the demo field worker "falt" (Ronna). Screenshots land in artifacts/field-*.png.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from pax_geo import i18n
from pax_geo.auth import DEMO_PASSWORD
from tests.browser_support import (
    ARTIFACTS,
    distinct_colours,
    settled_image,
    signed_in,
    wait_idle,
)

pytestmark = pytest.mark.browser

FIELD = "falt"
MARK = "browsertest-" + uuid.uuid4().hex[:8]
SIZES = {
    "tablet-portrait": {"width": 820, "height": 1180},
    "tablet-landscape": {"width": 1180, "height": 820},
    "phone": {"width": 390, "height": 844},
}
#: A point in Södertälje (checked against the municipality below).
LAT, LON = 59.19, 17.62


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


def note(tag: str) -> str:
    return f"{MARK} {tag} {uuid.uuid4().hex[:6]}"


def new_page(browser, size_name: str, **ctx_args):
    ctx = browser.new_context(
        viewport=SIZES[size_name], locale="sv-SE", timezone_id="Europe/Stockholm", **ctx_args
    )
    pg = ctx.new_page()
    pg.viewport_name = size_name  # type: ignore[attr-defined]
    errors: list[str] = []
    # Requests to other hosts fail in the test sandbox (no DNS); they are reported by
    # "requestfailed" with their URL and are not the app's errors.
    outside: list[str] = []
    pg.on(
        "requestfailed",
        lambda r: outside.append(r.url) if not r.url.startswith("http://127.0.0.1") else None,
    )
    pg.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "ERR_NAME_NOT_RESOLVED" not in m.text
            else None
        ),
    )
    pg.outside_requests = outside  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    pg.console_errors = errors  # type: ignore[attr-defined]
    return ctx, pg


def login(page, app_url: str, role: str = "field_worker") -> None:
    """browser_support.login with a longer wait: Mitt område (the field worker's start page)
    builds its status per session, which takes more than a minute on a loaded machine."""
    page.goto(app_url)  # the plain login page (/login)
    page.get_by_label("Användarnamn").wait_for(timeout=240_000)
    page.get_by_label("Användarnamn").fill(FIELD)
    page.get_by_label("Lösenord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    signed_in(page, timeout=240)


def shot(page, name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"field-{name}-{page.viewport_name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def set_theme(owner: Engine, username: str, theme: str) -> None:
    with owner.begin() as c:
        c.execute(
            text("update pax_data.app_user set theme = :t where username = :u"),
            {"t": theme, "u": username},
        )


def theme_of(owner: Engine, username: str) -> str:
    with owner.connect() as c:
        return str(
            c.execute(
                text("select theme from pax_data.app_user where username = :u"), {"u": username}
            ).scalar_one()
        )


def rows_with(owner: Engine, text_value: str) -> list[dict]:
    with owner.connect() as c:
        return [
            dict(r)
            for r in c.execute(
                text(
                    "select id, place_name, st_distance(geography(st_transform(geom, 4326)), "
                    "geography(st_setsrid(st_makepoint(:lon, :lat), 4326))) as metres "
                    "from pax_data.observation where source = 'field_report' and text = :t"
                ),
                {"t": text_value, "lon": LON, "lat": LAT},
            ).mappings()
        ]


@pytest.fixture(scope="module", autouse=True)
def _clean_up(owner_engine: Engine, demo_loaded) -> Iterator[None]:
    set_theme(owner_engine, FIELD, "light")
    yield
    set_theme(owner_engine, FIELD, "light")
    like = f"{MARK}%"
    with owner_engine.begin() as c:
        c.execute(
            text(
                "delete from pax_data.observation_history where observation_id in ("
                "select observation_id from pax_data.observation_history where text like :m)"
            ),
            {"m": like},
        )
        c.execute(
            text("delete from pax_data.observation where source = 'field_report' and text like :m"),
            {"m": like},
        )


# --- Mitt område on tablets and a phone -------------------------------------------------------

SMALL_TARGETS_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  const seen = new Set();
  for (const el of main.querySelectorAll('button, input, select, textarea, [role="button"]')) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden'
        || style.display === 'none' || el.type === 'hidden') continue;
    // A visually hidden native input inside a styled control (checkbox, toggle, radio): the
    // control's label is what the finger hits.
    let target = el;
    if (el.tagName === 'INPUT' && ['checkbox', 'radio'].includes(el.type)) {
      target = el.closest('label') || el;
    }
    // A select's text input sits inside the 44 px control.
    if (el.tagName === 'INPUT' && el.closest('[data-baseweb="select"]')) {
      target = el.closest('[data-baseweb="select"]').firstElementChild;
    }
    if (seen.has(target)) continue;
    seen.add(target);
    const h = target.getBoundingClientRect().height;
    if (h < 44) {
      const name = (target.innerText || target.getAttribute('aria-label')
                    || target.getAttribute('placeholder') || target.tagName).trim().slice(0, 40);
      out.push(`${target.tagName.toLowerCase()} "${name}" ${h.toFixed(1)} px`);
    }
  }
  return out;
}
"""


def map_element(page):
    """The compact map: pydeck's canvas or an inline SVG, whichever the page draws."""
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas')
    svg = page.locator(
        '[data-testid="stMain"] svg[data-testid="pax-area-map"], '
        '[data-testid="stMain"] img[src^="data:image/svg"]'
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if canvas.count():
            return canvas.first
        if svg.count():
            return svg.first
        time.sleep(0.5)
    raise AssertionError("no map (deck.gl canvas or SVG) on Mitt område")


@pytest.mark.parametrize("size_name", list(SIZES))
def test_mitt_omrade_fits_touch_and_draws_the_map(browser, app_url, size_name):
    ctx, page = new_page(browser, size_name)
    try:
        login(page, app_url, "field_worker")
        heading = page.get_by_role("heading", name=tr("page_mitt_omrade")).first
        heading.wait_for(state="visible", timeout=120_000)
        page.get_by_role("heading", name="Ronna").first.wait_for(timeout=60_000)
        # The counts table (st.table or a Markdown table) with the three windows.
        table = page.locator('[data-testid="stMain"] table').first
        table.wait_for(timeout=30_000)
        head = table.inner_text()
        assert re.search(f"{tr('fm_window_tonight')}|{tr('fm_window_lastnight')}", head), head
        assert tr("fm_window_24h") in head and tr("fm_window_7d") in head, head

        over = page.evaluate(
            "() => [document.scrollingElement.scrollWidth, window.innerWidth, "
            "document.querySelector('[data-testid=\"stMain\"]').scrollWidth, "
            "document.querySelector('[data-testid=\"stMain\"]').clientWidth]"
        )
        problems = []  # every finding at once, not only the first
        if over[0] > over[1]:
            problems.append(f"the page scrolls sideways: {over}")
        if over[2] > over[3] + 1:
            problems.append(f"the main area scrolls sideways: {over}")
        small = page.evaluate(SMALL_TARGETS_JS)
        if small:
            problems.append("touch targets under 44 px: " + "; ".join(small))
        if page.console_errors:
            problems.append(f"console errors: {page.console_errors}")

        try:
            mp = map_element(page)
        except AssertionError as e:
            problems.append(str(e))
            mp = None
        if mp is not None:
            mp.scroll_into_view_if_needed()
            box = mp.bounding_box()
            colours = distinct_colours(settled_image(mp, ready=lambda im: distinct_colours(im) > 5))
            if not (box and box["width"] > 200 and box["height"] > 150):
                problems.append(f"the map is too small: {box}")
            elif colours <= 5:
                problems.append(f"the map looks blank ({colours} colours)")

        shot(page, "mitt-omrade")
        assert not problems, "\n".join(problems)
    finally:
        ctx.close()


# --- the dark theme, remembered per account ---------------------------------------------------


def background_luminance(page) -> float:
    rgb = page.evaluate(
        "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor"
    )
    r, g, b = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def wait_for_theme(page, dark: bool, timeout: float = 30) -> float:
    """The app's background luminance once it is dark (or light): after the toggle the run that
    switches the theme may start a moment after the page looks idle on a busy machine."""
    deadline = time.monotonic() + timeout
    while True:
        lum = background_luminance(page)
        if (lum < 0.15) if dark else (lum > 0.8):
            return lum
        if time.monotonic() > deadline:
            return lum
        page.wait_for_timeout(300)


def dark_toggle(page):
    """The "Mörkt läge" switch in the sidebar (folded away for field roles: open it)."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    if sidebar.get_attribute("aria-expanded") != "true":
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        page.wait_for_timeout(800)
    toggle = sidebar.locator("label").filter(has_text=tr("fm_dark")).first
    toggle.scroll_into_view_if_needed()
    return toggle


def test_dark_mode_switches_and_is_remembered(browser, app_url, owner_engine):
    ctx, page = new_page(browser, "tablet-portrait")
    try:
        login(page, app_url, "field_worker")
        page.get_by_role("heading", name="Ronna").first.wait_for(timeout=60_000)
        assert background_luminance(page) > 0.8
        dark_toggle(page).click()
        wait_idle(page)
        assert wait_for_theme(page, dark=True) < 0.15
        assert theme_of(owner_engine, FIELD) == "dark"
        shot(page, "mitt-omrade-dark")
        assert not page.console_errors, page.console_errors
    finally:
        ctx.close()

    # Another browser (a new session, signed in again): still dark.
    ctx, page = new_page(browser, "phone")
    try:
        login(page, app_url, "field_worker")
        page.get_by_role("heading", name="Ronna").first.wait_for(timeout=60_000)
        # the theme's style element and the heading come in one run; on a loaded machine the
        # browser may show the heading a moment before it has applied the style
        assert wait_for_theme(page, dark=True, timeout=10) < 0.15
        page.reload()
        # Either the login form or the page comes back; wait for one of them, since
        # "idle" can be seen before the reloaded session's first run has started.
        password = page.get_by_label("Lösenord")
        heading = page.get_by_role("heading", name=tr("page_mitt_omrade")).first
        password.or_(heading).first.wait_for(timeout=60_000)
        if password.count():
            login(page, app_url, "field_worker")
        page.get_by_role("heading", name=tr("page_mitt_omrade")).first.wait_for(timeout=60_000)
        assert wait_for_theme(page, dark=True, timeout=10) < 0.15
        dark_toggle(page).click()
        wait_idle(page)
        assert wait_for_theme(page, dark=False) > 0.8
        assert theme_of(owner_engine, FIELD) == "light"
    finally:
        ctx.close()
        set_theme(owner_engine, FIELD, "light")


# --- Rapportera -------------------------------------------------------------------------------


def open_rapportera(page) -> None:
    page.get_by_role("button", name=tr("fm_report_button")).click()
    wait_idle(page)
    page.get_by_role("heading", name=tr("page_rapportera")).first.wait_for(timeout=60_000)


def pick(page, label: str) -> None:
    """A pill or a segmented-control option."""
    page.locator('[data-testid="stButtonGroup"] button').filter(has_text=label).first.click()
    wait_idle(page)


def saved_shown(page) -> bool:
    return (
        page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="Sparad").count() > 0
    )


def test_point_is_inside_the_municipality(owner_engine):
    with owner_engine.connect() as c:
        inside = c.execute(
            text(
                "select exists(select 1 from pax_data.area where kind in ('municipality', "
                "'district') and st_intersects(geom, st_transform(st_setsrid("
                "st_makepoint(:lon, :lat), 4326), st_srid(geom))))"
            ),
            {"lon": LON, "lat": LAT},
        ).scalar_one()
    assert inside


def test_report_with_the_device_position(browser, app_url, owner_engine):
    ctx, page = new_page(
        browser,
        "tablet-portrait",
        permissions=["geolocation"],
        geolocation={"latitude": LAT, "longitude": LON, "accuracy": 12},
    )
    try:
        login(page, app_url, "field_worker")
        open_rapportera(page)
        pick(page, "Klotter")
        pick(page, tr("fm_where_device"))
        locate = page.get_by_role("button", name=tr("fm_locate"))
        locate.wait_for(state="visible", timeout=30_000)
        locate.click()
        page.get_by_text(re.compile(r"Position hämtad \(± \d+ m\)")).first.wait_for(timeout=30_000)
        wait_idle(page)
        value = note("klotter vid min position")
        page.get_by_role("textbox", name=tr("fm_note")).first.fill(value)
        page.get_by_role("button", name=tr("fm_submit")).click()
        page.get_by_text("Sparad:").first.wait_for(timeout=60_000)
        wait_idle(page)
        rows = rows_with(owner_engine, value)
        assert len(rows) == 1, rows
        assert rows[0]["place_name"] is None
        assert rows[0]["metres"] < 50, rows
        shot(page, "rapportera-position")
        print(f"\nrequests to other hosts that failed: {sorted(set(page.outside_requests))}")
        assert not page.console_errors, page.console_errors
    finally:
        ctx.close()


def send_button(page):
    return page.get_by_role("button", name=re.compile(f"^({tr('fm_submit')}|{tr('fm_retry')})"))


def test_report_sent_while_the_connection_drops(browser, app_url, owner_engine):
    """Whatever the transport does while offline, the guarantees: one report, never two, and
    "Sparad" only once the row exists. What happened is printed (run with -s to see it)."""
    ctx, page = new_page(browser, "phone")
    seen: list[str] = []
    page.on("websocket", lambda ws: seen.append(f"websocket opened {ws.url}"))
    try:
        login(page, app_url, "field_worker")
        open_rapportera(page)
        pick(page, "Nedskräpning")
        value = note("skräp vid infarten")
        page.get_by_role("textbox", name=tr("fm_note")).first.fill(value)
        page.get_by_role("textbox", name=tr("fm_note")).first.blur()
        wait_idle(page)
        opened = len(seen)

        ctx.set_offline(True)
        send_button(page).first.click(timeout=10_000)
        for _ in range(10):  # 5 s offline, checking the promise all the time
            page.wait_for_timeout(500)
            if saved_shown(page):
                assert len(rows_with(owner_engine, value)) == 1
        offline_rows = len(rows_with(owner_engine, value))
        offline_saved = saved_shown(page)
        status = page.locator('[data-testid="stStatusWidget"]').all_inner_texts()

        ctx.set_offline(False)
        # Reconnected: the app answers again (a new websocket, or the old one still open).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (
                not page.locator('[data-testid="stStatusWidget"]')
                .filter(has_text=re.compile("Connecting|Ansluter", re.I))
                .count()
            ):
                break
            page.wait_for_timeout(500)
        wait_idle(page)
        reconnects = len(seen) - opened
        after_rows = len(rows_with(owner_engine, value))
        after_saved = saved_shown(page)
        if after_saved:
            assert after_rows == 1
        retried = False
        if not after_saved:
            button = send_button(page).first
            button.wait_for(state="visible", timeout=30_000)
            retried = button.inner_text()
            button.click()
            page.get_by_text(re.compile("Sparad")).first.wait_for(timeout=60_000)
            wait_idle(page)
        final_rows = rows_with(owner_engine, value)
        assert len(final_rows) == 1, final_rows
        assert saved_shown(page)
        print(
            f"\noffline: rows={offline_rows} sparad={offline_saved} status={status}; "
            f"after reconnect: new websockets={reconnects} rows={after_rows} "
            f"sparad={after_saved}; retried with {retried!r}; final rows={len(final_rows)}"
        )
        shot(page, "rapportera-offline")
    finally:
        ctx.close()
