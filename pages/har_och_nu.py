"""Här och nu: incidents, caches, cameras, night walks and operations on one map."""

from contextlib import nullcontext

import streamlit as st

from pax_geo import i18n
from pax_geo.config import settings
from pax_geo.horizons import fmt
from pax_geo.horizons.counts import Count
from pax_geo.layers import INCIDENT_KINDS, load_layers
from pax_geo.mapdata import point_ceiling
from pax_geo.pages import may_open
from pax_geo.ui import data, session, widgets
from pax_geo.ui import operations as oui
from pax_geo.ui.deck import build_deck
from pax_geo.ui.mapview import (
    ANALYSIS_MODES,
    analysis_legend,
    analysis_overlay,
    details_panel,
    has_selection,
    legend,
    precision_caption,
)

user = session.require_page("har_och_nu")
lang = session.lang()


def t(key: str, **fmt) -> str:
    """Strings in the language of this run (labels are formatted after the run, too)."""
    return i18n.t(key, lang, **fmt)


specs = load_layers()
kinds = data.visible_kinds(user.role)
prec = data.precision(user.role)
districts = data.districts(user.role)
kind_labels = {k: t(f"kind_{k}") for k in INCIDENT_KINDS}

st.title(t("page_har_och_nu"))
st.caption(t("map_intro"))

top = st.columns([3, 2])
with top[0]:
    start, end, window_key = widgets.time_window("har_window")
with top[1]:
    area_ids = widgets.area_filter(districts, "har_areas")

context_layers = [
    lid
    for lid in ("camera", "night_walk_route", "operation", "area")
    if prec.get(lid, "none") != "none"
]
layer_options = kinds + context_layers
chosen_layers = st.pills(
    t("layers_label"),
    layer_options,
    selection_mode="multi",
    default=[lid for lid in layer_options if lid != "operation"],
    format_func=lambda lid, lg=lang: f"{specs[lid].style.icon} {specs[lid].label(lg)}",
    key="har_layers",
)
chosen_kinds = [k for k in kinds if k in chosen_layers]

widgets.relabel_on_language_change("har_subtypes", "har_analysis")
opts = st.columns([2, 2, 1])
subtypes: list[str] = []
if "cache" in chosen_kinds:
    with opts[2]:
        subtypes = st.multiselect(
            t("subtypes_filter"),
            specs["cache"].subtypes,
            format_func=lambda s, lg=lang: i18n.t(f"subtype_{s}", lg),
            placeholder=t("subtypes_all"),
            key="har_subtypes",
        )
exact = any(prec.get(k) == "exact" for k in kinds)
mode, hex_size = "auto", 150.0
if exact:
    with opts[0]:
        mode = (
            st.segmented_control(
                t("display"),
                ["auto", "points", "hex", "heat"],
                default="auto",
                format_func=lambda m, lg=lang: i18n.t(f"display_{m}", lg),
                key="har_mode",
            )
            or "auto"
        )
    with opts[1]:
        hex_size = float(
            st.select_slider(t("hex_size"), [75, 100, 150, 250, 500], 150, key="har_hex")
        )

analysis = "none"
if may_open(user.role, "hotspots") and any(prec.get(k) in ("exact", "grid") for k in kinds):
    analysis = st.selectbox(
        t("analysis_mode"),
        ANALYSIS_MODES,
        # The language is bound now: Streamlit may format the options after this run, too.
        format_func=lambda m, lg=lang: i18n.t(
            "analysis_none" if m == "none" else f"an_method_{m}", lg
        ),
        key="har_analysis",
        help=t("analysis_help"),
    )

flt = widgets.make_filter(start, end, chosen_kinds, area_ids, subtypes)
session.audit_page_view(
    "har_och_nu", {**flt.as_dict(), "window": window_key, "mode": mode, "analysis": analysis}
)
payload = data.map_data(user.role, flt, mode, hex_size, kind_labels, lang)

if mode == "points" and payload.mode == "hex":
    ceiling = point_ceiling(settings().point_budget)
    st.info(t("points_capped", ceiling=fmt.num(ceiling, lang, decimals=0)))
elif payload.mode in ("hex", "heat") and mode == "auto":
    st.info(
        t(
            "auto_switched",
            n=payload.point_total,
            budget=settings().point_budget,
            mode=t(f"mode_{payload.mode}"),
        )
    )

map_col, side_col = st.columns([3, 1], gap="medium")
with map_col:
    with st.spinner(t("analysis_running")) if analysis != "none" else nullcontext():
        bundle = analysis_overlay(user, analysis, flt, hex_size)
    deck = build_deck(
        payload,
        set(chosen_layers),
        kind_labels,
        basemap=settings().basemap,
        overlay=bundle.layers if bundle else None,
        focus_area=user.area_id,  # opens on the account's own area where it has one
    )
    event = st.pydeck_chart(
        deck, on_select="rerun", selection_mode="single-object", key="har_map", height=620
    )
    legend(payload, chosen_layers, kind_labels)
    analysis_legend(bundle)
with side_col:
    # A selection's details come first, level with the top of the map, so that the click's
    # result is in view at 1440x900 (below the counts it opened under the fold).
    selected = has_selection(event)
    if selected:
        details_panel(event, payload, user, kind_labels, chosen_kinds)
        st.divider()
    st.subheader(t("counts_heading"))
    below = payload.suppress_below
    note = t("counts_note_suppressed", n=below, m=below - 1)
    ranges = False
    for kind in chosen_kinds:
        count = payload.counts.get(kind, Count.exact(0))
        ranges |= not count.is_exact
        st.metric(kind_labels[kind], count.label(below), help=None if count.is_exact else note)
    if ranges:
        st.caption(note)
    precision_caption(prec, kinds)
    oui.side_list(user, flt.start, flt.end, flt.area_ids)
    if not selected:
        st.divider()
        details_panel(event, payload, user, kind_labels, chosen_kinds)
