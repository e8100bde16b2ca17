"""Benchmark: many signed-in sessions at once, each changing filters; server rerun times.

    .venv/bin/python bench/bench_sessions.py [--sessions 20] [--clicks 12] [--incidents N]
                                             [--clients browser|ws] [--think S] [--workers N]

Serves the app with ``server.py`` (as ``pax serve`` does; with ``--workers N``, N Streamlit
processes behind nginx, pax_geo.frontdoor) with ``PAX_SLOW_RUN_MS=0``, so that
the server logs every script run with its page, role and milliseconds (pax_geo.ui.runlog), and
drives it from one Debian Chromium with one browser context per session (Playwright, desktop
size). The sessions are a mix of roles and pages (:data:`MIX`). Each session opens its page by
URL, signs in, waits until the page has finished, and then presses the page's segmented
controls and pills (period, layers, bucket, …) one after the other, ``--clicks`` times, waiting
for each run to finish: every press changes a filter and reruns the page. All sessions run at
the same time.

With ``--clients ws`` each session is a websocket client instead of a browser: it signs in on
the plain login page over HTTP (pax_geo.ui.login_page) and speaks Streamlit's own protocol
(BackMsg/ForwardMsg protobufs on ``/_stcore/stream``) as the browser does: a rerun request with
the page and the widget values, then every message until the run has finished. It presses the
page's segmented controls and pills the same way (their ids and options come from the page's own
messages). Twenty clients then cost the machine a few MB and almost no CPU, so on a small
machine the server's figures are its own, not the browsers' (20 Chromium contexts on 2 cores
measure mostly the browsers).

Reported:

* server run time per page (p50, p95, max) of the warm reruns (the filter changes), and of the
  first run of each page (sign-in to page, cold for the session), from the server's log;
* what a user waits per press (click to the page idle again), p50 and p95;
* errors: exceptions shown on a page, console errors, ERROR lines in the server's log;
* the server's resident memory before the sessions, with all of them signed in, and per session.

With ``--incidents N`` a scratch database (pax_bench_sessions) is loaded with the demo data set
at N incidents (dropped afterwards unless ``--keep``); otherwise the configured database (the
demo database of ``make run``) is used. With browsers, their own CPU use shares the machine with
the server, so on a small machine the server times are upper bounds. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_field import CHROMIUM, serve  # noqa: E402
from support import scratch_database, settle  # noqa: E402

from pax_geo import frontdoor  # noqa: E402

DB = "pax_bench_sessions"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"]
#: (role, page key): 20 sessions, the roles and pages a Pax evening sees
MIX = [
    ("police_analyst", "har_och_nu"),
    ("police_analyst", "har_och_nu"),
    ("police_analyst", "hotspots"),
    ("police_analyst", "medellang"),
    ("security_chief", "har_och_nu"),
    ("security_chief", "medellang"),
    ("security_chief", "lang_sikt"),
    ("field_worker", "mitt_omrade"),
    ("field_worker", "har_och_nu"),
    ("field_worker", "medellang"),
    ("board_viewer", "lang_sikt"),
    ("board_viewer", "medellang"),
    ("municipal_staff", "har_och_nu"),
    ("municipal_staff", "medellang"),
    ("night_walker", "nattvandring"),
    ("police_analyst", "har_och_nu"),
    ("security_chief", "har_och_nu"),
    ("field_worker", "mitt_omrade"),
    ("police_analyst", "hotspots"),
    ("board_viewer", "omradeskort"),
]
RUN_LINE = re.compile(r"pax\.run: run page=(\S+) role=(\S+) ms=([\d.]+) end=(\S+) session=(\S+)")
BUSY_JS = """() => document.querySelectorAll(
    '[data-testid="stStatusWidget"], [data-stale="true"]').length"""


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def rss_kib(pids: list[int]) -> int:
    """Resident memory of the server's processes (one Streamlit process, or the workers and
    nginx of ``--workers``)."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


async def idle(page, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        quiet = quiet + 1 if await page.evaluate(BUSY_JS) == 0 else 0
        if quiet >= 3:
            return
        await asyncio.sleep(0.25)
    raise TimeoutError("the page kept running")


async def session(browser, url: str, role: str, key: str, clicks: int, out: dict) -> None:
    from pax_geo import auth

    ctx = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="sv-SE")
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        # the gate sends the first visit to the plain login page and, signed in, on to the page
        await page.goto(f"{url}/{key}", timeout=180_000)
        await page.get_by_label("Användarnamn").wait_for(timeout=300_000)
        await page.get_by_label("Användarnamn").fill(auth.DEMO_ACCOUNTS[role], timeout=120_000)
        await page.get_by_label("Lösenord").fill(auth.DEMO_PASSWORD, timeout=120_000)
        await page.get_by_role("button", name="Logga in").click()
        await page.get_by_label("Lösenord").wait_for(state="detached", timeout=180_000)
        # the app's first run has signed the session in (Streamlit's frame comes before it)
        await page.locator(".st-key-pax_logout").wait_for(state="attached", timeout=180_000)
        await idle(page)
        out["signed_in"] += 1
        waits: list[float] = []
        for i in range(clicks):
            buttons = page.locator(
                '[data-testid="stMain"] [data-testid="stButtonGroup"] button:visible'
            )
            n = await buttons.count()
            if n == 0:  # a page without segmented controls: Streamlit's rerun key
                t0 = time.perf_counter()
                await page.keyboard.press("r")
            else:
                target = buttons.nth((i * 7 + 3) % n)
                t0 = time.perf_counter()
                await target.click(timeout=30_000)
            await asyncio.sleep(0.15)
            await idle(page)
            waits.append(time.perf_counter() - t0)
        out["waits"].extend(waits)
        out["exceptions"] += await page.locator('[data-testid="stException"]').count()
    except Exception as exc:  # reported, not raised: the other sessions go on
        out["failures"].append(f"{role}/{key}: {type(exc).__name__}: {str(exc)[:160]}")
        (ROOT / "artifacts").mkdir(exist_ok=True)
        try:
            shot = ROOT / "artifacts" / f"bench_sessions_{role}_{key}.png"
            await page.screenshot(path=str(shot), timeout=60_000)
        except Exception:
            pass  # a page too busy to be photographed: the failure is reported all the same
    finally:
        out["console_errors"].extend(f"{role}/{key}: {e[:160]}" for e in errors)
        out["contexts"].append(ctx)


def http_sign_in(url: str, role: str) -> str:
    """Sign in on the plain login page as the role's demo account; the Cookie header of this
    client (the gate's cookie, whose Streamlit session takes the sign-in over)."""
    from pax_geo import auth

    jar: dict[str, str] = {}

    class _Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
            return None

    opener = urllib.request.build_opener(_Stay)

    def request(path: str, data: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            resp = opener.open(urllib.request.Request(url + path, body, headers), timeout=300)
        except urllib.error.HTTPError as e:
            resp = e
        for value in resp.headers.get_all("set-cookie") or []:
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
        return resp.status, resp.read().decode()

    _, page = request("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("no login form")
    fields = {"csrf": token.group(1), "next": "/", "lang": "sv"}
    fields.update(username=auth.DEMO_ACCOUNTS[role], password=auth.DEMO_PASSWORD)
    status, _ = request("/login", fields)
    if status != 303:
        raise RuntimeError(f"sign-in refused ({status})")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


class StreamlitClient:
    """One browser session as Streamlit's websocket protocol sees it."""

    def __init__(self, ws, page_name: str) -> None:
        self.ws = ws
        self.page_name = page_name
        self.page_hash = ""
        #: the page's segmented controls and pills: id -> (options, multi-select)
        self.groups: dict[str, tuple[list[str], bool]] = {}
        self.values: dict[str, list[str]] = {}
        self.exceptions = 0

    async def run(self) -> float:
        """Ask for a rerun with the current widget values; seconds until it has finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        state.page_name = self.page_name if not self.page_hash else ""
        state.page_script_hash = self.page_hash
        state.context_info.timezone = "Europe/Stockholm"
        state.context_info.locale = "sv-SE"
        for wid, values in self.values.items():
            w = state.widget_states.widgets.add()
            w.id = wid
            w.string_array_value.data.extend(values)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await asyncio.wait_for(self.ws.recv(), timeout=300))
            kind = fm.WhichOneof("type")
            if kind == "navigation" and fm.navigation.page_script_hash:
                self.page_hash = fm.navigation.page_script_hash  # the page st.navigation ran
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                if el.WhichOneof("type") == "button_group" and not el.button_group.disabled:
                    g = el.button_group
                    options = [o.content for o in g.options]
                    self.groups[g.id] = (options, g.click_mode == g.MULTI_SELECT)
                    self.values.setdefault(g.id, [options[i] for i in g.default])
                elif el.WhichOneof("type") == "exception":
                    self.exceptions += 1
            elif kind == "page_not_found":
                raise RuntimeError(f"page not found: {self.page_name}")
            elif kind == "script_finished" and fm.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY,
                ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ):
                return time.perf_counter() - t0

    def press(self, i: int) -> None:
        """Change one segmented control or pill, as the browser's press at (i * 7 + 3) does."""
        ids = sorted(self.groups)
        if not ids:
            return
        wid = ids[(i * 7 + 3) % len(ids)]
        options, multi = self.groups[wid]
        current = self.values.get(wid, [])
        choice = options[(i * 5 + 1) % len(options)]
        if multi:
            self.values[wid] = [o for o in current if o != choice] + (
                [] if choice in current else [choice]
            )
        else:
            later = [o for o in options if o not in current]
            self.values[wid] = [later[i % len(later)]] if later else current


async def ws_session(
    url: str, role: str, key: str, clicks: int, out: dict, think: float = 0.0
) -> None:
    import websockets

    from pax_geo.pages import home_for

    try:
        cookie = await asyncio.to_thread(http_sign_in, url, role)
        ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(
            ws_url,
            subprotocols=["streamlit"],  # type: ignore[list-item]
            additional_headers={"Cookie": cookie, "Origin": url},
            max_size=None,
            open_timeout=120,
        ) as ws:
            # the role's start page is the app's root (Streamlit knows it by no other name)
            client = StreamlitClient(ws, "" if key == home_for(role) else key)
            await client.run()
            out["signed_in"] += 1
            for i in range(clicks):
                await asyncio.sleep(think * (0.5 + random.random()))  # reading the page
                client.press(i)
                out["waits"].append(await client.run())
            out["exceptions"] += client.exceptions
            out["open"].append(ws)
            await out["done"].wait()  # stay connected until every session has finished
    except Exception as exc:
        out["failures"].append(f"{role}/{key}: {type(exc).__name__}: {str(exc)[:160]}")


def _tally(**extra: object) -> dict:
    """What the sessions report, filled in as they go."""
    return {
        "signed_in": 0,
        "waits": [],
        "exceptions": 0,
        "failures": [],
        "console_errors": [],
        **extra,
    }


async def drive_ws(
    url: str, n: int, clicks: int, pids: list[int], sessions_mix: list, think: float = 0.0
) -> dict:
    out = _tally(open=[], done=asyncio.Event())
    mix = [sessions_mix[i % len(sessions_mix)] for i in range(n)]
    out["rss_before_kib"] = rss_kib(pids)
    tasks = []
    for role, key in mix:
        tasks.append(asyncio.create_task(ws_session(url, role, key, clicks, out, think)))
        await asyncio.sleep(2.0)  # people do not all press "Logga in" in the same second
    while len(out["open"]) + len(out["failures"]) < len(tasks):  # all signed in and done
        await asyncio.sleep(0.5)
    out["rss_all_kib"] = rss_kib(pids)
    out["done"].set()
    await asyncio.gather(*tasks)
    out.pop("open")
    out.pop("done")
    return out


async def drive(url: str, n: int, clicks: int, pids: list[int], sessions_mix: list) -> dict:
    from playwright.async_api import async_playwright

    out = _tally(contexts=[])
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        mix = [sessions_mix[i % len(sessions_mix)] for i in range(n)]
        out["rss_before_kib"] = rss_kib(pids)
        tasks = []
        for role, key in mix:
            tasks.append(asyncio.create_task(session(browser, url, role, key, clicks, out)))
            await asyncio.sleep(2.0)  # people do not all press "Logga in" in the same second
        await asyncio.gather(*tasks)
        out["rss_all_kib"] = rss_kib(pids)
        for ctx in out.pop("contexts"):
            await ctx.close()
        await browser.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--clicks", type=int, default=12)
    ap.add_argument("--incidents", type=int, default=0, help="0: the configured database")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--page", help="only the sessions of this page key (e.g. medellang)")
    ap.add_argument(
        "--clients", choices=["browser", "ws"], default="browser", help="Chromium or websocket"
    )
    ap.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="ws: mean seconds a user reads the page between presses (0: press at once)",
    )
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Streamlit processes behind nginx as pax serve runs them (1: one, no nginx)",
    )
    args = ap.parse_args()
    if not args.incidents:
        return run(args)
    with scratch_database(DB, args.incidents, keep=args.keep) as s:
        print(s.loaded)
        return run(args)


def _serve(log: Path, workers: int) -> tuple[Callable[[], None], str, list[int]]:
    """The app as ``pax serve`` runs it: one process, or ``workers`` behind nginx (front door);
    a stop function, its URL and the processes whose memory counts."""
    if workers <= 1:
        server, url = serve(log)

        def stop_one() -> None:
            server.terminate()
            server.wait(timeout=30)

        return stop_one, url, [server.pid]
    port = frontdoor.free_port()
    front = frontdoor.start(
        "127.0.0.1",
        port,
        workers,
        Path(tempfile.mkdtemp(prefix="pax-bench-front-")),
        env={"PAX_BASEMAP": "none", "PAX_SLOW_RUN_MS": "0", "PYTHONPATH": str(ROOT)},
        worker_log=log,
    )
    return front.stop, f"http://127.0.0.1:{port}", [p.pid for p in front.procs]


def run(args: argparse.Namespace) -> int:
    log = Path(tempfile.mkstemp(prefix="pax-bench-sessions-", suffix=".log")[1])
    stop, url, pids = _serve(log, args.workers)  # every run's page, role and ms in the log
    print(f"server settled {settle(pids):.0f} s after answering")
    try:
        t0 = time.perf_counter()
        mix = [m for m in MIX if args.page in (None, m[1])] or MIX
        if args.clients == "ws":
            out = asyncio.run(drive_ws(url, args.sessions, args.clicks, pids, mix, args.think))
        else:
            out = asyncio.run(drive(url, args.sessions, args.clicks, pids, mix))
        wall = time.perf_counter() - t0
    finally:
        stop()

    text = log.read_text(errors="replace")
    # per page: the first run of each session there (sign-in to page, cold for the session)
    # and the later ones (the filter changes, warm)
    first: dict[str, list[float]] = defaultdict(list)
    warm: dict[str, list[float]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for m in RUN_LINE.finditer(text):
        page_key, ms, tag = m.group(1), float(m.group(3)), m.group(5)
        if (tag, page_key) in seen:
            warm[page_key].append(ms)
        else:
            seen.add((tag, page_key))
            first[page_key].append(ms)
    server_errors = [ln for ln in text.splitlines() if " ERROR " in ln or "Traceback" in ln]

    print(
        f"{args.sessions} {args.clients} sessions x {args.clicks} presses, "
        f"{args.workers} worker(s) "
        f"(think {args.think:g} s), {wall:.0f} s in all; "
        f"signed in: {out['signed_in']}"
    )
    print("server run time per page, ms (first = sign-in to page; warm = the filter changes)")
    print(f"  {'page':<14}{'runs':>6}{'first p50':>11}{'warm p50':>10}{'warm p95':>10}{'max':>8}")
    warm_all: list[float] = []
    for page_key in sorted(first):
        if page_key in ("-", "login"):
            continue
        w = warm[page_key]
        warm_all.extend(w)
        print(
            f"  {page_key:<14}{len(first[page_key]) + len(w):>6}"
            f"{pct(first[page_key], 0.5):>11.0f}{pct(w, 0.5):>10.0f}{pct(w, 0.95):>10.0f}"
            f"{max(first[page_key] + w):>8.0f}"
        )
    print(f"  all warm reruns: p50 {pct(warm_all, 0.5):.0f} ms, p95 {pct(warm_all, 0.95):.0f} ms")
    login_ms = first.get("login", []) + warm.get("login", [])
    if login_ms:
        print(
            f"  login page runs: p50 {pct(login_ms, 0.5):.0f} ms, p95 {pct(login_ms, 0.95):.0f} ms"
        )
    waits = out["waits"]
    print(f"user's wait per press: p50 {pct(waits, 0.5):.2f} s, p95 {pct(waits, 0.95):.2f} s")
    before, after = out["rss_before_kib"], out["rss_all_kib"]
    print(
        f"server memory: {before / 1024:.0f} MiB before, {after / 1024:.0f} MiB with all signed "
        f"in, {(after - before) / 1024 / max(out['signed_in'], 1):.1f} MiB per session"
    )
    print(
        f"errors: {len(out['failures'])} failed sessions, {out['exceptions']} exceptions shown, "
        f"{len(out['console_errors'])} console errors, {len(server_errors)} server error lines"
    )
    for f in out["failures"][:10]:
        print("  failure:", f)
    for e in out["console_errors"][:10]:
        print("  console:", e)
    for e in server_errors[:10]:
        print("  server:", e[:200])
    print(f"server log: {log}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
