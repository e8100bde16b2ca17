"""Insatser in Debian's Chromium, on the app served against the test database, with no internet
(every request that leaves 127.0.0.1/localhost is recorded and refused): a police analyst opens
"Planera insats", chooses "Rita själv", draws a polygon on the Leaflet map inside the component's
iframe, sees the target's profile, names the plan and saves it; then opens "Insatser och
åtgärder", evaluates an ended demo operation and sees the weekly chart drawn and the sentences.
Desktop (1440x900) and tablet (820x1180); screenshots: artifacts/operations-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Polygon
from sqlalchemy import Engine, text

from pax_geo import i18n, queries
from pax_geo.wgs84 import geom_to_wgs84
from tests.browser_support import login, open_page, shot, wait_idle

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
#: the polygon's corners around the target point, in map pixels (a quadrilateral, not a square)
CORNERS = [(-34, -26), (30, -30), (38, 28), (-28, 34)]
#: true once the map has settled (no zoom animation) with every district's name on the map
MAP_SETTLED = """(n) => window.map && !map._animatingZoom
  && document.querySelectorAll('.leaflet-tooltip.pax-district').length === n
  && document.querySelectorAll('.leaflet-overlay-pane svg path').length >= n"""
#: what the weekly chart has drawn: canvas pixels that are not background, or SVG marks
CHART_INK = """(el) => {
  const c = el.querySelector('canvas');
  if (c) {
    if (!c.width || !c.height) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0 && (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)) ink++;
    }
    return ink;
  }
  return el.querySelectorAll('svg .mark-line path, svg .mark-symbol path').length;
}"""
#: the page overflows sideways (the window scrolls horizontally)
OVERFLOWS = "() => document.scrollingElement.scrollWidth > window.innerWidth + 1"


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


@pytest.fixture
def clean(owner_engine: Engine, demo_loaded) -> Iterator[None]:
    """Remove what the test saved (the register's own entries)."""
    yield
    with owner_engine.begin() as c:
        c.execute(text("delete from pax_data.operation where source = 'register'"))


class Network:
    """Every request of a browser context; anything not for 127.0.0.1/localhost is refused."""

    def __init__(self, ctx) -> None:
        self.external: list[str] = []
        ctx.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort("internetdisconnected")


def target_point(owner: Engine, district: str) -> tuple[float, float]:
    """A point well inside a district, WGS84 (lon, lat)."""
    with owner.connect() as c:
        areas = queries.areas(c, ("district",))
    geom = areas.loc[areas["name"] == district].geometry.iloc[0]
    p = geom_to_wgs84(shapely.Point(geom.representative_point()))
    return p.x, p.y


def map_frame(page, n_districts: int):
    iframe = page.locator('iframe[title="streamlit_folium.st_folium"]')
    iframe.wait_for(timeout=60_000)
    iframe.scroll_into_view_if_needed()
    frame = iframe.element_handle().content_frame()
    frame.wait_for_function(
        "() => window.map && window.L && L.Control && L.Control.Draw && window.drawnItems",
        timeout=60_000,
    )
    frame.wait_for_function(MAP_SETTLED, arg=n_districts, timeout=30_000)
    return frame


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


def test_plan_by_drawing_then_evaluate(page, app_url, owner_engine, clean) -> None:
    size = page.viewport_name  # type: ignore[attr-defined]
    name = f"Ritad insats ({size}, test)"
    net = Network(page.context)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    with owner_engine.connect() as c:
        n_districts = len(queries.areas(c, ("district",)))
    lon, lat = target_point(owner_engine, "Ronna")

    login(page, app_url, "police_analyst")
    open_page(page, tr("page_planera"))
    page.get_by_role("heading", name=tr("page_planera")).wait_for()
    page.locator('[data-testid="stButtonGroup"] button').filter(
        has_text=tr("op_target_polygon")
    ).first.click()
    wait_idle(page)
    page.get_by_text(tr("op_plan_none")).wait_for(timeout=30_000)

    # draw: the polygon tool, four corners around a point in Ronna, closed on the first
    frame = map_frame(page, n_districts)
    assert frame.locator(".leaflet-tooltip.pax-district").count() == n_districts
    cx, cy = frame.evaluate(
        "([lat, lon]) => { const p = map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )
    frame.locator("a.leaflet-draw-draw-polygon").click()
    container = frame.locator(".leaflet-container")
    points = [(round(cx + dx), round(cy + dy)) for dx, dy in CORNERS]
    for x, y in [*points, points[0]]:
        container.click(position={"x": x, "y": y})
        page.wait_for_timeout(150)
    clicked = [
        tuple(
            frame.evaluate(
                "([x, y]) => { const p = map.containerPointToLatLng([x, y]);"
                " return [p.lng, p.lat]; }",
                [x, y],
            )
        )
        for x, y in points
    ]

    # the profile of the drawn target
    drawn = page.get_by_text(re.compile(r"^Ritat område: ([\d\u202f,]+) km²\.$"))
    drawn.wait_for(timeout=60_000)
    wait_idle(page)
    km2 = sv_number(re.search(r"([\d\u202f,]+) km²", drawn.inner_text()).group(1))
    assert km2 == pytest.approx(geodesic_km2(clicked), rel=0.02, abs=0.01)
    profile = page.get_by_role("heading", name=re.compile(r"^Målet: [\d\u202f,]+ km²"))
    profile.wait_for(timeout=60_000)
    assert page.get_by_text(tr("op_plan_counts")).is_visible()
    assert frame.evaluate("() => drawnItems.getLayers().length") == 1
    shot(page, "operations-plan-drawn")

    # name the plan and save it
    form = page.locator('[data-testid="stForm"]')
    form.get_by_label(tr("op_form_name")).fill(name)
    form.get_by_role("button", name=tr("op_plan_save")).click()
    wait_idle(page)
    saved = page.get_by_text(tr("op_saved", name=name))
    saved.wait_for(timeout=30_000)
    assert saved.is_visible()
    saved.scroll_into_view_if_needed()
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
    assert row.created_by == "polis"
    assert row.km2 == pytest.approx(geodesic_km2(clicked), rel=0.02)

    # evaluate an ended demo operation
    op_name = ended_demo_operation(owner_engine)
    open_page(page, tr("page_insatser"))
    page.get_by_role("heading", name=tr("page_insatser")).wait_for()
    assert page.get_by_text(name).count() >= 1  # the new plan is in the register
    page.get_by_role("tab", name=tr("op_tab_evaluate")).click()
    wait_idle(page)
    page.get_by_role("combobox", name=tr("op_ev_pick")).click()
    page.get_by_role("option", name=re.compile("^" + re.escape(op_name + " · "))).click()
    wait_idle(page)
    box = page.get_by_role("combobox", name=tr("op_ev_pick"))
    assert box.input_value().startswith(op_name + " · ")
    chart = page.locator('[data-testid="stVegaLiteChart"]').filter(visible=True)
    chart.first.wait_for(timeout=60_000)
    chart.first.scroll_into_view_if_needed()
    page.wait_for_function(
        f"() => {{ const el = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]"
        f".find(e => e.offsetParent); return el && ({CHART_INK})(el) > 200; }}",
        timeout=30_000,
    )
    cbox = chart.first.bounding_box()
    assert cbox and cbox["width"] > 200 and cbox["height"] > 300, cbox
    assert page.get_by_text(re.compile(r"^Insatsområdet hade \d+ händelser")).is_visible()
    assert page.get_by_role("button", name=tr("op_ev_save")).is_visible()
    overflow = page.evaluate(OVERFLOWS)
    shot(page, "operations-evaluate")

    assert not overflow, "the page scrolls sideways"
    assert not errors, errors
    assert not net.external, f"requests that left the machine: {net.external}"
