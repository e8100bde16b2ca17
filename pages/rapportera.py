"""Rapportera: an observation from the street in under 30 seconds.

Category, when (default now), where (the device's position, a tap on the map, or a named
place) and a short note without personal data. The form keeps one idempotency key until the
report is saved, so sending again after a dropped connection never makes a second report, and
"Sparad" is shown only once the database has committed it. The reporter may correct or withdraw
a report for 24 hours; every version is kept.
"""

from datetime import datetime, timedelta

import streamlit as st
from sqlalchemy.exc import DBAPIError, OperationalError

from pax_geo import auth
from pax_geo.clock import TZ
from pax_geo.field import reports
from pax_geo.horizons import fmt
from pax_geo.ui import data
from pax_geo.ui import field as fui
from pax_geo.ui import horizons as hz
from pax_geo.ui.session import audit_page_view, lang, require_page, t

PAGE = "rapportera"
user = require_page(PAGE)
fui.apply_theme(user)
acc = fui.my_account(user)
audit_page_view(PAGE, {})
lg = lang()
now = hz.now_minute()

if "rp_key" not in st.session_state:
    st.session_state["rp_key"] = reports.new_key()


def _error_text(e: reports.ReportError) -> str:
    params = {k: v for k, v in e.params.items() if k != "detail"}
    params.setdefault("detail", e.params.get("detail", ""))
    return t(e.key, **params)


def _reset_form() -> None:
    for k in list(st.session_state):
        if k.startswith("rp_") and k not in ("rp_saved",):
            del st.session_state[k]
    st.session_state["rp_key"] = reports.new_key()


st.title(t("page_rapportera"))
saved = st.session_state.get("rp_saved")
if saved:
    st.success(saved, icon=":material/check_circle:")
    if st.button(t("fm_new_report"), icon=":material/add:", type="primary"):
        st.session_state.pop("rp_saved", None)
        _reset_form()
        st.rerun()

st.caption(t("fm_report_intro"))
cats = reports.categories()
category = st.pills(
    t("fm_category"),
    list(cats),
    format_func=lambda k: cats[k].get(lg, cats[k]["sv"]),
    key="rp_category",
)

c1, c2 = st.columns(2)
day = c1.date_input(
    t("fm_when_date"),
    value=now.date(),
    max_value=now.date(),
    min_value=now.date() - timedelta(days=7),
    key="rp_day",
    format="YYYY-MM-DD",
)
clock_time = c2.time_input(t("fm_when_time"), value=now.time(), step=300, key="rp_time")

st.markdown(f"**{t('fm_where')}**")
how = st.segmented_control(
    t("fm_where"),
    ["device", "place", "map"],
    format_func=lambda k: t(
        {"device": "fm_where_device", "place": "fm_where_place", "map": "fm_where_map"}[k]
    ),
    default="place",
    key="rp_how",
    label_visibility="collapsed",
)
where = reports.Where()
with auth.reader_connection(user.role, user.session_token, user.username) as conn:
    places = reports.places(conn)
own_areas = acc["area_ids"] or ([user.area_id] if user.area_id else [])
if how == "device":
    pos = fui.device_position("rp_geo")
    if pos and "lon" in pos:
        where = reports.Where(lon=float(pos["lon"]), lat=float(pos["lat"]), how="device")
        st.caption(t("fm_located", acc=int(round(float(pos.get("acc") or 0)))))
    elif pos and "error" in pos:
        st.warning(t("fm_locate_denied", reason=pos["error"]))
elif how == "place":
    if len(places):
        ids = places["id"].astype(int).tolist()
        names = dict(zip(ids, places["name"], strict=True))
        home = places[places["area_id"].isin(own_areas)]["id"].astype(int).tolist()
        place_id = st.selectbox(
            t("fm_where_place_pick"),
            ids,
            index=ids.index(home[0]) if home else 0,
            format_func=names.get,
            key="rp_place",
        )
        where = reports.Where(place_id=int(place_id), how="place")
elif how == "map":
    ctx = data.map_context(user.role)
    dists = {d["id"]: d for d in ctx.districts}
    order = [a for a in own_areas if a in dists] + [a for a in dists if a not in own_areas]
    area = st.selectbox(
        t("fm_where_area_pick"), order, format_func=lambda a: dists[a]["name"], key="rp_map_area"
    )
    st.caption(t("fm_map_tap_hint", size=fui.TAP_CELL_M))
    chosen = fui.tap_map(dists[area], st.session_state.get("rp_tapped"), key=f"rp_tap_{area}")
    if chosen:
        st.session_state["rp_tapped"] = chosen
        where = reports.Where(lon=chosen[0], lat=chosen[1], how="map")
        st.caption(t("fm_map_tapped"))

st.caption(t("fm_note_warning"))
note = st.text_area(t("fm_note"), max_chars=reports.NOTE_MAX, key="rp_note", height=100)

pending = st.session_state.get("rp_pending")
if pending:
    st.warning(t("fm_pending"), icon=":material/cloud_off:")
label = t("fm_retry") if pending else t("fm_submit")
if st.button(
    label,
    type="primary",
    icon=":material/send:",
    key="rp_submit",
    disabled=bool(saved),
    width="stretch",
):
    observed = datetime.combine(day, clock_time, tzinfo=TZ)
    st.session_state["rp_pending"] = True
    try:
        with auth.reader_connection(user.role, user.session_token, user.username) as conn:
            result = reports.report(
                conn,
                st.session_state["rp_key"],
                category or "",
                observed,
                where,
                note,
                hz.now_minute(),
            )
    except reports.ReportError as e:
        st.session_state.pop("rp_pending", None)
        st.error(t("fm_not_saved", reason=_error_text(e)), icon=":material/error:")
    except (OperationalError, DBAPIError):
        st.error(t("fm_not_saved", reason=t("fm_offline")), icon=":material/cloud_off:")
    else:
        st.session_state.pop("rp_pending", None)
        place = where.place_id and dict(zip(places["id"], places["name"], strict=True)).get(
            where.place_id
        )
        msg = (
            t(
                "fm_saved",
                id=result.id,
                category=cats[category]["sv" if lg == "sv" else "en"] if category in cats else "",
                place=place or t(f"fm_where_{where.how}"),
            )
            if result.created
            else t("fm_saved_before", id=result.id)
        )
        st.session_state["rp_saved"] = msg
        st.rerun()

# --- the reporter's own reports: correct or withdraw within 24 h ---------------------------
st.divider()
st.subheader(t("fm_my_reports"))
flash = st.session_state.pop("rp_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")
with auth.reader_connection(user.role, user.session_token, user.username) as conn:
    mine = reports.my_reports(conn, limit=10)
if mine.empty:
    st.caption(t("fm_my_reports_none"))
for r in mine.itertuples(index=False):
    reported = r.reported_at.to_pydatetime()
    title = f"{fmt.local_time(r.observed_at)} · {reports.category_label(r.category, lg)}" + (
        f" · {r.place_name}" if r.place_name else ""
    )
    with st.expander(title):
        st.write(r.text or "–")
        st.caption(t(f"fm_status_{r.status}"))
        if not reports.changeable(reported, hz.now_minute()):
            st.caption(t("fm_change_closed"))
            continue
        st.caption(t("fm_change_until", until=fmt.local_time(reported + reports.CHANGE_WINDOW)))
        key_of = {v["sv"]: k for k, v in cats.items()}
        with st.form(f"rp_fix_{r.id}"):
            new_cat = st.selectbox(
                t("fm_category"),
                list(cats),
                index=list(cats).index(key_of.get(r.category, list(cats)[0])),
                format_func=lambda k: cats[k].get(lg, cats[k]["sv"]),
            )
            new_note = st.text_area(t("fm_note"), value=r.text or "", max_chars=reports.NOTE_MAX)
            fix = st.form_submit_button(t("fm_correct"), icon=":material/edit:")
        if fix:
            try:
                with auth.reader_connection(user.role, user.session_token, user.username) as conn:
                    rev = reports.correct(
                        conn,
                        int(r.id),
                        new_cat,
                        r.observed_at.to_pydatetime().astimezone(TZ),
                        reports.Where(),
                        new_note,
                        hz.now_minute(),
                    )
                st.session_state["rp_flash"] = t("fm_corrected", id=int(r.id), rev=rev)
                st.rerun()
            except reports.ReportError as e:
                st.error(t("fm_not_saved", reason=_error_text(e)))
        if st.button(t("fm_withdraw"), key=f"rp_wd_{r.id}", icon=":material/undo:"):
            try:
                with auth.reader_connection(user.role, user.session_token, user.username) as conn:
                    reports.withdraw(conn, int(r.id))
                st.session_state["rp_flash"] = t("fm_withdrawn", id=int(r.id))
                st.rerun()
            except reports.ReportError as e:
                st.error(t("fm_not_saved", reason=_error_text(e)))
