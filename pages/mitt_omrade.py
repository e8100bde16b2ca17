"""Mitt område: the field worker's start page, tablet first.

For the account's areas: the traffic light and its one-line reason, counts per type tonight /
24 h / 7 days against normal (released by the database at the role's precision), the night
walks planned tonight and held last weekend, the worker's own latest reports, and a compact map.
"""

import base64
from html import escape

import streamlit as st

from pax_geo import auth
from pax_geo.field import reports
from pax_geo.ui import data
from pax_geo.ui import field as fui
from pax_geo.ui import horizons as hz
from pax_geo.ui.session import audit_page_view, require_page, t

PAGE = "mitt_omrade"
user = require_page(PAGE)
theme = fui.apply_theme(user)
acc = fui.my_account(user)
area_ids = acc["area_ids"] or ([user.area_id] if user.area_id else [])
audit_page_view(PAGE, {"area_ids": area_ids})

st.title(t("page_mitt_omrade"))
if not area_ids:
    st.info(t("fm_no_areas"))
    st.stop()
if st.button(t("fm_report_button"), icon=":material/add_location_alt:", type="primary"):
    st.switch_page("pages/rapportera.py")

now = hz.now_minute()


with st.spinner():
    statuses, at = fui.area_statuses(user.role, tuple(area_ids))
for s in statuses:
    fui.status_block(s, s.threshold, at)

rts, held = fui.weekend_walks(user.role, tuple(area_ids), now)
with auth.reader_connection(user.role, user.session_token, user.username) as conn:
    mine = reports.my_reports(conn, limit=20)

left, right = st.columns([1, 1], gap="medium")
with left:
    with st.container(border=True):
        st.markdown(f"### {t('fm_walks_heading')}")
        fui.walks_block(rts, held, now)
    with st.container(border=True):
        fui.my_reports_block(mine)
with right:
    st.markdown(f"### {t('fm_map_heading')}")
    ctx = data.map_context(user.role)
    svg = fui.area_svg(ctx.districts, ctx.routes, mine, list(area_ids), theme == "dark")
    if svg:
        # As an image: st.html sanitises with DOMPurify's HTML profile, which drops <svg>.
        names = ", ".join(d["name"] for d in ctx.districts if d["id"] in area_ids)
        st.html(
            f'<img src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}" '
            f'alt="{escape(t("fm_map_heading") + ": " + names)}" '
            'style="width:100%;height:auto;max-height:60vh;display:block">'
        )
    st.caption(t("fm_map_caption"))
