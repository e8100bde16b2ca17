"""Real-browser fixtures: the app served by Streamlit on the test database, driven by Debian's
Chromium through Playwright at desktop (1440x900) and tablet (820x1180) sizes.

tests/conftest.py registers this module as a pytest plugin, so its fixtures (app_url, browser,
page, viewport) are available to every test. Import only the helpers (login, open_page, shot,
wait_idle): importing a fixture into a test module would start a second Playwright.
Screenshots go to ``artifacts/`` (git-ignored).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pax_geo.auth import DEMO_ACCOUNTS
from pax_geo.frontdoor import free_port, streamlit_argv

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1440, "height": 900}
TABLET = {"width": 820, "height": 1180}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-quic",
]

#: Installed in every page of the ``browser`` fixture's contexts: it reads Streamlit's own
#: protocol on the websocket (protobuf, top-level fields only) and tells when the last rerun the
#: page asked for has run to its end. Field numbers from streamlit.proto (checked by
#: tests/ui/test_browser_support.py): ForwardMsg new_session 4, script_finished 6 (status 2 =
#: stopped early for a rerun, not an end); BackMsg rerun_script 11.
RUN_TRACKER_JS = """
(() => {
  if (window.__paxIdle) return;
  const R = { seq: 0, rerunSent: 0, started: 0, finished: 0 };
  window.__paxRuns = R;
  const fields = (buf) => {
    const b = new Uint8Array(buf), out = [];
    let i = 0;
    const varint = () => {
      let x = 0, m = 1, c;
      do { c = b[i++]; x += (c & 127) * m; m *= 128; } while (c & 128 && i < b.length);
      return x;
    };
    while (i < b.length) {
      const tag = varint(), f = Math.floor(tag / 8), wt = tag & 7;
      if (wt === 0) out.push([f, varint()]);
      else if (wt === 2) { const n = varint(); out.push([f, null]); i += n; }
      else if (wt === 1) i += 8;
      else if (wt === 5) i += 4;
      else break;
    }
    return out;
  };
  const received = (buf) => {
    for (const [f, v] of fields(buf)) {
      if (f === 4) R.started = ++R.seq;
      else if (f === 6 && v !== 2) R.finished = ++R.seq;
    }
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        if (e.data instanceof ArrayBuffer) received(e.data);
        else if (e.data instanceof Blob) e.data.arrayBuffer().then(received);
      });
    }
    send(data) {
      try {
        const buf = data instanceof ArrayBuffer ? data
          : ArrayBuffer.isView(data) ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
          : null;
        if (buf && fields(buf).some(([f]) => f === 11)) R.rerunSent = ++R.seq;
      } catch (e) {}
      return super.send(data);
    }
  };
  window.__paxIdle = () =>
    R.rerunSent < R.started && R.started < R.finished &&
    !document.querySelector('[data-testid="stStatusWidget"], [data-stale="true"]');
})();
"""


class TrackedBrowser:
    """The Playwright browser, whose new contexts carry RUN_TRACKER_JS (so that wait_idle knows
    when a run has ended instead of waiting for a quiet second and more)."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, **kwargs):
        ctx = self._browser.new_context(**kwargs)
        ctx.add_init_script(RUN_TRACKER_JS)
        return ctx

    def new_page(self, **kwargs):
        return self.new_context(**kwargs).new_page()

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


#: The demo password set by pax_geo.auth.ensure_demo_users (demo data only).


def _free_port() -> int:
    return free_port()


#: The tests' servers live for a test or a module, and the pages they open import what they
#: need; the warm-up (about 5 s of CPU per process, ~17 processes in a run) is tested on its
#: own (tests/ui/test_warmup.py), so the others start without it.
QUICK_START = {"PAX_WARMUP": "off"}


@contextmanager
def serve_app(db_name: str, **env_extra: str) -> Iterator[str]:
    """Serve the app (server.py) on a free port against a database; extra PAX_* settings."""
    env = {"PAX_DB_NAME": db_name, "PAX_BASEMAP": "none", **env_extra}
    with serve_script(ROOT / "server.py", **env) as url:
        yield url


@contextmanager
def serve_script(script: Path, **env_extra: str | None) -> Iterator[str]:
    """Serve a Streamlit script on a free port (headless, no usage statistics) until the block
    ends; fails the test if it does not come up within a minute. ``env_extra`` adds settings;
    None removes one."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), **QUICK_START}
    for key, value in env_extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / f"streamlit-{port}.log").open("w")
    proc = subprocess.Popen(
        # on 127.0.0.1 as pax serve by default (PAX_LISTEN_ADDRESS)
        [*streamlit_argv(port, "127.0.0.1", script), "--browser.serverAddress", "localhost"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"Streamlit did not start; see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def pax_serve(db_name: str, port: int, *args: str, **env: str | None) -> subprocess.Popen:
    """``pax serve`` as ``make run`` starts it (nginx and workers unless told otherwise) on a
    port against a test database, quietly; ``env`` adds settings, None removes one."""
    full = {**os.environ, "PAX_DB_NAME": db_name, "PYTHONPATH": str(ROOT), **QUICK_START}
    for key, value in env.items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    return subprocess.Popen(
        [sys.executable, "-m", "pax_geo.cli", "serve", "--port", str(port), *args],
        cwd=ROOT,
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture(scope="session")
def app_url(pg_url, demo_loaded) -> Iterator[str]:
    """Serve the app on a free port against this session's test database (no street map: the
    tests run without a network)."""
    with serve_app(pg_url.database) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is missing: 'make test' installs it (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield TrackedBrowser(b)
        b.close()


VIEWPORTS = {"desktop": DESKTOP, "tablet": TABLET}


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> tuple[str, dict]:
    """Both sizes; a test narrows it by name: ``parametrize("viewport", ["desktop"],
    indirect=True)``. Anything else is an error (a (name, size) pair once slipped through
    and ran "desktop" tests at tablet size)."""
    if request.param not in VIEWPORTS:
        raise ValueError(f"viewport must be one of {list(VIEWPORTS)} (got {request.param!r})")
    return request.param, VIEWPORTS[request.param]


@pytest.fixture
def page(browser, viewport):
    name, size = viewport
    ctx = browser.new_context(viewport=size, locale="sv-SE", timezone_id="Europe/Stockholm")
    pg = ctx.new_page()
    pg.viewport_name = name  # type: ignore[attr-defined]
    yield pg
    ctx.close()


def wait_idle(page, timeout: float = 90) -> None:
    """Wait until Streamlit has finished the current script run and nothing is stale.

    In a page of the ``browser`` fixture (RUN_TRACKER_JS): until the last rerun the page asked
    for has started and ended, with no running indicator or stale element, seen twice 0.15 s
    apart. Elsewhere: until the page has looked idle for four checks 0.3 s apart."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    quiet = 0
    if page.evaluate("typeof window.__paxIdle === 'function'"):
        while time.monotonic() < deadline:
            quiet = quiet + 1 if page.evaluate("window.__paxIdle()") else 0
            if quiet >= 2:
                return
            page.wait_for_timeout(150)
        raise AssertionError(
            f"the app kept running for too long: {page.evaluate('window.__paxRuns')}"
        )
    while time.monotonic() < deadline:
        busy = (
            page.locator('[data-testid="stStatusWidget"]').count()
            + page.locator('[data-stale="true"]').count()
        )
        quiet = quiet + 1 if busy == 0 else 0
        if quiet >= 4:
            return
        time.sleep(0.3)
    raise AssertionError("the app kept running for too long")


def login(page, app_url: str, role: str, password: str | None = None) -> None:
    """Sign in through the login form as the demo account of a role."""
    from pax_geo.auth import DEMO_PASSWORD

    page.goto(app_url)  # the gate sends a first visit to the plain login page (/login)
    page.get_by_label("Användarnamn").wait_for(timeout=90_000)
    page.get_by_label("Användarnamn").fill(DEMO_ACCOUNTS[role])
    page.get_by_label("Lösenord").fill(password or DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    signed_in(page)


def signed_in(page, timeout: float = 90) -> None:
    """After "Logga in" on the plain login page: wait for the app's first run to have signed
    the session in (its logout button exists, folded menu or not), then for the page to settle.
    Streamlit's frame appears before its first run starts, so "idle" alone can come too early."""
    page.get_by_label("Lösenord").wait_for(state="detached", timeout=timeout * 1000)
    page.locator(".st-key-pax_logout").wait_for(state="attached", timeout=timeout * 1000)
    wait_idle(page, timeout)


def in_view(page, locator) -> bool:
    """Whether an element is shown inside the window (a folded sidebar's links are "visible"
    to Playwright but lie left of the window)."""
    if not locator.is_visible():
        return False
    box = locator.bounding_box()
    width = (page.viewport_size or {"width": 10_000})["width"]
    return bool(box) and box["x"] >= 0 and box["x"] + box["width"] <= width


def on_screen(page, locator) -> bool:
    """Whether an element lies wholly inside the window, as the page shows it without
    scrolling (top to bottom and side to side)."""
    box = locator.bounding_box()
    size = page.viewport_size or {"width": 10_000, "height": 10_000}
    return (
        bool(box)
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
    )


def open_page(page, title: str) -> None:
    """Open a page through the sidebar navigation (a reload would start a new session)."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    # Case-sensitive and anchored at the end: "Lång sikt" must not open "Medellång sikt" (the
    # link's accessible name may start with its icon's ligature text).
    link = sidebar.get_by_role("link", name=re.compile(re.escape(title) + r"\s*$"))
    link.first.wait_for(state="attached", timeout=60_000)
    # a folded sidebar keeps its links, off screen; an open one may still be drawing them
    deadline = time.monotonic() + 10
    while not in_view(page, link.first) and time.monotonic() < deadline:
        expand = page.locator('[data-testid="stExpandSidebarButton"]')
        if expand.count() and expand.first.is_visible():
            expand.first.click()
        page.wait_for_timeout(500)
    link.first.click()
    wait_idle(page)


def frames(page, n: int = 2) -> None:
    """Wait for ``n`` animation frames of the page to pass (a layout or a chart redrawn after a
    resize is drawn by then)."""
    page.evaluate(
        "(n) => new Promise(r => { const f = k => k ? requestAnimationFrame(() => f(k - 1)) : r();"
        " f(n); })",
        n,
    )


def distinct_colours(img) -> int:
    """Distinct colours of an image, on a thumbnail (a blank or flooded map has one)."""
    small = img.copy()
    small.thumbnail((200, 200))
    return len(set(small.get_flattened_data()))


def settled_image(locator, ready=None, timeout: float = 20.0):
    """A screenshot (PIL, RGB) of ``locator`` once its drawing has settled: two shots 0.25 s
    apart are identical and, when given, ``ready(image)`` holds. After ``timeout`` the last
    shot is returned for the caller's assertion to judge. (In place of a fixed pause "for the
    map to draw": as long as drawing takes, and no longer.)"""
    from PIL import Image

    locator.wait_for(state="visible", timeout=60_000)
    deadline = time.monotonic() + timeout
    prev = None
    while True:
        img = Image.open(io.BytesIO(locator.screenshot())).convert("RGB")
        if prev is not None and img.tobytes() == prev and (ready is None or ready(img)):
            return img
        if time.monotonic() > deadline:
            return img
        prev = img.tobytes()
        locator.page.wait_for_timeout(250)


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}-{getattr(page, 'viewport_name', 'page')}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def charts_drawn(page, minimum: int) -> int:
    """Vega charts that have drawn something (a canvas or an svg with marks)."""
    page.wait_for_function(
        f"document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks').length >= {minimum}",
        timeout=60_000,
    )
    return page.locator(".vega-embed canvas, .vega-embed svg.marks").count()


def drawn_marks(page) -> list[int]:
    """Per Vega chart on the page, how much it really drew (an empty chart frame has only its
    axes): in a canvas the pixels that are neither transparent nor white, in an SVG the data
    marks (bars, lines, points, areas) with a size."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.vega-embed')).map(e => {
            const c = e.querySelector('canvas');
            if (c) {
              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let i = 0; i < d.length; i += 4) {
                if (d[i + 3] > 0 && (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)) n++;
              }
              return n;
            }
            const marks = e.querySelectorAll(
              'g.mark-rect path, g.mark-line path, g.mark-symbol path, g.mark-area path');
            return Array.from(marks).filter(m => {
              const b = m.getBBox(); return b.width > 0 || b.height > 0; }).length;
          })"""
    )
