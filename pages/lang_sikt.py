"""Lång sikt (social sustainability): a classed choropleth of each indicator per area with a
year slider, small multiples per area, and every table as CSV. Clicking an area opens its
card."""

import pandas as pd
import streamlit as st

from pax_geo import i18n
from pax_geo.horizons import fmt
from pax_geo.horizons.indicators import SCHEMES, WEIGHTED
from pax_geo.ui import charts
from pax_geo.ui import horizons as hz
from pax_geo.ui.downloads import csv_download
from pax_geo.ui.session import audit_page_view, lang, require_page, t

PAGE = "lang_sikt"
user = require_page(PAGE)
lg = lang()

st.title(t("page_lang"))
st.caption(t("hz_long_intro"))

keys = hz.indicator_keys(user.role)
if keys.empty:
    st.info(t("hz_no_indicators"))
    st.stop()
key_labels = {
    r.key: (r.label_en if lg == "en" else r.label_sv) for r in keys.itertuples(index=False)
}

c1, c2, c3 = st.columns([2.2, 1.4, 1])
key = c1.selectbox(t("hz_indicator"), list(key_labels), format_func=key_labels.get, key="lt_key")
scheme = c2.selectbox(
    t("hz_scheme"),
    list(SCHEMES),
    format_func=lambda s, lg=lg: i18n.t(f"hz_scheme_{s}", lg),
    key="lt_scheme",
)
k = c3.number_input(t("hz_classes"), min_value=3, max_value=7, value=5, step=1, key="lt_k")

view = hz.indicator_view(user.role, key, scheme, int(k))
year = st.select_slider(t("hz_year"), options=list(view.years), value=view.years[-1], key="lt_year")
audit_page_view(PAGE, {"indicator": key, "scheme": scheme, "classes": int(k), "year": int(year)})
shapes = hz.area_shapes(user.role)
label_text = view.label(lg)
year_values = view.year(year)
bounds = view.classes.bounds()
class_labels = [f"{fmt.num(a, lg)} – {fmt.num(b, lg)}" for a, b in bounds]
colors = charts.class_colors(view.classes.k, view.higher_is_better)

map_col, table_col = st.columns([3, 2], gap="medium")
with map_col:
    event = st.altair_chart(
        charts.choropleth(
            shapes,
            year_values,
            class_labels,
            colors,
            lg,
            legend_title=[label_text, f"{view.unit}, {year}"],
            value_title=f"{label_text} ({view.unit})",
        ),
        width="stretch",
        on_select="rerun",
        selection_mode="area",
        key="lt_map",
    )
    picked = (event.selection.get("area") or []) if event else []
    if picked:
        area_id = picked[0].get("id")
        if area_id is not None:
            st.switch_page("pages/omradeskort.py", query_params={"area": str(int(area_id))})
    direction = t("hz_darker_worse_high") if not view.higher_is_better else t("hz_darker_worse_low")
    src = year_values
    st.caption(
        t(
            "hz_legend_note",
            scheme=t(f"hz_scheme_{scheme}").lower(),
            k=view.classes.k,
            first=view.years[0],
            last=view.years[-1],
        )
        + " "
        + direction
        + " "
        + t("hz_click_area")
    )
    st.caption(hz.indicator_caption(src) + f" · {t('hz_unit')}: {view.unit}")

with table_col:
    avg = view.average(year)
    if avg is not None:
        method = t("hz_method_weighted") if avg["method"] == WEIGHTED else t("hz_method_unweighted")
        st.metric(
            t("hz_municipality_average", year=year),
            f"{fmt.num(avg['value'], lg)} {view.unit}",
            help=method,
        )
        st.caption(method)
    ranked = year_values.sort_values("value", ascending=not view.higher_is_better)
    table = pd.DataFrame(
        {
            t("hz_col_area"): ranked["area"],
            f"{label_text} ({view.unit})": [fmt.num(v, lg) for v in ranked["value"]],
            t("hz_col_vs_average"): [
                fmt.signed(v - avg["value"], lg) if avg is not None else "–"
                for v in ranked["value"]
            ],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", height=420)
    export = ranked[["area_id", "area", "year", "value", "unit", "source", "cls"]].assign(
        key=key,
        municipality_average=None if avg is None else avg["value"],
        average_method=None if avg is None else avg["method"],
    )
    csv_download(
        export,
        f"{key}_{year}.csv",
        PAGE,
        f"indicator_{key}_{year}",
        "dl_year",
        label=t("hz_download_year", year=year),
    )

st.divider()
st.markdown(f"**{t('hz_small_multiples', label=label_text, unit=view.unit)}**")
st.altair_chart(
    charts.sparklines(
        view.values, view.averages, lg, value_title=f"{label_text} ({view.unit})", columns=4
    ),
    width="content",
)
st.caption(hz.indicator_caption(view.values))
all_years = view.values[["area_id", "area", "year", "value", "unit", "source"]].assign(key=key)
avg_export = view.averages.assign(key=key, area="(kommunen)")
with st.expander(t("hz_table")):
    st.dataframe(
        view.values.pivot_table(index="area", columns="year", values="value").round(1),
        width="stretch",
    )
csv_download(
    all_years,
    f"{key}_all_years.csv",
    PAGE,
    f"indicator_{key}_series",
    "dl_all",
    label=t("hz_download_all_years"),
)
csv_download(
    avg_export,
    f"{key}_municipality_average.csv",
    PAGE,
    f"indicator_{key}_avg",
    "dl_avg",
    label=t("hz_download_averages"),
)
