"""Regional jämförelse: the municipalities of the session's scope side by side (the regional
coordinator's start page). Counts per 10,000 inhabitants, CompStat per municipality, the
monthly development and the long-term indicators against the regional average; everything as
the database releases it to the login, never finer than a municipality's areas."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from pax_geo import clock
from pax_geo.horizons import medium
from pax_geo.horizons import regional as rg
from pax_geo.ui import charts, data
from pax_geo.ui import regional as rui
from pax_geo.ui.downloads import table_with_csv
from pax_geo.ui.session import audit_page_view, lang, require_page, t

PAGE = "regional"
user = require_page(PAGE)
lg = lang()

st.title(t("page_regional"))
st.caption(t("rg_intro"))

munis = rui.municipalities(user.role)
if munis.empty:
    st.info(t("rg_none"))
    st.stop()
if len(munis) < 2:
    st.info(t("rg_one"))
kinds = rui.kinds_seen(munis, data.visible_kinds(user.role))
threshold = rui.threshold(user.role)
st.caption(t("rg_suppressed_note", t=threshold) if threshold > 1 else t("rg_exact_note"))
now = clock.now().replace(second=0, microsecond=0)

# --- per 10,000 inhabitants ---------------------------------------------------------------------
st.subheader(t("rg_rates_heading"))
win = (
    st.segmented_control(
        t("rg_window"),
        list(rui.WINDOWS),
        default="1y",
        format_func=lambda k: t(f"rg_window_{k}"),
        key="rg_window",
    )
    or "1y"
)
audit_page_view(PAGE, {"window": win, "municipalities": list(munis["code"])})
start, end = rui.window(now, win)
rates = rg.rates(rui.counts(user.role, start, end, "all"), munis, kinds)
bars = rui.rates_chart_frame(rates)
cols = st.columns(2)
for i, k in enumerate(kinds):
    with cols[i % 2]:
        st.altair_chart(
            charts.regional_rates_chart(bars[bars["kind"] == k], t(f"kind_{k}"), lg),
            width="stretch",
        )
table_with_csv(
    rui.rates_table(rates, kinds, threshold, lg),
    f"regional_per_10k_{win}.csv",
    PAGE,
    "regional_rates",
    "rg_rates_csv",
    t("rg_csv"),
    folded=True,
)

# --- CompStat per municipality --------------------------------------------------------------
st.subheader(t("rg_compstat_heading"))
w = rg.compstat_windows(now)
parts = {
    k: rui.counts(user.role, *getattr(w, k), "all") for k in ("current", "previous", "last_year")
}


def _span(pair) -> str:
    return f"{pair[0]:%Y-%m-%d}–{pair[1]:%Y-%m-%d}"


st.caption(
    t("rg_compstat_caption", cur=_span(w.current), prev=_span(w.previous), ly=_span(w.last_year))
)
table_with_csv(
    rui.compstat_table(rg.compstat(parts, munis, kinds), kinds, threshold, lg),
    "regional_compstat.csv",
    PAGE,
    "regional_compstat",
    "rg_compstat_csv",
    t("rg_csv"),
)

# --- monthly development --------------------------------------------------------------------
st.subheader(t("rg_trend_heading"))
kind = st.selectbox(t("rg_kind"), kinds, format_func=lambda k: t(f"kind_{k}"), key="rg_kind")
first_month = medium.local_midnight((now - timedelta(days=700)).date().replace(day=1))
months = list(pd.date_range(first_month.date(), now.date(), freq="MS").date)
monthly = rg.monthly_rates(rui.counts(user.role, first_month, now, "month"), munis, [kind], months)
st.altair_chart(charts.regional_trend_chart(monthly, lg), width="stretch")

# --- long-term indicators -------------------------------------------------------------------
st.subheader(t("rg_indicators_heading"))
ind = rui.indicators(user.role)
if ind.empty:
    st.info(t("rg_no_indicators"))
else:
    st.caption(t("rg_indicators_caption"))
    table_with_csv(
        rui.indicator_table(ind, lg),
        "regional_indicators.csv",
        PAGE,
        "regional_indicators",
        "rg_ind_csv",
        t("rg_csv"),
    )
