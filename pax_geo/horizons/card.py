"""The area card (Områdeskort): the three horizons for one area.

* status now: counts for the last 24 h, 7 d and 30 d against the area's own normal level, with
  the traffic light of :mod:`pax_geo.horizons.traffic`;
* trend: the last 28 days against the 28 before, and the year to date against the same stretch
  of last year, plus a weekly series;
* long term: each indicator against the municipality average.

:func:`build` does the reads (through the role's own login) and the arithmetic; the Streamlit
rendering lives in :mod:`pax_geo.ui.area_card`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection

from pax_geo import queries
from pax_geo.horizons import indicators as ind_stats
from pax_geo.horizons import queries as hq
from pax_geo.horizons.counts import Count
from pax_geo.horizons.medium import Trend, incident_trend
from pax_geo.horizons.periods import (
    Comparison,
    Period,
    compare,
    last_days,
    year_to_date,
)
from pax_geo.horizons.traffic import STATUS_WINDOWS, Overall, Status, overall, status

TREND_DAYS = 28
CARD_WEEKS = 26


class UnknownArea(LookupError):
    pass


@dataclass(frozen=True)
class PeriodComparison:
    current_period: Period
    previous_period: Period
    total: Comparison
    by_kind: pd.DataFrame  # kind, cur_lo … diff (see periods.compare)


@dataclass(frozen=True)
class AreaCard:
    area_id: int
    name: str
    population: int | None
    now: datetime
    kinds: tuple[str, ...]
    threshold: int
    statuses: tuple[Status, ...]
    overall: Overall
    status_by_kind: pd.DataFrame  # kind, window, lo, hi, label, normal
    last_28: PeriodComparison
    ytd: PeriodComparison
    weekly: Trend
    indicators: pd.DataFrame  # key, label_sv, label_en, unit, year, value, average, method, …
    indicator_history: pd.DataFrame  # key, year, value, average
    sources: pd.DataFrame  # layer, source, last_loaded_at, data_until
    indicator_sources: pd.DataFrame  # source, last_loaded_at, latest_year


def window_counts(cells: pd.DataFrame, n_windows: int) -> list[Count]:
    """Total count per window index 0..n_windows-1 (windows without cells are exact 0)."""
    tot = cells.groupby("window")[["lo", "hi"]].sum() if len(cells) else None
    out = []
    for i in range(n_windows):
        if tot is not None and i in tot.index:
            out.append(Count(int(tot.at[i, "lo"]), int(tot.at[i, "hi"])))
        else:
            out.append(Count.exact(0))
    return out


def _comparison(conn, area_id, kinds, threshold, periods: tuple[Period, Period]):
    cur, prev = periods
    a = hq.incident_cells(conn, cur, "all", kinds, [area_id])
    b = hq.incident_cells(conn, prev, "all", kinds, [area_id])
    by_kind = compare(a, b, ["kind"], threshold, groups=[(k,) for k in kinds])
    total = Comparison(
        Count(int(by_kind["cur_lo"].sum()), int(by_kind["cur_hi"].sum())),
        Count(int(by_kind["prev_lo"].sum()), int(by_kind["prev_hi"].sum())),
    )
    return PeriodComparison(cur, prev, total, by_kind)


def build(conn: Connection, area_id: int, now: datetime) -> AreaCard:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    areas = queries.area_table(conn)
    row = areas[areas["id"] == area_id]
    if row.empty:
        raise UnknownArea(f"no district with id {area_id}")
    name = str(row.iloc[0]["name"])
    pop_raw = row.iloc[0]["population"]
    population = None if pd.isna(pop_raw) else int(pop_raw)
    kinds = queries.visible_kinds(conn)
    threshold = hq.incident_threshold(conn, kinds)

    statuses = []
    by_kind_rows = []
    for key, (length, n_base) in STATUS_WINDOWS.items():
        cells = hq.incident_window_cells(conn, now, length, n_base + 1, kinds, [area_id])
        counts = window_counts(cells, n_base + 1)
        statuses.append(status(key, counts[0], counts[1:]))
        for kind in kinds:
            kc = window_counts(cells[cells["kind"] == kind], n_base + 1)
            st = status(key, kc[0], kc[1:])
            by_kind_rows.append(
                (kind, key, kc[0].lo, kc[0].hi, kc[0].label(threshold), st.baseline.mean)
            )
    status_by_kind = pd.DataFrame(
        by_kind_rows, columns=["kind", "window", "lo", "hi", "label", "normal"]
    )

    last_28 = _comparison(conn, area_id, kinds, threshold, last_days(now, TREND_DAYS))
    ytd = _comparison(conn, area_id, kinds, threshold, year_to_date(now))
    weekly = incident_trend(conn, now, "week", None, kinds, [area_id], n_buckets=CARD_WEEKS)

    meta = hq.indicator_keys(conn)
    values = hq.indicators(conn)
    pop = {
        int(i): (None if pd.isna(p) else int(p))
        for i, p in zip(areas["id"], areas["population"], strict=True)
    }
    hib = dict(zip(meta["key"], meta["higher_is_better"].astype(bool), strict=True))
    vs = ind_stats.versus_average(values, area_id, pop, hib)
    vs = vs.merge(meta, on="key", how="left")
    avgs = ind_stats.averages(values, pop).rename(columns={"value": "average"})
    mine = values[values["area_id"] == area_id][["key", "year", "value"]]
    history = mine.merge(avgs[["key", "year", "average"]], on=["key", "year"], how="left")
    if len(values):
        ind_src = (
            values.groupby("source")
            .agg(last_loaded_at=("loaded_at", "max"), latest_year=("year", "max"))
            .reset_index()
        )
    else:
        ind_src = pd.DataFrame(columns=["source", "last_loaded_at", "latest_year"])

    return AreaCard(
        area_id=area_id,
        name=name,
        population=population,
        now=now,
        kinds=kinds,
        threshold=threshold,
        statuses=tuple(statuses),
        overall=overall(statuses),
        status_by_kind=status_by_kind,
        last_28=last_28,
        ytd=ytd,
        weekly=weekly,
        indicators=vs,
        indicator_history=history.sort_values(["key", "year"]).reset_index(drop=True),
        sources=hq.data_status(conn),
        indicator_sources=ind_src,
    )
