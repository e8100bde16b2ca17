"""The street map end to end in Debian's Chromium, on a closed network: tiles the test draws,
served by a local tile server, appear under the Här och nu map's layers; when that server is
gone the map still draws its outlines at once and says so once, quietly; MBTiles tiles are
served by the app itself from a file the test writes."""

from __future__ import annotations

import io
import sqlite3
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from pax_geo import i18n
from tests.browser_support import ARTIFACTS, _free_port, login, serve_app, settled_image, wait_idle

pytestmark = pytest.mark.browser
TILE_RGB = (200, 30, 200)  # a colour no layer uses


def tile_png(rgb=TILE_RGB) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), rgb).save(buf, "PNG")
    return buf.getvalue()


class Tiles(BaseHTTPRequestHandler):
    served: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        Tiles.served.append(self.path)
        body = tile_png()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def tile_server() -> Iterator[tuple[ThreadingHTTPServer, int]]:
    port = _free_port()
    srv = ThreadingHTTPServer(("127.0.0.1", port), Tiles)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv, port
    srv.shutdown()
    srv.server_close()


#: records the text of every toast the page shows (they fade after a few seconds)
TOAST_RECORDER = """
window.__paxToasts = [];
new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) {
  if (n.nodeType !== 1) continue;
  const t = n.matches('[data-testid="stToast"]') ? n : n.querySelector('[data-testid="stToast"]');
  if (t) window.__paxToasts.push(t.innerText);
}}).observe(document, { childList: true, subtree: true });
"""


def magenta(p: tuple[int, int, int]) -> bool:
    """The test tiles' colour, also under the translucent area fills and outlines."""
    r, g, b = p
    return r > 140 and b > 140 and g < 0.6 * min(r, b)


def map_share(pg, want) -> tuple[float, float]:
    """(share of the map's pixels in the tile colour, share that is not background), once the
    map has settled with ``want(share, drawn)`` (or after settled_image's timeout)."""
    chart = pg.locator('[data-testid="stDeckGlJsonChart"]').first
    return _shares(settled_image(chart, ready=lambda im: want(*_shares(im))))


def _shares(img) -> tuple[float, float]:
    small = img.resize((img.width // 4, img.height // 4))
    px = list(small.get_flattened_data())
    near = sum(1 for p in px if magenta(p))
    bg = (0xF2, 0xF1, 0xED)
    drawn = sum(1 for p in px if any(abs(a - b) > 12 for a, b in zip(p, bg, strict=True)))
    return near / len(px), drawn / len(px)


def test_tiles_under_the_layers_then_the_fallback(browser, pg_url, demo_loaded, tile_server):
    srv, port = tile_server
    template = f"http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"
    with serve_app(pg_url.database, PAX_BASEMAP="url", PAX_BASEMAP_URL=template) as url:
        # the style (its template may carry a key) only for a signed-in browser
        with pytest.raises(urllib.error.HTTPError, match="403"):
            urllib.request.urlopen(f"{url}/basemap/style.json")
        ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="sv-SE")
        pg = ctx.new_page()
        try:
            login(pg, url, "police_analyst")
            style = ctx.request.get(f"{url}/basemap/style.json").json()
            assert style["sources"]["streets"]["tiles"] == [template]
            share, drawn = map_share(pg, lambda share, _drawn: share > 0.6)
            pg.screenshot(path=str(ARTIFACTS / "basemap-tiles.png"))
            assert share > 0.6, f"the test's tiles cover {share:.0%} of the map"
            assert any(p.startswith("/11/") for p in Tiles.served), "the probe asked for a tile"
            caption = i18n.t("basemap_note", "sv", attribution="© OpenStreetMap contributors")
            assert pg.get_by_text(caption, exact=False).count() >= 1
            assert pg.get_by_text(i18n.t("basemap_unavailable", "sv")).count() == 0
        finally:
            ctx.close()

        # the tile server goes away: a new visitor's map still draws at once, outlines and all
        srv.shutdown()
        srv.server_close()
        ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="sv-SE")
        ctx.add_init_script(TOAST_RECORDER)
        pg = ctx.new_page()
        try:
            login(pg, url, "police_analyst")
            share, drawn = map_share(pg, lambda _share, drawn: drawn > 0.02)
            pg.screenshot(path=str(ARTIFACTS / "basemap-fallback.png"))
            assert share < 0.01 and drawn > 0.02, (share, drawn)  # outlines and points, no tiles
            legend = i18n.t("basemap_failed_note", "sv")
            pg.get_by_text(legend, exact=False).first.wait_for(timeout=20_000)
            # said once, quietly: one toast, not again on another page or back on the map
            for name in ("Områdeskort", "Här och nu"):
                pg.locator('[data-testid="stSidebar"]').get_by_role("link", name=name).click()
                wait_idle(pg)
            pg.wait_for_timeout(1000)
            toasts = pg.evaluate("() => window.__paxToasts")
            told = [x for x in toasts if i18n.t("basemap_unavailable", "sv") in x]
            assert len(told) == 1, toasts
        finally:
            ctx.close()


def test_mbtiles_are_served_by_the_app(browser, pg_url, demo_loaded, tmp_path):
    path = tmp_path / "kommun.mbtiles"
    with sqlite3.connect(path) as con:
        con.execute(
            "create table tiles (zoom_level int, tile_column int, tile_row int, tile_data blob)"
        )
        con.execute("insert into tiles values (11, 1124, ?, ?)", (2**11 - 1 - 603, tile_png()))
    with serve_app(pg_url.database, PAX_BASEMAP="mbtiles", PAX_BASEMAP_MBTILES=str(path)) as url:
        with pytest.raises(urllib.error.HTTPError, match="403"):
            urllib.request.urlopen(f"{url}/basemap/tiles/11/1124/603")
        ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="sv-SE")
        try:
            pg = ctx.new_page()
            login(pg, url, "police_analyst")
            tiles = ctx.request.get(f"{url}/basemap/style.json").json()["sources"]["streets"]
            assert tiles["tiles"] == [f"{url}/basemap/tiles/{{z}}/{{x}}/{{y}}"]
            r = ctx.request.get(f"{url}/basemap/tiles/11/1124/603")
            assert r.status == 200 and r.headers["content-type"] == "image/png"
            assert "max-age" in r.headers["cache-control"]  # tiles stay in the browser's cache
            assert Image.open(io.BytesIO(r.body())).getpixel((5, 5)) == TILE_RGB
            assert ctx.request.get(f"{url}/basemap/tiles/11/1124/604").status == 404
        finally:
            ctx.close()
