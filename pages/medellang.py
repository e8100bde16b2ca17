"""Medellång sikt (trust and safety): trend panels, reporting and observations, safety survey,
and what changed since a chosen date."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from pax_geo import clock, i18n
from pax_geo.clock import TZ
from pax_geo.horizons import fmt, medium
from pax_geo.ui import charts
from pax_geo.ui import horizons as hz
from pax_geo.ui import operations as oui
from pax_geo.ui.downloads import csv_download, table_with_csv
from pax_geo.ui.session import audit_page_view, lang, require_page, t
from pax_geo.ui.widgets import lazy_tabs, relabel_on_language_change

PAGE = "medellang"
user = require_page(PAGE)
lg = lang()
# Weeks and months: a reading taken to the ten minutes, so that every session of the same role
# shares the cached trends for ten minutes instead of one (each new minute made every panel of
# every session cold again)
now = clock.to_ten_minutes(hz.now_minute())

st.title(t("page_medellang"))
st.caption(t("hz_medium_intro"))

kinds_all = hz.visible_kinds(user.role)
areas = hz.area_table(user.role)
names = dict(zip(areas["id"].astype(int), areas["name"], strict=True))

# only the open tab runs: a filter change pays for one tab, not four (a tab change reruns)
tab_trend, tab_obs, tab_safety, tab_since = lazy_tabs(
    ["hz_tab_trends", "hz_tab_reporting", "hz_tab_safety", "hz_tab_since"],
    "mt_tab",
    keep=[
        "mt_bucket",
        "mt_by",
        "mt_kinds",
        "mt_area",
        "mt_bucket_obs",
        "mt_safety_areas",
        "mt_since",
    ],
)

# --- trend panels --------------------------------------------------------------------------------
if tab_trend.open:
    with tab_trend:
        c1, c2 = st.columns(2)
        bucket = c1.segmented_control(
            t("hz_bucket"),
            ["week", "month"],
            default="week",
            format_func=lambda b, lg=lg: i18n.t(f"hz_bucket_{b}", lg),
            key="mt_bucket",
            required=True,
        )
        by = c2.segmented_control(
            t("hz_panel_by"),
            ["kind", "area_id"],
            default="kind",
            format_func=lambda b, lg=lg: i18n.t(f"hz_panel_by_{b}", lg),
            key="mt_by",
            required=True,
        )
        c3, c4 = st.columns(2)
        relabel_on_language_change("mt_kinds", "mt_area")
        kinds = tuple(
            c3.multiselect(
                t("hz_kinds"),
                list(kinds_all),
                default=list(kinds_all),
                format_func=lambda k, lg=lg: i18n.t(f"kind_{k}", lg),
                placeholder=t("hz_kinds_placeholder"),
                key="mt_kinds",
            )
        )
        area_choice = c4.selectbox(
            t("hz_area"),
            [0, *names],
            format_func=lambda a, lg=lg: (
                i18n.t("hz_whole_municipality", lg) if a == 0 else names[a]
            ),
            key="mt_area",
            disabled=by == "area_id",
        )
        roll = medium.DEFAULT_ROLL[bucket]
        # one audit row per distinct set of filters of each tab (only the open tab runs)
        audit_page_view(
            PAGE,
            {
                "tab": "trends",
                "bucket": bucket,
                "by": by,
                "kinds": list(kinds),
                "area_id": int(area_choice) or None,
            },
        )
        if not kinds:
            st.info(t("hz_pick_kind"))
        else:
            area_ids = () if by == "area_id" or area_choice == 0 else (int(area_choice),)
            tr = hz.incident_trend(user.role, now, bucket, by, kinds, area_ids, roll)
            frame = tr.frame.copy()
            if by == "kind":
                frame["panel"] = [hz.kind_label(k) for k in frame["kind"]]
                order = [hz.kind_label(k) for k in kinds]
                cols = 2
            else:
                frame["panel"] = [names.get(int(a), str(a)) for a in frame["area_id"]]
                totals = frame.groupby("panel")["value"].sum().sort_values(ascending=False)
                order = list(totals.index)
                cols = 3
            where = t("hz_whole_municipality") if not area_ids else names[area_ids[0]]
            st.markdown(
                f"**{t('hz_trend_heading', what=where if by == 'kind' else t('hz_per_area'))}**"
            )
            # One chart per panel in a grid: each chart takes its column's width, so the grid
            # fits a desktop and an 820 px tablet alike.
            st.altair_chart(charts.trend_legend(bucket, lg, roll=roll), width="stretch")
            grid = st.columns(cols)
            # operations and actions (Insatser) as rules on the panels they touch
            panels = (
                {name: area_ids for name in order}
                if by == "kind"
                else {names.get(int(a), str(a)): (int(a),) for a in frame["area_id"].unique()}
            )
            first_day = pd.Timestamp(frame["bucket"].min()).tz_localize(TZ).to_pydatetime()
            markers = oui.trend_markers(user, panels, first_day, now)
            specs = hz.trend_grid_specs(
                frame,
                tuple(order),
                bucket,
                lg,
                roll,
                150 if by == "area_id" else 200,
                "" if by == "area_id" else None,
                markers,
            )
            for i, spec in enumerate(specs):
                with grid[i % cols]:
                    st.vega_lite_chart(spec, width="stretch")
            st.caption(t("hz_trend_help", n=roll, unit=t(f"hz_unit_{bucket}")))
            if markers is not None and len(markers):
                st.caption(t("op_marker_legend"))
            hz.suppression_note(tr.threshold)
            st.caption(hz.incident_caption(user.role, kinds, tr.threshold >= 2))
            export = frame.assign(
                period=[charts.bucket_label(b, bucket, lg) for b in frame["bucket"]]
            )[["panel", "bucket", "period", "label", "lo", "hi", "complete", "roll", "ly_label"]]
            export.columns = [
                t("hz_panel_by_" + by),
                "bucket_start",
                t("hz_col_period"),
                t("hz_col_count"),
                "min",
                "max",
                t("hz_col_complete"),
                t("hz_series_roll", n=roll, unit=t(f"hz_unit_{bucket}")),
                t("hz_series_last_year"),
            ]
            table_with_csv(
                export,
                f"trend_{by}_{bucket}.csv",
                PAGE,
                f"trend_{by}_{bucket}",
                "dl_tr",
                t("hz_download_trend"),
                folded=True,
            )

# --- reporting and observations --------------------------------------------------------------
if tab_obs.open:
    with tab_obs:
        bucket_o = st.segmented_control(
            t("hz_bucket"),
            ["week", "month"],
            default="week",
            format_func=lambda b, lg=lg: i18n.t(f"hz_bucket_{b}", lg),
            key="mt_bucket_obs",
            required=True,
        )
        roll_o = medium.DEFAULT_ROLL[bucket_o]
        audit_page_view(PAGE, {"tab": "reporting", "bucket": bucket_o})
        left, right = st.columns(2, gap="large")
        with left:
            st.markdown(f"**{t('hz_obs_heading')}**")
            obs, per_cat = hz.observation_trend(user.role, now, bucket_o, roll_o)
            if obs.frame.empty or obs.frame["hi"].sum() == 0:
                st.info(t("hz_no_observations"))
            else:
                st.vega_lite_chart(
                    charts.trend_spec(
                        obs.frame, bucket_o, lg, roll=roll_o, height=220, y_title=t("hz_axis_obs")
                    ),
                    width="stretch",
                )
                hz.suppression_note(obs.threshold)
                cat_table = pd.DataFrame(
                    {
                        t("hz_col_category"): per_cat["category"],
                        t("hz_col_count"): per_cat["label"],
                    }
                )
                table_with_csv(
                    cat_table,
                    f"observations_{bucket_o}.csv",
                    PAGE,
                    "observations",
                    "dl_obs",
                    t("hz_download_observations"),
                )
            st.caption(hz.incident_caption(user.role, ["observation"], obs.threshold >= 2))
        with right:
            st.markdown(f"**{t('hz_walks_heading')}**")
            walks = hz.night_walk_trend(user.role, now, bucket_o)
            st.altair_chart(charts.walks_chart(walks, bucket_o, lg, height=220), width="stretch")
            wt = walks.assign(
                period=[charts.bucket_label(b, bucket_o, lg) for b in walks["bucket"]]
            )
            wt = wt[["bucket", "period", "walks", "participants", "ly_walks", "complete"]]
            wt.columns = [
                "bucket_start",
                t("hz_col_period"),
                t("hz_series_walks"),
                t("hz_col_participants"),
                t("hz_series_last_year"),
                t("hz_col_complete"),
            ]
            table_with_csv(
                wt,
                f"night_walks_{bucket_o}.csv",
                PAGE,
                "night_walks",
                "dl_walks",
                t("hz_download_walks"),
                folded=True,
            )
            st.caption(hz.walks_caption(user.role))

# --- safety survey ---------------------------------------------------------------------------
if tab_safety.open:
    with tab_safety:
        values, avgs, meta = hz.safety(user.role)
        if values.empty:
            st.info(t("hz_no_indicators"))
        else:
            labels = {
                r.key: f"{r.label_en if lg == 'en' else r.label_sv} ({r.unit})"
                for r in meta.itertuples(index=False)
            }
            chosen = st.multiselect(
                t("hz_compare_areas"),
                sorted(values["area"].unique()),
                default=[names[user.area_id]] if user.area_id in names else [],
                max_selections=4,
                placeholder=t("hz_compare_areas_placeholder"),
                key="mt_safety_areas",
            )
            audit_page_view(PAGE, {"tab": "safety", "areas": list(chosen)})
            st.altair_chart(
                charts.indicator_lines(values, avgs, lg, area_names=chosen, facet_labels=labels),
                width="content",
            )
            methods = set(avgs["method"])
            st.caption(
                t("hz_average_weighted")
                if methods == {"population_weighted"}
                else t("hz_average_unweighted")
            )
            latest = int(values["year"].max())
            prev_year = latest - 1
            wide = values.pivot_table(
                index=["area", "key"], columns="year", values="value"
            ).reset_index()
            table = pd.DataFrame(
                {
                    t("hz_col_area"): wide["area"],
                    t("hz_col_indicator"): wide["key"].map(labels),
                    str(latest): [fmt.num(v, lg) for v in wide[latest]],
                    t("hz_col_change_year", year=prev_year): [
                        fmt.signed(a - b, lg) if prev_year in wide and pd.notna(b) else "–"
                        for a, b in zip(
                            wide[latest],
                            wide[prev_year] if prev_year in wide else [None] * len(wide),
                            strict=True,
                        )
                    ],
                }
            )
            with st.expander(t("hz_table")):
                st.dataframe(table, hide_index=True, width="stretch")
            csv_download(
                values[["area", "key", "year", "value", "unit", "source"]],
                "safety_survey.csv",
                PAGE,
                "safety_survey",
                "dl_safety",
                label=t("hz_download_safety"),
            )
            st.caption(hz.indicator_caption(values))

# --- what changed since … ----------------------------------------------------------------------
if tab_since.open:
    with tab_since:
        today = now.date()
        day = st.date_input(
            t("hz_since_pick"),
            value=hz.default_since(now),
            min_value=today - timedelta(days=730),
            max_value=today - timedelta(days=1),
            format="YYYY-MM-DD",
            key="mt_since",
            help=t("hz_since_help"),
        )
        # before the comparison is computed: each date asked for is in the log
        audit_page_view(
            PAGE,
            {"tab": "since", "since": day.isoformat() if isinstance(day, date) else str(day)},
        )
        if not isinstance(day, date) or day >= today:
            st.error(t("hz_since_invalid", today=today.isoformat()))
        else:
            ch = hz.changes(user.role, day, now, kinds_all)
            span = ch.after.end - ch.after.start
            b0, b1 = ch.before.local()
            st.markdown(
                t(
                    "hz_since_explain",
                    since=day.isoformat(),
                    length=t("hz_length_days_hours", days=span.days, hours=span.seconds // 3600),
                    b0=fmt.local_date(b0),
                    b1=fmt.local_date(b1 - timedelta(seconds=1)),
                )
            )
            by_kind = (
                ch.by_kind.set_index("kind").reindex(list(kinds_all)).dropna(subset=["current"])
            )
            cols = st.columns(max(len(by_kind), 1))
            for (kind, r), col in zip(by_kind.iterrows(), cols, strict=False):
                exact = r["diff_lo"] == r["diff_hi"]
                col.metric(
                    hz.kind_label(kind),
                    r["current"],
                    delta=int(r["diff_lo"]) if exact else str(r["diff"]).replace("−", "-"),
                    delta_color="inverse" if exact else "off",
                    delta_arrow="auto" if exact else "off",
                    delta_description=t("hz_vs_previous", previous=r["previous"]),
                    border=True,
                )
            walk_delta = ch.walks_after - ch.walks_before
            st.markdown(
                t(
                    "hz_since_walks",
                    after=ch.walks_after,
                    before=ch.walks_before,
                    delta=fmt.signed(walk_delta, lg, 0),
                )
                + "  \n"
                + t("hz_since_indicators", n=ch.indicator_rows_loaded)
            )
            st.markdown(f"**{t('hz_since_by_area')}**")
            table = ch.by_area_kind.copy()
            table = pd.DataFrame(
                {
                    t("hz_col_area"): table["area"],
                    t("hz_col_kind"): [hz.kind_label(k) for k in table["kind"]],
                    t("hz_col_before"): table["previous"],
                    t("hz_col_since"): table["current"],
                    t("hz_col_change"): table["diff"],
                    t("hz_col_direction"): [t(f"hz_dir_{d}") for d in table["direction"]],
                }
            )
            table_with_csv(
                table,
                f"changes_since_{day.isoformat()}.csv",
                PAGE,
                "changes_since",
                "dl_since",
                t("hz_download_changes"),
                height=320,
            )
            hz.suppression_note(ch.threshold)
            st.caption(hz.incident_caption(user.role, kinds_all, ch.threshold >= 2))
            if len(ch.observations):
                st.markdown(f"**{t('hz_since_observations')}**")
                ot = pd.DataFrame(
                    {
                        t("hz_col_category"): ch.observations["category"],
                        t("hz_col_before"): ch.observations["previous"],
                        t("hz_col_since"): ch.observations["current"],
                        t("hz_col_change"): ch.observations["diff"],
                    }
                )
                table_with_csv(
                    ot,
                    f"observations_since_{day.isoformat()}.csv",
                    PAGE,
                    "observations_since",
                    "dl_since_obs",
                    t("hz_download_observations_since"),
                )
                st.caption(hz.incident_caption(user.role, ["observation"], ch.obs_threshold >= 2))
