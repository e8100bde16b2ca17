"""The street map under every map: a MapLibre style served by the app itself.

Every deck points at ``/basemap/style.json`` (:data:`STYLE_PATH`), which this module builds from
the settings, so the browser loads the style from Pax and only the tiles from the configured
tile service:

* ``carto`` (default): CARTO's light raster tiles of OpenStreetMap data, muted so the layers
  stand out; ``osm``: the OpenStreetMap standard tiles;
* ``url``: any XYZ raster template, e.g. the municipality's own tile server or Lantmäteriet's
  (``PAX_BASEMAP_URL=https://…/{z}/{x}/{y}.png``, with ``PAX_BASEMAP_ATTRIBUTION``);
* ``mbtiles``: a self-hosted MBTiles file (``PAX_BASEMAP_MBTILES``), served by Pax at
  ``/basemap/tiles/{z}/{x}/{y}`` from the file (read-only);
* ``none``: no tiles at all, only a plain background (closed networks, tests).

The district outlines are deck layers drawn over the style, so a map whose tiles cannot load
still draws at once with its outlines; the page says so once (:mod:`pax_geo.ui.basemap`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pax_geo.config import Settings, settings

STYLE_PATH = "/basemap/style.json"
TILE_PATH = "/basemap/tiles/{z}/{x}/{y}"
BACKGROUND = "#f2f1ed"

#: basemap -> (XYZ template, attribution, max zoom)
SERVICES: dict[str, tuple[str, str, int]] = {
    "carto": (
        "https://basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png",
        "© OpenStreetMap contributors © CARTO",
        19,
    ),
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "© OpenStreetMap contributors",
        19,
    ),
}


class BasemapError(ValueError):
    """The basemap settings cannot give tiles (names the setting)."""


def tile_source(cfg: Settings, base_url: str = "") -> tuple[str, str, int] | None:
    """(XYZ template, attribution, max zoom) the browser loads tiles from; None for 'none'."""
    if cfg.basemap == "none":
        return None
    if cfg.basemap in SERVICES:
        return SERVICES[cfg.basemap]
    if cfg.basemap == "url":
        url = cfg.basemap_url or ""
        if not url.startswith(("http://", "https://")) or not all(
            part in url for part in ("{z}", "{x}", "{y}")
        ):
            raise BasemapError(
                "PAX_BASEMAP=url needs PAX_BASEMAP_URL, an http(s) template with {z}, {x} and {y} "
                f"(got {url!r})"
            )
        return url, cfg.basemap_attribution, 19
    if cfg.basemap == "mbtiles":
        path = cfg.basemap_mbtiles
        if path is None or not Path(path).is_file():
            raise BasemapError(
                f"PAX_BASEMAP=mbtiles needs PAX_BASEMAP_MBTILES, a file (got {path})"
            )
        return base_url.rstrip("/") + TILE_PATH, cfg.basemap_attribution, 19
    raise BasemapError(f"unknown basemap {cfg.basemap!r}")


def style(cfg: Settings, base_url: str = "") -> dict:
    """The MapLibre style: a background, and the raster tiles over it when configured."""
    layers: list[dict] = [
        {"id": "background", "type": "background", "paint": {"background-color": BACKGROUND}}
    ]
    sources: dict[str, dict] = {}
    src = tile_source(cfg, base_url)
    if src is not None:
        template, attribution, maxzoom = src
        sources["streets"] = {
            "type": "raster",
            "tiles": [template],
            "tileSize": 256,
            "maxzoom": maxzoom,
            "attribution": attribution,
        }
        layers.append(
            {
                "id": "streets",
                "type": "raster",
                "source": "streets",
                "paint": {"raster-opacity": 0.85, "raster-fade-duration": 0},
            }
        )
    return {"version": 8, "name": f"pax-{cfg.basemap}", "sources": sources, "layers": layers}


def mbtiles_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """One tile of an MBTiles file (TMS rows: y is flipped), or None."""
    if not (0 <= z <= 24 and 0 <= x < 2**z and 0 <= y < 2**z):
        return None
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        row = con.execute(
            "select tile_data from tiles where zoom_level = ? and tile_column = ? and tile_row = ?",
            (z, x, 2**z - 1 - y),
        ).fetchone()
    return bytes(row[0]) if row else None


async def _style(request: Request) -> Response:
    try:
        body = style(settings(), str(request.base_url))
    except BasemapError:  # misconfigured: still a style, so the maps draw their outlines
        body = style(Settings(basemap="none"))
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


async def _tile(request: Request) -> Response:
    cfg = settings()
    if cfg.basemap != "mbtiles" or cfg.basemap_mbtiles is None:
        return Response(status_code=404)
    try:
        z, x = int(request.path_params["z"]), int(request.path_params["x"])
        y = int(str(request.path_params["y"]).split(".")[0])
    except ValueError:
        return Response(status_code=404)
    data = mbtiles_tile(Path(cfg.basemap_mbtiles), z, x, y)
    if data is None:
        return Response(status_code=404)
    kind = "image/png" if data[:4] == b"\x89PNG" else "image/jpeg"
    return Response(data, media_type=kind, headers={"Cache-Control": "public, max-age=86400"})


def routes() -> list[Route]:
    """The basemap routes the server mounts beside Streamlit."""
    return [Route(STYLE_PATH, _style), Route(TILE_PATH, _tile)]
