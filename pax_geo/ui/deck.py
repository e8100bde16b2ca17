"""pydeck layers for the Här och nu map, from :class:`pax_geo.mapdata.MapData`.

Kept free of Streamlit imports so that the benchmark can serialise exactly what a page sends.
"""

from __future__ import annotations

import math

import pydeck as pdk

from pax_geo.basemap import STYLE_PATH
from pax_geo.config import settings
from pax_geo.layers import load_layers
from pax_geo.mapdata import MapData

#: pydeck turns plain strings into accessor expressions; literal strings need this.
_S = pdk.types.String

#: Layer ids used for selection events (Streamlit returns them in selection["objects"]).
AREA_LAYER = "areas"
CONTEXT_LAYERS = ("camera", "night_walk_route", "operation")

VIEW_POINTS = pdk.ViewState(latitude=59.196, longitude=17.612, zoom=11.6, pitch=0)
VIEW_AREAS = pdk.ViewState(latitude=59.16, longitude=17.58, zoom=10.2, pitch=0)


def incident_layer_id(kind: str, mode: str = "points") -> str:
    """The deck id of an incident layer. The mode is part of it: deck.gl matches layers across
    updates by id and hands the old layer's attribute state to the new one, so a
    ScatterplotLayer replaced by a ColumnLayer or HeatmapLayer under the same id fails with
    ``accessor "getRadius" is not a function`` and draws nothing."""
    return f"inc_{kind}" if mode == "points" else f"inc_{kind}_{mode}"


def _alpha_expr(max_n: int, lo: int = 70) -> str:
    """Alpha that grows with the row's count n (deck.gl JSON expressions allow no calls)."""
    m = max(1, max_n)
    return f"n >= {m} ? 235 : {lo} + {235 - lo} * n / {m}"


def _choropleth_expr(max_n: int) -> str:
    """Light to dark orange by count; areas with nothing stay almost clear."""
    m = max(1, max_n)
    return (
        f"n == 0 ? [255, 255, 255, 20] : [250 - 60 * n / {m}, 200 - 130 * n / {m}, "
        f"120 - 100 * n / {m}, 80 + 110 * n / {m}]"
    )


def build_deck(
    data: MapData,
    visible: set[str],
    kind_labels: dict[str, str],
    basemap: str = "none",
    height: int = 640,
    overlay: list[pdk.Layer] | None = None,
    focus_area: int | None = None,
) -> pdk.Deck:
    """The Här och nu deck. ``overlay`` (analysis results) is drawn above the areas and under
    the incidents; ``focus_area`` (the account's own area) sets the opening view."""
    specs = load_layers()
    layers: list[pdk.Layer] = []

    # Areas: always drawn from the database, so the map needs no tile server.
    area_rows = []
    for d in data.districts:
        for ring in d["poly"]:
            area_rows.append({"id": d["id"], "poly": ring, "n": d["n"], "t": d["name"]})
    max_area = max([d["n"] for d in data.districts] or [1])
    area_counts_shown = any(d["label"] for d in data.districts)
    layers.append(
        polygon_layer(
            AREA_LAYER,
            area_rows,
            fill=_choropleth_expr(max_area) if area_counts_shown else [255, 255, 255, 12],
            line=[70, 70, 70, 200],
            pickable=True,
            highlight_color=[11, 83, 148, 60],
            visible="area" in visible,
        )
    )
    outline_rows = [{"poly": ring} for area in data.outline for ring in area]
    layers.append(
        polygon_layer("outline", outline_rows, fill=None, line=[60, 60, 60, 200], line_px=1.5)
    )
    layers.extend(overlay or [])
    if data.coverage is not None and "camera" in visible:
        color = specs["camera"].color
        layers.append(
            polygon_layer("camera_coverage", data.coverage, fill=color + [60], line=color + [160])
        )
    if data.operations is not None and "operation" in visible:
        color = specs["operation"].color
        layers.append(
            polygon_layer(
                "operation",
                data.operations,
                fill=color + [35],
                line=color + [220],
                line_px=2,
                pickable=True,
            )
        )
    if "night_walk_route" in visible:
        layers.append(
            pdk.Layer(
                "PathLayer",
                id="night_walk_route",
                data=data.routes,
                get_path="path",
                get_color=specs["night_walk_route"].color + [230],
                width_units=_S("meters"),
                get_width=14,
                width_min_pixels=3,
                cap_rounded=True,
                joint_rounded=True,
                pickable=True,
            )
        )

    for kind, layer in data.incidents.items():
        if kind not in visible:
            continue
        color = specs[kind].color
        max_n = max([_row_count(r) for r in layer.rows] or [1])
        lid = incident_layer_id(kind, layer.mode)
        if layer.mode == "points":
            layers.append(
                pdk.Layer(
                    "ScatterplotLayer",
                    id=lid,
                    data=_with_ids(layer.rows, layer.ids),
                    get_position="p",
                    get_fill_color=color + [230],
                    get_line_color=[255, 255, 255, 255],
                    stroked=True,
                    line_width_min_pixels=1,
                    radius_units=_S("meters"),
                    get_radius=specs[kind].style.radius_m,
                    radius_min_pixels=4,
                    radius_max_pixels=14,
                    pickable=True,
                    auto_highlight=True,
                )
            )
        elif layer.mode == "hex":
            layers.append(
                _cells(
                    lid,
                    layer.rows,
                    kind_labels.get(kind, kind),
                    color,
                    max_n,
                    sides=6,
                    angle=0,
                    radius=data.hex_size_m * 0.97,
                )
            )
        elif layer.mode == "heat":
            layers.append(
                pdk.Layer(
                    "HeatmapLayer",
                    id=lid,
                    data=[{"p": [r[0], r[1]], "n": r[2]} for r in layer.rows],
                    get_position="p",
                    get_weight="n",
                    radius_pixels=35,
                    color_range=_ramp(color),
                )
            )
        elif layer.mode == "grid":
            # The database's cells arrive as centres; squares of the grid size are drawn here.
            layers.append(
                _cells(
                    lid,
                    layer.rows,
                    kind_labels.get(kind, kind),
                    color,
                    max_n,
                    sides=4,
                    angle=45,
                    radius=settings().grid_m / math.sqrt(2) * 0.98,
                    min_alpha=90,
                )
            )

    if data.cameras is not None and "camera" in visible:
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                id="camera",
                data=data.cameras,
                get_position="p",
                get_fill_color=specs["camera"].color + [255],
                get_line_color=[255, 255, 255, 255],
                stroked=True,
                radius_units=_S("meters"),
                get_radius=10,
                radius_min_pixels=3,
                pickable=True,
            )
        )

    # Labels never overlap: deck.gl's collision filter draws, at every zoom, a label only where
    # no label of higher priority covers its anchor in the collision pass. Priorities are
    # distinct (larger areas first; equal priorities would hide neither). In that pass each
    # label is a solid box (its background) padded by half the widest label and a line: more
    # than the Minkowski sum of the two boxes, so an anchor outside it means the two labels do
    # not touch, whatever their lengths. (Scaling the glyphs instead left the gaps between letters
    # and words open: an anchor in a gap kept two labels on top of each other.) The background
    # is all but transparent in the drawn map: it exists only for the collision pass.
    ranked = sorted(data.districts, key=_label_area, reverse=True)
    priority = {d["id"]: 1000 - 1900 * i // max(len(ranked), 1) for i, d in enumerate(ranked)}
    labels = [
        {"c": d["c"], "s": f"{d['name']} {d['label']}".strip(), "pr": priority[d["id"]]}
        for d in data.districts
    ]
    pad_x, pad_y = label_padding(max((len(x["s"]) for x in labels), default=0))
    layers.append(
        pdk.Layer(
            "TextLayer",
            id="area_labels",
            data=labels,
            extensions=[{"@@type": "CollisionFilterExtension"}],
            collision_enabled=True,
            get_collision_priority="pr",
            collision_test_props={"sizeScale": 1, "padding": [pad_x, pad_y, pad_x, pad_y]},
            background=True,
            get_background_color=[255, 255, 255, 1],
            get_position="c",
            get_text="s",
            get_size=LABEL_PX,
            line_height=1.0,
            size_units=_S("pixels"),
            get_color=[30, 30, 30, 255],
            outline_width=3,
            outline_color=[255, 255, 255, 230],
            font_settings={"sdf": True},
            character_set=_S("auto"),
            font_family=_S("'Source Sans Pro', 'DejaVu Sans', Arial, sans-serif"),
            font_weight=600,
            visible="area" in visible,
        )
    )

    points_like = any(layer.mode != "area" for layer in data.incidents.values())
    view = VIEW_POINTS if points_like else VIEW_AREAS
    home = next((d for d in data.districts if d["id"] == focus_area), None)
    if home is not None and home["poly"]:
        pts = [p for ring in home["poly"] for p in ring]
        lons, lats = [p[0] for p in pts], [p[1] for p in pts]
        # fitted to the map column of Här och nu at its narrowest (a tablet, menu open)
        view = view_for_bounds(
            min(lons), min(lats), max(lons), max(lats), width=HAR_MAP_WIDTH_PX, height=height
        )
    return make_deck(layers, view, {"text": "{t}"}, basemap, height)


#: The district labels' font size (px) and the widest a character of it draws (em), generous
#: for bold capitals and Swedish letters in any of the fonts named.
LABEL_PX = 12
LABEL_EM_PER_CHAR = 0.68


def label_padding(longest: int) -> tuple[int, int]:
    """The padding (px) of a label's box in the collision pass: half the widest label across
    and a few pixels to spare (the outline, rounding); a line and a third up and down, so that
    two labels one above the other keep most of a line between them (at half a line apart,
    read on the tablet's screenshots, two names read as one block)."""
    return math.ceil(longest * LABEL_PX * LABEL_EM_PER_CHAR / 2) + 4, LABEL_PX + 4


def _label_area(d: dict) -> float:
    """The area of a district's bounding box in degrees² (only the order matters)."""
    pts = [p for ring in d["poly"] for p in ring] or [[0.0, 0.0]]
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    return (max(lons) - min(lons)) * (max(lats) - min(lats))


def make_deck(
    layers: list[pdk.Layer],
    view: pdk.ViewState,
    tooltip: dict | bool,
    basemap: str = "",
    height: int = 560,
) -> pdk.Deck:
    """The one way a map is made: the layers over the street map. Every map's style is the
    app's own ``/basemap/style.json`` (pax_geo.basemap, from the settings): without it Streamlit
    would fetch CARTO's vector style itself, and a closed network would leave the map empty; with
    it the style always loads and only the tiles may fail, under outlines that still draw.
    ``basemap`` is kept for callers; the setting decides."""
    return pdk.Deck(
        layers=layers,
        initial_view_state=view,
        tooltip=tooltip,
        height=height,
        map_provider=None,
        map_style=STYLE_PATH,
    )


#: The width a view is fitted for by default: the main column of a tablet at 820 px, portrait.
FIT_WIDTH_PX = 700
#: Här och nu's map column (three quarters of the main column) at its narrowest: 350 px on a
#: tablet at 820 px with the menu open (measured in Chromium); on a desktop the area then
#: takes about half the map's width, with its surroundings around it.
HAR_MAP_WIDTH_PX = 340


def _mercator_y(lat: float) -> float:
    """Web Mercator's y of a latitude, in radians (0 at the equator)."""
    phi = math.radians(max(-85.0, min(85.0, lat)))
    return math.log(math.tan(math.pi / 4 + phi / 2))


def view_for_bounds(
    lon0: float,
    lat0: float,
    lon1: float,
    lat1: float,
    width: int = FIT_WIDTH_PX,
    height: int = 560,
    margin: float = 0.1,
) -> pdk.ViewState:
    """A view that shows WGS84 bounds whole on a map of ``width`` x ``height`` px, with
    ``margin`` of each side to spare, centred on them (zoom 3 to 15).

    deck.gl's world is 512 px wide at zoom 0 (Web Mercator): a span of longitude takes
    512·2^z·Δlon/360 px and a span of latitude 512·2^z·Δy/2π px, where y is the Mercator
    ordinate. At 59° N a degree of latitude is about twice as long on the map as one of
    longitude, so the two are fitted separately.
    """
    usable_w, usable_h = width * (1 - 2 * margin), height * (1 - 2 * margin)
    dlon = max(lon1 - lon0, 1e-4)
    dy = max(_mercator_y(lat1) - _mercator_y(lat0), 1e-6)
    zoom_w = math.log2(usable_w * 360 / (512 * dlon))
    zoom_h = math.log2(usable_h * 2 * math.pi / (512 * dy))
    zoom = max(3.0, min(15.0, zoom_w, zoom_h))
    y_mid = (_mercator_y(lat0) + _mercator_y(lat1)) / 2
    lat_mid = math.degrees(2 * math.atan(math.exp(y_mid)) - math.pi / 2)
    return pdk.ViewState(latitude=lat_mid, longitude=(lon0 + lon1) / 2, zoom=zoom)


def polygon_layer(
    layer_id: str, rows: list[dict], fill, line, line_px: float = 1, pickable=False, **kw
):
    """A PolygonLayer over rows with a "poly" ring (every map's polygons): fill is a colour,
    a row field name (e.g. "c") or None for outlines only."""
    return pdk.Layer(
        "PolygonLayer",
        id=layer_id,
        data=rows,
        get_polygon="poly",
        filled=fill is not None,
        stroked=True,
        get_fill_color=fill if fill is not None else [0, 0, 0, 0],
        get_line_color=line,
        line_width_min_pixels=line_px,
        pickable=pickable,
        auto_highlight=pickable,
        **kw,
    )


def _cells(layer_id, rows, label, color, max_n, sides, angle, radius, min_alpha=70):
    """Flat hexagons (sides=6) or squares (sides=4, angle=45) at cell centres, shaded by count."""
    data = [{"p": [r[0], r[1]], "n": r[2], "t": f"{r[2]} · {label}"} for r in rows]
    return pdk.Layer(
        "ColumnLayer",
        id=layer_id,
        data=data,
        get_position="p",
        disk_resolution=sides,
        angle=angle,
        radius=radius,
        extruded=False,
        get_fill_color=f"[{color[0]}, {color[1]}, {color[2]}, {_alpha_expr(max_n, min_alpha)}]",
        pickable=True,
        auto_highlight=True,
    )


def _with_ids(rows: list, ids: list[int]) -> list:
    """Point rows with their incident id ("i"), so a click names the record it was made on even
    if a rerun (the window moves with the clock) has shifted the rows in between."""
    if len(ids) != len(rows):
        return rows
    return [
        {**r, "i": int(i)} if isinstance(r, dict) else r for r, i in zip(rows, ids, strict=True)
    ]


def _row_count(row) -> int:
    if isinstance(row, dict):
        return int(row.get("n", 1))
    return int(row[2])


def _ramp(color: list[int]) -> list[list[int]]:
    r, g, b = color
    return [[r, g, b, int(40 + 215 * math.sqrt(i / 5))] for i in range(6)]
