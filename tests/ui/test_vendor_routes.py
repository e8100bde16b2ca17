"""The vendored Leaflet libraries (pax_geo.ui.vendor_routes): served with the right types and a
year's cache, nothing outside the vendor folder, 404 otherwise, also to a browser that has not
signed in (through the HTTP gate)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware

from pax_geo.ui import vendor_routes
from pax_geo.ui.vendor_routes import CACHE_CONTROL, VENDOR_DIR, routes
from pax_geo.ui.web import SecurityMiddleware

APP = Starlette(routes=routes())
GATED = Starlette(routes=routes(), middleware=[Middleware(SecurityMiddleware)])


def get(app, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One request straight into the ASGI app: (status, headers, body). ``path`` is what the
    server hands over after decoding %-escapes (and without normalising dot segments)."""
    out: dict = {"body": b""}

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }
    # in a thread of its own: Playwright's sync API may run an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return out["status"], out["headers"], out["body"]


@pytest.mark.parametrize(
    ("url", "kind", "start"),
    [
        (vendor_routes.LEAFLET_JS, "application/javascript", b"/* @preserve\n * Leaflet 1.9.4"),
        (vendor_routes.LEAFLET_CSS, "text/css", b"/* required styles */"),
        (vendor_routes.LEAFLET_DRAW_JS, "application/javascript", b"/*\n Leaflet.draw 1.0.4"),
        (vendor_routes.LEAFLET_DRAW_CSS, "text/css", b".leaflet-draw"),
        ("/vendor/leaflet-1.9.4/images/layers.png", "image/png", b"\x89PNG"),
        ("/vendor/leaflet-draw-1.0.4/images/spritesheet.png", "image/png", b"\x89PNG"),
        ("/vendor/leaflet-draw-1.0.4/images/spritesheet.svg", "image/svg+xml", b"<"),
    ],
)
def test_serves_the_files_with_type_and_cache(url: str, kind: str, start: bytes) -> None:
    status, headers, body = get(APP, url)
    assert status == 200
    assert headers["content-type"].split(";")[0] == kind
    assert headers["cache-control"] == CACHE_CONTROL == "public, max-age=31536000, immutable"
    assert body.startswith(start)
    assert body == (VENDOR_DIR / url.removeprefix("/vendor/")).read_bytes()
    # HEAD: the same headers (the server drops the body)
    status, head, _ = get(APP, url, "HEAD")
    assert status == 200 and head == headers


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/../server.py",
        "/vendor/../../pyproject.toml",
        "/vendor/leaflet-1.9.4/../../vendor_routes.py",
        "/vendor/leaflet-1.9.4/../../../config.py",
        "/vendor/leaflet-1.9.4/..%2f..%2fweb.py",
        "/vendor/leaflet-1.9.4\\..\\..\\web.py",
        "/vendor//etc/passwd",
        "/vendor/%2Fetc%2Fpasswd",
        "/vendor/./leaflet-1.9.4/leaflet.js",
        "/vendor/leaflet-1.9.4//leaflet.js",
        "/vendor/leaflet-1.9.4/leaflet.js\x00.png",
    ],
)
def test_refuses_paths_outside_the_folder(path: str) -> None:
    status, headers, body = get(APP, path)
    assert status == 404, path
    assert b"import" not in body and b"root:" not in body
    assert headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/",
        "/vendor/leaflet-1.9.4",
        "/vendor/leaflet-1.9.4/",
        "/vendor/leaflet-1.9.4/missing.js",
        "/vendor/leaflet-1.9.4/leaflet.js.map",
        "/vendor/leaflet-1.9.4/LICENSE",  # not a served type
        "/vendor/README.md",
        "/vendor/leaflet-1.9.3/leaflet.js",
    ],
)
def test_404_otherwise(path: str) -> None:
    assert get(APP, path)[0] == 404


def test_the_gate_lets_a_browser_that_is_not_signed_in_have_them() -> None:
    status, headers, body = get(GATED, vendor_routes.LEAFLET_JS)  # no cookie at all
    assert status == 200 and body.startswith(b"/* @preserve")
    assert headers["x-content-type-options"] == "nosniff"  # so the type must be right
    assert headers["content-type"].startswith("application/javascript")
    assert headers["cache-control"] == CACHE_CONTROL
