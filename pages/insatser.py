"""Insatser och åtgärder: the register of police operations and the Pax partners' actions.

Everyone with the page sees the register at their precision (the database cuts it: polygons
and purposes of police operations for the police only, police operations for others only once
started); the partners record their own actions; the police evaluate (before/after, buffer,
comparison: WDQ and difference in differences). Every write is audited in the database.
"""

from datetime import timedelta

import streamlit as st

from pax_geo import queries
from pax_geo.capabilities import CAPABILITIES
from pax_geo.clock import now, today
from pax_geo.operations import evaluate as evm
from pax_geo.operations import register
from pax_geo.ui import data
from pax_geo.ui import operations as oui
from pax_geo.ui.session import audit_page_view, reader, require_page, t

PAGE = oui.PAGE
user = require_page(PAGE)
prec = data.precision(user.role)
exact = prec.get("operation") == "exact"
recorder = user.role in CAPABILITIES["record_action"]
evaluator = user.role in CAPABILITIES["evaluate_operation"]

st.title(t("page_insatser"))
st.caption(t("op_intro") if exact else t("op_intro_area"))

with reader() as conn:
    df = register.listing(conn)
    groups = oui.group_labels(conn)
districts = data.districts(user.role)

names = [t("op_tab_register")]
if recorder:
    names.append(t("op_tab_record"))
if evaluator:
    names.append(t("op_tab_evaluate"))
tabs = dict(zip(names, st.tabs(names), strict=True))

with tabs[t("op_tab_register")]:
    flt = oui.register_filters(groups, districts)
    audit_page_view(PAGE, {k: list(v) for k, v in flt.items()})
    shown = register.filtered(df, **flt)
    if shown.empty:
        st.info(t("op_none"))
    else:
        st.caption(t("op_count", n=len(shown), total=len(df)))
        table = oui.register_table(shown, groups)
        st.dataframe(table, hide_index=True, width="stretch")
        oui.register_download(table, {k: list(v) for k, v in flt.items()})
    if recorder:
        with st.expander(t("op_status_change")):
            if oui.status_changer(df, user):
                st.rerun()

if recorder:
    with tabs[t("op_tab_record")]:
        oui.notice()
        drawn = None
        if st.toggle(t("op_form_draw"), key="op_rec_draw"):
            with reader() as conn:
                drawn = oui.draw_target(queries.areas(conn), "op_rec_map", None)
        oui.entry_form(
            "action",
            police=False,
            owner=oui.DEFAULT_OWNER.get(user.role, ""),
            groups=groups,
            today=today(),
            length_days=30,
            submit=t("op_form_save"),
            districts=districts,
            drawn=drawn,
        )

if evaluator:
    with tabs[t("op_tab_evaluate")]:
        # a whole day behind it, and a polygon (the police see every entry's)
        started = df.loc[(df["starts_at"] <= now() - timedelta(days=1)) & df["geometry"].notna()]
        if started.empty:
            st.info(t("op_ev_none"))
            st.stop()
        labels = {
            int(r.id): f"{r.name} · {oui.dates_text(r.starts_at, r.ends_at)}"
            f" · {oui.status_label(r.status)}"
            for r in started.itertuples()
        }
        op_id = st.selectbox(
            t("op_ev_pick"), list(labels), format_func=labels.__getitem__, key="op_ev_pick"
        )
        op = started.loc[started["id"] == op_id].iloc[0]
        kinds = oui.kinds_for(prec)
        c1, c2, c3 = st.columns(3)
        buffer_m = c1.number_input(
            t("op_ev_buffer"), 100, 2000, int(evm.DEFAULT_BUFFER_M), step=50, key="op_ev_buf"
        )
        comp_opts = [0, *districts]
        comp = c2.selectbox(
            t("op_ev_comparison"),
            comp_opts,
            format_func=lambda a: t("op_ev_rest") if a == 0 else districts[a],
            key="op_ev_comp",
        )
        aimed = [k for k in op["target_types"] if k in kinds] or kinds
        sel_kinds = c3.multiselect(
            t("op_ev_types"), kinds, default=aimed, format_func=oui.type_label, key="op_ev_kinds"
        )
        if not sel_kinds:
            st.stop()
        try:
            r = oui.evaluation_run(user, int(op_id), float(buffer_m), int(comp), tuple(sel_kinds))
        except evm.TooEarly:
            st.info(t("op_ev_too_early"))
            st.stop()
        oui.evaluation_view(r, op)
        if op["status"] == "evaluated":
            st.caption(t("op_ev_frozen", verdict=oui.verdict_label(op["verdict"])))
        elif st.button(t("op_ev_save"), type="primary", key="op_ev_save"):
            status = oui.write(lambda c: evm.save(c, int(op_id), r))
            if status is not None:
                st.success(t("op_ev_saved", status=oui.status_label(status)))
