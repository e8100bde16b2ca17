# ruff: noqa: F811 (pytest fixtures imported from browser_support)
"""A field worker in real Chromium: no exact incident, cache or camera coordinate reaches the browser.

What is inspected is what the browser *receives*: every websocket frame from the Streamlit
server (protobuf with the deck.gl JSON, Arrow tables, text) and the final HTML of every page the
role can open. It is searched for every exact position in the database, as text in EPSG:3006
(metres, 0-2 decimals) and WGS84 (5-7 decimals, about 1 m), as adjacent pairs, and
as raw float64 values. The same
detector run for a police analyst must find exact positions, so it is known to work.
"""

from __future__ import annotations

import re
import struct

import pytest
from sqlalchemy import text

from pax_geo import i18n
from pax_geo.pages import home_for, pages_for

# Fixtures (app_url, browser, page, viewport) come from the tests.browser_support plugin.
from tests.browser_support import DESKTOP, login, shot, wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def secret_positions(owner_engine, demo_loaded) -> dict:
    """Every exact position a field worker may not have: incidents (all kinds) and cameras."""
    with owner_engine.connect() as c:
        rows = c.execute(
            text(
                "select 'incident' as what, st_x(geom) as x, st_y(geom) as y, "
                "st_x(st_transform(geom, 4326)) as lon, st_y(st_transform(geom, 4326)) as lat "
                "from pax_data.incident where geom is not null "
                "union all "
                "select 'camera', st_x(geom), st_y(geom), st_x(st_transform(geom, 4326)), "
                "st_y(st_transform(geom, 4326)) from pax_data.camera "
                "union all "
                "select 'camera_coverage', st_x(p.geom), st_y(p.geom), "
                "st_x(st_transform(p.geom, 4326)), st_y(st_transform(p.geom, 4326)) "
                "from pax_data.camera c, st_dumppoints(c.coverage) p where c.coverage is not null"
            )
        ).all()
    return {"rows": rows}


NUMBER = re.compile(rb"(?<![\d.])\d{1,7}(?:\.\d+)?(?![\d])")
WGS84_DECIMALS = range(5, 8)  # 5 decimals is about 1 m
SWEREF_DECIMALS = range(0, 3)


def _pair_index(rows) -> dict[int, set[tuple[str, str]]]:
    """decimals -> (a, b) text pairs of exact positions, in both CRSs."""
    index: dict[int, set[tuple[str, str]]] = {}
    for d in WGS84_DECIMALS:
        index[d] = {(f"{r.lon:.{d}f}", f"{r.lat:.{d}f}") for r in rows}
    for d in SWEREF_DECIMALS:
        index.setdefault(d, set()).update(
            (f"{r.x:.{d}f}", f"{r.y:.{d}f}") if d else (str(round(r.x)), str(round(r.y)))
            for r in rows
        )
    return index


def _normalise(token: str) -> list[tuple[int, str]]:
    """The token at each precision it could be a rounding of."""
    _whole, _, frac = token.partition(".")
    out = [(len(frac), token)]
    value = float(token)
    for d in (*SWEREF_DECIMALS, *WGS84_DECIMALS):
        if d < len(frac):
            out.append((d, f"{value:.{d}f}" if d else str(round(value))))
    return out


def _binary_needles(rows) -> set[bytes]:
    """Exact float64 values (Arrow tables, binary attributes): a chance match is impossible."""
    return {struct.pack("<d", v) for r in rows for v in (r.x, r.y, r.lon, r.lat)}


def capture_session(
    page, app_url: str, role: str, every_page: bool = True
) -> tuple[list[bytes], list[str]]:
    """Sign in as the role's demo account, open every page it may open (or only its start
    page); return the frames the browser received and the HTML of each page."""
    frames: list[bytes] = []

    def on_ws(ws) -> None:
        ws.on(
            "framereceived",
            lambda payload: frames.append(
                payload if isinstance(payload, bytes) else payload.encode()
            ),
        )

    page.on("websocket", on_ws)
    login(page, app_url, role)
    page.get_by_label("Användarnamn").wait_for(state="detached", timeout=60_000)
    wait_idle(page, 120)
    htmls = [page.content()]
    shot(page, f"privacy-{role}-landing")
    others = [p for p in pages_for(role) if p.key != home_for(role)] if every_page else []
    for spec in others:
        title = i18n.t(spec.title_key, "sv")
        # the menu link, clicked in the page (on a tablet the sidebar starts collapsed)
        page.locator('[data-testid="stSidebar"] a', has_text=title).first.evaluate("a => a.click()")
        wait_idle(page, 120)
        htmls.append(page.content())
        shot(page, f"privacy-{role}-{spec.key}")
    return frames, htmls


def find_leaks(frames: list[bytes], htmls: list[str], rows) -> list[str]:
    """Adjacent numbers (x then y, or lon then lat, either order) that are an exact position
    at the precision written, plus exact float64 values anywhere."""
    index = _pair_index(rows)
    needles = _binary_needles(rows)
    hits: list[str] = []
    blobs = [*frames, *(h.encode() for h in htmls)]
    for blob in blobs:
        tokens = [m.group(0).decode() for m in NUMBER.finditer(blob)]
        for a, b in zip(tokens, tokens[1:], strict=False):
            b_at = dict(_normalise(b))
            for da, na in _normalise(a):
                nb = b_at.get(da)
                if nb and da in index and ((na, nb) in index[da] or (nb, na) in index[da]):
                    hits.append(f"text {a} {b}")
                    break
        hits += [f"binary {n.hex()}" for n in needles if n in blob]
    return hits


# Desktop only: what the server sends does not depend on the window size (the pages never ask
# for it), and the tablet layouts are tested on each page's own browser test.
@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_field_worker_receives_no_exact_coordinate(page, app_url, secret_positions):
    frames, htmls = capture_session(page, app_url, "field_worker")
    assert frames, "no websocket frames were captured"
    assert sum(len(f) for f in frames) > 10_000, "the pages sent almost nothing"
    leaks = find_leaks(frames, htmls, secret_positions["rows"])
    assert leaks == [], leaks[:20]


def test_detector_finds_exact_positions_for_police(browser, app_url, secret_positions):
    """The control: the same capture and search for a role that does see exact points. Its start
    page (Här och nu, with points) is enough to show that the detector finds them."""
    ctx = browser.new_context(viewport=DESKTOP, locale="sv-SE", timezone_id="Europe/Stockholm")
    try:
        pg = ctx.new_page()
        pg.viewport_name = "desktop"
        frames, htmls = capture_session(pg, app_url, "police_analyst", every_page=False)
    finally:
        ctx.close()
    leaks = find_leaks(frames, htmls, secret_positions["rows"])
    assert len(leaks) > 10, "the detector found nothing where exact points are shown"
