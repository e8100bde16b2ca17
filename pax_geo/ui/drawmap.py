"""A map on which the analyst draws one target area by hand (Leaflet + Leaflet.draw).

:func:`draw_polygon` shows the district outlines with their names, a toolbar to draw a polygon
or a rectangle (and to edit or delete it), and returns the drawn area as a GeoJSON geometry in
WGS84. One area at a time: drawing a new one replaces the previous one.

It works without internet: Leaflet and Leaflet.draw come from the app itself
(:mod:`pax_geo.ui.vendor_routes`), not from the CDNs folium names; the street map's tiles are
optional (:func:`tile_url`), so the outlines alone still let the user find the place. The map
runs in the streamlit-folium component's iframe, which the app serves from its own origin, so
the absolute ``/vendor/…`` URLs resolve against the app.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import Figure
from folium.plugins import Draw
from folium.template import Template
from folium.utilities import JsCode
from streamlit_folium import st_folium

from pax_geo import basemap
from pax_geo.config import Settings, settings
from pax_geo.i18n import catalogue, t
from pax_geo.ui.vendor_routes import LEAFLET_CSS, LEAFLET_DRAW_CSS, LEAFLET_DRAW_JS, LEAFLET_JS

OUTLINE_STYLE: dict[str, Any] = {
    "color": "#3c3c3c",
    "weight": 1.5,
    "opacity": 0.8,
    "fillOpacity": 0.03,
}
SHAPE_STYLE: dict[str, Any] = {"color": "#c0392b", "weight": 3, "opacity": 0.9, "fillOpacity": 0.15}


def draw_text(lang: str) -> dict[str, Any]:
    """The draw toolbar's texts (Leaflet.draw's ``L.drawLocal``) from the string catalogue:
    each ``dm_`` key is a path into that object, ``__`` between its parts."""
    out: dict[str, Any] = {}
    for key in catalogue():
        if not key.startswith("dm_"):
            continue
        *parents, leaf = key.removeprefix("dm_").split("__")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = t(key, lang)
    return out


_LABEL_CSS = """<style>
.leaflet-container { background: %s; }
.leaflet-tooltip.pax-district { background: rgba(255,255,255,.85); border: 0; box-shadow: none;
  color: #222; font: 600 12px/1.2 sans-serif; padding: 1px 4px; }
</style>"""

# each district's name as a permanent label at its middle (text, never HTML)
_LABEL_JS = """function (feature, layer) {
  var label = document.createElement("span");
  label.textContent = feature.properties.name;
  layer.bindTooltip(label, {permanent: true, direction: "center", className: "pax-district"});
}"""


class _DrawText(folium.MacroElement):
    """Sets Leaflet.draw's texts (before the toolbar is created)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (dst, src) {
          (function merge(a, b) {
            for (var k in b) {
              if (typeof b[k] === "object" && a[k]) { merge(a[k], b[k]); } else { a[k] = b[k]; }
            }
          })(dst, src);
        })(L.drawLocal, {{ this.text|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, text: dict[str, Any]) -> None:
        super().__init__()
        self._name = "DrawText"
        self.text = text


class _Declutter(folium.MacroElement):
    """District names never lie on top of each other: after every zoom, move or resize the names
    are placed largest district first, and a name that would touch one already shown is hidden
    until the map is zoomed in far enough for it (a greedy placement on the drawn boxes)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map) {
          function size(b) { return (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest()); }
          function declutter() {
            var tips = [];
            map.eachLayer(function (l) {
              var t = l.getTooltip && l.getTooltip();
              if (t && t.options.className === "pax-district" && t._container && l.getBounds) {
                tips.push({el: t._container, size: size(l.getBounds())});
              }
            });
            tips.sort(function (a, b) { return b.size - a.size; });
            var kept = [];
            tips.forEach(function (t) {
              t.el.style.visibility = "";
              var r = t.el.getBoundingClientRect();
              var clash = kept.some(function (k) {
                return r.left < k.right + 4 && r.right + 4 > k.left &&
                       r.top < k.bottom + 2 && r.bottom + 2 > k.top;
              });
              if (clash) { t.el.style.visibility = "hidden"; } else { kept.push(r); }
            });
          }
          map.on("zoomend moveend resize", declutter);
          map.whenReady(function () { setTimeout(declutter, 0); });
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "Declutter"


class _OneShape(folium.MacroElement):
    """Keeps one drawn area: a newly drawn one replaces the ones before it."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.on(L.Draw.Event.CREATED, function (e) {
          {{ this.group.get_name() }}.eachLayer(function (layer) {
            if (layer !== e.layer) { {{ this.group.get_name() }}.removeLayer(layer); }
          });
        });
        {% endmacro %}"""
    )

    def __init__(self, group: folium.FeatureGroup) -> None:
        super().__init__()
        self._name = "OneShape"
        self.group = group


def tile_url(cfg: Settings | None = None) -> str | None:
    """The configured street map's XYZ raster template for Leaflet, or None (basemap ``none``
    or misconfigured). MBTiles tiles come from the app (``/basemap/tiles/…``, signed in)."""
    try:
        src = basemap.tile_source(cfg or settings(), "")
    except basemap.BasemapError:
        return None
    return src[0] if src else None


def _attribution(tiles: str, cfg: Settings) -> str:
    """The credit line of a tile template: a known service's, else the configured one."""
    for template, attribution, _ in basemap.SERVICES.values():
        if template == tiles:
            return attribution
    return cfg.basemap_attribution


def _polygons(geometry: dict) -> list[list]:
    """The polygons (rings of [lon, lat]) of a Polygon or MultiPolygon geometry."""
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["coordinates"])
    raise ValueError(f"initial must be a Polygon or MultiPolygon, not {geometry.get('type')!r}")


def build_map(
    outlines: list[tuple[str, dict]],
    bounds: tuple[float, float, float, float],
    *,
    initial: dict | None = None,
    lang: str = "sv",
    tiles: str | None = None,
) -> folium.Map:
    """The folium map :func:`draw_polygon` shows; loads only the vendored libraries."""
    lon0, lat0, lon1, lat1 = bounds
    m = folium.Map(
        location=[(lat0 + lat1) / 2, (lon0 + lon1) / 2],
        zoom_start=11,
        tiles=None,
    )
    # only the app's own copies: no CDN, no jQuery/Bootstrap/awesome-markers (not used here)
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    root = m.get_root()
    assert isinstance(root, Figure)  # folium.Map puts itself in one
    root.header.add_child(folium.Element(_LABEL_CSS % basemap.BACKGROUND), name="pax_css")
    # kilometres only; no position=: folium 0.20's Control then drops the options
    folium.Control("Scale", imperial=False).add_to(m)
    if tiles:
        folium.TileLayer(
            tiles, attr=_attribution(tiles, settings()), max_zoom=19, opacity=0.85
        ).add_to(m)
    if outlines:
        folium.GeoJson(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"name": name}, "geometry": geom}
                    for name, geom in outlines
                ],
            },
            name="outlines",
            control=False,
            style_function=lambda _feature: OUTLINE_STYLE,
            on_each_feature=JsCode(_LABEL_JS),
            interactive=False,  # clicks go to the map (and the draw tool), not the outlines
        ).add_to(m)
        _Declutter().add_to(m)
    drawn = folium.FeatureGroup(name="drawn", control=False)
    drawn.add_to(m)
    for rings in _polygons(initial) if initial else []:
        latlngs = [[[lat, lon] for lon, lat, *_ in ring] for ring in rings]
        folium.Polygon(latlngs, fill=True, **SHAPE_STYLE).add_to(drawn)
    _DrawText(draw_text(str(lang))).add_to(m)
    draw = Draw(
        feature_group=drawn,
        show_geometry_on_click=False,
        draw_options={
            "polygon": {"allowIntersection": False, "showArea": False, "shapeOptions": SHAPE_STYLE},
            # showArea on a rectangle throws in Leaflet.draw 1.0.4 ("type is not defined")
            "rectangle": {"showArea": False, "shapeOptions": SHAPE_STYLE},
            "polyline": False,
            "circle": False,
            "circlemarker": False,
            "marker": False,
        },
        edit_options={"poly": {"allowIntersection": False}},
    )
    draw.default_js = [("leaflet_draw_js", LEAFLET_DRAW_JS)]
    draw.default_css = [("leaflet_draw_css", LEAFLET_DRAW_CSS)]
    draw.add_to(m)
    _OneShape(drawn).add_to(m)
    m.fit_bounds([[lat0, lon0], [lat1, lon1]])
    return m


def drawn_geometry(value: dict | None, initial: dict | None = None) -> dict | None:
    """The area in the component's value: the polygon(s) on the map (a MultiPolygon if an
    initial multi-part area is kept), the initial area before any drawing, None if deleted."""
    drawings = (value or {}).get("all_drawings")
    if drawings is None:  # nothing drawn, edited or deleted yet: the map shows `initial`
        return initial
    polygons = [
        f["geometry"]
        for f in drawings
        if isinstance(f, dict) and (f.get("geometry") or {}).get("type") == "Polygon"
    ]
    if not polygons:
        return None
    if len(polygons) == 1:
        return dict(polygons[0])
    return {"type": "MultiPolygon", "coordinates": [p["coordinates"] for p in polygons]}


def draw_polygon(
    key: str,
    outlines: list[tuple[str, dict]],
    bounds: tuple[float, float, float, float],
    *,
    initial: dict | None = None,
    height: int = 480,
    lang: str = "sv",
    tiles: str | None = None,
) -> dict | None:
    """Show the map and return the area drawn on it (GeoJSON geometry, WGS84) or None.

    ``outlines``: (name, GeoJSON geometry in WGS84) of each district, drawn with its name;
    ``bounds``: (lon0, lat0, lon1, lat1) the map opens on; ``initial``: a Polygon or
    MultiPolygon shown (and editable) at first, returned until the user changes it;
    ``tiles``: an XYZ raster template (e.g. :func:`tile_url`), or None for outlines only.
    The map keeps its state across reruns while the arguments stay the same.
    """
    m = build_map(outlines, bounds, initial=initial, lang=lang, tiles=tiles)
    value = st_folium(
        m,
        key=key,
        height=height,
        returned_objects=["last_active_drawing", "all_drawings"],
        use_container_width=True,
    )
    return drawn_geometry(value, initial)
