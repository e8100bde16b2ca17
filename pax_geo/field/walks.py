"""Night walks: the routes in an area, the walks planned tonight and held last weekend, and the
night walkers' log (:func:`log`, through ``pax_api.log_walk``: idempotent per form, audited).

A route's ``schedule`` is a list of ``{"weekday": 0-6 (Monday 0), "start": "HH:MM", "end":
"HH:MM"}``; an end at or before the start runs past midnight.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from pax_geo.clock import TZ
from pax_geo.field.reports import ReportError, check_note

#: How far back a walk may be logged (days; the database enforces it too).
LOG_DAYS_BACK = 14
MAX_PARTICIPANTS = 200


@dataclass(frozen=True)
class PlannedWalk:
    route_id: int
    name: str
    organisation: str
    start: datetime
    end: datetime


def routes(conn: Connection, area_ids: Sequence[int] = ()) -> pd.DataFrame:
    """Routes (id, name, organisation, schedule) crossing any of the areas (all without areas)."""
    return pd.read_sql_query(
        text(
            "select r.id, r.name, r.organisation, r.schedule::text as schedule "
            "from pax_api.night_walk_route r "
            "where cardinality(cast(:a as int[])) = 0 or exists ("
            "  select 1 from pax_api.area a where a.id = any(cast(:a as int[])) "
            "  and st_intersects(a.geom, r.geom)) "
            "order by r.name"
        ),
        conn,
        params={"a": [int(a) for a in area_ids]},
    )


def _schedule(raw: object) -> list[dict]:
    items = json.loads(raw) if isinstance(raw, str) else raw
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def evening_of(now: datetime) -> date:
    """The date of the evening `now` belongs to (before 06:00 it is still last night)."""
    local = now.astimezone(TZ)
    return local.date() - timedelta(days=1) if local.time() < time(6) else local.date()


def planned_on(rts: pd.DataFrame, day: date) -> list[PlannedWalk]:
    """The walks the routes' schedules plan on the evening of `day`, by start time."""
    out = []
    for r in rts.itertuples(index=False):
        for item in _schedule(r.schedule):
            if int(item.get("weekday", -1)) != day.weekday():
                continue
            s = time.fromisoformat(str(item["start"]))
            e = time.fromisoformat(str(item["end"]))
            start = datetime.combine(day, s, tzinfo=TZ)
            end_day = day + timedelta(days=1) if e <= s else day
            out.append(
                PlannedWalk(
                    int(r.id),
                    str(r.name),
                    str(r.organisation),
                    start,
                    datetime.combine(end_day, e, tzinfo=TZ),
                )
            )
    return sorted(out, key=lambda w: (w.start, w.name))


def last_weekend(today: date) -> tuple[date, date]:
    """Friday and Sunday of the last weekend that is over (on a Sunday: the one before)."""
    sunday = today - timedelta(days=(today.weekday() + 1) % 7 or 7)
    return sunday - timedelta(days=2), sunday


def held(conn: Connection, route_ids: Sequence[int], first: date, last: date) -> pd.DataFrame:
    """Walks held on these routes from `first` to `last` (inclusive)."""
    return pd.read_sql_query(
        text(
            "select w.route_id, w.walked_on, w.participants from pax_api.night_walk w "
            "where w.route_id = any(cast(:r as int[])) and w.walked_on between :a and :b "
            "order by w.walked_on, w.route_id"
        ),
        conn,
        params={"r": [int(r) for r in route_ids], "a": first, "b": last},
    )


def log(
    conn: Connection,
    key: str,
    route_id: int,
    walked_on: date,
    participants: int,
    note: str | None,
    today: date,
) -> tuple[int, bool]:
    """Log a walk held (committed when this returns): (id, created). ReportError names the
    field that is wrong; the same form key twice gives the same walk back."""
    if walked_on > today or walked_on < today - timedelta(days=LOG_DAYS_BACK):
        raise ReportError("fm_err_walk_date", "date", days=LOG_DAYS_BACK)
    if not 1 <= participants <= MAX_PARTICIPANTS:
        raise ReportError("fm_err_participants", "participants", max=MAX_PARTICIPANTS)
    clean = check_note(note)
    try:
        row = conn.execute(
            text("select id, created from pax_api.log_walk(cast(:k as uuid), :r, :d, :p, :n)"),
            {"k": key, "r": route_id, "d": walked_on, "p": participants, "n": clean},
        ).one()
        conn.commit()
    except DBAPIError as exc:
        conn.rollback()
        msg = str(exc.orig)
        if "form key belongs" in msg or "duplicate key" in msg:
            raise ReportError("fm_err_key", "walk") from exc
        if "unknown route" in msg:
            raise ReportError("fm_err_route", "route", value=route_id) from exc
        if "personal data" in msg:
            raise ReportError("fm_err_pii_db", "note") from exc
        if "may not" in msg or "permission denied" in msg:
            raise ReportError("fm_err_not_allowed", "walk") from exc
        raise ReportError("fm_err_db", "walk", detail=msg) from exc
    return int(row.id), bool(row.created)
