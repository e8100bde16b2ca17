"""Områdeskort: one card per area joining the three horizons.

The area comes from the selectbox or from the URL (``?area=<id>``), so any page can open a
card with ``st.switch_page("pages/omradeskort.py", query_params={"area": id})``.
"""

import streamlit as st

from pax_geo.ui import area_card
from pax_geo.ui import horizons as hz
from pax_geo.ui.session import audit_page_view, require_page, t

PAGE = "omradeskort"
user = require_page(PAGE)

st.title(t("page_omradeskort"))
areas = hz.area_table(user.role)
names = dict(zip(areas["id"].astype(int), areas["name"], strict=True))
if not names:
    st.info(t("hz_no_areas"))
    st.stop()
ids = list(names)

# The URL wins when it changes (a click on a map elsewhere); the selectbox otherwise.
raw = st.query_params.get("area")
if raw is not None and raw != st.session_state.get("_card_url_area"):
    st.session_state["_card_url_area"] = raw
    try:
        wanted = int(raw)
    except ValueError:
        wanted = None
    if wanted in names:
        st.session_state["card_area"] = wanted
    else:
        st.warning(t("hz_area_unknown", value=raw))
if "card_area" not in st.session_state or st.session_state["card_area"] not in names:
    st.session_state["card_area"] = user.area_id if user.area_id in names else ids[0]

area_id = st.selectbox(t("hz_choose_area"), ids, format_func=names.get, key="card_area")
# Every card opened (also through ?area=, including refused values) is audited before it is drawn.
audit_page_view(PAGE, {"area_id": int(area_id), "url_area": None if raw is None else raw[:64]})
if st.query_params.get("area") != str(area_id):
    st.query_params["area"] = str(area_id)
    st.session_state["_card_url_area"] = str(area_id)

area_card.render(user, area_id)
