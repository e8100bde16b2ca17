"""The area card (Områdeskort) as one reusable Streamlit function.

``render(user, area_id)`` draws the three horizons for one district: status now with the
traffic light and its rule written beside it, the trend (28 days, year to date, weekly series)
and the long term (indicators against the municipality average). The Områdeskort page calls
it; the tablet view and the board view can call it too (``compact=True`` stacks the rule under
the light instead of beside it, for narrow screens).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import pandas as pd
import streamlit as st

from pax_geo.horizons import fmt
from pax_geo.horizons.card import AreaCard
from pax_geo.horizons.indicators import WEIGHTED
from pax_geo.horizons.periods import Comparison, Period
from pax_geo.horizons.traffic import RED_MIN_COUNT, RULE_KEYS
from pax_geo.ui import charts, operations
from pax_geo.ui import horizons as hz
from pax_geo.ui.session import User, lang, t

#: Widths (px) of the status boxes: the three lights and the rule fit on one row on a desktop;
#: on an 820 px tablet the lights fill a row and the rule wraps below them.
METRIC_WIDTH = 168
RULE_WIDTH = 400


def _period_text(p: Period, day_only: bool = False) -> str:
    a, b = p.local()
    if day_only:
        return f"{fmt.local_date(a)} – {fmt.local_date(b)}"
    return f"{fmt.local_time(a)} – {fmt.local_time(b)}"


def _metric_delta(c: Comparison) -> tuple[int | str, Literal["inverse", "off"]]:
    """(delta for st.metric, delta_color): numeric when exact, a range string otherwise."""
    if c.diff_lo == c.diff_hi:
        return c.diff_lo, "inverse"
    return c.diff_label().replace("−", "-"), "off"


def _status_section(card: AreaCard, role: str, compact: bool) -> None:
    lg = lang()
    st.markdown(f"#### {t('hz_card_status')}")
    head = st.container(horizontal=True, vertical_alignment="center")
    with head:
        st.markdown(f"**{t('hz_card_overall')}**")
        hz.light_badge(card.overall.light, card.overall.light_at_most)
    # A wrapping row: the three lights (fixed-width boxes) and the rule box sit side by side
    # where there is room (desktop) and the rule wraps below them on a tablet.
    row = st.container(horizontal=True, wrap=True, gap="small")
    for s in card.statuses:
        with row.container(border=True, width=METRIC_WIDTH):
            st.metric(hz.window_label(s.window), s.count.label(card.threshold))
            hz.light_badge(s.light, s.light_at_most)
            st.caption(
                t(
                    "hz_normal",
                    mean=fmt.num(s.baseline.mean, lg),
                    spread=fmt.num(s.baseline.spread, lg),
                )
                + (f" · {t('hz_normal_estimated')}" if s.baseline.estimated else "")
            )
    right = row.container(border=True, width="stretch" if compact else RULE_WIDTH)
    left = st.container()
    with left:
        with st.expander(t("hz_card_by_kind")):
            sbk = card.status_by_kind.copy()
            sbk["cell"] = [
                f"{lab} ({t('hz_normal_short', mean=fmt.num(n, lg))})"
                for lab, n in zip(sbk["label"], sbk["normal"], strict=True)
            ]
            table = sbk.pivot(index="kind", columns="window", values="cell")
            table = table.reindex(index=list(card.kinds), columns=["24h", "7d", "30d"])
            table.index = [hz.kind_label(k) for k in table.index]
            table.columns = [hz.window_label(w) for w in table.columns]
            st.dataframe(table, width="stretch")
    with right:
        st.markdown(f"**{t('hz_rule_title')}**")
        st.markdown(
            "\n".join(
                f"- {t(k, n=card.threshold, red_min=RED_MIN_COUNT)}"
                for k in RULE_KEYS
                if k != "hz_rule_suppressed" or card.threshold >= 2
            )
        )
        st.caption(t("hz_rule_kinds", kinds=hz.kinds_text(card.kinds)))
    st.caption(hz.incident_caption(role, card.kinds, card.threshold >= 2))


def _comparison_metric(
    title: str, comp: Comparison, cur: Period, prev: Period, threshold: int
) -> None:
    delta, color = _metric_delta(comp)
    pct = comp.pct
    desc = t("hz_vs_previous", previous=comp.previous.label(threshold))
    if pct is not None:
        desc += f" ({fmt.signed(pct, lang(), 0)} %)"
    with st.container(border=True):
        st.metric(
            title,
            comp.current.label(threshold),
            delta=delta,
            delta_color=color,
            delta_arrow="auto" if color != "off" else "off",
            delta_description=desc,
            help=t("hz_periods_help", cur=_period_text(cur), prev=_period_text(prev)),
        )


def _trend_section(card: AreaCard, role: str) -> None:
    lg = lang()
    st.markdown(f"#### {t('hz_card_trend')}")
    c1, c2 = st.columns(2)
    with c1:
        _comparison_metric(
            t("hz_last_28"),
            card.last_28.total,
            card.last_28.current_period,
            card.last_28.previous_period,
            card.threshold,
        )
    with c2:
        _comparison_metric(
            t("hz_ytd"),
            card.ytd.total,
            card.ytd.current_period,
            card.ytd.previous_period,
            card.threshold,
        )
    tr = card.weekly
    st.vega_lite_chart(
        charts.trend_spec(tr.frame, tr.bucket, lg, roll=tr.roll, height=200), width="stretch"
    )
    with st.expander(t("hz_card_trend_by_kind")):
        rows = []
        for label, pc in ((t("hz_last_28"), card.last_28), (t("hz_ytd"), card.ytd)):
            for r in pc.by_kind.itertuples(index=False):
                rows.append(
                    {
                        t("hz_col_period"): label,
                        t("hz_col_kind"): hz.kind_label(r.kind),
                        t("hz_col_now"): r.current,
                        t("hz_col_before"): r.previous,
                        t("hz_col_change"): r.diff,
                    }
                )
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    hz.suppression_note(card.threshold)
    st.caption(hz.incident_caption(role, card.kinds, card.threshold >= 2))


def _long_section(card: AreaCard) -> None:
    lg = lang()
    st.markdown(f"#### {t('hz_card_long')}")
    ind = card.indicators
    if ind.empty:
        st.info(t("hz_no_indicators"))
        return
    hist = card.indicator_history
    latest = int(ind["year"].max())
    rows = []
    for r in ind.itertuples(index=False):
        h = hist[hist["key"] == r.key].sort_values("year")
        label = r.label_en if lg == "en" else r.label_sv
        year_note = "" if int(r.year) == latest else f", {r.year}"
        state = (
            t("hz_better")
            if r.better is True
            else t("hz_worse")
            if r.better is False
            else t("hz_same")
        )
        rows.append(
            {
                t("hz_col_indicator"): f"{label} ({r.unit}{year_note})",
                t("hz_col_area_value"): fmt.num(r.value, lg),
                t("hz_col_average"): fmt.num(r.average, lg),
                t("hz_col_diff"): fmt.signed(r.diff, lg),
                t("hz_col_state"): state,
                t("hz_col_history"): [float(v) for v in h["value"]],
            }
        )
    st.caption(t("hz_card_long_year", year=latest))
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            t("hz_col_history"): st.column_config.LineChartColumn(
                t("hz_col_history"), help=t("hz_history_help"), width="small"
            ),
            t("hz_col_area_value"): st.column_config.TextColumn(width="small"),
            t("hz_col_average"): st.column_config.TextColumn(width="small"),
            t("hz_col_diff"): st.column_config.TextColumn(width="small"),
            t("hz_col_state"): st.column_config.TextColumn(width="small"),
        },
    )
    methods = set(ind["method"])
    st.caption(t("hz_average_weighted") if methods == {WEIGHTED} else t("hz_average_unweighted"))
    src = card.indicator_sources
    if len(src):
        st.caption(
            t(
                "hz_caption_indicator",
                source=", ".join(sorted(src["source"].astype(str))),
                year=int(src["latest_year"].max()),
                loaded=fmt.local_time(pd.to_datetime(src["last_loaded_at"], utc=True).max()),
            )
        )


def render(
    user: User,
    area_id: int,
    *,
    now: datetime | None = None,
    compact: bool = False,
) -> AreaCard:
    """Draw the card of one district for the signed-in user's role; returns the card data."""
    now = now or hz.now_minute()
    card = hz.area_card(user.role, int(area_id), now)
    pop = (
        f" · {t('hz_population', n=fmt.num(card.population, lang(), 0))}" if card.population else ""
    )
    st.subheader(card.name)
    st.caption(t("hz_card_as_of", time=fmt.local_time(card.now)) + pop)
    _status_section(card, user.role, compact)
    st.divider()
    _trend_section(card, user.role)
    st.divider()
    if operations.sees_register(user.role):
        operations.card_section(user, int(area_id), now)
        st.divider()
    _long_section(card)
    return card
