"""Streamlit glue for the horizons pages and the area card: cached, role-keyed loaders over
:mod:`pax_geo.horizons`, the "Källa · data t.o.m." captions, audited CSV downloads and the
traffic-light badge.

Every loader takes the role first and is keyed by the session's scope (the role and its
municipalities, pax_geo.ui.scope): its cache entry holds only what that scope releases, read
through the role's own database login bound to the session.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st

from pax_geo import clock, queries
from pax_geo.clock import TZ
from pax_geo.horizons import card as card_mod
from pax_geo.horizons import fmt, long, medium
from pax_geo.horizons import queries as hq
from pax_geo.horizons.periods import Period, split_at_open_bucket
from pax_geo.ui import charts, scope
from pax_geo.ui.session import t

TTL = 120


def now_minute() -> datetime:
    """Now in Europe/Stockholm, floored to the minute (so reruns within a minute share cache)."""
    return clock.now()


# --- loaders ----------------------------------------------------------------------------------


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def area_table(role: str) -> pd.DataFrame:
    with scope.reader(role) as conn:
        return queries.area_table(conn)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def visible_kinds(role: str) -> tuple[str, ...]:
    with scope.reader(role) as conn:
        return queries.visible_kinds(conn)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def data_status(role: str) -> pd.DataFrame:
    with scope.reader(role) as conn:
        return hq.data_status(conn)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def walk_status(role: str) -> dict:
    with scope.reader(role) as conn:
        return hq.night_walk_status(conn)


#: How long the released counts of finished buckets are kept: records that arrive late (an
#: import, a report verified after the fact) show in past buckets within this time, as they did
#: when every trend was keyed to "now" rounded to ten minutes.
FINISHED_TTL = 600


@scope.shared(ttl=FINISHED_TTL, show_spinner=False, max_entries=32)
def _released_incident_counts(
    role: str, start: datetime, end: datetime, bucket: str
) -> pd.DataFrame:
    with scope.reader(role) as conn:
        flt = queries.Filter(start=start, end=end, kinds=queries.visible_kinds(conn))
        return queries.incident_counts(conn, flt, bucket)


def released_incident_counts(role: str, period: Period, bucket: str) -> pd.DataFrame:
    """The role's released incident counts per area, kind and bucket over ``period``, for every
    kind it sees. The finished buckets are one read kept for ten minutes and shared by every
    trend panel of the role (any kinds, areas, grouping or rolling mean; about 1 s at a million
    incidents); only the bucket in progress is read again as "now" moves (about 0.01 s)."""
    parts = [
        _released_incident_counts(role, p.start, p.end, bucket)
        for p in split_at_open_bucket(period, bucket)
        if p is not None
    ]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


@scope.shared(ttl=TTL, show_spinner=False, max_entries=64)
def incident_trend(
    role: str,
    now: datetime,
    bucket: str,
    by: str | None,
    kinds: tuple[str, ...],
    area_ids: tuple[int, ...],
    roll: int,
) -> medium.Trend:
    counts = released_incident_counts(role, medium.trend_window(now, bucket), bucket)
    with scope.reader(role) as conn:
        return medium.incident_trend(
            conn, now, bucket, by, kinds, area_ids, roll=roll, counts=counts
        )


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=32)
def trend_grid_specs(
    frame: pd.DataFrame,
    order: tuple[str, ...],
    bucket: str,
    lang: str,
    roll: int,
    height: int,
    y_title: str | None,
    markers: pd.DataFrame | None = None,
) -> list[dict]:
    """The Vega-Lite specification of each panel of a grid of trend charts (one per value of
    ``frame["panel"]``, in ``order``; charts.trend_panel_specs builds the chart once and gives
    each panel its data). ``markers`` (columns panel, day, name): operations and actions
    drawn on their panels."""
    return charts.trend_panel_specs(
        frame, order, bucket, lang, roll=roll, height=height, y_title=y_title, markers=markers
    )


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def observation_trend(role: str, now: datetime, bucket: str, roll: int):
    with scope.reader(role) as conn:
        return medium.observation_trend(conn, now, bucket, roll=roll)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def night_walk_trend(role: str, now: datetime, bucket: str) -> pd.DataFrame:
    with scope.reader(role) as conn:
        return medium.night_walk_trend(conn, now, bucket)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=16)
def safety(role: str):
    with scope.reader(role) as conn:
        return medium.safety_indicators(conn)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def changes(role: str, day: date, now: datetime, kinds: tuple[str, ...]) -> medium.Changes:
    with scope.reader(role) as conn:
        return medium.changes(conn, day, now, kinds)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=16)
def indicator_keys(role: str) -> pd.DataFrame:
    with scope.reader(role) as conn:
        return hq.indicator_keys(conn)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=64)
def indicator_view(role: str, key: str, scheme: str, k: int) -> long.IndicatorView:
    with scope.reader(role) as conn:
        return long.indicator_view(conn, key, scheme, k)


@scope.shared(ttl=3600, show_spinner=False, max_entries=8)
def area_shapes(role: str):
    with scope.reader(role) as conn:
        return long.area_shapes(conn)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=64)
def area_card(role: str, area_id: int, now: datetime) -> card_mod.AreaCard:
    with scope.reader(role) as conn:
        return card_mod.build(conn, area_id, now)


# --- labels -------------------------------------------------------------------------------------


def kind_label(kind: str) -> str:
    return t(f"kind_{kind}")


def kinds_text(kinds: tuple[str, ...] | list[str]) -> str:
    return ", ".join(kind_label(k).lower() for k in kinds) or "–"


def window_label(window: str) -> str:
    return t(f"hz_window_{window}")


def light_badge(light: str, uncertain_to: str | None = None) -> None:
    """The traffic light as a coloured badge with a word and its own icon (never colour
    alone)."""
    label = t(f"hz_light_{light}")
    if uncertain_to and uncertain_to != light:
        label = t("hz_light_uncertain", light=label, other=t(f"hz_light_{uncertain_to}").lower())
    st.badge(label, icon=charts.LIGHT_ICONS[light], color=charts.LIGHT_BADGE[light])


# --- captions -------------------------------------------------------------------------------


def _join_sources(values) -> str:
    vals = sorted({str(v) for v in values if v is not None and not pd.isna(v)})
    return ", ".join(vals) or "–"


def incident_caption(role: str, layers: tuple[str, ...] | list[str], day_only: bool) -> str:
    """'Källa: … · data t.o.m. … · inläst …' for the incident kinds / observation layer."""
    ds = data_status(role)
    rows = ds[ds["layer"].isin(list(layers))]
    if rows.empty:
        return t("hz_caption_none")
    # The pages read up to now: never claim data beyond it (demo data runs to midnight).
    until = min(pd.to_datetime(rows["data_until"], utc=True).max(), pd.Timestamp(now_minute()))
    loaded = pd.to_datetime(rows["last_loaded_at"], utc=True).max()
    until_text = (
        fmt.local_date(until.to_pydatetime()) if day_only else fmt.local_time(until.to_pydatetime())
    )
    return t(
        "hz_caption",
        source=_join_sources(rows["source"]),
        until=until_text,
        loaded=fmt.local_time(loaded.to_pydatetime()),
    )


def walks_caption(role: str) -> str:
    s = walk_status(role)
    if not s.get("data_until"):
        return t("hz_caption_none")
    return t(
        "hz_caption",
        source=s.get("source") or "–",
        until=fmt.local_date(_not_after_today(s["data_until"])),
        loaded=fmt.local_time(s["loaded_at"]),
    )


def _not_after_today(value):
    """A "data t.o.m." date is never after today, whatever a source claims."""
    today = now_minute().astimezone(TZ).date()
    day = value.astimezone(TZ).date() if isinstance(value, datetime) else value
    return min(day, today)


def indicator_caption(frame: pd.DataFrame) -> str:
    """Caption for indicator panels from rows with source, loaded_at, year."""
    if frame.empty:
        return t("hz_caption_none")
    loaded = pd.to_datetime(frame["loaded_at"], utc=True).max()
    return t(
        "hz_caption_indicator",
        source=_join_sources(frame["source"]),
        year=int(frame["year"].max()),
        loaded=fmt.local_time(loaded.to_pydatetime()),
    )


def suppression_note(threshold: int) -> None:
    if threshold >= 2:
        st.caption(t("hz_suppressed_note", n=threshold, m=threshold - 1))


# --- downloads ---------------------------------------------------------------------------------


def default_since(now: datetime) -> date:
    return (now - timedelta(days=30)).date()
