"""Fitting a map view to bounds (pax_geo.ui.deck.view_for_bounds), checked against an
independent projection: pyproj's Web Mercator (EPSG:3857) and deck.gl's 512 px world."""

from __future__ import annotations

import math

import pytest
from pyproj import Transformer

from pax_geo.ui.deck import view_for_bounds

TO_3857 = Transformer.from_crs(4326, 3857, always_xy=True)
EQUATOR_M = 2 * math.pi * 6378137.0


def pixels(lon0, lat0, lon1, lat1, zoom) -> tuple[float, float]:
    x0, y0 = TO_3857.transform(lon0, lat0)
    x1, y1 = TO_3857.transform(lon1, lat1)
    scale = 512 * 2**zoom / EQUATOR_M  # px per metre of Web Mercator at this zoom
    return (x1 - x0) * scale, (y1 - y0) * scale


CASES = {
    # Södertälje's districts are of both shapes; at 59° N a tall one was cut off before
    "tall district": (17.60, 59.17, 17.615, 59.20),
    "wide district": (17.55, 59.19, 17.62, 59.205),
    "municipality": (17.35, 58.98, 17.85, 59.32),
    "one block": (17.6250, 59.1950, 17.6262, 59.1956),
    "square at the equator": (10.0, -0.5, 11.0, 0.5),
}


@pytest.mark.parametrize("bounds", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("size", [(520, 620), (700, 340), (1000, 560), (350, 400)])
def test_the_bounds_fit_whole_and_tightly(bounds, size):
    width, height = size
    view = view_for_bounds(*bounds, width=width, height=height, margin=0.1)
    w, h = pixels(*bounds, view.zoom)
    if 3.0 < view.zoom < 15.0:
        assert w <= 0.8 * width + 0.5 and h <= 0.8 * height + 0.5, (w, h, view.zoom)
        # tight: one of the two sides fills its 80 %
        assert max(w / (0.8 * width), h / (0.8 * height)) == pytest.approx(1.0, abs=0.01)
    else:  # clamped: a single block is shown at zoom 15, smaller than the map
        assert view.zoom == 15.0 and w <= 0.8 * width and h <= 0.8 * height
    # centred: the view's centre is the middle of the projected bounds
    cx, cy = TO_3857.transform(view.longitude, view.latitude)
    x0, y0 = TO_3857.transform(bounds[0], bounds[1])
    x1, y1 = TO_3857.transform(bounds[2], bounds[3])
    assert cx == pytest.approx((x0 + x1) / 2, abs=0.5) and cy == pytest.approx(
        (y0 + y1) / 2, abs=0.5
    )


def test_a_tall_district_is_not_cut_off_on_a_tablet():
    """The old fit took a degree of latitude for one of longitude: zoom 13.56 here, which left
    a third of this district above and below the tablet's map."""
    bounds = CASES["tall district"]
    view = view_for_bounds(*bounds, width=520, height=620)
    assert view.zoom < 13.3
    _, h = pixels(*bounds, view.zoom)
    assert h <= 620
