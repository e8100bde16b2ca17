"""The draw map's parts that need no browser (pax_geo.ui.drawmap): it asks only for the
vendored libraries, which the route serves; the street map's template; what it returns."""

from __future__ import annotations

import json
import re

import folium

from pax_geo.basemap import SERVICES
from pax_geo.config import Settings
from pax_geo.ui import vendor_routes
from pax_geo.ui.drawmap import build_map, drawn_geometry, tile_url

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[17.5, 59.1], [17.7, 59.1], [17.7, 59.3], [17.5, 59.3], [17.5, 59.1]]],
}


def test_the_draw_map_asks_only_for_the_vendored_files() -> None:
    m = build_map([("Centrum", SQUARE)], (17.4, 59.0, 17.8, 59.4), initial=SQUARE)
    m.get_root().render()
    links = []
    stack = [m]
    while stack:  # the walk streamlit_folium.st_folium does to collect js_links/css_links
        el = stack.pop()
        links += [u for _, u in getattr(el, "default_js", [])]
        links += [u for _, u in getattr(el, "default_css", [])]
        stack += list(getattr(el, "_children", {}).values())
    assert sorted(set(links)) == sorted(
        [
            vendor_routes.LEAFLET_JS,
            vendor_routes.LEAFLET_CSS,
            vendor_routes.LEAFLET_DRAW_JS,
            vendor_routes.LEAFLET_DRAW_CSS,
        ]
    )
    for url in links:  # each one a file the route serves
        assert vendor_routes.vendor_file(url.removeprefix(vendor_routes.PREFIX + "/"))
    assert not re.search(r"https?://", m.get_root().render())
    # folium's own defaults are untouched (other maps keep theirs)
    assert folium.Map.default_js[0][1].startswith("https://")


def test_tile_url() -> None:
    assert tile_url(Settings(basemap="none")) is None
    assert tile_url(Settings(basemap="carto")) == SERVICES["carto"][0]
    assert tile_url(Settings(basemap="osm")) == SERVICES["osm"][0]
    own = "https://kartor.example.se/{z}/{x}/{y}.png"
    assert tile_url(Settings(basemap="url", basemap_url=own)) == own
    assert tile_url(Settings(basemap="url", basemap_url="ftp://x")) is None  # misconfigured
    assert tile_url(Settings(basemap="mbtiles", basemap_mbtiles=None)) is None


def test_drawn_geometry() -> None:
    def poly(x: float) -> dict:
        return {"type": "Polygon", "coordinates": [[[x, 59], [x + 1, 59], [x, 60], [x, 59]]]}

    def feature(geometry: dict) -> dict:
        return {"type": "Feature", "properties": {}, "geometry": geometry}

    initial = poly(17)
    # nothing done yet: the map shows the initial area (or nothing)
    assert drawn_geometry(None, initial) == initial
    assert drawn_geometry({"all_drawings": None, "last_active_drawing": None}, None) is None
    # the user deleted it
    assert drawn_geometry({"all_drawings": []}, initial) is None
    # drawn (or edited): what is on the map, not the last clicked thing
    value = {"all_drawings": [feature(poly(18))], "last_active_drawing": feature(poly(1))}
    assert drawn_geometry(value, initial) == poly(18)
    # a multi-part initial area kept as it was edited
    two = {"all_drawings": [feature(poly(17)), feature(poly(19))]}
    assert drawn_geometry(two) == {
        "type": "MultiPolygon",
        "coordinates": [poly(17)["coordinates"], poly(19)["coordinates"]],
    }
    point = {"type": "Point", "coordinates": [17, 59]}
    assert drawn_geometry({"all_drawings": [feature(point)]}) is None


def test_street_map_tiles_when_given() -> None:
    template = SERVICES["carto"][0]
    m = build_map([("Centrum", SQUARE)], (17.4, 59.0, 17.8, 59.4), tiles=template)
    script = m.get_root().render()
    assert f'"{template}"' in script and json.dumps(SERVICES["carto"][1]) in script
    # another template gets the configured credit line (PAX_BASEMAP_ATTRIBUTION)
    own = "https://kartor.example.se/{z}/{x}/{y}.png"
    script = build_map([], (17.4, 59.0, 17.8, 59.4), tiles=own).get_root().render()
    assert f'"{own}"' in script and json.dumps(Settings().basemap_attribution) in script
    # without tiles: no tile layer at all (the outlines on a plain background)
    script = build_map([("Centrum", SQUARE)], (17.4, 59.0, 17.8, 59.4)).get_root().render()
    assert "L.tileLayer" not in script
