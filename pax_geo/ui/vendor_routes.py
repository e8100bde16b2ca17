"""Browser libraries served by the app itself, so its Leaflet maps work without internet.

The files under ``pax_geo/ui/vendor/`` (see its README: Leaflet and Leaflet.draw, dist files
only) are served at ``/vendor/<folder>/<file>``. The folder names carry the version, so a URL
never changes its content and browsers may keep it for a year. Only the file types the
libraries need are served (scripts, style sheets, images), only from inside that folder;
anything else is 404. The files are public library code: the HTTP gate (pax_geo.ui.web) lets
them through for a browser that has not signed in yet.

Needs no Streamlit: ``server.py`` mounts :func:`routes` beside the app.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

VENDOR_DIR = Path(__file__).resolve().with_name("vendor")
PREFIX = "/vendor"

LEAFLET = "leaflet-1.9.4"
LEAFLET_DRAW = "leaflet-draw-1.0.4"

#: URLs the Leaflet maps load (pax_geo.ui.drawmap), same origin as the app
LEAFLET_JS = f"{PREFIX}/{LEAFLET}/leaflet.js"
LEAFLET_CSS = f"{PREFIX}/{LEAFLET}/leaflet.css"
LEAFLET_DRAW_JS = f"{PREFIX}/{LEAFLET_DRAW}/leaflet.draw.js"
LEAFLET_DRAW_CSS = f"{PREFIX}/{LEAFLET_DRAW}/leaflet.draw.css"

CONTENT_TYPES: dict[str, str] = {
    ".js": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
CACHE_CONTROL = "public, max-age=31536000, immutable"


def vendor_file(relative: str) -> Path | None:
    """The vendored file a URL path (below ``/vendor/``) names, or None: plain path segments
    only (no ``..``, no hidden or empty segments, no backslashes), inside the vendor folder,
    of a served type."""
    parts = relative.split("/")
    if any(not p or p.startswith(".") or "\\" in p or "\x00" in p for p in parts):
        return None
    path = VENDOR_DIR.joinpath(*parts).resolve()
    if not path.is_relative_to(VENDOR_DIR) or path.suffix not in CONTENT_TYPES:
        return None
    return path if path.is_file() else None


@lru_cache(maxsize=64)
def _read(path: Path) -> bytes:
    return path.read_bytes()


async def _serve(request: Request) -> Response:
    path = vendor_file(str(request.path_params.get("path", "")))
    if path is None:
        return Response(
            b"Not found\n",
            status_code=404,
            media_type="text/plain; charset=utf-8",
            headers={"Cache-Control": "no-store"},
        )
    return Response(
        _read(path),
        media_type=CONTENT_TYPES[path.suffix],
        headers={"Cache-Control": CACHE_CONTROL},
    )


def routes() -> list[Route]:
    """The vendored-library route the server mounts beside Streamlit (GET and HEAD)."""
    return [Route(PREFIX + "/{path:path}", _serve, methods=["GET", "HEAD"])]
