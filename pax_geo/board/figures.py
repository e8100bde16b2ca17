"""The figures of a lägesbild, read from the database at the board's level of release.

:func:`build` returns one JSON-able dict. A presented lägesbild stores exactly this dict, so it
can be shown again later without asking the database anything: "what did we tell the board in
March?" has one answer. Every count comes from the board release functions of
``0014_board.py`` (area cells with suppression and noise, for every presenter, police
included); nothing finer than an area is read, and no coordinate is kept except the simplified
area outlines the maps are drawn from.

Counts are stored as ``[lo, hi]`` ranges: exact where the release is, ``[1, threshold-1]``
where it suppresses a cell, and sums of those elsewhere (``Count`` in horizons.counts).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, text

from pax_geo.analysis import compstat
from pax_geo.board.periods import Periods
from pax_geo.config import settings
from pax_geo.horizons import indicators as ind_stats
from pax_geo.horizons import queries as hq
from pax_geo.horizons.counts import Count, with_ranges
from pax_geo.horizons.periods import Period

VERSION = 1
KINDS: tuple[str, ...] = ("car_fire", "shooting", "explosion", "cache")
SAFETY_KEYS: tuple[str, ...] = ("safety_feel", "trust_police")
#: Area outlines are simplified to this tolerance (m) for the maps: enough for a slide.
SIMPLIFY_M = 40
#: Long-term indicators shown: the ones that moved most.
LONG_TOP = 4


def _iso(p: Period) -> dict[str, str]:
    return {"start": p.start.isoformat(), "end": p.end.isoformat()}


def _rng(c: Count) -> list[int]:
    return [int(c.lo), int(c.hi)]


def _cells(conn: Connection, period: Period, threshold: int) -> pd.DataFrame:
    df = pd.read_sql_query(
        text("select * from pax_api.board_incident_counts(:a, :b, 'all', null)"),
        conn,
        params={"a": period.start, "b": period.end},
    )
    return with_ranges(df, threshold)


def _sum(df: pd.DataFrame, mask: pd.Series | None = None) -> Count:
    d = df if mask is None else df[mask]
    return Count(int(d["lo"].sum()), int(d["hi"].sum())) if len(d) else Count(0, 0)


def judge_change(cur: Count, prev: Count, len_cur: float, len_prev: float) -> dict:
    """The exact conditional Poisson test (compstat.compare) at both ends of the ranges. A
    verdict is given only when it is the same at both ends; suppressed ranges that leave it
    open say so ("uncertain")."""
    a = compstat.compare(cur.lo, prev.hi, len_cur, len_prev)
    b = compstat.compare(cur.hi, prev.lo, len_cur, len_prev)
    verdicts = {a[2], b[2]}
    if "too_few" in verdicts:
        verdict = "too_few"
    elif verdicts == {"significant"} and a[0] == b[0]:
        verdict = "significant"
    elif verdicts == {"not_significant"}:
        verdict = "not_significant"
    else:
        verdict = "uncertain"
    p = a[1] if cur.is_exact and prev.is_exact else None
    return {"verdict": verdict, "p": p}


def _areas(conn: Connection) -> list[dict]:
    rows = conn.execute(
        text(
            "select a.id, a.name, a.population, "
            "st_asgeojson(st_simplifypreservetopology(a.geom, :tol), 0) as g, "
            "round(st_x(c.center)) as lx, round(st_y(c.center)) as ly "
            "from pax_api.area a, lateral st_maximuminscribedcircle(a.geom) c "
            "where a.kind = 'district' order by a.name"
        ),
        {"tol": SIMPLIFY_M},
    ).all()
    return [
        {
            "id": int(r.id),
            "name": r.name,
            "population": r.population,
            "geom": json.loads(r.g),
            # the pole of inaccessibility: where a label has most room inside the area
            "label": [float(r.lx), float(r.ly)],
        }
        for r in rows
    ]


def _incidents(conn: Connection, ps: Periods, areas: list[dict], threshold: int) -> dict:
    names = {a["id"]: a["name"] for a in areas}
    frames = {
        "cur": _cells(conn, ps.current, threshold),
        "prev": _cells(conn, ps.previous, threshold),
        "ly": _cells(conn, ps.last_year, threshold),
    }
    kinds = sorted(set().union(*(set(f["kind"]) for f in frames.values())) | set(KINDS))
    visible = [k for k in KINDS if k in kinds]
    totals: dict[str, dict] = {}
    by_area: dict[str, dict[str, dict]] = {}
    for k in visible:
        t = {key: _sum(f, f["kind"] == k) for key, f in frames.items()}
        totals[k] = {key: _rng(c) for key, c in t.items()}
        totals[k]["test_prev"] = judge_change(
            t["cur"], t["prev"], ps.current.days, ps.previous.days
        )
        totals[k]["test_ly"] = judge_change(t["cur"], t["ly"], ps.current.days, ps.last_year.days)
        per: dict[str, dict] = {}
        for aid, name in names.items():
            per[name] = {
                key: _rng(_sum(f, (f["kind"] == k) & (f["area_id"] == aid)))
                for key, f in frames.items()
            }
        outside = {
            key: _rng(_sum(f, (f["kind"] == k) & f["area_id"].isna())) for key, f in frames.items()
        }
        if any(v != [0, 0] for v in outside.values()):
            per[""] = outside
        by_area[k] = per
    return {"kinds": visible, "totals": totals, "by_area": by_area}


def _pattern(conn: Connection, period: Period, threshold: int) -> list[list[int]]:
    """[dow (1 Monday), block start hour, lo, hi] for all kinds together."""
    df = pd.read_sql_query(
        text("select * from pax_api.board_pattern(:a, :b, null) where kind is null"),
        conn,
        params={"a": period.start, "b": period.end},
    )
    df = with_ranges(df, threshold)
    return [[int(r.dow), int(r.block), int(r.lo), int(r.hi)] for r in df.itertuples()]


def _observations(conn: Connection, ps: Periods, threshold: int) -> dict:
    out: dict[str, dict] = {}
    frames = {}
    for key, p in (("cur", ps.current), ("prev", ps.previous), ("ly", ps.last_year)):
        df = pd.read_sql_query(
            text("select * from pax_api.board_observation_counts(:a, :b, 'all')"),
            conn,
            params={"a": p.start, "b": p.end},
        )
        frames[key] = with_ranges(df, threshold)
    cats = sorted(set().union(*(set(f["category"]) for f in frames.values())))
    for c in cats:
        out[c] = {k: _rng(_sum(f, f["category"] == c)) for k, f in frames.items()}
    total = {k: _rng(_sum(f)) for k, f in frames.items()}
    return {"total": total, "by_category": out}


def _walks(conn: Connection, ps: Periods) -> dict:
    out = {}
    for key, p in (("cur", ps.current), ("prev", ps.previous), ("ly", ps.last_year)):
        row = conn.execute(
            text(
                "select count(*)::int as walks, coalesce(sum(participants), 0)::int as people, "
                "count(distinct walked_on)::int as evenings from pax_api.night_walk "
                "where walked_on >= (:a at time zone 'Europe/Stockholm')::date "
                "and walked_on < (:b at time zone 'Europe/Stockholm')::date"
            ),
            {"a": p.start, "b": p.end},
        ).one()
        out[key] = {"walks": row.walks, "people": row.people, "evenings": row.evenings}
    return out


def _indicators(conn: Connection, areas: list[dict]) -> dict:
    """Municipality averages per key and year (population-weighted where known), and per key
    the areas furthest from the average in the latest year."""
    keys = hq.indicator_keys(conn)
    ind = hq.indicators(conn)
    pop = {a["id"]: a["population"] for a in areas}
    names = {a["id"]: a["name"] for a in areas}
    avg = ind_stats.averages(ind, pop) if len(ind) else pd.DataFrame()
    out: dict[str, dict] = {}
    for k in keys.itertuples():
        a = avg[avg["key"] == k.key].sort_values("year") if len(avg) else avg
        if a.empty:
            continue
        latest = int(a["year"].iloc[-1])
        prev_year = int(a["year"].iloc[-2]) if len(a) > 1 else None
        cur_vals = ind[(ind["key"] == k.key) & (ind["year"] == latest)]
        avg_latest = float(a["value"].iloc[-1])
        spread = []
        for r in cur_vals.itertuples():
            if pd.notna(r.value) and int(r.area_id) in names:
                spread.append([names[int(r.area_id)], round(float(r.value), 1)])
        spread.sort(key=lambda x: x[1])
        out[k.key] = {
            "label_sv": k.label_sv,
            "label_en": k.label_en,
            "unit": k.unit or "",
            "higher_is_better": bool(k.higher_is_better),
            "year": latest,
            "average": round(avg_latest, 1),
            "prev_year": prev_year,
            "prev_average": round(float(a["value"].iloc[-2]), 1) if prev_year else None,
            "areas": spread,
        }
    return out


def _operations(conn: Connection, period: Period) -> list[dict]:
    rows = conn.execute(
        text("select * from pax_api.board_operations(:a, :b)"),
        {"a": period.start, "b": period.end},
    ).all()
    return [
        {
            "name": r.name,
            "starts_on": r.starts_on.isoformat(),
            "ends_on": r.ends_on.isoformat() if r.ends_on else None,
            "status": r.status,
            "areas": list(r.areas),
            "owner": r.owner_org,
            "kind": r.kind,
            "verdict": r.verdict,
        }
        for r in rows
    ]


def _data_until(conn: Connection, kinds: Sequence[str]) -> str | None:
    ds = hq.data_status(conn)
    ds = ds[ds["layer"].isin(kinds)] if len(ds) else ds
    if ds.empty or ds["data_until"].isna().all():
        return None
    return pd.Timestamp(ds["data_until"].max()).isoformat()


def build(conn: Connection, ps: Periods, now: datetime) -> dict:
    """Every figure of a lägesbild for the periods `ps`, as released to the board."""
    threshold = settings().suppress_below
    areas = _areas(conn)
    incidents = _incidents(conn, ps, areas, threshold)
    return {
        "version": VERSION,
        "municipality": settings().municipality_name,
        "generated_at": now.isoformat(),
        "data_until": _data_until(conn, incidents["kinds"]),
        "threshold": threshold,
        "period": _iso(ps.current),
        "previous": _iso(ps.previous),
        "last_year": _iso(ps.last_year),
        "areas": [{"name": a["name"], "geom": a["geom"], "label": a["label"]} for a in areas],
        **incidents,
        "pattern": _pattern(conn, ps.current, threshold),
        "observations": _observations(conn, ps, threshold),
        "walks": _walks(conn, ps),
        "indicators": _indicators(conn, areas),
        "operations": _operations(conn, ps.current),
    }


def periods_of(fig: dict) -> Periods:
    """The periods a figures dict was built for (for a frozen lägesbild)."""

    def per(d: dict) -> Period:
        return Period(datetime.fromisoformat(d["start"]), datetime.fromisoformat(d["end"]))

    return Periods(per(fig["period"]), per(fig["previous"]), per(fig["last_year"]))
