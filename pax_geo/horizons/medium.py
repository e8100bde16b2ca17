"""Medium term (trust and safety): trend panels, observation and night-walk trends, safety
survey indicators and "what changed since". Builds display-ready frames from role-aware reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection

from pax_geo import queries
from pax_geo.horizons import indicators as ind_stats
from pax_geo.horizons import queries as hq
from pax_geo.horizons.counts import labels
from pax_geo.horizons.periods import (
    BUCKETS_PER_YEAR,
    Period,
    changes_since,
    local_midnight,
    rolling_mean,
    same_period_last_year,
    series,
    series_window,
    shift_buckets,
    since,
)

SAFETY_KEYS: tuple[str, ...] = ("safety_feel", "trust_police")
#: Default rolling-mean length per bucket (4 weeks, 3 months).
DEFAULT_ROLL = {"week": 4, "month": 3}
#: Buckets shown per bucket size (one year of weeks, two years of months).
DEFAULT_SPAN = {"week": 52, "month": 24}


def _finish(s: pd.DataFrame, bucket: str, n_buckets: int, threshold: int) -> pd.DataFrame:
    """Keep the displayed buckets and add labels and midpoints for charts and tables."""
    last = s["bucket"].max() if len(s) else None
    if last is None:
        return s
    first = shift_buckets(last, bucket, -n_buckets)
    s = s[s["bucket"] >= first].copy()
    s["value"] = (s["lo"] + s["hi"]) / 2
    s["label"] = labels(s, threshold)
    s["exact"] = s["lo"] == s["hi"]
    s["roll"] = (s["roll_lo"] + s["roll_hi"]) / 2
    s["ly_value"] = (s["ly_lo"] + s["ly_hi"]) / 2
    has_ly = s["ly_lo"].notna()
    s["ly_label"] = None
    s.loc[has_ly, "ly_label"] = labels(
        s.loc[has_ly].astype({"ly_lo": int, "ly_hi": int}), threshold, "ly_lo", "ly_hi"
    )
    return s.reset_index(drop=True)


@dataclass(frozen=True)
class Trend:
    frame: pd.DataFrame  # by column, bucket, lo, hi, complete, value, label, roll, ly_value, …
    by: str | None
    bucket: str
    roll: int
    threshold: int
    period: Period


def trend_window(now: datetime, bucket: str, n_buckets: int | None = None) -> Period:
    """The window a trend of ``n_buckets`` (the bucket's default span) reads up to ``now``."""
    return series_window(now, bucket, n_buckets or DEFAULT_SPAN[bucket])


def incident_trend(
    conn: Connection,
    now: datetime,
    bucket: str,
    by: str | None = "kind",
    kinds: Sequence[str] | None = None,
    area_ids: Sequence[int] = (),
    n_buckets: int | None = None,
    roll: int | None = None,
    counts: pd.DataFrame | None = None,
) -> Trend:
    """Incident counts per bucket, per kind or per area (or in total when by is None), with a
    rolling mean and the same period last year.

    ``counts``: the released counts of :func:`trend_window` for every kind the role sees, when
    the caller keeps them (``pax_api.incident_counts`` per area, kind and bucket); else read
    here."""
    if by not in ("kind", "area_id", None):
        raise ValueError(f"by must be 'kind', 'area_id' or None (got {by!r})")
    n_buckets = n_buckets or DEFAULT_SPAN[bucket]
    roll = roll or DEFAULT_ROLL[bucket]
    visible = queries.visible_kinds(conn)
    kinds = tuple(k for k in (kinds if kinds is not None else visible) if k in visible)
    period = trend_window(now, bucket, n_buckets)
    threshold = hq.incident_threshold(conn, kinds)
    if counts is None:
        cells = hq.incident_cells(conn, period, bucket, kinds, area_ids)
    else:
        cells = hq.cells_of(counts, kinds, area_ids, threshold)
    groups: list[tuple[str | int]] | None
    if by == "kind":
        groups = [(k,) for k in kinds]
    elif by == "area_id":
        cells = cells.dropna(subset=["area_id"]).astype({"area_id": int})
        ids = list(area_ids) or queries.area_table(conn)["id"].astype(int).tolist()
        groups = [(int(a),) for a in ids]
    else:
        groups = None
    cols = [by] if by else []
    s = series(cells, bucket, period, by=cols, groups=groups)
    s = rolling_mean(s, roll, cols)
    s = same_period_last_year(s, bucket, cols)
    return Trend(_finish(s, bucket, n_buckets, threshold), by, bucket, roll, threshold, period)


def observation_trend(
    conn: Connection,
    now: datetime,
    bucket: str,
    n_buckets: int | None = None,
    roll: int | None = None,
) -> tuple[Trend, pd.DataFrame]:
    """Total field observations per bucket (rolling mean, last year), and the total per
    category over the displayed buckets (one 'all' read, so fewer cells are suppressed than
    in a sum of weekly cells). Per-category columns: category, lo, hi, label."""
    n_buckets = n_buckets or DEFAULT_SPAN[bucket]
    roll = roll or DEFAULT_ROLL[bucket]
    period = series_window(now, bucket, n_buckets)
    threshold = hq.thresholds(conn).get("observation", 0)
    cells = hq.observation_cells(conn, period, bucket)
    total = series(cells, bucket, period)
    total = same_period_last_year(rolling_mean(total, roll), bucket)
    total = _finish(total, bucket, n_buckets, threshold)
    per_cat = pd.DataFrame(columns=["category", "lo", "hi", "label"])
    if len(total):
        shown = Period(local_midnight(total["bucket"].min()), now)
        cat_cells = hq.observation_cells(conn, shown, "all")
        if len(cat_cells):
            per_cat = cat_cells.groupby("category", as_index=False)[["lo", "hi"]].sum()
            per_cat["label"] = labels(per_cat, threshold)
    return Trend(total, None, bucket, roll, threshold, period), per_cat


def night_walk_trend(
    conn: Connection, now: datetime, bucket: str, n_buckets: int | None = None
) -> pd.DataFrame:
    """Night walks held and participants per bucket, gap-free, with the same period last
    year."""
    n_buckets = n_buckets or DEFAULT_SPAN[bucket]
    period = series_window(now, bucket, n_buckets)
    walks = hq.night_walks(conn, period, bucket)
    cells = walks.rename(columns={"walks": "lo"}).assign(hi=lambda d: d["lo"])
    s = series(cells[["bucket", "lo", "hi"]], bucket, period)
    s = same_period_last_year(s, bucket)
    people = walks.set_index(pd.to_datetime(walks["bucket"]).dt.date)["participants"]
    s["walks"] = s["lo"]
    s["participants"] = [int(people.get(b, 0)) for b in s["bucket"]]
    s["ly_walks"] = s["ly_lo"]
    last = s["bucket"].max()
    s = s[s["bucket"] >= shift_buckets(last, bucket, -n_buckets)]
    return s[["bucket", "complete", "walks", "participants", "ly_walks"]].reset_index(drop=True)


def safety_indicators(
    conn: Connection, keys: Sequence[str] = SAFETY_KEYS
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Safety-survey indicators: (values per area and year with names, municipality averages
    per key and year, indicator key metadata)."""
    meta = hq.indicator_keys(conn)
    meta = meta[meta["key"].isin(keys)].reset_index(drop=True)
    values = hq.indicators(conn, list(meta["key"]))
    areas = queries.area_table(conn)
    pop = dict(zip(areas["id"].astype(int), areas["population"], strict=True))
    pop = {k: (None if pd.isna(v) else int(v)) for k, v in pop.items()}
    avg = ind_stats.averages(values, pop)
    values = values.merge(
        areas[["id", "name"]].rename(columns={"id": "area_id", "name": "area"}), on="area_id"
    )
    return values, avg, meta


@dataclass(frozen=True)
class Changes:
    after: Period
    before: Period
    threshold: int
    by_kind: pd.DataFrame  # kind, cur/prev/diff …
    by_area_kind: pd.DataFrame  # area_id, area, kind, …
    observations: pd.DataFrame  # category, …
    obs_threshold: int
    walks_after: int
    walks_before: int
    indicator_rows_loaded: int  # indicator values loaded (or reloaded) since the date


def changes(
    conn: Connection, day: date, now: datetime, kinds: Sequence[str] | None = None
) -> Changes:
    """What changed since `day` (local midnight) compared with the equally long period before."""
    after, before = since(day, now)
    visible = queries.visible_kinds(conn)
    kinds = tuple(k for k in (kinds if kinds is not None else visible) if k in visible)
    threshold = hq.incident_threshold(conn, kinds)
    a = hq.incident_cells(conn, after, "all", kinds)
    b = hq.incident_cells(conn, before, "all", kinds)
    by_kind = changes_since(a, b, ["kind"], threshold, groups=[(k,) for k in kinds])
    names = queries.area_table(conn)[["id", "name"]].rename(
        columns={"id": "area_id", "name": "area"}
    )
    aa = a.dropna(subset=["area_id"]).astype({"area_id": int})
    bb = b.dropna(subset=["area_id"]).astype({"area_id": int})
    by_area = changes_since(aa, bb, ["area_id", "kind"], threshold)
    by_area = by_area.merge(names, on="area_id", how="left")
    obs_th = hq.thresholds(conn).get("observation", 0)
    oa = hq.observation_cells(conn, after)
    ob = hq.observation_cells(conn, before)
    obs = changes_since(oa, ob, ["category"], obs_th) if len(oa) or len(ob) else pd.DataFrame()
    walks_a = int(hq.night_walks(conn, after, "year")["walks"].sum())
    walks_b = int(hq.night_walks(conn, before, "year")["walks"].sum())
    ind = hq.indicators(conn)
    loaded = int((pd.to_datetime(ind["loaded_at"], utc=True) >= after.start).sum())
    return Changes(
        after, before, threshold, by_kind, by_area, obs, obs_th, walks_a, walks_b, loaded
    )


__all__ = [
    "BUCKETS_PER_YEAR",
    "Changes",
    "Trend",
    "changes",
    "incident_trend",
    "night_walk_trend",
    "observation_trend",
    "safety_indicators",
]
