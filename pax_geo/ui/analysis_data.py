"""Cached analysis loaders shared by the Hotspots page and the Här och nu analysis modes.

The role is the first argument of every loader, and the cache is keyed by the session's scope
(the role and its municipalities, pax_geo.ui.scope), so an entry only ever holds that scope's
data; each loader opens the role's own database login bound to the session.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from pax_geo import queries
from pax_geo.analysis import service
from pax_geo.config import settings
from pax_geo.ui import scope
from pax_geo.ui.data import SETTLED_TTL

TTL = 600


def _flt(start: str, end: str, kinds: tuple[str, ...]) -> queries.Filter:
    return queries.Filter(
        start=datetime.fromisoformat(start), end=datetime.fromisoformat(end), kinds=kinds
    )


@scope.shared(ttl=TTL, show_spinner=False)
def point_kinds(role: str) -> tuple[str, ...]:
    with scope.reader(role) as conn:
        return queries.visible_kinds(conn, queries.POSITION_PRECISIONS)


@scope.shared(ttl=TTL, show_spinner=False)
def areas(role: str):
    with scope.reader(role) as conn:
        return queries.areas(conn)


@scope.shared(ttl=SETTLED_TTL, show_spinner=False, max_entries=4)
def _settled_points(role: str, start: datetime, end: datetime) -> pd.DataFrame:
    """Every point the role sees over whole past days (each analysis window has one such span:
    90 days, a year, three years). At a million incidents a year is 38 MiB, three years about
    105 MiB: at most four are kept per process."""
    with scope.reader(role) as conn:
        return queries.incident_points(conn, queries.Filter(start, end, point_kinds(role)))


def points_source(role: str) -> service.PointSource:
    """The analyses' points, their whole past days from :func:`_settled_points` (read once per
    ten minutes and shared by every method and session of the scope; service.split_points)."""
    return lambda conn, flt: service.split_points(
        conn, flt, lambda start, end: _settled_points(role, start, end)
    )


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def hot_spots(role: str, start: str, end: str, kinds: tuple[str, ...], size: int):
    with scope.reader(role) as conn:
        return service.hot_spots(
            conn,
            _flt(start, end, kinds),
            size,
            1,
            settings().gi_permutations,
            points=points_source(role),
        )


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def density(role: str, start: str, end: str, kinds: tuple[str, ...]):
    with scope.reader(role) as conn:
        return service.density(conn, _flt(start, end, kinds), points=points_source(role))


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def emerging(role: str, start: str, end: str, kinds: tuple[str, ...], size: int, step: str):
    with scope.reader(role) as conn:
        return service.emerging(
            conn, _flt(start, end, kinds), size, step, points=points_source(role)
        )


def near_repeat(role: str, start: str, end: str, kinds: tuple[str, ...]):
    """Near repeat with the configured bound on the pairs tested (part of the cache key)."""
    return _near_repeat(role, start, end, kinds, settings().near_repeat_max_pairs)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def _near_repeat(role: str, start: str, end: str, kinds: tuple[str, ...], max_pairs: int):
    params = service.NearRepeatParams(max_pairs=max_pairs)
    with scope.reader(role) as conn:
        return service.near_repeat(
            conn,
            _flt(start, end, kinds),
            params,
            now=datetime.fromisoformat(end),
            points=points_source(role),
        )


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def temporal(role: str, start: str, end: str, kinds: tuple[str, ...]):
    with scope.reader(role) as conn:
        return service.temporal(conn, _flt(start, end, kinds), points=points_source(role))


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def compstat(role: str, end: str, kinds: tuple[str, ...]):
    now = datetime.fromisoformat(end)
    with scope.reader(role) as conn:
        return service.compstat(conn, _flt((now - timedelta(days=1)).isoformat(), end, kinds), now)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def coverage(role: str, start: str, end: str, kinds: tuple[str, ...], size: int, dist: int):
    with scope.reader(role) as conn:
        hs, gaps = service.coverage(
            conn,
            _flt(start, end, kinds),
            size,
            1,
            settings().gi_permutations,
            2,
            float(dist),
            points=points_source(role),
        )
        return hs, gaps, queries.cameras(conn), queries.routes(conn)
