"""Reads for the horizons pages. Every function takes a connection opened as an application
role's own database login (:func:`pax_geo.db.reader_engine`) and reads pax_api only, so the
database decides what the role may see; suppressed counts come back as ranges.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, text

from pax_geo import queries
from pax_geo.horizons.counts import with_ranges
from pax_geo.horizons.periods import Period

_CELL_COLUMNS = ["area_id", "kind", "bucket", "n", "suppressed", "lo", "hi"]


def thresholds(conn: Connection) -> dict[str, int]:
    """layer -> the count below which the database suppresses cells for this role (0: none)."""
    rows = conn.execute(text("select layer, suppress_below from pax_api.my_precision")).all()
    return {layer: int(s) for layer, s in rows}


def incident_threshold(conn: Connection, kinds: Sequence[str] | None = None) -> int:
    th = thresholds(conn)
    kinds = kinds if kinds is not None else queries.visible_kinds(conn)
    return max((th.get(k, 0) for k in kinds), default=0)


def incident_cells(
    conn: Connection,
    period: Period,
    bucket: str = "all",
    kinds: Sequence[str] | None = None,
    area_ids: Sequence[int] = (),
) -> pd.DataFrame:
    """Per area x kind (x bucket) counts as released to the role, with lo/hi ranges.

    Columns: area_id, kind, bucket, n, suppressed, lo, hi.
    """
    kinds = tuple(kinds) if kinds is not None else queries.visible_kinds(conn)
    if not kinds:
        return pd.DataFrame(columns=_CELL_COLUMNS)
    flt = queries.Filter(start=period.start, end=period.end, kinds=kinds)
    counts = queries.incident_counts(conn, flt, bucket)
    return cells_of(counts, kinds, area_ids, incident_threshold(conn, kinds))


def cells_of(
    counts: pd.DataFrame, kinds: Sequence[str], area_ids: Sequence[int], threshold: int
) -> pd.DataFrame:
    """The cells of some kinds (and areas) out of released counts read for more of them, with
    lo/hi ranges. A cell's released value does not depend on the other kinds or areas read
    with it (the database releases each kind per cell), so one read serves every subset."""
    df = counts[counts["kind"].isin(list(kinds))]
    if area_ids:
        df = df[df["area_id"].isin(list(area_ids))]
    return with_ranges(df.reset_index(drop=True), threshold)


def incident_window_cells(
    conn: Connection,
    end: datetime,
    length: timedelta,
    n_windows: int,
    kinds: Sequence[str] | None = None,
    area_ids: Sequence[int] = (),
) -> pd.DataFrame:
    """Counts in `n_windows` back-to-back windows of `length` ending at `end`, in one query.

    Window 0 is [end - length, end), window i is i lengths earlier. One call of
    ``pax_api.incident_window_counts`` (0023): for each window the rows one call of
    ``pax_api.incident_counts`` would give (so each is released and suppressed as that function
    does), limited to `area_ids` when given. Columns: window, area_id, kind, n, suppressed, lo,
    hi.
    """
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware")
    if n_windows < 1:
        raise ValueError(f"n_windows must be at least 1 (got {n_windows})")
    kinds = tuple(kinds) if kinds is not None else queries.visible_kinds(conn)
    cols = ["window", "area_id", "kind", "n", "suppressed", "lo", "hi"]
    if not kinds:
        return pd.DataFrame(columns=cols)
    sql = text(
        "select window_index as window, area_id, kind, n, suppressed "
        "from pax_api.incident_window_counts(:end, :len, :n, :kinds, :areas)"
    )
    df = pd.read_sql_query(
        sql,
        conn,
        params={
            "n": n_windows,
            "end": end,
            "len": length,
            "kinds": list(kinds),
            "areas": [int(a) for a in area_ids] or None,
        },
    )
    return with_ranges(df, incident_threshold(conn, kinds))[cols]


def observation_cells(conn: Connection, period: Period, bucket: str = "all") -> pd.DataFrame:
    """Field-observation counts per area x category (x bucket), with lo/hi ranges.

    Empty for a role that may not see observations at all.
    """
    df = pd.read_sql_query(
        text("select * from pax_api.observation_counts(:start, :end, :bucket)"),
        conn,
        params={"start": period.start, "end": period.end, "bucket": bucket},
    )
    return with_ranges(df, thresholds(conn).get("observation", 0))


def night_walks(conn: Connection, period: Period, bucket: str) -> pd.DataFrame:
    """Night walks held per bucket (Europe/Stockholm calendar). Columns: bucket, walks,
    participants, routes."""
    if bucket not in ("week", "month", "day", "year"):
        raise ValueError(f"bucket must be day, week, month or year (got {bucket!r})")
    return pd.read_sql_query(
        text(
            "select date_trunc(:bucket, w.walked_on::timestamp)::date as bucket, count(*)::int as walks, "
            "sum(w.participants)::int as participants, count(distinct w.route_id)::int as routes "
            "from pax_api.night_walk w "
            "where w.walked_on >= (:start at time zone 'Europe/Stockholm')::date "
            "and w.walked_on < (:end at time zone 'Europe/Stockholm')::date "
            "group by 1 order by 1"
        ),
        conn,
        params={"bucket": bucket, "start": period.start, "end": period.end},
    )


def night_walk_status(conn: Connection) -> dict:
    row = (
        conn.execute(
            text(
                "select max(w.walked_on) as data_until, max(w.loaded_at) as loaded_at, "
                "string_agg(distinct w.source, ', ') as source from pax_api.night_walk w"
            )
        )
        .mappings()
        .one()
    )
    return dict(row)


def indicator_keys(conn: Connection) -> pd.DataFrame:
    return pd.read_sql_query(
        text(
            "select key, label_sv, label_en, unit, higher_is_better from pax_api.indicator_key "
            "order by key"
        ),
        conn,
    )


def indicators(conn: Connection, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Indicator values of districts. Columns: area_id, period, year, key, value, unit, source,
    loaded_at."""
    sql = (
        "select i.area_id, i.period, i.year, i.key, i.value, i.unit, i.source, i.loaded_at "
        "from pax_api.indicator i join pax_api.area a on a.id = i.area_id "
        "where a.kind = 'district' and (cardinality(cast(:keys as text[])) = 0 or i.key = any(cast(:keys as text[]))) "
        "order by i.key, i.area_id, i.year"
    )
    return pd.read_sql_query(text(sql), conn, params={"keys": list(keys or [])})


def data_status(conn: Connection) -> pd.DataFrame:
    """Source and time of the data the role can see: layer, source, last_loaded_at,
    data_until (day-truncated for roles whose small counts are suppressed)."""
    return pd.read_sql_query(text("select * from pax_api.data_status()"), conn)
