"""Granskningslogg: browse, filter and export the audit log (admin only)."""

from datetime import datetime, time, timedelta

import streamlit as st

from pax_geo import auth_audit
from pax_geo.clock import TZ
from pax_geo.clock import today as clock_today
from pax_geo.ui import session
from pax_geo.ui.downloads import csv_download

LIMIT = 2000

t = session.t
user = session.require_page("audit")

st.title(t("page_audit"))
st.caption(t("audit_intro"))

with session.reader() as conn:
    actions = auth_audit.audit_actions(conn)
    pages = auth_audit.audit_pages(conn)

today = clock_today()
cols = st.columns([1, 1, 2, 2, 1])
d_from = cols[0].date_input(t("audit_from"), today - timedelta(days=7), key="audit_from")
d_to = cols[1].date_input(t("audit_to"), today, key="audit_to")
user_q = cols[2].text_input(t("audit_user"), key="audit_user", max_chars=128)
chosen = cols[3].multiselect(t("audit_actions"), actions, key="audit_actions")
page_sel = cols[4].selectbox(
    t("audit_page_filter"),
    [None, *pages],
    key="audit_page",
    format_func=lambda p: t("audit_all") if p is None else p,
)

if d_from > d_to:
    st.error(t("audit_bad_range"))
    st.stop()
flt = auth_audit.AuditFilter(
    start=datetime.combine(d_from, time.min, TZ),
    end=datetime.combine(d_to + timedelta(days=1), time.min, TZ),
    user=user_q or "",
    actions=tuple(chosen),
    page=page_sel,
)
session.audit_page_view("audit", flt.as_dict())

with session.reader() as conn:
    n = auth_audit.audit_count(conn, flt)
    df = auth_audit.audit_rows(conn, flt, limit=LIMIT)

st.caption(t("audit_rows", n=n, limit=LIMIT))
if df.empty:
    st.info(t("no_data"))
else:
    shown = df.assign(
        at=df["at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        detail=df["detail"].map(auth_audit.detail_text),
    ).rename(columns={c: t(f"audit_col_{c}") for c in ("at", "role", "action", "page", "detail")})
    shown = shown.rename(
        columns={"username": t("audit_col_user"), "db_login": t("audit_col_login")}
    )
    st.dataframe(shown, hide_index=True, width="stretch")


# the log has its own columns (time with zone, detail as JSON); the button and the audit row
# are the shared ones
csv_download(
    df,
    f"pax_audit_{d_from:%Y%m%d}_{d_to:%Y%m%d}.csv",
    "audit",
    "audit_log",
    key="audit_export",
    filters=flt.as_dict(),
    disabled=df.empty,
    encode=auth_audit.to_csv,
)
