"""Nattvandring: the night walkers' page. Log a walk held in three taps (route, date, number of
participants; a note if wanted), see the routes and their schedule, and the status of the
account's area at the board's precision (counts per area, "<3" for small ones).

Walks logged here feed the medium-term horizon (walks held per week) and the coverage analysis.
"""

from datetime import timedelta

import streamlit as st

from pax_geo import auth
from pax_geo.field import reports, walks
from pax_geo.horizons import fmt
from pax_geo.ui import field as fui
from pax_geo.ui import horizons as hz
from pax_geo.ui.session import audit_page_view, reader, require_page, t

PAGE = "nattvandring"
user = require_page(PAGE)
fui.apply_theme(user)
acc = fui.my_account(user)
audit_page_view(PAGE, {})
now = hz.now_minute()
today = walks.evening_of(now)

st.title(t("page_nattvandring"))
with reader() as conn:
    rts = walks.routes(conn)
if rts.empty:
    st.info(t("fm_walk_no_routes"))
    st.stop()

if "nw_key" not in st.session_state:
    st.session_state["nw_key"] = reports.new_key()
ids = rts["id"].astype(int).tolist()
names = dict(zip(ids, rts["name"] + " · " + rts["organisation"], strict=True))

with st.container(border=True):
    st.caption(t("fm_walk_intro"))
    saved = st.session_state.get("nw_saved")
    if saved:
        st.success(saved, icon=":material/check_circle:")
    route = st.pills(t("fm_walk_route"), ids, format_func=names.get, key="nw_route")
    c1, c2 = st.columns(2)
    day = c1.date_input(
        t("fm_walk_date"),
        value=today,
        max_value=now.date(),
        min_value=now.date() - timedelta(days=walks.LOG_DAYS_BACK),
        key="nw_day",
        format="YYYY-MM-DD",
    )
    people = c2.number_input(
        t("fm_walk_participants"),
        min_value=1,
        max_value=walks.MAX_PARTICIPANTS,
        value=4,
        step=1,
        key="nw_people",
    )
    note = st.text_input(t("fm_walk_note"), max_chars=300, key="nw_note")
    if st.button(t("fm_walk_submit"), type="primary", icon=":material/save:", width="stretch"):
        if route is None:
            st.error(t("fm_not_saved", reason=t("fm_err_route", value="–")))
        else:
            try:
                with auth.reader_connection(user.role, user.session_token, user.username) as conn:
                    wid, created = walks.log(
                        conn,
                        st.session_state["nw_key"],
                        int(route),
                        day,
                        int(people),
                        note,
                        now.date(),
                    )
            except reports.ReportError as e:
                st.error(t("fm_not_saved", reason=t(e.key, **{"detail": "", **e.params})))
            else:
                st.session_state["nw_saved"] = (
                    t(
                        "fm_walk_saved",
                        id=wid,
                        route=rts.set_index("id").at[int(route), "name"],
                        day=fmt.local_date(day),
                        n=int(people),
                    )
                    if created
                    else t("fm_walk_saved_before", id=wid)
                )
                st.session_state["nw_key"] = reports.new_key()
                for k in ("nw_route", "nw_note"):
                    st.session_state.pop(k, None)
                st.rerun()

area_ids = acc["area_ids"] or ([user.area_id] if user.area_id else [])
if area_ids:
    st.subheader(t("fm_area_status_heading"))
    statuses, at = fui.area_statuses(user.role, tuple(area_ids))
    for s in statuses:
        fui.status_block(s, s.threshold, at)

st.subheader(t("fm_routes_heading"))
planned = walks.planned_on(rts, today)
st.markdown(f"**{t('fm_walks_tonight', day=fmt.local_date(today))}**")
for w in planned:
    st.markdown(f"- {w.name} · {w.organisation} · {w.start:%H:%M}–{w.end:%H:%M}")
if not planned:
    st.caption(t("fm_walks_none_tonight"))
