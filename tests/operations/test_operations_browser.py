"""Insatser in Debian's Chromium, on the app served against the test database, with no internet
(every request that leaves 127.0.0.1/localhost is recorded and refused): a police analyst opens
"Planera insats", chooses "Rita själv", zooms in on Ronna and draws a polygon on the Leaflet map
inside the component's iframe, sees the target's profile, names the plan and saves it; then
opens "Insatser och åtgärder", evaluates an ended demo operation and sees the weekly chart drawn
and the sentences. The police plan at their desks (1440x900); the same session then narrows the
window to a tablet's 820 px, where the weekly charts must still fit their column. Screenshots:
artifacts/operations-{plan-drawn,plan-saved,evaluate}-desktop.png and
operations-evaluate-tablet.png. Drawing by touch at tablet size is tests/ui/test_drawmap_browser.py.

Anything that leaves the machine fails the test (the favicon too: app.py's page icon is an
emoji the browser draws itself).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import shapely
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from pyproj import Geod
from shapely.geometry import Polygon
from sqlalchemy import Engine, text

from pax_geo import i18n, queries
from pax_geo.auth import DEMO_ACCOUNTS
from pax_geo.wgs84 import geom_to_wgs84
from tests.browser_support import TABLET, login, open_page, shot, wait_idle

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
#: the polygon's corners around the target point, in map pixels (a quadrilateral, not a square)
CORNERS = [(-34, -26), (30, -30), (38, 28), (-28, 34)]
ZOOM = 13
#: true once the map has settled (no zoom animation) with every district's name on the map
MAP_SETTLED = """(n) => window.map && !map._animatingZoom
  && document.querySelectorAll('.leaflet-tooltip.pax-district').length === n
  && document.querySelectorAll('.leaflet-overlay-pane svg path').length >= n"""
#: what the weekly chart has drawn: line and point marks with a shape (Vega's SVG renderer), or,
#: on a canvas, the pixels that are not background
CHART_INK = """(el) => {
  const c = el.querySelector('canvas');
  if (c) {
    if (!c.width || !c.height) return {lines: 0, points: 0};
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0 && (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)) ink++;
    }
    return {lines: ink > 500 ? 3 : 0, points: ink > 500 ? 3 : 0};
  }
  const drawn = (sel) => [...el.querySelectorAll(sel)]
    .filter(p => (p.getAttribute('d') || '').length > 4).length;
  return {lines: drawn('svg .mark-line path'), points: drawn('svg .mark-symbol path')};
}"""
VISIBLE_CHARTS = "[...document.querySelectorAll('[data-testid=stVegaLiteChart]')]" + (
    ".filter(e => e.offsetParent)"
)
VISIBLE_CHART = VISIBLE_CHARTS + "[0]"
#: the chart's drawing against its own box and the window (left, right in CSS pixels)
CHART_BOX = f"""() => {{
  // the widest overshoot among the visible charts
  let worst = null;
  for (const e of {VISIBLE_CHARTS}) {{
    const r = e.getBoundingClientRect();
    const d = (e.querySelector('svg') || e.querySelector('canvas')).getBoundingClientRect();
    const over = Math.max(r.left - d.left, d.right - r.right);
    if (!worst || over > worst.over)
      worst = {{over, box: [r.left, r.right], drawing: [d.left, d.right]}};
  }}
  return {{box: worst.box, drawing: worst.drawing, window: innerWidth,
           scrolls: document.scrollingElement.scrollWidth > innerWidth + 1}};
}}"""


#: the fit that assert_charts_fit checks, as a predicate on CHART_BOX's result
CHART_FITS = """(f) => f.drawing[0] >= f.box[0] - 1 && f.drawing[1] <= f.box[1] + 1
  && f.drawing[1] <= f.window && !f.scrolls"""


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


@pytest.fixture
def clean(owner_engine: Engine, demo_loaded) -> Iterator[None]:
    """Remove what the test saved (the register's own entries)."""
    yield
    with owner_engine.begin() as c:
        c.execute(text("delete from pax_data.operation where source = 'register'"))


class Watch:
    """A browser context's requests (anything not for 127.0.0.1/localhost is recorded and
    refused) and its page's console errors."""

    def __init__(self, page) -> None:
        self.external: list[str] = []
        self.errors: list[str] = []
        page.context.route("**/*", self._route)
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def _route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            route.continue_()
            return
        self.external.append(url)
        route.abort("internetdisconnected")

    def _console(self, m) -> None:
        if m.type == "error":
            self.errors.append(m.text)

    def check(self) -> None:
        assert not self.errors, self.errors
        assert not self.external, f"requests that left the machine: {self.external}"


def target_point(owner: Engine, district: str) -> tuple[float, float]:
    """A point well inside a district, WGS84 (lon, lat)."""
    with owner.connect() as c:
        areas = queries.areas(c, ("district",))
    geom = areas.loc[areas["name"] == district].geometry.iloc[0]
    p = geom_to_wgs84(shapely.Point(geom.representative_point()))
    return p.x, p.y


def n_districts(owner: Engine) -> int:
    with owner.connect() as c:
        return len(queries.areas(c, ("district",)))


def map_frame(page, districts: int):
    """The Leaflet map in the component's iframe, drawn with every district's name."""
    iframe = page.locator('iframe[title="streamlit_folium.st_folium"]')
    iframe.wait_for(timeout=60_000)
    iframe.scroll_into_view_if_needed()
    frame = iframe.element_handle().content_frame()
    frame.wait_for_function(
        "() => window.map && window.L && L.Control && L.Control.Draw && window.drawnItems",
        timeout=60_000,
    )
    frame.wait_for_function(MAP_SETTLED, arg=districts, timeout=30_000)
    return frame


def lonlat(frame, x: float, y: float) -> tuple[float, float]:
    p = frame.evaluate("([x, y]) => map.containerPointToLatLng([x, y])", [x, y])
    return p["lng"], p["lat"]


def geodesic_km2(points: list[tuple[float, float]]) -> float:
    return abs(Geod(ellps="WGS84").geometry_area_perimeter(Polygon(points))[0]) / 1e6


def sv_number(s: str) -> float:
    return float(s.replace("\u202f", "").replace(",", "."))


def ended_demo_operation(owner: Engine) -> str:
    with owner.connect() as c:
        return str(
            c.execute(
                text(
                    "select name from pax_data.operation where source = 'demo' and is_police "
                    "and ends_at < now() - interval '2 days' order by ends_at desc limit 1"
                )
            ).scalar_one()
        )


def open_register(page) -> None:
    open_page(page, tr("page_insatser"))
    page.get_by_role("heading", name=tr("page_insatser")).wait_for()


def open_evaluation(page, op_name: str):
    """(On Insatser och åtgärder) Utvärdera -> the operation; waits for the weekly chart's
    marks. Returns the chart."""
    page.get_by_role("tab", name=tr("op_tab_evaluate")).click()
    wait_idle(page)
    page.get_by_role("combobox", name=tr("op_ev_pick")).click()
    page.get_by_role("option", name=re.compile("^" + re.escape(op_name + " · "))).click()
    wait_idle(page)
    box = page.get_by_role("combobox", name=tr("op_ev_pick"))
    assert box.input_value().startswith(op_name + " · ")
    chart = page.locator('[data-testid="stVegaLiteChart"]').filter(visible=True).first
    chart.wait_for(timeout=60_000)
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        # three charts (target, buffer, comparison), a line with its points in each
        f"() => {{ const els = {VISIBLE_CHARTS}; if (els.length < 3) return false;"
        f" return els.slice(0, 3).every(el => {{ const k = ({CHART_INK})(el);"
        f" return k.lines >= 1 && k.points >= 3; }}); }}",
        timeout=30_000,
    )
    return chart


def assert_charts_fit(page) -> None:
    """The widest visible weekly chart is drawn inside its own box and the window, and the page
    does not scroll sideways."""
    fit = page.evaluate(CHART_BOX)
    (b0, b1), (d0, d1) = fit["box"], fit["drawing"]
    assert d0 >= b0 - 1 and d1 <= b1 + 1, fit
    assert d1 <= fit["window"], fit
    assert not fit["scrolls"], f"the page scrolls sideways: {fit}"


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_plan_by_drawing_then_evaluate(page, app_url, owner_engine, clean) -> None:
    name = f"Ritad insats ({page.viewport_name}, test)"  # type: ignore[attr-defined]
    watch = Watch(page)
    districts = n_districts(owner_engine)
    lon, lat = target_point(owner_engine, "Ronna")

    login(page, app_url, "police_analyst")
    open_page(page, tr("page_planera"))
    page.get_by_role("heading", name=tr("page_planera")).wait_for()
    page.locator('[data-testid="stButtonGroup"] button').filter(
        has_text=tr("op_target_polygon")
    ).first.click()
    wait_idle(page)
    page.get_by_text(tr("op_plan_none")).wait_for(timeout=30_000)
    assert page.get_by_text(tr("op_plan_draw")).is_visible()

    # the map: every district's outline and name; the analyst zooms in on Ronna
    frame = map_frame(page, districts)
    assert frame.locator(".leaflet-tooltip.pax-district").count() == districts
    frame.evaluate(
        f"([lat, lon]) => map.setView([lat, lon], {ZOOM}, {{animate: false}})", [lat, lon]
    )
    frame.wait_for_function(f"() => !map._animatingZoom && map.getZoom() === {ZOOM}")
    wait_idle(page)
    cx, cy = frame.evaluate(
        "([lat, lon]) => { const p = map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )

    # draw: the polygon tool, four corners around the point, closed on the first
    frame.locator("a.leaflet-draw-draw-polygon").click()
    container = frame.locator(".leaflet-container")
    points = [(round(cx + dx), round(cy + dy)) for dx, dy in CORNERS]
    for x, y in [*points, points[0]]:
        container.click(position={"x": x, "y": y})
        page.wait_for_timeout(150)  # pacing between clicks, as a hand would
    clicked = [lonlat(frame, x, y) for x, y in points]
    expected_km2 = geodesic_km2(clicked)

    # the drawn area and the target's profile
    drawn = page.get_by_text(re.compile(r"^Ritat område: [\d\u202f,]+ km²\.$"))
    drawn.wait_for(timeout=60_000)
    wait_idle(page)
    km2 = sv_number(re.search(r"([\d\u202f,]+) km²", drawn.inner_text()).group(1))
    assert km2 == pytest.approx(expected_km2, abs=0.01), (km2, expected_km2)
    heading = page.get_by_role("heading", name=re.compile(r"^Målet: [\d\u202f,]+ km²"))
    heading.wait_for(timeout=60_000)
    for part in ("op_plan_counts", "op_plan_routes", "op_plan_earlier"):
        assert page.get_by_text(tr(part)).is_visible(), part
    assert frame.evaluate("() => drawnItems.getLayers().length") == 1
    frame.locator(".leaflet-container").scroll_into_view_if_needed()
    shot(page, "operations-plan-drawn")

    # name the plan and save it
    form = page.locator('[data-testid="stForm"]')
    form.get_by_label(tr("op_form_name")).fill(name)
    form.get_by_role("button", name=tr("op_plan_save")).click()
    wait_idle(page)
    saved = page.get_by_text(tr("op_saved", name=name))
    saved.wait_for(timeout=30_000)
    saved.scroll_into_view_if_needed()
    assert saved.is_visible()
    # the form starts empty for the next plan
    assert (
        page.locator('[data-testid="stForm"]').get_by_label(tr("op_form_name")).input_value() == ""
    )
    shot(page, "operations-plan-saved")
    with owner_engine.connect() as c:
        rows = c.execute(
            text(
                "select target_kind, is_police, status, created_by, st_area(geom) / 1e6 as km2 "
                "from pax_data.operation where name = :n"
            ),
            {"n": name},
        ).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.target_kind, row.is_police, row.status) == ("polygon", True, "planned")
    assert row.created_by == DEMO_ACCOUNTS["police_analyst"]
    assert row.km2 == pytest.approx(expected_km2, rel=0.01)

    # the register lists the new plan; evaluate an ended demo operation
    open_register(page)
    grid = page.locator('[data-testid="stDataFrame"]').filter(visible=True).first
    # the table is drawn on a canvas; its accessible grid (off screen) holds the cells' text
    grid.locator("[role=gridcell]").filter(has_text=name).first.wait_for(
        state="attached", timeout=30_000
    )
    chart = open_evaluation(page, ended_demo_operation(owner_engine))
    cbox = chart.bounding_box()
    assert cbox and cbox["width"] > 300 and cbox["height"] >= 100, cbox  # one of three
    sentences = page.get_by_text(re.compile(r"^Insatsområdet hade \d+ händelser under \d+ dygn"))
    assert sentences.is_visible()
    assert page.get_by_text(re.compile(r"^Före: \d{4}-\d\d-\d\d–")).is_visible()
    assert page.locator('[data-testid="stMetric"]').filter(visible=True).count() == 3
    assert page.get_by_role("button", name=tr("op_ev_save")).is_visible()
    shot(page, "operations-evaluate")
    assert_charts_fit(page)

    # the same evaluation in a window narrowed to a tablet's width
    page.set_viewport_size(TABLET)
    page.viewport_name = "tablet"  # type: ignore[attr-defined]
    with contextlib.suppress(PlaywrightTimeout):  # Vega redraws at the new width
        page.wait_for_function(f"() => ({CHART_FITS})(({CHART_BOX})())", timeout=15_000)
    shot(page, "operations-evaluate")
    assert_charts_fit(page)
    watch.check()
