"""``pax serve`` with several workers behind nginx (pax_geo/frontdoor.py), with the real nginx,
real Streamlit workers on the test database and Chromium: nginx takes its configuration, a
browser's requests all reach one worker (its session, the login page's hand-over), both
workers serve, a login form made by one worker is accepted by another, the login limit counts
the browser's own address (never one the client claims), a signed-in app works over the
proxied websocket, and a worker that stops stops the whole service."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from pax_geo import frontdoor
from pax_geo.auth import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.browser_support import ARTIFACTS, ROOT, login, open_page, pax_serve, shot, wait_idle
from tests.http_support import Browser

pytestmark = pytest.mark.browser


def _front(db_name: str, run_dir: Path, workers: int) -> tuple[frontdoor.Front, str]:
    port = frontdoor.free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    front = frontdoor.start(
        "127.0.0.1",
        port,
        workers,
        run_dir,
        env={"PAX_DB_NAME": db_name, "PAX_BASEMAP": "none", "PYTHONPATH": str(ROOT)},
        worker_log=ARTIFACTS / f"frontdoor-{port}.log",
    )
    return front, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def front(pg_url, demo_loaded, tmp_path_factory) -> Iterator[tuple[frontdoor.Front, str]]:
    front, url = _front(pg_url.database, tmp_path_factory.mktemp("front"), 2)
    try:
        yield front, url
    finally:
        front.stop()


def _log(front: frontdoor.Front) -> dict[str, list[tuple[str, str, str]]]:
    """nginx's access log: per client address, its (request, status, worker) in order."""
    out: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for line in (front.run_dir / "access.log").read_text().splitlines():
        addr, rest = line.split(" ", 1)
        request = rest.split('"')[1]
        status, worker = rest.split('"')[2].split()[:2]
        out[addr].append((request, status, worker))
    return out


def test_nginx_accepts_its_configuration(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(frontdoor.nginx_config("127.0.0.1", 8123, [9001, 9002], tmp_path))
    binary = frontdoor.nginx_binary()
    assert binary is not None, "make test installs nginx"
    done = subprocess.run(
        [binary, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "hash $cookie_pax_client consistent" in conf.read_text()


def test_each_browser_stays_with_one_worker_and_both_serve(front):
    proc, url = front
    clients = [Browser() for _ in range(16)]
    for b in clients:
        status, headers, _ = b.sign_in(url, DEMO_ACCOUNTS["municipal_staff"], DEMO_PASSWORD)
        assert status == 303 and headers["location"] == "/", "the sign-in was refused"
        # the hand-over waits in the worker that took the sign-in: this load must reach it
        status, _, body = b.request(url + "/")
        assert status == 200 and '<div id="root">' in body
        assert b.request(url + "/_stcore/health")[0] == 200
    # nginx writes a request's line once it has answered it: the last line can come a moment
    # after the client has its response
    deadline = time.monotonic() + 10
    while sum(len(_log(proc)[b.source]) for b in clients) < 4 * len(clients):
        assert time.monotonic() < deadline, "nginx did not log every request"
        time.sleep(0.1)
    log = _log(proc)
    sticky, crossed = set(), 0
    for b in clients:
        rows = log[b.source]
        assert [r[0] for r in rows] == [
            "GET /login",
            "POST /login",
            "GET /",
            "GET /_stcore/health",
        ]
        # the first request has no cookie yet; every later one carries it
        workers = {worker for _, _, worker in rows[1:]}
        assert len(workers) == 1, rows
        sticky |= workers
        crossed += rows[0][2] not in workers
    assert sticky == {f"127.0.0.1:{p}" for p in proc.ports}  # both workers serve
    # some forms were made by one worker and accepted by the other (P(none) = 2^-16)
    assert crossed >= 1


def test_the_login_limit_counts_the_browser_not_what_it_claims(front, owner_engine):
    _, url = front
    b = Browser()
    claimed = "203.0.113.77"
    fields = b.form(url)
    fields.update(username="nobody-" + b.source, password="wrong")
    status, _, _ = b.request(url + "/login", fields, headers={"X-Forwarded-For": claimed})
    assert status in (200, 400, 401, 403)
    with owner_engine.connect() as c:
        counted = set(
            c.execute(
                text("select client from pax_data.login_client where client in (:a, :b, :p)"),
                {"a": b.source, "b": claimed, "p": "127.0.0.1"},
            ).scalars()
        )
    # the browser's own address, not the proxy's and not the one it claimed
    assert b.source in counted and claimed not in counted


def test_a_signed_in_app_works_through_the_proxy(front, browser):
    _, url = front
    ctx = browser.new_context(viewport={"width": 820, "height": 1180}, locale="sv-SE")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    try:
        login(page, url, "security_chief")
        open_page(page, "Medellång sikt")
        wait_idle(page)
        assert page.get_by_role("heading", name="Medellång sikt").count() >= 1
        shot(page, "frontdoor_medellang_tablet")
        assert any(s.endswith("/_stcore/stream") for s in sockets)
        assert errors == []
    finally:
        ctx.close()


def test_a_worker_that_stops_stops_the_service(pg_url, demo_loaded, tmp_path):
    front, url = _front(pg_url.database, tmp_path, 1)
    try:
        assert Browser().request(url + "/_stcore/health")[0] == 200
        front.workers[0].kill()
        started = time.monotonic()
        code = front.wait()
        assert code != 0
        assert front.nginx.poll() is not None  # nginx is stopped with it
        assert time.monotonic() - started < 15
        with pytest.raises(OSError):
            Browser().request(url + "/_stcore/health")
    finally:
        front.stop()
    assert not any(p.poll() is None for p in front.procs)
    assert os.path.exists(front.run_dir / "nginx.conf")


def _children(pid: int) -> set[int]:
    """Every descendant of a process (from /proc)."""
    parents: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:
            continue
        parents[int(status.parent.name)] = int(fields.get("PPid", "0").strip())
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = {c for c, pp in parents.items() if pp == p}
        out |= kids
        todo.extend(kids)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state  # a zombie has ended


@pytest.mark.parametrize("when", ["starting", "serving"])
def test_pax_serve_stopped_leaves_nothing_running(pg_url, demo_loaded, when):
    port = frontdoor.free_port()
    proc = pax_serve(pg_url.database, port, "--workers", "2", PAX_BASEMAP="none")
    try:
        deadline = time.monotonic() + 90
        seen: set[int] = set()
        while time.monotonic() < deadline:
            seen |= _children(proc.pid)
            if when == "starting" and len(seen) >= 2:
                break  # the workers are starting; nginx is not up yet
            if when == "serving" and len(seen) >= 3:
                try:
                    if Browser().request(f"http://127.0.0.1:{port}/_stcore/health")[0] == 200:
                        break
                except OSError:
                    pass
            time.sleep(0.05)
        else:
            raise AssertionError("pax serve did not get that far")
        seen |= _children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) != 0
        end = time.monotonic() + 10
        while any(_alive(p) for p in seen) and time.monotonic() < end:
            time.sleep(0.1)
        assert not [p for p in seen if _alive(p)], "processes outlived pax serve"
    finally:
        if proc.poll() is None:
            proc.kill()
