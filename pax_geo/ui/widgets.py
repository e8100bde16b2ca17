"""Shared filter widgets: time window, layers, areas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

import streamlit as st

from pax_geo import clock, i18n
from pax_geo.clock import TZ
from pax_geo.queries import WINDOWS, Filter
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
            help=i18n.t("window_help_map", lg),
        )
        or default
    )
    now = clock.now()
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
    length = WINDOWS.get(choice) or WINDOWS[default]
    if length is None:  # the default is a quick window, never "custom"
        raise ValueError(f"time window {default!r} has no length")
    return now - length, now + timedelta(minutes=1), choice


def area_filter(districts: dict[int, str], key: str = "areas") -> tuple[int, ...]:
    ids = st.multiselect(
        _t("areas_filter"),
        list(districts),
        format_func=lambda i: districts[i],
        placeholder=_t("areas_all"),
        key=key,
    )
    return tuple(int(i) for i in ids)


def relabel_on_language_change(*keys: str) -> None:
    """Call before creating option widgets (selectbox, multiselect) whose labels are translated.

    Streamlit 1.67 keeps such a widget's value in the browser as its *label* string. After a
    language switch Python still gets the right option (it re-formats the stored option), but
    the browser keeps showing the old language's label ("Ingen analys" in English). Assigning
    the value again makes Streamlit send it to the browser, formatted in the new language.
    """
    lg = lang()
    for key in keys:
        marker = f"_lang_of_{key}"
        if key in st.session_state and st.session_state.get(marker, lg) != lg:
            st.session_state[key] = st.session_state[key]
        st.session_state[marker] = lg


def keep_values(*keys: str) -> None:
    """Keep the values of these widgets through a run that does not draw them.

    Streamlit forgets the value of a widget that a run did not draw; assigning it through the
    Session State API on every such run keeps it (the documented way to keep widget state)."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def lazy_tabs(keys: Sequence[str], state_key: str, keep: Sequence[str] = ()) -> Sequence[Any]:
    """Tabs whose content runs only while open: one tab per catalogue key; draw a tab's
    content only when its ``.open`` is true. ``keep``: the keys of the widgets inside the tabs,
    whose values must survive while their tab is closed.

    ``st.tabs`` by default runs and sends every tab's content on every rerun; a page with four
    chart-filled tabs then pays four times for every filter change. With ``on_change="rerun"``
    Streamlit tracks the open tab and a tab change reruns the page. The state holds the tab's
    label, so after a language switch the same tab is selected again by its key.
    """
    keep_values(*keep)
    lg = lang()
    labels = [i18n.t(k, lg) for k in keys]
    stored = st.session_state.get(state_key)
    if stored is not None and stored not in labels:
        for k in keys:
            if stored in (i18n.t(k, other) for other in i18n.LANGS):
                st.session_state[state_key] = i18n.t(k, lg)
                break
        else:
            del st.session_state[state_key]
    return st.tabs(labels, key=state_key, on_change="rerun")


def builtin_texts_css(lg: str) -> str:
    """CSS that puts catalogue text over the file uploader's built-in English ("Upload",
    "200MB per file • CSV, …"): Streamlit 1.67 has no parameter for them (streamlit#13500).
    Scoped to the uploader's own test ids; the English text is hidden (font-size 0) and the
    catalogue's drawn in its place. The accepted types are named in each uploader's label."""
    if lg == "en":
        return ""
    limit = int(st.get_option("server.maxUploadSize"))
    button = _css_string(i18n.t("upload_button", lg))
    limit_text = _css_string(i18n.t("upload_limit", lg, mb=limit))
    drop = '[data-testid="stFileUploaderDropzone"]'
    return (
        f'{drop} button [data-testid="stMarkdownContainer"] p {{font-size: 0 !important;}}'
        f'{drop} button [data-testid="stMarkdownContainer"] p::after '
        f'{{content: "{button}"; font-size: 1rem;}}'
        '[data-testid="stFileUploaderDropzoneInstructions"] span {font-size: 0 !important;}'
        '[data-testid="stFileUploaderDropzoneInstructions"] span::after '
        f'{{content: "{limit_text}"; font-size: 0.875rem;}}'
    )


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def builtin_texts() -> None:
    """Draw the CSS of :func:`builtin_texts_css` for this run's language (no layout space:
    st.html with only a style element goes to Streamlit's event container)."""
    css = builtin_texts_css(lang())
    if css:
        st.html(f"<style>{css}</style>")


def make_filter(start: datetime, end: datetime, kinds, areas, subtypes=()) -> Filter:
    return Filter(
        start=start, end=end, kinds=tuple(kinds), area_ids=tuple(areas), subtypes=tuple(subtypes)
    )
