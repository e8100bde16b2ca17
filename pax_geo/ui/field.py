"""Streamlit glue for the field mode: touch-friendly CSS, the dark theme remembered per account,
the device-position component, and the "Mitt område" status and map.

Touch targets: every button, input, select and tab is at least 44 px high (WCAG 2.5.5); the
layout has no fixed widths, so nothing scrolls sideways at 390 px. The dark theme is CSS over
Streamlit's own (the account's choice is stored in the database with ``pax_api.set_my_theme``
and applied on every page, so it follows the user to another tablet).
"""

from __future__ import annotations

import math
from datetime import datetime
from html import escape

import pandas as pd
import pydeck as pdk
import streamlit as st
from sqlalchemy import text

from pax_geo import auth
from pax_geo.field import reports, walks
from pax_geo.field.live import live
from pax_geo.field.status import AreaStatus
from pax_geo.horizons import fmt
from pax_geo.horizons.counts import Count
from pax_geo.tenancy import ScopeChanged
from pax_geo.ui import deck as deck_mod
from pax_geo.ui import horizons as hz
from pax_geo.ui import scope
from pax_geo.ui.session import User, current_user, lang, t

KEY_ACCOUNT = "_pax_my_account"

TOUCH_CSS = """
<style>
/* Touch targets of at least 44 px (buttons, inputs, selects, toggles, radios, tabs). */
.stButton button, .stFormSubmitButton button, .stDownloadButton button,
[data-testid="stPageLink"] a, .stLinkButton a { min-height: 44px; }
[data-baseweb="select"] > div, .stTextInput input, .stNumberInput input,
.stDateInput input, .stTimeInput input, [data-baseweb="select"] input { min-height: 44px; }
.stTextArea textarea { min-height: 88px; }
.stRadio [role="radiogroup"] label, .stCheckbox label, .stToggle label { min-height: 44px;
  display: flex; align-items: center; }
button[role="tab"], button[kind^="pills"], button[kind^="segmented"] { min-height: 44px; }
/* Small tables (Mitt område's counts) wrap inside their box on a phone. */
.stMarkdown table { width: 100%; table-layout: fixed; overflow-wrap: anywhere; }
@media (max-width: 480px) { .stMarkdown table { font-size: 0.85rem; } }
/* Never scroll sideways on a phone. */
.stMainBlockContainer { overflow-x: hidden; }
</style>
"""

DARK_CSS = """
<style>
:root { color-scheme: dark; }
.stApp, [data-testid="stAppViewContainer"], [data-testid="stHeader"],
[data-testid="stBottomBlockContainer"] { background: #0e1117 !important; color: #f2f2f2; }
[data-testid="stSidebar"], [data-testid="stSidebarContent"] { background: #1a1d24 !important; }
.stApp p, .stApp li, .stApp label, .stApp h1, .stApp h2, .stApp h3,
.stApp h4, .stApp h5, .stApp [data-testid="stMarkdownContainer"],
.stApp [data-testid="stCaptionContainer"], .stApp [data-testid="stMetricValue"],
.stApp [data-testid="stMetricLabel"] { color: #f2f2f2 !important; }
.stApp [data-testid="stCaptionContainer"] { color: #c8c8c8 !important; }
.stApp input, .stApp textarea, [data-baseweb="select"] > div, [data-baseweb="popover"] li,
[data-baseweb="popover"] ul, [data-baseweb="input"], [data-baseweb="base-input"] {
  background: #262a33 !important; color: #f2f2f2 !important; }
.stApp [data-testid="stVerticalBlockBorderWrapper"], .stApp [data-testid="stExpander"] details {
  border-color: #4a4f5c !important; }
.stButton button, .stFormSubmitButton button { background: #262a33; color: #f2f2f2;
  border-color: #6b7280; }
.stButton button[kind="primary"], .stFormSubmitButton button[kind="primaryFormSubmit"] {
  background: #ff8c42; color: #111; border-color: #ff8c42; }
.stApp a { color: #8ecbff !important; }
.stMarkdown table th, .stMarkdown table td { color: #f2f2f2; border-color: #4a4f5c; }
</style>
"""


def my_account(user: User) -> dict:
    """The account's own row (theme, areas), read once per browser session."""
    cached = st.session_state.get(KEY_ACCOUNT)
    if cached and cached.get("username") == user.username:
        return cached
    with auth.reader_connection(user.role, user.session_token, user.username) as conn:
        row = conn.execute(text("select * from pax_api.my_account()")).mappings().first()
    acc = dict(row) if row else {"username": user.username, "theme": "light", "area_ids": []}
    acc["area_ids"] = [int(a) for a in acc.get("area_ids") or []]
    st.session_state[KEY_ACCOUNT] = acc
    return acc


def _set_theme(user: User) -> None:
    theme = "dark" if st.session_state.get("pax_dark") else "light"
    with auth.reader_connection(user.role, user.session_token, user.username) as conn:
        conn.execute(text("select pax_api.set_my_theme(:t)"), {"t": theme})
        conn.commit()
    st.session_state.setdefault(KEY_ACCOUNT, {})["theme"] = theme


def apply_theme(user: User) -> str:
    """Touch CSS always; the dark CSS when the account chose it. A toggle in the sidebar
    switches and saves the choice. Returns the theme."""
    acc = my_account(user)
    if "pax_dark" not in st.session_state:
        st.session_state["pax_dark"] = acc.get("theme") == "dark"
    st.sidebar.toggle(
        t("fm_dark"), key="pax_dark", help=t("fm_dark_help"), on_change=_set_theme, args=(user,)
    )
    dark = bool(st.session_state["pax_dark"])
    st.html(TOUCH_CSS + (DARK_CSS if dark else ""))
    return "dark" if dark else "light"


# --- the device's position ------------------------------------------------------------------

_GEO_JS = """
export default function(component) {
  const { parentElement, setStateValue, data } = component;
  const button = parentElement.querySelector('button');
  const out = parentElement.querySelector('.pax-geo-msg');
  button.textContent = data.label;
  button.onclick = () => {
    if (!navigator.geolocation) {
      setStateValue('position', { error: 'unsupported', t: Date.now() });
      return;
    }
    out.textContent = '…';
    navigator.geolocation.getCurrentPosition(
      (p) => { out.textContent = '';
               setStateValue('position', { lon: p.coords.longitude, lat: p.coords.latitude,
                                           acc: p.coords.accuracy, t: Date.now() }); },
      (e) => { out.textContent = '';
               setStateValue('position', { error: e.code === 1 ? 'denied' : 'unavailable',
                                           t: Date.now() }); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  };
}
"""
_GEO_HTML = '<button class="pax-geo" type="button"></button><span class="pax-geo-msg"></span>'
_GEO_CSS = """
.pax-geo { min-height: 48px; min-width: 200px; padding: 0 18px; font-size: 1rem;
  border-radius: 8px; border: 1px solid #888; background: #ffffff; color: #111; cursor: pointer; }
.pax-geo-msg { margin-left: 10px; }
"""


@st.cache_resource
def _geo_component():
    return st.components.v2.component("pax_geolocation", html=_GEO_HTML, css=_GEO_CSS, js=_GEO_JS)


def device_position(key: str) -> dict | None:
    """A button that asks the browser for the device's position. Returns {lon, lat, acc} or
    {error} once the user has pressed it, else None."""
    result = _geo_component()(
        key=key, data={"label": t("fm_locate")}, on_position_change=lambda: None
    )
    pos = getattr(result, "position", None)
    return pos if isinstance(pos, dict) else None


# --- Mitt område ----------------------------------------------------------------------------


def area_statuses(role: str, area_ids: tuple[int, ...]) -> tuple[list[AreaStatus], datetime]:
    """The areas' status as the role's login releases it to this session's scope, and the time
    it was computed for: from the snapshot kept ready per scope (pax_geo.field.live), at most
    two minutes old."""
    user = current_user()
    if user is None or user.role != role or not user.session_token:
        raise RuntimeError("area_statuses needs the signed-in session of the role")
    binding = (user.session_token, user.username)
    try:
        return live().get(scope.current(role), area_ids, binding)
    except ScopeChanged:
        scope.forget()
        return live().get(scope.current(role), area_ids, binding)


@scope.shared(ttl=120, show_spinner=False, max_entries=64)
def weekend_walks(
    role: str, area_ids: tuple[int, ...], at: datetime
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The night-walk routes through the areas and the walks held on them last weekend."""
    with scope.reader(role) as conn:
        rts = walks.routes(conn, area_ids)
        first, last = walks.last_weekend(at.date())
        held = walks.held(conn, rts["id"].tolist(), first, last)
    return rts, held


def _count_text(c: Count, threshold: int) -> str:
    return c.label(threshold)


def reason_line(s: AreaStatus, threshold: int) -> str:
    """One line that says why the light is what it is."""
    lg = lang()
    d = s.deciding
    if s.overall.light == "green":
        return t(
            "fm_light_reason_green",
            count=_count_text(d.count, threshold),
            mean=fmt.num(d.baseline.mean, lg),
        )
    return t(
        "fm_light_reason",
        light=t(f"hz_light_{s.overall.light}"),
        window=hz.window_label(d.window),
        count=_count_text(d.count, threshold),
        mean=fmt.num(d.baseline.mean, lg),
        spread=fmt.num(d.baseline.spread, lg),
    )


def tonight_label(s: AreaStatus, now: datetime) -> str:
    return t("fm_window_tonight") if s.tonight[1] >= now else t("fm_window_lastnight")


def counts_table(s: AreaStatus, threshold: int, now: datetime) -> pd.DataFrame:
    """Type x (tonight, 24 h, 7 d): 'count (norm. x)'."""
    lg = lang()
    cols = {
        "tonight": tonight_label(s, now),
        "24h": t("fm_window_24h"),
        "7d": t("fm_window_7d"),
    }
    rows: dict[str, dict[str, str]] = {}
    for kc in s.counts:
        label = hz.kind_label(kc.kind)
        rows.setdefault(label, {})[cols[kc.window]] = (
            f"{kc.count.label(threshold)} ({t('fm_normal_short', mean=fmt.num(kc.normal, lg))})"
        )
    df = pd.DataFrame.from_dict(rows, orient="index")[list(cols.values())]
    df.index.name = t("fm_col_type")
    return df


def markdown_table(df: pd.DataFrame) -> str:
    """A small table as Markdown: no Arrow/dataframe code for the browser to download (the
    dataframe bundle is about 0.9 MB, most of the field view's weight on 4G)."""

    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("<", "&lt;")

    head = [df.index.name or ""] + [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cell(h) for h in head) + " |", "|" + "---|" * len(head)]
    for idx, row in df.iterrows():
        lines.append("| " + " | ".join([cell(idx), *(cell(v) for v in row)]) + " |")
    return "\n".join(lines)


def status_block(s: AreaStatus, threshold: int, now: datetime) -> None:
    with st.container(border=True):
        head = st.container(horizontal=True, vertical_alignment="center", wrap=True)
        with head:
            st.markdown(f"### {s.name}")
            hz.light_badge(s.overall.light, s.overall.light_at_most)
        st.markdown(reason_line(s, threshold))
        st.markdown(f"**{t('fm_counts_heading')}**")
        st.markdown(markdown_table(counts_table(s, threshold, now)))
        st.caption(t("fm_counts_caption"))


def walks_block(rts: pd.DataFrame, held: pd.DataFrame, now: datetime) -> None:
    evening = walks.evening_of(now)
    planned = walks.planned_on(rts, evening)
    st.markdown(f"**{t('fm_walks_tonight', day=fmt.local_date(evening))}**")
    if planned:
        for w in planned:
            st.markdown(f"- {w.name} · {w.organisation} · {w.start:%H:%M}–{w.end:%H:%M}")
    else:
        st.caption(t("fm_walks_none_tonight"))
    first, last = walks.last_weekend(now.date())
    st.markdown(
        f"**{t('fm_walks_weekend', first=fmt.local_date(first), last=fmt.local_date(last))}**"
    )
    if len(held):
        st.markdown(t("fm_walks_weekend_held", n=len(held), people=int(held["participants"].sum())))
    else:
        st.caption(t("fm_walks_weekend_none"))


def my_reports_block(mine: pd.DataFrame) -> None:
    st.markdown(f"**{t('fm_my_reports')}**")
    if mine.empty:
        st.caption(t("fm_my_reports_none"))
        return
    lg = lang()
    for r in mine.head(5).itertuples(index=False):
        place = r.place_name or ""
        st.markdown(
            f"- {fmt.local_time(r.observed_at)} · {reports.category_label(r.category, lg)}"
            + (f" · {place}" if place else "")
            + f" · {t('fm_status_' + str(r.status))}"
        )


def area_svg(
    districts: list[dict],
    routes: list[dict],
    mine: pd.DataFrame,
    area_ids: list[int],
    dark: bool = False,
    width: int = 640,
    height: int = 420,
) -> str:
    """The compact map as an inline SVG (a few kilobytes, no map library to download on 4G):
    the user's areas filled and named, the other districts faint, the night-walk routes, and
    the user's own reports (which the role sees exactly). No incident positions: the field
    roles have none."""
    own = [d for d in districts if d["id"] in area_ids]
    pts = [p for d in own for ring in d["poly"] for p in ring]
    if not pts:
        return ""
    lon0, lon1 = min(p[0] for p in pts), max(p[0] for p in pts)
    lat0, lat1 = min(p[1] for p in pts), max(p[1] for p in pts)
    kx = math.cos(math.radians((lat0 + lat1) / 2))  # metres per degree, east vs north
    pad = 0.12
    span_x, span_y = (lon1 - lon0) * kx or 1e-3, (lat1 - lat0) or 1e-3
    scale = min(width / (span_x * (1 + 2 * pad)), height / (span_y * (1 + 2 * pad)))
    cx, cy = (lon0 + lon1) / 2, (lat0 + lat1) / 2

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (width / 2 + (lon - cx) * kx * scale, height / 2 - (lat - cy) * scale)

    def path(ring: list) -> str:
        return "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in (xy(p[0], p[1]) for p in ring))

    fg, faint, fill = (
        ("#f2f2f2", "#6b7280", "#ff8c4233") if dark else ("#222", "#b0b0b0", "#ff8c4226")
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(", ".join(d["name"] for d in own))}" '
        f'style="width:100%;height:auto;max-height:60vh;display:block" data-testid="pax-area-map">'
    ]
    for d in districts:
        if d["id"] in area_ids:
            continue
        for ring in d["poly"]:
            parts.append(f'<path d="{path(ring)}Z" fill="none" stroke="{faint}" stroke-width="1"/>')
    for d in own:
        for ring in d["poly"]:
            parts.append(
                f'<path d="{path(ring)}Z" fill="{fill}" stroke="#e66e1e" stroke-width="3"/>'
            )
    for r in routes:
        parts.append(
            f'<path d="{path(r["path"])}" fill="none" stroke="#56b4e9" stroke-width="4" '
            f'stroke-linecap="round"><title>{escape(str(r.get("t", "")))}</title></path>'
        )
    for lon, lat in zip(mine.get("lon", []), mine.get("lat", []), strict=True):
        if lon is None or lat is None or lon != lon:
            continue
        x, y = xy(float(lon), float(lat))
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="#f0e442" stroke="#111" stroke-width="1.5"/>'
        )
    for d in own:
        x, y = xy(d["c"][0], d["c"][1])
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="22" font-weight="700" font-family="DejaVu Sans, Arial, sans-serif" fill="{fg}" '
            f'text-anchor="middle" paint-order="stroke" stroke="{"#0e1117" if dark else "#fff"}" '
            f'stroke-width="4">{escape(str(d["name"]))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --- a tap on the map -------------------------------------------------------------------------

TAP_CELL_M = 150
TAP_LAYER = "tap_cells"


def tap_cells(district: dict, cell_m: float = TAP_CELL_M) -> list[dict]:
    """Square cells (about `cell_m` metres) whose centres lie in the district, as
    {"p": [lon, lat]} rows for a tappable layer."""
    from shapely.geometry import Point, Polygon

    polys = [Polygon(r) for r in district["poly"] if len(r) >= 4]
    if not polys:
        return []
    lons = [p[0] for r in district["poly"] for p in r]
    lats = [p[1] for r in district["poly"] for p in r]
    dlat = cell_m / 111_320
    dlon = cell_m / (111_320 * math.cos(math.radians((min(lats) + max(lats)) / 2)))
    out = []
    lat = min(lats) + dlat / 2
    while lat < max(lats):
        lon = min(lons) + dlon / 2
        while lon < max(lons):
            if any(p.contains(Point(lon, lat)) for p in polys):
                out.append({"p": [round(lon, 6), round(lat, 6)]})
            lon += dlon
        lat += dlat
    return out


def tap_map(district: dict, chosen: list[float] | None, key: str) -> list[float] | None:
    """A map of one district in tappable squares; returns the tapped square's centre
    [lon, lat] (or the earlier choice)."""
    cells = tap_cells(district)
    layers = [
        deck_mod.polygon_layer(
            "district", [district], fill=None, line=[230, 110, 30, 255], line_px=3
        ),
        pdk.Layer(
            "ColumnLayer",
            id=TAP_LAYER,
            data=cells,
            get_position="p",
            disk_resolution=4,
            angle=45,
            radius=TAP_CELL_M / math.sqrt(2),
            extruded=False,
            get_fill_color=[86, 180, 233, 50],
            get_line_color=[86, 180, 233, 120],
            pickable=True,
            auto_highlight=True,
        ),
    ]
    if chosen:
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                id="chosen",
                data=[{"p": chosen}],
                get_position="p",
                get_fill_color=[213, 94, 0],
                get_radius=30,
                radius_min_pixels=9,
            )
        )
    pts = [p for r in district["poly"] for p in r]
    view = deck_mod.view_for_bounds(
        min(p[0] for p in pts),
        min(p[1] for p in pts),
        max(p[0] for p in pts),
        max(p[1] for p in pts),
        height=340,
    )
    deck = deck_mod.make_deck(layers, view, tooltip=False, height=340)
    event = st.pydeck_chart(
        deck,
        on_select="rerun",
        selection_mode="single-object",
        key=key,
        height=340,
        width="stretch",
    )
    objects = (getattr(event, "selection", None) or {}).get("objects") or {}
    picked = objects.get(TAP_LAYER) or []
    if picked and isinstance(picked[0], dict) and "p" in picked[0]:
        return [float(picked[0]["p"][0]), float(picked[0]["p"][1])]
    return chosen
