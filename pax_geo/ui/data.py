"""Cached loaders for pages, shared by the sessions of one role and the same municipalities
(pax_geo.ui.scope). Every read opens the role's own database login, bound to the session."""

from __future__ import annotations

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
    asking for a year at a million incidents does not wait for the database again."""
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
        )


def visible_kinds(role: str) -> list[str]:
    """The incident kinds this role sees (queries.kinds_at, from its cached precisions)."""
    return list(queries.kinds_at(precision(role)))
