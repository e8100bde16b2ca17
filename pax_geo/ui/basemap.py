"""Whether the street map's tiles load in this browser, asked once per session.

The browser, not the server, fetches the tiles (the users' networks reach the tile service; the
server's may not), so a small component loads one tile over the municipality and reports back.
When it fails the maps still draw their outlines at once (the style is the app's own); the user
is told once, quietly: a toast, and the map legend's note says the street map is missing.
"""

from __future__ import annotations

import math

import streamlit as st
from sqlalchemy import text

from pax_geo import basemap
from pax_geo.config import settings
from pax_geo.ui.session import User, reader, t

STATUS = "pax_basemap_status"  # "ok" | "failed" once the probe has answered
TOLD = "pax_basemap_told"

_JS = """
export default function(component) {
  const { setStateValue, data } = component;
  if (!data || !data.tile || window.__paxBasemapProbe === data.tile) return;
  window.__paxBasemapProbe = data.tile;
  let done = false;
  const finish = (ok) => { if (!done) { done = true; setStateValue('status', ok ? 'ok' : 'failed'); } };
  const timer = setTimeout(() => finish(false), data.timeout);
  const img = new Image();
  img.onload = () => { clearTimeout(timer); finish(true); };
  img.onerror = () => { clearTimeout(timer); finish(false); };
  img.src = data.tile;
}
"""


@st.cache_resource
def _component():
    return st.components.v2.component("pax_basemap_probe", html="<span></span>", js=_JS)


@st.cache_data(ttl=3600, show_spinner=False)
def _centre(role: str, _user: User) -> tuple[float, float] | None:
    """WGS84 lon/lat of the middle of the areas the role sees (same for every account)."""
    with reader() as conn:
        row = conn.execute(
            text(
                "select st_x(p), st_y(p) from (select st_transform(st_setsrid("
                "st_centroid(st_extent(geom)::geometry), 3006), 4326) as p "
                "from pax_api.area) s"
            )
        ).first()
    return (float(row[0]), float(row[1])) if row and row[0] is not None else None


def tile_xyz(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The slippy-map tile holding a WGS84 point."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return z, min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def probe(user: User) -> None:
    """Ask the browser once per session whether a tile loads; tell the user once if not."""
    cfg = settings()
    if cfg.basemap == "none" or st.session_state.get(STATUS) == "ok":
        return
    if st.session_state.get(STATUS) != "failed":
        try:
            src = basemap.tile_source(cfg, "")
        except basemap.BasemapError:
            st.session_state[STATUS] = "failed"
            src = None
        centre = _centre(user.role, user) if src else None
        if src and centre:
            z, x, y = tile_xyz(centre[0], centre[1], 11)
            url = src[0].replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
            result = _component()(
                key="pax_basemap_probe",
                data={"tile": url, "timeout": 8000},
                on_status_change=lambda: None,
            )
            status = getattr(result, "status", None)
            if status in ("ok", "failed"):
                st.session_state[STATUS] = status
    if st.session_state.get(STATUS) == "failed" and not st.session_state.get(TOLD):
        st.session_state[TOLD] = True
        st.toast(t("basemap_unavailable"), icon=":material/map:")


def failed() -> bool:
    return st.session_state.get(STATUS) == "failed"


def note() -> str:
    """The map legend's line about the street map: its attribution, or why there is none."""
    cfg = settings()
    if cfg.basemap == "none":
        return t("basemap_none_note")
    if failed():
        return t("basemap_failed_note")
    try:
        src = basemap.tile_source(cfg, "")
    except basemap.BasemapError:
        return t("basemap_failed_note")
    return t("basemap_note", attribution=src[1] if src else "")
