"""References in a file to rows already in the database: areas (by code or name) and
night-walk routes (by id or name), resolved case-insensitively; unknown and ambiguous ones are
reported."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pax_geo.ingest.context import Context

#: When a name fits areas of several kinds (the district Hovsjö and the vulnerable area Hovsjö),
#: the first kind in this order wins.
KIND_PRIORITY = ("district", "municipality", "vulnerable_area", "deso")

#: What a pick function returns for no match and for a match that stays ambiguous.
NONE = -1
AMBIGUOUS = -2


def _pick(hits: list[tuple[int, str]]) -> int:
    """The one area meant, -1 for none, -2 when it stays ambiguous."""
    if not hits:
        return NONE
    if len(hits) == 1:
        return hits[0][0]
    for kind in KIND_PRIORITY:
        of_kind = [i for i, k in hits if k == kind]
        if len(of_kind) == 1:
            return of_kind[0]
        if len(of_kind) > 1:
            return AMBIGUOUS
    return AMBIGUOUS


def _resolve_refs(
    t: pd.Series, first: dict[str, list], second: dict[str, list], pick: Callable[[list], int]
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Text references -> database ids, looked up case-insensitively in ``first`` (codes, ids),
    then in ``second`` (names). ``pick`` turns the hits into an id, -1 (none) or -2 (ambiguous).
    Returns (ids as Int64, unknown mask, ambiguous mask)."""
    ids = np.full(len(t), -1, dtype=np.int64)
    unknown = np.zeros(len(t), bool)
    ambiguous = np.zeros(len(t), bool)
    cache: dict[str, int] = {}
    for pos, v in enumerate(t.to_numpy(dtype=object)):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        key = str(v).strip().lower()
        if key not in cache:
            cache[key] = pick(first.get(key) or second.get(key) or [])
        r = cache[key]
        if r == NONE:
            unknown[pos] = True
        elif r == AMBIGUOUS:
            ambiguous[pos] = True
        else:
            ids[pos] = r
    return pd.Series(ids).where(ids >= 0).astype("Int64"), unknown, ambiguous


def resolve_areas(
    t: pd.Series, ctx: Context, kind_hint: str | None
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Area code or name -> id (see _resolve_refs; ties broken by area kind)."""
    areas = ctx.areas
    if kind_hint:
        areas = areas[areas["kind"] == kind_hint]
    code_map: dict[str, list[tuple[int, str]]] = {}
    name_map: dict[str, list[tuple[int, str]]] = {}
    for i, c, nm, k in zip(areas["id"], areas["code"], areas["name"], areas["kind"], strict=True):
        code_map.setdefault(str(c).strip().lower(), []).append((int(i), str(k)))
        name_map.setdefault(str(nm).strip().lower(), []).append((int(i), str(k)))
    return _resolve_refs(t, code_map, name_map, _pick)


def _pick_route(hits: list[int]) -> int:
    if not hits:
        return NONE
    return hits[0] if len(set(hits)) == 1 else AMBIGUOUS


def resolve_routes(t: pd.Series, routes: pd.DataFrame) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Route id (its source_id) or name -> database id (see _resolve_refs). A name shared by
    several routes (of different organisations, say) is ambiguous; the id is not."""
    by_id: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for i, sid, name in zip(routes["id"], routes["source_id"], routes["name"], strict=True):
        by_id.setdefault(str(sid).strip().lower(), []).append(int(i))
        by_name.setdefault(str(name).strip().lower(), []).append(int(i))
    return _resolve_refs(t, by_id, by_name, _pick_route)
