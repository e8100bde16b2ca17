"""District labels and the opening view of the Här och nu map in Chromium: the map opens on the
account's own area (a field worker's Ronna) and keeps the municipality view for accounts without
one; the drawn label layer carries deck.gl's collision filter (larger areas win, a label hidden
when its anchor falls in a higher one's box grown by half the widest label). The filter's result is computed on the GPU
and not readable from JavaScript, so what it leaves is judged on the screenshots at zoom 9 to 13,
820 and 1440 px wide (artifacts/labels-*.png)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from pax_geo.ui.deck import VIEW_POINTS
from tests.browser_support import ARTIFACTS, login, open_page, settled_image
from tests.deck_support import FIND_DECK, deck_layers

pytestmark = pytest.mark.browser

VIEW = (
    "() => { const d = ("
    + FIND_DECK
    + """)();
  const v = d.getViewports()[0];
  const l = d.layerManager.getLayers().find((x) => x.id === 'area_labels');
  return {lon: v.longitude, lat: v.latitude, zoom: v.zoom,
          ext: (l.props.extensions || []).map((e) => e.constructor.extensionName),
          collision: l.props.collisionEnabled, bg: l.props.background,
          test: l.props.collisionTestProps || {},
          n: l.props.data.length, pr: l.props.data.map((r) => r.pr),
          longest: Math.max(...l.props.data.map((r) => r.s.length))};
}"""
)
#: Where the corners [lon, lat] fall on the drawn map, and the map's size in px.
PROJECT = (
    "(corners) => { const d = ("
    + FIND_DECK
    + """)();
  const v = d.getViewports()[0];
  return {xy: corners.map((c) => v.project(c)), w: v.width, h: v.height};
}"""
)
ZOOM = (
    "([lon, lat, z]) => { const d = ("
    + FIND_DECK
    + """)();
  d.setProps({viewState: {longitude: lon, latitude: lat, zoom: z, pitch: 0, bearing: 0}});
  return true; }"""
)


def bounds(owner_engine, name: str) -> tuple[float, float, float, float]:
    with owner_engine.connect() as c:
        row = c.execute(
            text(
                "select st_xmin(b), st_ymin(b), st_xmax(b), st_ymax(b) from (select "
                "st_extent(st_transform(geom, 4326))::box2d as b from pax_data.area "
                "where kind = 'district' and name = :n) s"
            ),
            {"n": name},
        ).one()
    return tuple(float(v) for v in row)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("role", "width"), [("field_worker", 820), ("police_analyst", 1440)], ids=["820", "1440"]
)
def test_opening_view_and_label_collisions(browser, app_url, owner_engine, role, width):
    ctx = browser.new_context(
        viewport={"width": width, "height": 1100}, locale="sv-SE", timezone_id="Europe/Stockholm"
    )
    pg = ctx.new_page()
    try:
        login(pg, app_url, role)
        if role == "field_worker":  # lands on Mitt område
            open_page(pg, "Här och nu")
        deck_layers(pg, lambda layers: any(x["id"] == "area_labels" for x in layers))
        v = pg.evaluate(VIEW)
        assert v["ext"] == ["CollisionFilterExtension"] and v["collision"] is True
        # in the collision pass a label is its solid box grown by half the widest label and
        # a line: another label's anchor inside it means the two would touch
        assert v["bg"] is True and v["test"]["sizeScale"] == 1
        left, top, right, bottom = v["test"]["padding"]
        assert left == right >= v["longest"] * 12 * 0.6 / 2 and top == bottom >= 12
        assert len(set(v["pr"])) == v["n"], "equal priorities would hide neither label"
        if role == "field_worker":  # the demo account's area is Ronna
            x0, y0, x1, y1 = bounds(owner_engine, "Ronna")
            assert x0 <= v["lon"] <= x1 and y0 <= v["lat"] <= y1, v
            assert v["zoom"] > VIEW_POINTS.zoom
            # the whole area is on the tablet's map, with room around it
            p = pg.evaluate(PROJECT, [[x0, y0], [x1, y1]])
            xs, ys = [c[0] for c in p["xy"]], [c[1] for c in p["xy"]]
            assert min(xs) >= 0 and max(xs) <= p["w"] and min(ys) >= 0 and max(ys) <= p["h"], p
        else:
            assert abs(v["lon"] - VIEW_POINTS.longitude) < 1e-6
            assert abs(v["zoom"] - VIEW_POINTS.zoom) < 1e-6
        chart = pg.locator('[data-testid="stDeckGlJsonChart"]').first
        for z in (9, 10, 11, 12, 13):  # for a person to look at (artifacts/)
            pg.evaluate(ZOOM, [17.60, 59.18, z])
            settled_image(chart).save(ARTIFACTS / f"labels-{width}-z{z}.png")
    finally:
        ctx.close()
