"""The draw map alone (no database), for tests/ui/test_drawmap_browser.py: two square districts
around Södertälje (with ``?initial=1`` also a first area, with ``?many=1`` 24 small ones
instead); writes what comes back (type,
vertex count, geodesic area in m², extent)."""

from __future__ import annotations

import streamlit as st
from pyproj import Geod
from shapely.geometry import shape

from pax_geo.ui.drawmap import draw_polygon, tile_url


def square(lon0: float, lat0: float, lon1: float, lat1: float) -> dict:
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


OUTLINES = [
    ("Centrum", square(17.56, 59.18, 17.62, 59.21)),
    ("Östertälje", square(17.62, 59.18, 17.68, 59.21)),
]
if st.query_params.get("many"):  # ?many=1: 24 small districts with long names, close together
    OUTLINES = [
        (
            f"Stadsdel nummer {i * 6 + j + 1}",
            square(17.56 + j * 0.02, 59.18 + i * 0.01, 17.58 + j * 0.02, 59.19 + i * 0.01),
        )
        for i in range(4)
        for j in range(6)
    ]

# ?initial=1: start from an area (a square over the two districts' border)
initial = square(17.60, 59.19, 17.64, 59.20) if st.query_params.get("initial") else None

st.title("Rita målområde")
geom = draw_polygon(
    "target", OUTLINES, (17.54, 59.17, 17.70, 59.22), initial=initial, tiles=tile_url()
)
if geom is None:
    st.write("drawn: none")
else:
    ring = geom["coordinates"][0]
    area = abs(Geod(ellps="WGS84").geometry_area_perimeter(shape(geom))[0])
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    st.write(
        f"drawn: {geom['type']} vertices={len(ring) - 1} area_m2={area:.0f} "
        f"bbox={min(lons):.6f},{min(lats):.6f},{max(lons):.6f},{max(lats):.6f}"
    )
