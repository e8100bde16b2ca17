"""Benchmark: the field worker's first useful view ("Mitt område") on a throttled tablet.

Chromium (Debian's, through Playwright) at 820 x 1180 with DevTools throttling as in the issue:
150 ms round trip, 200 KB/s down, 100 KB/s up, 4x CPU slowdown. It signs in as the demo field
worker and waits for the area's status block (the light and the counts table). Reported, for a
first visit (empty cache) and a second visit (same browser profile, so the HTTP cache is warm):

* seconds from pressing "Logga in" to the status block (the first useful view), twice: when the
  page painted it (recorded in the page) and when Playwright noticed it;
* seconds to a usable login form (the plain login page, pax_geo.ui.login_page, which prefetches
  Streamlit's start-up files while the user types: ``--typing`` is how long that takes, 0 by
  default, i.e. "Logga in" pressed the moment the form is usable);
* bytes received: HTTP responses (encoded, i.e. after compression) and websocket frames,
  for the whole visit and for the part after signing in.

The app is served by ``server.py`` against the configured database (``pax up`` first; it
needs the demo accounts). Usage: .venv/bin/python bench/bench_field.py [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from support import settle

from pax_geo import auth, frontdoor, i18n
from pax_geo.config import settings

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"]
THROTTLE = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 200 * 1024,
    "uploadThroughput": 100 * 1024,
}
CPU_SLOWDOWN = 4
VIEWPORT = {"width": 820, "height": 1180}


def serve(log: Path | None = None) -> tuple[subprocess.Popen, str]:
    """server.py on a free port; with ``log`` every script run is logged there with its page,
    role and milliseconds (pax_geo.ui.runlog)."""
    port = frontdoor.free_port()
    env = {**os.environ, "PAX_BASEMAP": "none", "PYTHONPATH": str(ROOT)}
    if log is not None:
        env["PAX_SLOW_RUN_MS"] = "0"
    proc = subprocess.Popen(
        frontdoor.streamlit_argv(port, "127.0.0.1"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w") if log is not None else subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the app did not start")


class Meter:
    """Bytes received over HTTP (encoded) and websocket frames, from CDP events."""

    def __init__(self, cdp) -> None:
        self.http = 0
        self.ws = 0
        self.urls: dict[str, str] = {}
        self.sizes: list[tuple[int, str]] = []
        cdp.on("Network.responseReceived", self._url)
        cdp.on("Network.loadingFinished", self._http)
        cdp.on("Network.webSocketFrameReceived", self._ws)

    def _url(self, e) -> None:
        self.urls[e["requestId"]] = e["response"]["url"]

    def _http(self, e) -> None:
        n = int(e.get("encodedDataLength", 0))
        self.http += n
        self.sizes.append((n, self.urls.get(e["requestId"], "?")))

    def _ws(self, e) -> None:
        payload = e.get("response", {}).get("payloadData", "")
        # binary frames arrive base64-encoded: 3 bytes per 4 characters
        self.ws += (
            len(payload) * 3 // 4 if e.get("response", {}).get("opcode") == 2 else len(payload)
        )

    def total(self) -> int:
        return self.http + self.ws


#: Records in the page when the first useful view was painted: once the counts' heading and
#: table are in the document, the second animation frame after that (the first paint that shows
#: them has happened by then). Playwright's own polling runs in the same throttled page and
#: notices a few hundred milliseconds later, so both are reported.
VIEW_TEXT = i18n.t("fm_counts_heading", "sv")  # the heading above the counts table
PAINTED = """
new MutationObserver((_, obs) => {
  if (window.__paxPainted || !document.body) return;
  const text = document.body.innerText || '';
  if (text.includes(VIEW_TEXT)
      && document.querySelector('[data-testid="stMarkdownContainer"] table')) {
    obs.disconnect();
    window.__paxPainted = -1;
    requestAnimationFrame(() => requestAnimationFrame(() => { window.__paxPainted = Date.now(); }));
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
""".replace("VIEW_TEXT", json.dumps(VIEW_TEXT))


def visit(context, url: str, typing: float = 0.0) -> dict:
    page = context.new_page()
    page.add_init_script(PAINTED)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", THROTTLE)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    meter = Meter(cdp)
    t0 = time.perf_counter()
    page.goto(url)
    page.get_by_label("Användarnamn").wait_for(timeout=120_000)
    t_form = time.perf_counter() - t0
    page.get_by_label("Användarnamn").fill(auth.DEMO_ACCOUNTS["field_worker"])
    page.get_by_label("Lösenord").fill(auth.DEMO_PASSWORD)
    page.wait_for_timeout(typing * 1000)  # a person typing a name and a password
    before = meter.total()
    seen = len(meter.sizes)
    t1 = time.perf_counter()
    clicked_ms = time.time() * 1000
    page.get_by_role("button", name="Logga in").click()
    # the first useful view: the area's counts table under its light
    try:
        page.get_by_text(VIEW_TEXT).first.wait_for(timeout=180_000)
        page.locator('[data-testid="stMarkdownContainer"] table').first.wait_for(timeout=180_000)
    except Exception:
        page.screenshot(path=str(ROOT / "artifacts" / "bench_field_timeout.png"))
        raise
    t_view = time.perf_counter() - t1
    page.wait_for_function("window.__paxPainted > 0", timeout=30_000)
    painted = (page.evaluate("window.__paxPainted") - clicked_ms) / 1000
    page.wait_for_timeout(1500)  # let the map and the rest of the page arrive
    out = {
        "login_form_s": round(t_form, 2),
        "typing_s": typing,
        "first_view_after_login_s": round(t_view, 2),
        "first_view_painted_s": round(painted, 2),
        "bytes_total": meter.total(),
        "bytes_after_login": meter.total() - before,
        "bytes_http": meter.http,
        "bytes_ws": meter.ws,
        "largest_after_login": [
            f"{n // 1024} KB {u.split('/')[-1][:60]}"
            for n, u in sorted(meter.sizes[seen:], reverse=True)[:6]
        ],
    }
    page.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=2, help="cold+warm pairs")
    ap.add_argument(
        "--typing", type=float, default=0.0, help="seconds between a usable form and the click"
    )
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    settings()
    log = Path(tempfile.mkstemp(prefix="pax-bench-field-", suffix=".log")[1])
    proc, url = serve(log)
    # measured once the server has finished starting (its start-up imports), as users find it
    print(f"server settled {settle([proc.pid]):.0f} s after answering", file=sys.stderr)
    results = []
    try:
        with sync_playwright() as p:
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory() as profile:
                    ctx = p.chromium.launch_persistent_context(
                        profile,
                        executable_path=CHROMIUM,
                        args=ARGS,
                        viewport=VIEWPORT,
                        locale="sv-SE",
                        timezone_id="Europe/Stockholm",
                    )
                    cold = visit(ctx, url, args.typing)
                    print(json.dumps({"cold": cold}), flush=True)
                    warm = visit(ctx, url, args.typing)
                    ctx.close()
                results.append({"cold": cold, "warm": warm})
    finally:
        proc.terminate()
    print(
        json.dumps(
            {
                "throttle": THROTTLE,
                "cpu_slowdown": CPU_SLOWDOWN,
                "viewport": VIEWPORT,
                "runs": results,
                # the server's own time for each script run, in order (cold, then warm)
                "server_runs_ms": [
                    f"{m.group(1)} {float(m.group(3)):.0f} ({m.group(4)})"
                    for m in re.finditer(
                        r"run page=(\S+) role=(\S+) ms=([\d.]+) end=(\S+)", log.read_text()
                    )
                    if m.group(2) != "-" or m.group(1) == "login"
                ],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
