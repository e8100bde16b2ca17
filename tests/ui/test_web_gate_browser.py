"""The HTTP gate (pax_geo/ui/web.py, served through server.py as `pax serve` does): security
headers, no /_stcore/metrics, /media/ downloads only for a signed-in session and audited, the
tables' own CSV export switched off, and `pax serve` listening on 127.0.0.1 by default (the
horizon pages' audited views: tests/ui/test_pages_horizons_browser.py). Real Streamlit, real Chromium, real PostGIS."""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.browser_support import _free_port, login, open_page, pax_serve, wait_idle

pytestmark = pytest.mark.browser

#: Keeps the values of stApp's data-test-script-state in window.__paxStates from now on.
RECORD_SCRIPT_STATES = """() => {
    window.__paxStates = [];
    const app = document.querySelector('[data-testid="stApp"]');
    new MutationObserver(() => window.__paxStates.push(app.dataset.testScriptState))
        .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def _get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def test_headers_and_no_metrics_without_a_session(app_url):
    status, headers, body = _get(app_url + "/")
    assert status == 200 and b"<html" in body.lower()
    assert "frame-ancestors 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "pax_client=" in headers["set-cookie"] and "HttpOnly" in headers["set-cookie"]
    assert "SameSite=Strict" in headers["set-cookie"]
    status, headers, body = _get(app_url + "/_stcore/metrics")
    assert status == 404 and b"session" not in body
    assert headers["x-content-type-options"] == "nosniff"
    # a made-up media id and a well-formed but unregistered cookie are both refused
    assert _get(app_url + "/media/0123456789abcdef.csv")[0] == 403
    fake = {"Cookie": "pax_client=" + "A" * 43}
    assert _get(app_url + "/media/0123456789abcdef.csv", fake)[0] == 403


def test_static_assets_are_not_gated(app_url):
    """Only the download endpoint is gated: Streamlit's own fonts under /static/media/ are
    public (gating them drew every icon as its name, e.g. "local_fire_department")."""
    import streamlit

    static = Path(streamlit.__file__).parent / "static" / "static" / "media"
    fonts = sorted(static.glob("MaterialSymbols*.woff2")) + sorted(static.glob("SourceSans*.woff2"))
    assert fonts, "Streamlit should ship its fonts"
    for font in fonts[:2]:
        status, headers, body = _get(f"{app_url}/static/media/{font.name}")
        assert status == 200 and headers["content-type"] == "font/woff2", font.name
        assert body == font.read_bytes()


def test_only_the_media_endpoint_counts_as_media():
    from pax_geo.ui.web import is_media_path

    assert is_media_path("/media/abc.csv", "")
    assert is_media_path("/pax/media/abc.csv", "/pax/")
    assert not is_media_path("/static/media/MaterialSymbols-Rounded.woff2", "")
    assert not is_media_path("/pax/static/media/x.woff2", "pax")
    assert not is_media_path("/media/abc.csv", "pax")


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_icons_are_drawn_as_icons(page, app_url):
    """The Material Symbols font loads through the gate: no icon falls back to its name."""
    problems = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    login(page, app_url, "police_analyst")
    wait_idle(page)
    page.wait_for_function("document.fonts.status === 'loaded'", timeout=30_000)
    loaded = page.evaluate(
        "[...document.fonts].filter(f => f.family.includes('Material Symbols') "
        "&& f.status === 'loaded').length"
    )
    assert loaded >= 1
    # "403" as a status, not inside a WebGL message's memory address ("[.WebGL-0x29240319…]")
    assert not [p for p in problems if "font" in p.lower() or re.search(r"\b403\b", p)], problems


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_media_download_needs_the_session_and_is_audited(page, app_url, owner_engine):
    with owner_engine.connect() as c:
        start = c.execute(text("select coalesce(max(id), 0) from pax_data.audit_log")).scalar()
    login(page, app_url, "field_worker")
    open_page(page, "Medellång sikt")
    page.get_by_role("tab", name="Vad har ändrats sedan …").click()
    wait_idle(page)
    # the tables' own toolbar has no CSV download (client.disableDataExport)
    grid = page.locator('[data-testid="stDataFrame"] >> visible=true').first
    grid.scroll_into_view_if_needed()
    grid.hover()
    time.sleep(0.5)
    assert (  # the hovered table's toolbar shows no download action
        page.locator(
            '[data-testid="stElementContainer"]:has([data-testid="stDataFrame"]) '
            '[data-testid="stElementToolbar"] button[aria-label*="ownload"]'
        ).count()
        == 0
    )
    # a press runs no script: record every state the app goes through from here on
    page.evaluate(RECORD_SCRIPT_STATES)
    with page.expect_download() as dl_info:
        page.locator('[data-testid="stDownloadButton"] button >> visible=true').first.click()
    dl = dl_info.value
    time.sleep(1.0)
    assert "running" not in page.evaluate("window.__paxStates"), "the press reran the page"
    assert dl.url.split("?")[0].rsplit("/", 2)[-2] == "media"
    assert os.path.getsize(dl.path()) > 10
    # the browser (its HttpOnly cookie, signed in) may fetch it again; nobody else may
    assert page.context.request.get(dl.url).status == 200
    assert _get(dl.url)[0] == 403
    wait_idle(page)
    with owner_engine.connect() as c:
        rows = c.execute(
            text(
                "select action, page, detail, db_login from pax_data.audit_log "
                "where id > :s and username = 'falt' order by id"
            ),
            {"s": start},
        ).all()
    served = [r for r in rows if r.action == "export" and r.detail.get("served")]
    # the press itself: one row with what the file holds, written before the file was made
    pressed = [r for r in rows if r.action == "export" and not r.detail.get("served")]
    assert [(r.page, r.detail["format"]) for r in pressed] == [("medellang", "csv")]
    assert pressed[0].detail["rows"] == len(Path(dl.path()).read_text("utf-8-sig").splitlines()) - 1
    # every fetch of a file is a row (the browser's and the page's re-fetch of this one too)
    mine = [r for r in served if r.detail["media"] in dl.url]
    assert len(mine) >= 2 and mine[0].detail["file"].endswith(".csv")
    assert {r.db_login for r in served} == {"pax_field_worker"}
    views = [r.detail for r in rows if r.action == "page_view" and r.page == "medellang"]
    # one row per tab opened, with that tab's filters (only the open tab runs)
    assert [v["tab"] for v in views] == ["trends", "since"]
    assert views[0]["bucket"] == "week" and views[1]["since"]
    # after signing out the same browser is refused too
    page.get_by_role("button", name="Logga ut").click()
    wait_idle(page)
    assert page.context.request.get(dl.url).status == 403


def test_pax_serve_listens_on_loopback_by_default(pg_url, demo_loaded):
    port = _free_port()
    proc = pax_serve(pg_url.database, port, PAX_LISTEN_ADDRESS=None)
    try:
        deadline = time.monotonic() + 60
        while _get_or_none(f"http://127.0.0.1:{port}/_stcore/health") != 200:
            assert proc.poll() is None and time.monotonic() < deadline, "pax serve did not start"
            time.sleep(0.3)
        listening = _listen_addresses(port)
        assert listening == {"127.0.0.1"}, listening
        # and it is the gated app
        assert _get(f"http://127.0.0.1:{port}/_stcore/metrics")[0] == 404
    finally:
        proc.terminate()
        proc.wait(15)


def _get_or_none(url: str) -> int | None:
    try:
        return _get(url)[0]
    except OSError:
        return None


def _listen_addresses(port: int) -> set[str]:
    """Local addresses of the LISTEN sockets on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for name, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state = parts[1], parts[3]
            addr, p = local.split(":")
            if state != "0A" or int(p, 16) != port:
                continue
            if v6:
                found.add("::" if set(addr) == {"0"} else addr)
            else:
                b = bytes.fromhex(addr)[::-1]
                found.add(".".join(str(x) for x in b))
    return found
