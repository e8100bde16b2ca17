"""CompStat: per area and incident type, this period against the one before.

* year to date (1 January, Stockholm time, to now) against the same dates last year;
* the last 28 days against the 28 days before.

Counts come from ``pax_api.incident_counts`` (the database's per-area counts for the signed-in
role), never from points, so roles whose small counts are suppressed get "<N", not a number the
database would not give them, and no test is made where a count is suppressed.

Significance: the exact conditional test for two Poisson counts (Przyborowski & Wilenski 1940):
given the total n1 + n2, n1 is binomial with p = L1 / (L1 + L2) (L = the two periods' lengths)
under "same rate"; two-sided exact binomial p-value (scipy's ``binomtest``, "minlike"). "Counts
allow" a verdict when the smallest p-value the same exact test could give for any split of the
total n1 + n2, with the actual ratio of the period lengths, is at most alpha (see
:func:`min_attainable_p`); otherwise the change is reported as "too few to judge". With equal
periods and alpha 5 % that needs n1 + n2 >= 6; with year-to-date periods of unequal length (one
of them contains 29 February) 0 against 5 already gives p = 0.031.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from scipy import stats
from sqlalchemy import Connection

from pax_geo import queries
from pax_geo.config import TIMEZONE

ALPHA = 0.05


@dataclass(frozen=True)
class Period:
    key: str
    current: tuple[datetime, datetime]
    previous: tuple[datetime, datetime]


def periods(now: datetime) -> tuple[Period, Period]:
    """The two CompStat comparisons ending at ``now`` (timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = pd.Timestamp(now).tz_convert(TIMEZONE)
    jan1 = local.normalize().replace(month=1, day=1)
    last_jan1 = jan1.replace(year=jan1.year - 1)
    try:
        last_now = local.replace(year=local.year - 1)
    except ValueError:  # 29 February
        last_now = (local - pd.Timedelta(days=1)).replace(year=local.year - 1)
    ytd = Period(
        "ytd",
        (jan1.to_pydatetime(), local.to_pydatetime()),
        (last_jan1.to_pydatetime(), last_now.to_pydatetime()),
    )
    d28 = timedelta(days=28)
    last28 = Period(
        "28d",
        (now - d28, now),
        (now - 2 * d28, now - d28),
    )
    return ytd, last28


def min_attainable_p(total: int, p0: float) -> float:
    """The smallest two-sided exact binomial p-value any split of ``total`` can give when the
    current period's share of the time is ``p0``. The pmf is unimodal, so the smallest pmf (and
    with it the smallest "minlike" p-value) is at one of the two extreme splits."""
    if total <= 0:
        return 1.0
    return min(
        float(stats.binomtest(0, total, p0, alternative="two-sided").pvalue),
        float(stats.binomtest(total, total, p0, alternative="two-sided").pvalue),
    )


def compare(n1: int, n2: int, len1: float = 1.0, len2: float = 1.0, alpha: float = ALPHA):
    """(direction, p-value or None, verdict) for counts n1 (current) vs n2 (previous).

    direction: "up", "down" or "same" on the rate; verdict: "significant", "not_significant"
    or "too_few".
    """
    if n1 < 0 or n2 < 0:
        raise ValueError("counts cannot be negative")
    r1, r2 = n1 / len1, n2 / len2
    direction = "up" if r1 > r2 else "down" if r1 < r2 else "same"
    total = n1 + n2
    p0 = len1 / (len1 + len2)
    if total == 0 or min_attainable_p(total, p0) > alpha:
        return direction, None, "too_few"
    p = float(stats.binomtest(n1, total, p0, alternative="two-sided").pvalue)
    return direction, p, "significant" if p <= alpha else "not_significant"


def compstat_table(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    len_current: float,
    len_previous: float,
    area_names: dict[int, str] | None = None,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Join two ``incident_counts`` frames (area_id, kind, n, suppressed) into a CompStat table."""
    key = ["area_id", "kind"]
    cur = current.groupby(key, dropna=False).agg(n=("n", "sum"), sup=("suppressed", "any"))
    prev = previous.groupby(key, dropna=False).agg(n=("n", "sum"), sup=("suppressed", "any"))
    both = cur.join(prev, how="outer", suffixes=("_now", "_before")).reset_index()
    rows = []
    for r in both.itertuples(index=False):
        sup = bool(r.sup_now is True or r.sup_before is True)
        n1 = None if (r.sup_now is True) else int(0 if pd.isna(r.n_now) else r.n_now)
        n2 = None if (r.sup_before is True) else int(0 if pd.isna(r.n_before) else r.n_before)
        if sup or n1 is None or n2 is None:
            direction, p, verdict = None, None, "suppressed"
        else:
            direction, p, verdict = compare(n1, n2, len_current, len_previous, alpha)
        change = None
        if n1 is not None and n2 is not None and n2 > 0:
            change = (n1 / len_current) / (n2 / len_previous) - 1.0
        rows.append(
            {
                "area_id": None if pd.isna(r.area_id) else int(r.area_id),
                "area": "" if pd.isna(r.area_id) else (area_names or {}).get(int(r.area_id), ""),
                "kind": r.kind,
                "now": n1,
                "before": n2,
                "change": change,
                "direction": direction,
                "p": p,
                "verdict": verdict,
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(
            columns=[
                "area_id",
                "area",
                "kind",
                "now",
                "before",
                "change",
                "direction",
                "p",
                "verdict",
            ]
        )
    return out.sort_values(["kind", "area"]).reset_index(drop=True)


@dataclass
class CompStat:
    period: Period
    table: pd.DataFrame  # per area and kind
    totals: pd.DataFrame  # per kind


def compstat(
    conn: Connection,
    flt: queries.Filter,
    now: datetime | None = None,
    alpha: float = ALPHA,
) -> dict[str, CompStat]:
    """CompStat tables ("ytd" and "28d") for the connected role, for the filter's kinds and areas
    (the filter's own time window is not used: CompStat has its fixed periods)."""
    now = now or pd.Timestamp.now(tz=TIMEZONE).to_pydatetime()
    names = {}
    areas = queries.areas(conn)
    if not areas.empty:
        names = dict(zip(areas["id"].astype(int), areas["name"], strict=True))
    out = {}
    for per in periods(now):
        frames = []
        for start, end in (per.current, per.previous):
            f = queries.Filter(start=start, end=end, kinds=flt.kinds, area_ids=flt.area_ids)
            frames.append(queries.incident_counts(conn, f))
        len1 = (per.current[1] - per.current[0]).total_seconds()
        len2 = (per.previous[1] - per.previous[0]).total_seconds()
        table = compstat_table(frames[0], frames[1], len1, len2, names, alpha)
        out[per.key] = CompStat(per, table, totals(table, len1, len2, alpha))
    return out


def totals(
    table: pd.DataFrame, len1: float = 1.0, len2: float = 1.0, alpha: float = ALPHA
) -> pd.DataFrame:
    """Per kind over all areas (only rows without suppression), with the same test."""
    rows = []
    for kind, g in table.groupby("kind"):
        ok = g[g["verdict"] != "suppressed"]
        n1, n2 = int(ok["now"].fillna(0).sum()), int(ok["before"].fillna(0).sum())
        direction, p, verdict = compare(n1, n2, len1, len2, alpha)
        rows.append(
            {
                "kind": kind,
                "now": n1,
                "before": n2,
                # the change in the rate per day, so unequal periods compare fairly
                "change": (n1 / len1) / (n2 / len2) - 1.0 if n2 > 0 else None,
                "direction": direction,
                "p": p,
                "verdict": verdict,
                "complete": bool(len(ok) == len(g)),
            }
        )
    return pd.DataFrame(
        rows,
        columns=["kind", "now", "before", "change", "direction", "p", "verdict", "complete"],
    )
