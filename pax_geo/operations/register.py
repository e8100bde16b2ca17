"""The register of operations and actions (pax_data.operation, 0015_operations.py).

Every write goes through a SECURITY DEFINER function on the caller's own bound login that checks
the capability (``plan_operation`` for police operations, ``record_action`` for the partners'
actions) and audits in the same transaction; each write commits before it returns. What a login
reads back is cut to its precision inside the database: polygons for the police only, and for the
other roles the partners' actions and the police operations that have started, per district.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import shapely
from sqlalchemy import Connection, text

from pax_geo.layers import INCIDENT_KINDS

#: Types of operation or action (the check constraint of pax_data.operation.kind).
KINDS: tuple[str, ...] = (
    "patrol",
    "presence",
    "camera",
    "lighting",
    "housing",
    "tillsyn",
    "outreach",
    "other",
)
#: Status, forward only: planned -> ongoing -> done -> evaluated.
STATUSES: tuple[str, ...] = ("planned", "ongoing", "done", "evaluated")
#: How the target was picked.
TARGET_KINDS: tuple[str, ...] = ("hot_cells", "risk_zone", "area", "polygon")


@dataclass(frozen=True)
class Draft:
    """What the planning form or the action form sends. The target is either a WGS84 GeoJSON
    geometry (drawn, or a hot spot / risk zone outline) or districts by id."""

    name: str
    kind: str
    owner_org: str
    police: bool
    starts_at: datetime
    ends_at: datetime
    group_key: str | None = None
    geojson: dict | None = None
    area_ids: tuple[int, ...] = ()
    target_kind: str = "polygon"
    target_types: tuple[str, ...] = INCIDENT_KINDS
    purpose: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown operation type {self.kind!r}")
        if self.target_kind not in TARGET_KINDS:
            raise ValueError(f"unknown target kind {self.target_kind!r}")
        bad = set(self.target_types) - set(INCIDENT_KINDS)
        if bad or not self.target_types:
            raise ValueError(f"unknown incident types {sorted(bad)}")
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("start and end need a time zone")


def save(conn: Connection, draft: Draft, key: uuid.UUID, op_id: int | None = None) -> int:
    """Save a new entry (op_id None) or change one; the same form key twice is one save.
    Commits before it returns."""
    new_id = conn.execute(
        text(
            "select pax_api.operation_save(:key, :id, :name, :kind, :owner, :police, :grp, "
            ":starts, :ends, :geojson, cast(:areas as int[]), :tkind, cast(:types as text[]), "
            ":purpose)"
        ),
        {
            "key": key,
            "id": op_id,
            "name": draft.name,
            "kind": draft.kind,
            "owner": draft.owner_org,
            "police": draft.police,
            "grp": draft.group_key,
            "starts": draft.starts_at,
            "ends": draft.ends_at,
            "geojson": json.dumps(draft.geojson) if draft.geojson else None,
            "areas": list(draft.area_ids),
            "tkind": draft.target_kind,
            "types": list(draft.target_types),
            "purpose": draft.purpose,
        },
    ).scalar_one()
    conn.commit()
    return int(new_id)


def set_status(conn: Connection, op_id: int, status: str) -> None:
    """Move an entry forward (planned -> ongoing -> done); 'evaluated' comes with an evaluation."""
    conn.execute(text("select pax_api.operation_set_status(:id, :s)"), {"id": op_id, "s": status})
    conn.commit()


def next_statuses(status: str) -> tuple[str, ...]:
    """The statuses a user may move an entry to by hand (never 'evaluated')."""
    i = STATUSES.index(status)
    return tuple(s for s in STATUSES[i + 1 :] if s != "evaluated")


def groups(conn: Connection) -> pd.DataFrame:
    """The samverkansgrupper: key, label_sv, label_en."""
    res = conn.execute(text("select key, label_sv, label_en from pax_api.collab_groups()"))
    return pd.DataFrame(res.all(), columns=list(res.keys()))


_LISTING = text(
    "select id, name, kind, owner_org, is_police, group_key, status, starts_at, ends_at, "
    "purpose, target_kind, target_types, area_ids, area_names, created_by, verdict, "
    "st_asbinary(geom) as wkb from pax_api.operation_register() order by starts_at desc, id"
)


def listing(conn: Connection) -> pd.DataFrame:
    """The register at the login's precision, newest start first. ``geometry`` holds the
    polygon (EPSG:3006) for the police, None for everyone else."""
    res = conn.execute(_LISTING)
    df = pd.DataFrame(res.all(), columns=list(res.keys()))
    wkb = df.pop("wkb")
    df["geometry"] = [shapely.from_wkb(bytes(b)) if b is not None else None for b in wkb]
    for col in ("area_ids", "area_names", "target_types"):
        df[col] = df[col].map(lambda v: list(v) if v is not None else [])
    return df


def get(conn: Connection, op_id: int) -> dict | None:
    """One entry of the register as the login may see it, or None."""
    df = listing(conn)
    rows = df.loc[df["id"] == op_id]
    return rows.iloc[0].to_dict() if len(rows) else None


def filtered(
    df: pd.DataFrame,
    *,
    groups: tuple[str, ...] = (),
    area_ids: tuple[int, ...] = (),
    statuses: tuple[str, ...] = (),
    kinds: tuple[str, ...] = (),
    police: bool | None = None,
) -> pd.DataFrame:
    """The register narrowed by samverkansgrupp, district, status, type and owner side."""
    out = df
    if groups:
        out = out.loc[out["group_key"].isin(groups)]
    if area_ids:
        wanted = set(area_ids)
        out = out.loc[out["area_ids"].map(lambda ids: bool(wanted & set(ids)))]
    if statuses:
        out = out.loc[out["status"].isin(statuses)]
    if kinds:
        out = out.loc[out["kind"].isin(kinds)]
    if police is not None:
        out = out.loc[out["is_police"] == police]
    return out


def in_window(df: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    """Entries whose dates overlap [start, end)."""
    return df.loc[(df["starts_at"] < end) & (df["ends_at"] >= start)]
