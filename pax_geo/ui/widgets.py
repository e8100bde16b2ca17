"""Shared filter widgets: time window, layers, areas."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import streamlit as st

from pax_geo import i18n
from pax_geo.queries import TZ, WINDOWS, Filter
from pax_geo.ui.session import lang


def _t(key: str) -> str:
    return i18n.t(key, lang())


WINDOW_KEYS = list(WINDOWS)


def time_window(key: str = "window", default: str = "30d") -> tuple[datetime, datetime, str]:
    """Quick windows (24 h … 1 year) plus a custom date range; returns start, end, key."""
    lg = lang()  # bound now: widgets format their labels after the run as well
    choice = (
        st.segmented_control(
            _t("window"),
            WINDOW_KEYS,
            default=default,
            format_func=lambda k: i18n.t(f"window_{k}", lg),
            key=key,
        )
        or default
    )
    now = datetime.now(TZ).replace(second=0, microsecond=0)
    if choice == "custom":
        today = now.date()
        picked = st.date_input(
            _t("custom_range"),
            value=(today - timedelta(days=30), today),
            max_value=today,
            key=f"{key}_range",
            format="YYYY-MM-DD",
        )
        if isinstance(picked, tuple) and len(picked) == 2:
            start = datetime.combine(picked[0], time.min, TZ)
            end = datetime.combine(picked[1], time.min, TZ) + timedelta(days=1)
            return start, min(end, now + timedelta(minutes=1)), choice
        choice = default
    return now - WINDOWS[choice], now + timedelta(minutes=1), choice


def area_filter(districts: dict[int, str], key: str = "areas") -> tuple[int, ...]:
    ids = st.multiselect(
        _t("areas_filter"),
        list(districts),
        format_func=lambda i: districts[i],
        placeholder=_t("areas_all"),
        key=key,
    )
    return tuple(int(i) for i in ids)


def make_filter(start: datetime, end: datetime, kinds, areas, subtypes=()) -> Filter:
    return Filter(
        start=start, end=end, kinds=tuple(kinds), area_ids=tuple(areas), subtypes=tuple(subtypes)
    )
