"""Hotspots: density, Gi* hot spots, emerging hot spots, near repeat, time patterns, CompStat and
coverage gaps, each with a plain-language explanation beside it. Thin: widgets, cached calls into
pax_geo.analysis.service, drawing."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from pax_geo import clock, i18n
from pax_geo.analysis import service
from pax_geo.analysis.emerging import STEP_DAYS, TooFewSteps
from pax_geo.config import TIMEZONE, settings
from pax_geo.horizons.periods import ANALYSIS_WINDOWS, QUICK_WINDOWS
from pax_geo.ui import analysis_layers as al
from pax_geo.ui import basemap, charts, readable
from pax_geo.ui.analysis_data import (
    areas,
    compstat,
    coverage,
    density,
    emerging,
    hot_spots,
    near_repeat,
    point_kinds,
    temporal,
)
from pax_geo.ui.downloads import csv_download
from pax_geo.ui.session import audit_page_view, lang, require_page, t
from pax_geo.ui.widgets import relabel_on_language_change

PAGE = "hotspots"
#: The analysis periods: the shared quick windows (rolling, ending now), with the same labels.
PERIODS = {key: QUICK_WINDOWS[key] for key in ANALYSIS_WINDOWS}
#: emerging hot spots: time step per period (about 12 steps each)
STEPS = {"90d": "week", "1y": "month", "3y": "quarter"}
METHODS = ("density", "hotspots", "emerging", "nearrepeat", "temporal", "compstat", "coverage")

user = require_page(PAGE)
lg = lang()


# --- small drawing helpers -------------------------------------------------------------------------


def legend(items: list[tuple[str, list[int]]]) -> None:
    if not items:
        return
    parts = []
    for label, c in items:
        r, g, b = c[:3]
        a = (c[3] if len(c) > 3 else 255) / 255
        parts.append(
            f'<span style="display:inline-block;width:14px;height:14px;border-radius:3px;'
            f"background:rgba({r},{g},{b},{max(a, 0.35):.2f});border:1px solid #777;"
            f'margin:0 6px -2px 0"></span>{html.escape(label)}'
        )
    st.markdown(
        f"**{t('an_legend')}**<br>" + "<br>".join(parts),
        unsafe_allow_html=True,
    )


def draw_map(bundle: al.LayerBundle, key: str) -> None:
    deck = al.make_deck(bundle, areas(user.role), settings().basemap)
    st.pydeck_chart(deck, height=540, key=key)
    st.caption(basemap.note())


def download(df: pd.DataFrame, name: str, what: str) -> None:
    """A CSV download named by what it holds (two buttons on a tab must not read the same)."""
    csv_download(
        df,
        f"pax_{name}.csv",
        PAGE,
        name,
        key=f"dl_{name}",
        label=t("an_download_csv", what=what),
        filters=filters,
    )


def explain(key: str, **fmt) -> None:
    st.markdown(f"#### {t('an_what')}")
    st.markdown(t(key, **fmt))


def p_text(p: float | None) -> str:
    return readable.p_text(p, lg)


def kind_label(kind: str) -> str:
    return t(f"kind_{kind}")


# --- page --------------------------------------------------------------------------------------

st.title(t("page_hotspots"))
st.caption(t("an_intro"))

available = point_kinds(user.role)
c1, c3 = st.columns([2, 1])
period = c1.segmented_control(
    t("an_period"),
    list(PERIODS),
    default="1y",
    format_func=lambda p, lg=lg: i18n.t(f"window_{p}", lg),
    key="an_period",
    help=t("window_help_rolling"),
    required=True,
)
relabel_on_language_change("an_size", "an_kinds")
size = c3.selectbox(
    t("an_hex_size"),
    [250, 500],
    format_func=lambda m, lg=lg: i18n.t("an_hex_size_value", lg, m=m),
    key="an_size",
)
default_kinds = [k for k in ("car_fire", "shooting") if k in available] or list(available)
kinds = tuple(
    st.multiselect(
        t("an_kinds"),
        list(available),
        default=default_kinds,
        format_func=lambda k, lg=lg: i18n.t(f"kind_{k}", lg),
        placeholder=t("an_kinds_placeholder"),
        key="an_kinds",
    )
)
method = st.segmented_control(
    t("an_method"),
    list(METHODS),
    default="hotspots",
    format_func=lambda m, lg=lg: i18n.t(f"an_method_{m}", lg),
    key="an_method",
    required=True,
)

# the one clock: now to the whole minute, like every page (reruns within it share the cache)
now = clock.now()
end_s = now.isoformat()
start_s = (now - PERIODS[period]).isoformat()
filters = {"period": period, "kinds": list(kinds), "size": size, "method": method}
audit_page_view(PAGE, filters)

if not kinds:
    st.info(t("an_pick_kind"))
    st.stop()


def precision_note(prec: str) -> None:
    g = settings().grid_m
    if prec == "exact":
        st.caption(t("an_precision_exact"))
    elif prec == "grid":
        st.info(t("an_precision_grid", grid=g), icon=":material/grid_on:")
    elif prec == "mixed":
        st.info(t("an_precision_mixed", grid=g), icon=":material/grid_on:")
    else:
        st.warning(t("an_precision_none"))


left, right = st.columns([3, 2], gap="large")

if method == "density":
    with st.spinner(t("an_computing")):
        res = density(user.role, start_s, end_s, kinds)
    precision_note(res.precision)
    if res.density is None:
        st.info(t("an_too_few", n=res.n_points))
    else:
        bundle = al.density_layers(res.density, lg)
        with left:
            draw_map(bundle, "map_density")
        with right:
            explain("an_explain_density")
            st.markdown(f"#### {t('an_findings')}")
            st.markdown(
                t(
                    "an_find_density",
                    n=res.n_points,
                    vmax=f"{res.density.values.max():.0f}",
                    bw=int(res.density.bandwidth),
                )
            )
            legend(bundle.legend)

elif method == "hotspots":
    with st.spinner(t("an_computing")):
        hs = hot_spots(user.role, start_s, end_s, kinds, size)
    precision_note(hs.precision)
    if hs.n_points < 3:
        st.info(t("an_too_few", n=hs.n_points))
    else:
        counts = hs.gi.counts()
        bundle = al.gi_layers(hs, lg)
        with left:
            draw_map(bundle, "map_gi")
        with right:
            explain(
                "an_explain_hotspots", perms=f"{settings().gi_permutations:,}".replace(",", " ")
            )
            st.markdown(f"#### {t('an_findings')}")
            if not any(v for k, v in counts.items() if k > 0):
                st.markdown(t("an_find_hotspots_none"))
            if (conc := hs.concentration()) is not None:
                st.info(
                    t(
                        "an_hotspots_concentrated",
                        share=f"{100 * conc.share:.0f}",
                        z=f"{conc.max_z:.1f}".replace(".", "," if lg == "sv" else "."),
                        p=p_text(conc.min_p),
                    ),
                    icon=":material/info:",
                )
            st.markdown(
                t(
                    "an_find_hotspots",
                    n=hs.n_points,
                    cells=len(hs.lattice),
                    h99=counts.get(3, 0),
                    h95=counts.get(2, 0),
                    h90=counts.get(1, 0),
                    cold=sum(v for k, v in counts.items() if k < 0),
                )
            )
            legend(bundle.legend)
        table = hs.table()
        table = table[table["level"] != 0].sort_values("gi_z", ascending=False)
        table = readable.hot_spots(table, areas(user.role), lg)
        st.markdown(f"#### {t('an_table')}")
        st.dataframe(table, hide_index=True, width="stretch")
        download(table, "gi_hotspots", t("an_dl_gi_hotspots"))

elif method == "emerging":
    step = STEPS[period]
    with st.spinner(t("an_computing")):
        try:
            em, prec = emerging(user.role, start_s, end_s, kinds, size, step)
        except TooFewSteps as exc:
            em, prec = None, "none"
            unit = t(f"an_step_{exc.step}") if exc.step in STEPS.values() else str(exc.step)
            st.warning(
                t("an_emerging_too_few_steps", steps=exc.n_steps, step=unit, min=exc.min_steps),
                icon=":material/info:",
            )
        except ValueError as exc:  # other refusals of the analysis speak for themselves
            em, prec = None, "none"
            st.warning(str(exc))
    if em is not None:
        precision_note(prec)
        bundle = al.emerging_layers(em, lg)
        steps = em.counts.shape[1]
        with left:
            draw_map(bundle, "map_emerging")
        with right:
            explain("an_explain_emerging", steps=steps, step=t(f"an_step_{step}"))
            st.markdown(f"#### {t('an_findings')}")
            ct = em.count_trend
            p = p_text(float(ct.p))
            sign = int(np.ravel(ct.trend())[0])  # Mann-Kendall at 5 %: +1, -1 or 0
            trend = t({1: "an_trend_up", -1: "an_trend_down"}.get(sign, "an_trend_none"), p=p)
            st.markdown(t("an_find_emerging", steps=steps, days=STEP_DAYS[step], trend=trend))
            summ = {k: v for k, v in em.summary().items() if k != "no_pattern"}
            if summ:
                st.dataframe(
                    pd.DataFrame(
                        {
                            t("an_col_category"): [t(f"an_cat_{k}") for k in summ],
                            t("an_col_cells"): list(summ.values()),
                        }
                    ),
                    hide_index=True,
                )
            legend(bundle.legend)
        table = em.table()
        table = table[table["category"] != "no_pattern"]
        table = readable.emerging(table, float(size), areas(user.role), lg)
        st.markdown(f"#### {t('an_table')}")
        st.dataframe(table, hide_index=True, width="stretch")
        download(table, "emerging_hotspots", t("an_dl_emerging"))

elif method == "nearrepeat":
    with st.spinner(t("an_computing")):
        results = near_repeat(user.role, start_s, end_s, kinds)
    if results:
        precision_note(results[0].precision)
    bundle = al.risk_zone_layers(results, lg)
    with left:
        draw_map(bundle, "map_nearrepeat")
    with right:
        explain("an_explain_nearrepeat", sims=service.NearRepeatParams().simulations)
        st.markdown(f"#### {t('an_findings')}")
        for nr in results:
            kl = kind_label(nr.kind)
            if nr.knox is None:
                st.markdown("- " + t("an_find_nearrepeat_few", kind=kl, n=nr.n_events))
            elif nr.spec is None:
                none = "an_find_nearrepeat_none" + ("_recent" if nr.note == "recent" else "")
                st.markdown("- " + t(none, kind=kl, n=nr.n_events))
            else:
                st.markdown(
                    "- "
                    + t(
                        "an_find_nearrepeat",
                        kind=kl,
                        n=nr.n_events,
                        r=int(nr.spec.radius_m),
                        d=int(nr.spec.days),
                        zones=len(nr.zones),
                    )
                )
            if nr.note == "recent" and nr.tested_from is not None:
                since = clock.local(nr.tested_from).strftime("%Y-%m-%d")
                st.caption(
                    t(
                        "an_find_nearrepeat_recent",
                        kind=kl,
                        tested=nr.n_tested,
                        n=nr.n_events,
                        since=since,
                    )
                )
        legend(bundle.legend)
    for nr in results:
        if nr.knox is None:
            continue
        tab = nr.knox.table()
        st.markdown(f"#### {t('an_knox_title')} · {kind_label(nr.kind)}")
        st.altair_chart(charts.knox_chart(tab, lg), width="stretch")
        download(
            readable.knox(tab, lg),
            f"knox_{nr.kind}",
            t("an_dl_knox", kind=kind_label(nr.kind).lower()),
        )
    zones = [
        nr.zones.assign(kind=nr.kind) for nr in results if nr.zones is not None and len(nr.zones)
    ]
    if zones:
        z = readable.risk_zones(pd.concat(zones, ignore_index=True), areas(user.role), lg, TIMEZONE)
        st.markdown(f"#### {t('an_table')}")
        st.dataframe(z, hide_index=True, width="stretch")
        download(z, "risk_zones", t("an_dl_risk_zones"))

elif method == "temporal":
    with st.spinner(t("an_computing")):
        tp = temporal(user.role, start_s, end_s, kinds)
    grid = tp.grid.table()
    months = tp.season.months.copy()
    with left:
        st.markdown(f"#### {t('an_heat_title')}")
        st.altair_chart(charts.week_hour_chart(grid, lg), width="stretch")
        st.markdown(f"#### {t('an_season_title')}")
        st.altair_chart(charts.season_chart(months, lg), width="stretch")
    with right:
        explain("an_explain_temporal")
        st.markdown(f"#### {t('an_findings')}")
        if tp.n_points:
            d, h = tp.grid.peak()
            st.markdown(
                t(
                    "an_find_temporal",
                    day=t(f"an_weekday_long_{d}"),
                    hour=f"{h:02d}",
                    hour_end=f"{(h + 1) % 24:02d}",
                    windowed=tp.grid.windowed,
                    n=tp.n_points,
                )
            )
            verdict = t("an_season_yes") if tp.season.significant() else t("an_season_no")
            st.markdown(t("an_find_season", verdict=verdict, p=p_text(tp.season.p)))
        else:
            st.markdown(t("an_too_few", n=0))
    st.markdown(f"#### {t('an_table')}")
    download(readable.hour_weekday(grid, lg), "hour_weekday", t("an_dl_hour_weekday"))
    download(readable.seasonality(months, lg), "seasonality", t("an_dl_seasonality"))

elif method == "compstat":
    with st.spinner(t("an_computing")):
        cs = compstat(user.role, end_s, kinds)
    names_col = t("an_col_area")

    def show(table: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                names_col: [a or t("an_all_areas") for a in table["area"]],
                t("an_col_kind"): [kind_label(k) for k in table["kind"]],
                t("an_col_now"): table["now"],
                t("an_col_before"): table["before"],
                t("an_col_change"): [
                    "–" if c is None or pd.isna(c) else f"{c:+.0%}" for c in table["change"]
                ],
                t("an_col_direction"): [t(f"an_dir_{d}") if d else "–" for d in table["direction"]],
                t("an_col_p"): [readable.p_cell(p) for p in table["p"]],
                t("an_col_verdict"): [t(f"an_verdict_{v}") for v in table["verdict"]],
            }
        )
        return out

    with left:
        for key in ("ytd", "28d"):
            res = cs[key]
            st.markdown(f"#### {t(f'an_compstat_{key}')}")
            tot = res.totals.assign(area="")
            st.dataframe(show(tot), hide_index=True, width="stretch")
            with st.expander(t("an_col_area")):
                st.dataframe(show(res.table), hide_index=True, width="stretch")
            download(
                readable.compstat(res.table, lg, t("an_all_areas")),
                f"compstat_{key}",
                t(f"an_dl_compstat_{key}"),
            )
    with right:
        explain("an_explain_compstat")

elif method == "coverage":
    dist = st.slider(t("an_route_distance"), 100, 1000, 300, step=50, key="an_dist")
    with st.spinner(t("an_computing")):
        hs, gaps, cams, routes = coverage(user.role, start_s, end_s, kinds, size, dist)
    precision_note(hs.precision)
    bundle = al.coverage_layers(gaps, cams, routes, lg)
    with left:
        draw_map(bundle, "map_coverage")
    with right:
        explain("an_explain_coverage", d=dist)
        st.markdown(f"#### {t('an_findings')}")
        cells = gaps.cells
        cam_gaps = (
            int(cells["camera_gap"].fillna(False).astype(bool).sum()) if gaps.cameras_known else "–"
        )
        st.markdown(
            t(
                "an_find_coverage",
                hot=len(cells),
                clusters=len(gaps.clusters),
                cam=cam_gaps,
                walk=int(cells["walk_gap"].sum()) if len(cells) else 0,
            )
        )
        if not gaps.cameras_known:
            st.markdown(t("an_find_coverage_nocam"))
        legend(bundle.legend)
    if len(gaps.clusters):
        cl = readable.coverage_clusters(gaps.clusters, areas(user.role), lg)
        st.markdown(f"#### {t('an_table')}")
        st.dataframe(cl, hide_index=True, width="stretch")
        download(cl, "coverage_gaps", t("an_dl_coverage_gaps"))
