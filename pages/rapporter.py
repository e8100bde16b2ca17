"""Inkomna rapporter: the triage list of reports from the field (police, security chief).

New -> seen -> handled, with who and when, and a link from a report to an incident or an
operation. Every change goes through ``pax_api.triage_observation`` (audited, kept in the
report's history). The reports are on the Här och nu map at the role's precision too.
"""

import streamlit as st

from pax_geo import auth
from pax_geo.field import reports
from pax_geo.horizons import fmt
from pax_geo.ui import field as fui
from pax_geo.ui.session import audit_page_view, lang, require_page, t

PAGE = "rapporter"
user = require_page(PAGE)
fui.apply_theme(user)
lg = lang()
DAYS = 30

st.title(t("page_rapporter"))
st.caption(t("fm_triage_intro"))
shown = st.pills(
    t("fm_triage_filter"),
    list(reports.STATUSES),
    selection_mode="multi",
    default=["new", "seen"],
    format_func=lambda s: t(f"fm_status_{s}"),
    key="tr_filter",
)
audit_page_view(PAGE, {"statuses": sorted(shown or [])})

with auth.reader_connection(user.role, user.session_token, user.username) as conn:
    rows = reports.triage_list(conn, tuple(shown or ()), days=DAYS)
if rows.empty:
    st.info(t("fm_triage_none", days=DAYS))
    st.stop()

for r in rows.itertuples(index=False):
    title = (
        f"{t('fm_status_' + str(r.status))} · {fmt.local_time(r.observed_at)} · "
        f"{reports.category_label(r.category, lg)}" + (f" · {r.place_name}" if r.place_name else "")
    )
    with st.expander(title, expanded=r.status == "new"):
        st.write(r.text or "–")
        st.caption(t("fm_reported_by", who=r.reporter, when=fmt.local_time(r.reported_at)))
        if r.status_by:
            st.caption(
                t(
                    "fm_triage_by",
                    status=t(f"fm_status_{r.status}"),
                    who=r.status_by,
                    when=fmt.local_time(r.status_at),
                )
            )
        with st.form(f"tr_{r.id}", border=False):
            c1, c2, c3 = st.columns(3)
            new_status = c1.selectbox(
                t("fm_triage_status"),
                list(reports.STATUSES),
                index=list(reports.STATUSES).index(str(r.status)),
                format_func=lambda s: t(f"fm_status_{s}"),
            )
            inc = c2.number_input(
                t("fm_triage_incident"),
                min_value=0,
                step=1,
                value=int(r.incident_id) if r.incident_id == r.incident_id and r.incident_id else 0,
            )
            op = c3.number_input(
                t("fm_triage_operation"),
                min_value=0,
                step=1,
                value=int(r.operation_id)
                if r.operation_id == r.operation_id and r.operation_id
                else 0,
            )
            go = st.form_submit_button(t("fm_triage_set"), icon=":material/save:")
        if go:
            try:
                with auth.reader_connection(user.role, user.session_token, user.username) as conn:
                    reports.triage(conn, int(r.id), new_status, int(inc) or None, int(op) or None)
                st.success(t("fm_triage_saved", id=int(r.id), status=t(f"fm_status_{new_status}")))
                st.rerun()
            except reports.ReportError as e:
                st.error(t("fm_not_saved", reason=t(e.key, **{"detail": "", **e.params})))
        with st.popover(t("fm_history"), icon=":material/history:"):
            with auth.reader_connection(user.role, user.session_token, user.username) as conn:
                hist = reports.history(conn, int(r.id))
            for h in hist.itertuples(index=False):
                st.markdown(
                    f"- v{h.revision} {t('fm_action_' + str(h.action))} · {h.changed_by} · "
                    f"{fmt.local_time(h.changed_at)} · {reports.category_label(h.category, lg)}"
                    + (f" · {t('fm_status_' + str(h.status))}" if h.action == "triage" else "")
                )
