"""Planera insats: pick a target (Gi* hot cells, a near-repeat risk zone, districts, or a polygon
drawn by hand), see what matters for the plan there, and save it as a planned police operation.

Police only: the target and everything shown about it are exact. The saved operation is exact
for the police and reaches other roles per district once it has started (0015_operations.py).
"""

import shapely
import streamlit as st
from shapely.geometry import shape

from pax_geo import queries
from pax_geo.clock import today
from pax_geo.horizons import fmt
from pax_geo.operations import register
from pax_geo.ui import data
from pax_geo.ui import operations as oui
from pax_geo.ui.session import audit_page_view, lang, reader, require_page, t
from pax_geo.wgs84 import geom_from_wgs84

PAGE = "planera"
user = require_page(PAGE)
prec = data.precision(user.role)
kinds = oui.kinds_for(prec)

st.title(t("page_planera"))
st.caption(t("op_plan_intro"))

with reader() as conn:
    districts = queries.areas(conn, ("district",))
    groups = oui.group_labels(conn)

how = (
    st.segmented_control(
        t("op_plan_target"),
        list(register.TARGET_KINDS),
        default="hot_cells",
        format_func=lambda k: t(f"op_target_{k}"),
        key="op_pl_how",
    )
    or "hot_cells"
)
audit_page_view(PAGE, {"target": how})

initial = None
pick = ""
if how in ("hot_cells", "risk_zone"):
    with st.spinner(t("an_computing")):
        cands = oui.candidates(user, how, districts)
    if not cands:
        st.info(t("op_plan_no_candidates", days=oui.PLAN_LOOKBACK_DAYS))
    else:
        idx = st.selectbox(
            t("op_plan_candidate"),
            range(len(cands)),
            format_func=lambda i: oui.candidate_label(cands[i]),
            key=f"op_pl_cand_{how}",
        )
        initial = cands[idx].geometry
        pick = str(idx)
elif how == "area":
    names = dict(zip(districts["id"], districts["name"], strict=True))
    chosen = st.multiselect(
        t("op_form_areas"), list(names), format_func=names.__getitem__, key="op_pl_areas"
    )
    if chosen:
        initial = shapely.union_all(list(districts.loc[districts["id"].isin(chosen)].geometry))
        pick = "-".join(str(a) for a in sorted(chosen))
else:
    st.caption(t("op_plan_draw"))

drawn = oui.draw_target(districts, f"op_pl_map_{how}_{pick}", initial)

if drawn is None:
    st.info(t("op_plan_none"))
    st.stop()
target = shapely.make_valid(geom_from_wgs84(shape(drawn)))
if how == "polygon":
    st.caption(t("op_plan_drawn", km2=fmt.num(target.area / 1e6, lang(), 2)))
oui.profile_view(oui.target_profile(user, target))
oui.notice()
oui.entry_form(
    "plan",
    police=True,
    owner=oui.DEFAULT_OWNER["police_analyst"],
    groups=groups,
    today=today(),
    length_days=14,
    submit=t("op_plan_save"),
    drawn=drawn,
    target_kind=how,
    types=kinds,
)
