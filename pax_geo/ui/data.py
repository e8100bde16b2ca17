"""Cached loaders for pages, shared by the sessions of one role and the same municipalities
(pax_geo.ui.scope). Every read opens the role's own database login, bound to the session."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from pax_geo import mapdata, queries
from pax_geo.config import settings
from pax_geo.ui import scope


@scope.shared(ttl=300, show_spinner=False)
def districts(role: str) -> dict[int, str]:
    with scope.reader(role) as conn:
        df = queries.areas(conn, ("district",))
    return dict(zip(df["id"].astype(int), df["name"], strict=True))


@scope.shared(ttl=300, show_spinner=False)
def precision(role: str) -> dict[str, str]:
    with scope.reader(role) as conn:
        return queries.my_precision(conn)


@scope.shared(ttl=300, show_spinner=False)
def map_context(role: str) -> mapdata.MapContext:
    """Districts, outline, cameras and routes: they change only on import."""
    with scope.reader(role) as conn:
        return mapdata.context(conn)


#: How long a settled span's reads are kept: records that arrive late for a past day (an import,
#: a correction) show within this time; today's records show at once.
SETTLED_TTL = 600


@scope.shared(ttl=SETTLED_TTL, show_spinner=False, max_entries=16)
def settled_counts(role: str, start: datetime, end: datetime) -> pd.DataFrame:
    """Counts per area and kind for whole past days, every kind the role sees (mapdata)."""
    kinds = queries.kinds_at(precision(role))
    with scope.reader(role) as conn:
        return queries.incident_counts(conn, queries.Filter(start, end, kinds))


@scope.shared(ttl=SETTLED_TTL, show_spinner=False, max_entries=32)
def settled_hex(
    role: str,
    start: datetime,
    end: datetime,
    size: float,
    area_ids: tuple,
    subtypes: tuple,
    verifications: tuple,
) -> pd.DataFrame:
    """Hexagon cells for whole past days, every kind the role sees exactly (mapdata)."""
    exact = queries.kinds_at(precision(role), ("exact",))
    if not exact:
        return pd.DataFrame(columns=["kind", "q", "r", "n", "x", "y"])
    with scope.reader(role) as conn:
        flt = queries.Filter(start, end, exact, area_ids, subtypes, verifications)
        return mapdata.hex_counts(conn, flt, size)


@scope.shared(ttl=60, show_spinner=False, max_entries=64)
def map_data(
    role: str,
    flt: queries.Filter,
    mode: str,
    hex_size_m: float,
    kind_labels: dict[str, str],
    lang: str = "sv",
) -> mapdata.MapData:
    """The Här och nu map for a role and filter, shared by every session of the role for a
    minute. The database decides all of it from the role's login alone (the same rows for every
    account of the role; nothing in it depends on the signed-in user), so a second police session
    asking for a year at a million incidents does not wait for the database again. Its whole
    past days are kept longer (settled_counts, settled_hex), so the next minute's window reads
    only its first and last day."""
    with scope.reader(role) as conn:
        return mapdata.build(
            conn,
            flt,
            mode=mode,
            budget=settings().point_budget,
            hex_size_m=hex_size_m,
            kind_labels=kind_labels,
            area_names=districts(role),
            ctx=map_context(role),
            lang=lang,
            settled=mapdata.SettledReads(
                counts=lambda start, end: settled_counts(role, start, end),
                hex=lambda start, end, size, areas, subtypes, ver: settled_hex(
                    role, start, end, size, areas, subtypes, ver
                ),
            ),
        )


def visible_kinds(role: str) -> list[str]:
    """The incident kinds this role sees (queries.kinds_at, from its cached precisions)."""
    return list(queries.kinds_at(precision(role)))
