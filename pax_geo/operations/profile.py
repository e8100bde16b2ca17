"""What matters for planning an operation on a target (the police's exact data).

For a target polygon (EPSG:3006): incidents per type over the last 30, 90 and 365 days, when
they happen (hour x weekday, aoristic, so the plan says *when*), cameras whose coverage reaches
the target and the share of it they cover, night-walk routes through it and when they run,
recent observations in it, and earlier operations there with their evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection

from pax_geo import queries
from pax_geo.analysis import temporal
from pax_geo.i18n import t
from pax_geo.layers import INCIDENT_KINDS
from pax_geo.operations import register, zones

WINDOWS_DAYS: tuple[int, ...] = (30, 90, 365)
#: routes and cameras this close to the target count as reaching it (metres)
NEAR_M = 50.0


@dataclass(frozen=True)
class Profile:
    counts: pd.DataFrame  # kind x window ("30", "90", "365"): incidents in the target
    pattern: temporal.HourWeekday  # last 365 days, aoristic
    cameras: pd.DataFrame  # name, owner, status
    camera_share: float  # share of the target's area inside some camera's coverage (0..1)
    routes: pd.DataFrame  # name, organisation, when (text)
    observations: pd.DataFrame  # observed_at, category (last 30 days)
    earlier: pd.DataFrame  # name, kind, starts_at, ends_at, status, verdict
    area_km2: float


def weekday_names(lang: str = "sv") -> tuple[str, ...]:
    """Monday first, short, from the catalogue (the Hotspots page's own names)."""
    return tuple(t(f"an_weekday_{d}", lang) for d in range(7))


def schedule_text(schedule: list[dict] | None, lang: str = "sv") -> str:
    """A route's schedule as "fre 20:00–00:00, lör 20:00–01:00"."""
    names = weekday_names(lang)
    parts = [
        f"{names[int(s['weekday'])]} {s['start']}–{s['end']}"
        for s in schedule or []
        if 0 <= int(s.get("weekday", -1)) < 7
    ]
    return ", ".join(parts) or "–"


def build(
    conn: Connection,
    target: BaseGeometry,
    now: datetime,
    *,
    kinds: tuple[str, ...] = INCIDENT_KINDS,
    lang: str = "sv",
    exclude_id: int | None = None,
) -> Profile:
    longest = timedelta(days=max(WINDOWS_DAYS))
    start = now - longest
    days = zones.day_counts(conn, [("target", target)], start, now, kinds)
    today = now.date()
    counts = pd.DataFrame(
        {
            str(w): [
                int(
                    days.loc[
                        (days["kind"] == k) & (days["day"] > today - timedelta(days=w)), "n"
                    ].sum()
                )
                for k in kinds
            ]
            for w in WINDOWS_DAYS
        },
        index=list(kinds),
    )
    times = zones.incident_times(conn, target, start, now, kinds)
    pattern = temporal.hour_weekday(times)

    near = target.buffer(NEAR_M)
    cams = queries.cameras(conn)
    cam_rows = pd.DataFrame(columns=["name", "owner", "status"])
    share = 0.0
    if cams is not None and len(cams):
        points = shapely.points(cams["x"].to_numpy(), cams["y"].to_numpy())
        cov = cams.geometry.to_numpy()
        reach = shapely.intersects(near, points) | shapely.intersects(target, cov)
        cam_rows = cams.loc[reach, ["name", "owner", "status"]].reset_index(drop=True)
        covered = [g for g in cov[reach] if g is not None]
        if covered and target.area > 0:
            share = float(shapely.union_all(covered).intersection(target).area / target.area)

    routes = queries.routes(conn)
    route_rows = routes.loc[routes.geometry.intersects(near)]
    route_df = pd.DataFrame(
        {
            "name": route_rows["name"].to_numpy(),
            "organisation": route_rows["organisation"].to_numpy(),
            "when": [schedule_text(s, lang) for s in route_rows["schedule"]],
        }
    )

    obs = queries.observations(conn, queries.Filter(start=now - timedelta(days=30), end=now))
    if len(obs):
        inside = shapely.intersects(target, shapely.points(obs["x"], obs["y"]))
        obs = obs.loc[inside, ["observed_at", "category"]].reset_index(drop=True)
    else:
        obs = pd.DataFrame(columns=["observed_at", "category"])

    reg = register.listing(conn)
    if len(reg):
        hit = reg["geometry"].map(lambda g: g is not None and g.intersects(target))
        earlier = reg.loc[hit & (reg["starts_at"] < now)]
        if exclude_id is not None:
            earlier = earlier.loc[earlier["id"] != exclude_id]
        earlier = earlier[["name", "kind", "starts_at", "ends_at", "status", "verdict"]]
    else:
        earlier = pd.DataFrame(
            columns=["name", "kind", "starts_at", "ends_at", "status", "verdict"]
        )
    return Profile(
        counts=counts,
        pattern=pattern,
        cameras=cam_rows,
        camera_share=share,
        routes=route_df,
        observations=obs,
        earlier=earlier.reset_index(drop=True),
        area_km2=float(target.area) / 1e6,
    )
