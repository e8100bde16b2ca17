"""pydeck layers (WGS84) for the analysis results, for the Hotspots page and as analysis modes of
the Här och nu map. No Streamlit here: each builder takes a result object from
:mod:`pax_geo.analysis` and returns a :class:`LayerBundle` (layers + legend + a view).

Usage::

    bundle = gi_layers(hot_spots_result, lang="sv")
    deck = make_deck(bundle, basemap="none")          # or add bundle.layers to your own deck
    legend = bundle.legend                             # [(label, [r, g, b, a]), ...]
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from shapely.geometry.base import BaseGeometry

from pax_geo import i18n
from pax_geo.analysis.coverage import CoverageGaps
from pax_geo.analysis.density import Density
from pax_geo.analysis.emerging import Emerging
from pax_geo.analysis.service import HotSpots, NearRepeat
from pax_geo.layers import load_layers
from pax_geo.ui import deck
from pax_geo.wgs84 import geoms_to_wgs84, rings

#: Gi* classes: level -> colour (ColorBrewer RdBu, colour-blind safe).
GI_COLOURS: dict[int, list[int]] = {
    3: [178, 24, 43, 210],
    2: [239, 138, 98, 200],
    1: [253, 219, 199, 190],
    -1: [209, 229, 240, 190],
    -2: [103, 169, 207, 200],
    -3: [33, 102, 172, 210],
}
EMERGING_COLOURS: dict[str, list[int]] = {
    "new_hot": [255, 247, 160, 220],
    "consecutive_hot": [254, 178, 76, 220],
    "intensifying_hot": [189, 0, 38, 230],
    "persistent_hot": [240, 59, 32, 220],
    "diminishing_hot": [253, 141, 60, 200],
    "sporadic_hot": [254, 217, 118, 200],
    "oscillating_hot": [204, 76, 2, 200],
    "historical_hot": [153, 112, 171, 200],
    "new_cold": [222, 235, 247, 220],
    "consecutive_cold": [158, 202, 225, 220],
    "intensifying_cold": [8, 81, 156, 230],
    "persistent_cold": [49, 130, 189, 220],
    "diminishing_cold": [107, 174, 214, 200],
    "sporadic_cold": [198, 219, 239, 200],
    "oscillating_cold": [66, 146, 198, 200],
    "historical_cold": [116, 169, 207, 200],
}
RISK_COLOUR = [213, 94, 0, 90]
RISK_EVENT_COLOUR = [213, 94, 0, 255]
GAP_CAMERA_COLOUR = [204, 121, 167, 200]
GAP_WALK_COLOUR = [230, 159, 0, 200]
GAP_BOTH_COLOUR = [178, 24, 43, 220]
#: Cameras and routes in the layer specs' colours (layers/*.toml), not re-typed here.
CAMERA_COLOUR = [*load_layers()["camera"].color, load_layers()["camera"].style.fill_alpha]
ROUTE_COLOUR = [*load_layers()["night_walk_route"].color, 230]
HOT_OUTLINE = [60, 60, 60, 200]

DEFAULT_VIEW = pdk.ViewState(latitude=59.196, longitude=17.612, zoom=11.6, pitch=0)


@dataclass
class LayerBundle:
    layers: list[pdk.Layer]
    legend: list[tuple[str, list[int]]] = field(default_factory=list)
    view: pdk.ViewState = field(default_factory=lambda: DEFAULT_VIEW)
    tooltip: dict = field(default_factory=lambda: {"text": "{t}"})


def _t(key: str, lang: str, **fmt) -> str:
    return i18n.t(key, lang, **fmt)


def _view_for(geoms_wgs84: np.ndarray) -> pdk.ViewState:
    if len(geoms_wgs84) == 0:
        return DEFAULT_VIEW
    minx, miny, maxx, maxy = shapely.total_bounds(geoms_wgs84)
    span = max(maxx - minx, (maxy - miny) * 2, 0.08)  # at least ~4.5 km across
    zoom = float(np.clip(np.log2(360 / span) - 0.2, 9, 14))
    return pdk.ViewState(
        latitude=(miny + maxy) / 2, longitude=(minx + maxx) / 2, zoom=zoom, pitch=0
    )


def _polygon_layer(layer_id: str, rows: list[dict], **kw) -> pdk.Layer:
    """An analysis polygon layer: each row's colour "c", a thin grey outline, pickable."""
    return deck.polygon_layer(
        layer_id,
        rows,
        fill="c",
        line=kw.pop("get_line_color", [40, 40, 40, 120]),
        line_px=kw.pop("line_width_min_pixels", 0.5),
        pickable=True,
        **kw,
    )


def area_layer(areas: pd.DataFrame | None) -> list[pdk.Layer]:
    """Area outlines (districts) from a GeoDataFrame in EPSG:3006, for orientation."""
    if areas is None or len(areas) == 0:
        return []
    geoms = geoms_to_wgs84(np.asarray(areas.geometry))
    rows = []
    for name, g in zip(areas["name"], geoms, strict=True):
        for ring in rings(g, 6):
            rows.append({"poly": ring, "t": str(name)})
    return [
        pdk.Layer(
            "PolygonLayer",
            id="analysis_areas",
            data=rows,
            get_polygon="poly",
            filled=True,
            get_fill_color=[255, 255, 255, 8],
            stroked=True,
            get_line_color=[90, 90, 90, 170],
            line_width_min_pixels=1,
            pickable=False,
        )
    ]


def hex_count_layers(hs: HotSpots, lang: str = "sv") -> LayerBundle:
    """Incidents per hexagon (cells with at least one incident)."""
    occupied = np.flatnonzero(hs.values > 0)
    polys = geoms_to_wgs84(hs.lattice.polygons()[occupied])
    vmax = float(hs.values.max()) if len(hs.values) else 1.0
    rows = []
    for k, poly in zip(occupied, polys, strict=True):
        v = float(hs.values[k])
        a = np.sqrt(v / vmax) if vmax else 0
        rows.append(
            {
                "poly": rings(poly, 6)[0],
                "c": [int(255 - 40 * a), int(220 - 170 * a), int(120 - 110 * a), int(70 + 170 * a)],
                "t": _t("an_tip_hex", lang, n=int(v)),
            }
        )
    legend = [
        (_t("an_legend_few", lang), [255, 210, 110, 110]),
        (_t("an_legend_many", lang, n=int(vmax)), [215, 50, 10, 240]),
    ]
    return LayerBundle([_polygon_layer("analysis_hex", rows)], legend, _view_for(polys))


def gi_layers(hs: HotSpots, lang: str = "sv") -> LayerBundle:
    """Gi* hot and cold spots by confidence (only significant cells are drawn)."""
    sig = np.flatnonzero(hs.gi.level != 0)
    polys = geoms_to_wgs84(hs.lattice.polygons()[sig])
    rows = []
    for k, poly in zip(sig, polys, strict=True):
        lev = int(hs.gi.level[k])
        rows.append(
            {
                "poly": rings(poly, 6)[0],
                "c": GI_COLOURS[lev],
                "t": _t(
                    "an_tip_gi",
                    lang,
                    cls=_t(f"an_gi_level_{lev}", lang),
                    n=int(hs.values[k]),
                    z=f"{hs.gi.z[k]:.1f}",
                ),
            }
        )
    legend = [(_t(f"an_gi_level_{lev}", lang), GI_COLOURS[lev]) for lev in (3, 2, 1, -1, -2, -3)]
    view = (
        _view_for(polys)
        if len(polys)
        else _view_for(geoms_to_wgs84(hs.lattice.polygons()[hs.values > 0]))
    )
    return LayerBundle([_polygon_layer("analysis_gi", rows)], legend, view)


def _png_data_url(rgba: np.ndarray) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def density_layers(d: Density, lang: str = "sv", floor_share: float = 0.02) -> LayerBundle:
    """The density surface as an image (BitmapLayer): transparent where intensity is below
    ``floor_share`` of the maximum, then yellow -> red."""
    v = d.values
    vmax = float(v.max()) if v.size else 0.0
    if vmax <= 0:
        return LayerBundle([], [], DEFAULT_VIEW)
    s = np.sqrt(np.clip(v / vmax, 0, 1))  # perceptual: square root
    rgba = np.zeros((*v.shape, 4), dtype=np.uint8)
    rgba[..., 0] = 255
    rgba[..., 1] = (235 * (1 - s)).astype(np.uint8)
    rgba[..., 2] = (90 * (1 - s) ** 2).astype(np.uint8)
    # fade in from transparent (no hard edge), full colour from ~12 % of the maximum up
    rgba[..., 3] = np.where(v >= floor_share * vmax, 235 * np.clip(s / 0.35, 0, 1), 0).astype(
        np.uint8
    )
    # grid is (x, y) with y upwards; an image is (row = top -> bottom, column = left -> right)
    img = np.ascontiguousarray(np.flipud(np.transpose(rgba, (1, 0, 2))))
    minx, miny, maxx, maxy = d.bounds
    hx, hy = d.dx / 2, d.dy / 2
    corners = shapely.points(
        [minx - hx, minx - hx, maxx + hx, maxx + hx], [miny - hy, maxy + hy, maxy + hy, miny - hy]
    )
    c = geoms_to_wgs84(corners)
    bounds = [[float(p.x), float(p.y)] for p in c]  # bottom-left, top-left, top-right, bottom-right
    layer = pdk.Layer(
        "BitmapLayer",
        id="analysis_density",
        image=pdk.types.String(_png_data_url(img)),  # a plain string would be parsed as code
        bounds=bounds,
        opacity=0.85,
    )
    legend = [
        (_t("an_legend_density_low", lang), [255, 235, 90, 110]),
        (_t("an_legend_density_high", lang, v=f"{vmax:.0f}"), [255, 0, 0, 240]),
    ]
    hot = v >= 0.2 * vmax
    ii, jj = np.nonzero(hot)
    pts = shapely.points(d.x0 + ii * d.dx, d.y0 + jj * d.dy)
    return LayerBundle([layer], legend, _view_for(geoms_to_wgs84(pts)))


def emerging_layers(em: Emerging, lang: str = "sv") -> LayerBundle:
    """Emerging hot/cold spot categories (cells with a pattern)."""
    cat = em.category
    sel = np.flatnonzero(cat != "no_pattern")
    polys = geoms_to_wgs84(em.lattice.polygons()[sel])
    rows = []
    for k, poly in zip(sel, polys, strict=True):
        rows.append(
            {
                "poly": rings(poly, 6)[0],
                "c": EMERGING_COLOURS.get(str(cat[k]), [150, 150, 150, 150]),
                "t": _t(
                    "an_tip_emerging",
                    lang,
                    cat=_t(f"an_cat_{cat[k]}", lang),
                    n=int(em.counts[k].sum()),
                    hot=int((em.status[k] > 0).sum()),
                    steps=em.counts.shape[1],
                ),
            }
        )
    present = [c for c in EMERGING_COLOURS if c in set(cat[sel])]
    legend = [(_t(f"an_cat_{c}", lang), EMERGING_COLOURS[c]) for c in present]
    return LayerBundle([_polygon_layer("analysis_emerging", rows)], legend, _view_for(polys))


def risk_zone_layers(results: list[NearRepeat], lang: str = "sv") -> LayerBundle:
    """Near-repeat risk zones active now, with the events that started them."""
    zone_rows, event_rows = [], []
    geoms_all: list[BaseGeometry] = []
    for nr in results:
        if nr.zones is None or nr.zones.empty:
            continue
        geoms = geoms_to_wgs84(np.asarray(nr.zones["geometry"]))
        geoms_all.extend(geoms)
        kind = _t(f"kind_{nr.kind}", lang)
        for (_, z), g in zip(nr.zones.iterrows(), geoms, strict=True):
            until = pd.Timestamp(z["until"]).tz_convert("Europe/Stockholm")
            occurred = pd.Timestamp(z["occurred_at"]).tz_convert("Europe/Stockholm")
            tip = _t(
                "an_tip_zone",
                lang,
                kind=kind,
                when=occurred.strftime("%Y-%m-%d %H:%M"),
                until=until.strftime("%Y-%m-%d"),
                r=int(z["radius_m"]),
            )
            zone_rows.append({"poly": rings(g, 6)[0], "c": RISK_COLOUR, "t": tip})
            c = g.centroid
            event_rows.append({"p": [round(c.x, 6), round(c.y, 6)], "t": tip})
    layers = [
        _polygon_layer(
            "analysis_risk_zones",
            zone_rows,
            get_line_color=[213, 94, 0, 220],
            line_width_min_pixels=2,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            id="analysis_risk_events",
            data=event_rows,
            get_position="p",
            get_fill_color=RISK_EVENT_COLOUR,
            get_line_color=[255, 255, 255, 255],
            stroked=True,
            radius_units=pdk.types.String("meters"),
            get_radius=25,
            radius_min_pixels=4,
            pickable=True,
        ),
    ]
    legend = [
        (_t("an_legend_zone", lang), RISK_COLOUR),
        (_t("an_legend_zone_event", lang), RISK_EVENT_COLOUR),
    ]
    return LayerBundle(layers, legend, _view_for(np.asarray(geoms_all, dtype=object)))


def coverage_layers(
    gaps: CoverageGaps,
    cameras: pd.DataFrame | None = None,
    routes: pd.DataFrame | None = None,
    lang: str = "sv",
) -> LayerBundle:
    """Hot cells coloured by gap type, with camera coverage and night-walk routes for context."""
    layers: list[pdk.Layer] = []
    if cameras is not None and len(cameras):
        cams = (
            cameras[cameras["status"].fillna("active") == "active"]
            if "status" in cameras
            else cameras
        )
        cam_geoms = geoms_to_wgs84(
            np.asarray([g for g in cams.geometry if g is not None], dtype=object)
        )
        cover_rows = [{"poly": r, "t": ""} for g in cam_geoms for r in rings(g, 6)]
        layers.append(
            pdk.Layer(
                "PolygonLayer",
                id="analysis_camera_cover",
                data=cover_rows,
                get_polygon="poly",
                get_fill_color=CAMERA_COLOUR,
                get_line_color=[0, 158, 115, 180],
                line_width_min_pixels=1,
            )
        )
    if routes is not None and len(routes):
        paths = []
        for name, g in zip(
            routes["name"], geoms_to_wgs84(np.asarray(routes.geometry)), strict=True
        ):
            for part in getattr(g, "geoms", [g]):
                if part.geom_type == "LineString":
                    paths.append(
                        {"path": np.round(np.asarray(part.coords), 6).tolist(), "t": str(name)}
                    )
        layers.append(
            pdk.Layer(
                "PathLayer",
                id="analysis_routes",
                data=paths,
                get_path="path",
                get_color=ROUTE_COLOUR,
                width_units=pdk.types.String("meters"),
                get_width=14,
                width_min_pixels=3,
                pickable=True,
            )
        )
    cells = gaps.cells
    rows: list[dict[str, object]] = []
    polys = geoms_to_wgs84(np.asarray(cells["geometry"])) if len(cells) else np.array([])
    for (_, c), poly in zip(cells.iterrows(), polys, strict=True):
        cam_gap = bool(c["camera_gap"]) if gaps.cameras_known else False
        walk_gap = bool(c["walk_gap"])
        colour = (
            GAP_BOTH_COLOUR
            if cam_gap and walk_gap
            else GAP_CAMERA_COLOUR
            if cam_gap
            else GAP_WALK_COLOUR
            if walk_gap
            else [120, 120, 120, 90]
        )
        share = c["camera_incident_share"]
        rows.append(
            {
                "poly": rings(poly, 6)[0],
                "c": colour,
                "t": _t(
                    "an_tip_gap",
                    lang,
                    n=int(c["incidents"]),
                    cam="-" if pd.isna(share) else f"{share:.0%}",
                    walk=int(c["walk_hour_incidents"]),
                    far="-" if pd.isna(c["walk_far_share"]) else f"{c['walk_far_share']:.0%}",
                ),
            }
        )
    # the hot cells underneath, cameras and routes drawn over them
    layers.insert(
        0,
        _polygon_layer("analysis_gaps", rows, get_line_color=HOT_OUTLINE, line_width_min_pixels=1),
    )
    legend = []
    if gaps.cameras_known:
        legend.append((_t("an_legend_gap_camera", lang), GAP_CAMERA_COLOUR))
    legend.append(
        (_t("an_legend_gap_walk", lang, d=int(gaps.max_route_distance_m)), GAP_WALK_COLOUR)
    )
    if gaps.cameras_known:
        legend.append((_t("an_legend_gap_both", lang), GAP_BOTH_COLOUR))
        legend.append((_t("an_legend_camera", lang), [0, 158, 115, 160]))
    legend.append((_t("an_legend_hot_covered", lang), [120, 120, 120, 120]))
    legend.append((_t("an_legend_route", lang), ROUTE_COLOUR))
    return LayerBundle(layers, legend, _view_for(polys))


def make_deck(
    bundle: LayerBundle,
    areas: pd.DataFrame | None = None,
    basemap: str = "none",
    height: int = 560,
) -> pdk.Deck:
    """A deck with area outlines under the bundle's layers. ``basemap="none"`` draws no tiles
    (the area outlines still give orientation); anything else uses the light Carto basemap, as
    the Här och nu map does."""
    return deck.make_deck(
        area_layer(areas) + bundle.layers, bundle.view, bundle.tooltip, basemap, height
    )
