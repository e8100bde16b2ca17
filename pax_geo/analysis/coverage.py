"""Coverage gaps: hot cells and hot clusters that cameras and night walks do not reach.

* Camera gap: a hot cell (or cluster) where fewer than ``camera_min_share`` of its incidents lie
  inside the coverage polygon of an active camera.
* Night-walk gap: a hot cell (or cluster) with incidents during walk hours (the local time falls in
  a route's weekly schedule window, e.g. Friday 20:00-00:00) where at least ``walk_far_share`` of
  those incidents lie further than ``max_route_distance_m`` from every route being walked then.

Hot cells are the Gi* hot spots at or above ``min_level`` (2 = 95 %); a cluster is a connected
group of such cells (hexagon neighbours).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from pax_geo.analysis.getis import GiStar
from pax_geo.analysis.hexgrid import Lattice, axial_coords
from pax_geo.config import TIMEZONE

DEFAULT_ROUTE_DISTANCE_M = 300.0


def _minutes(hhmm: str, where: str) -> int:
    try:
        h, m = (int(v) for v in str(hhmm).split(":"))
    except ValueError as exc:
        raise ValueError(f"{where}: time {hhmm!r} is not HH:MM") from exc
    if not (0 <= h <= 24 and 0 <= m < 60) or h * 60 + m > 1440:
        raise ValueError(f"{where}: time {hhmm!r} is not a clock time")
    return h * 60 + m


def in_schedule(local_times: pd.Series, schedule) -> np.ndarray:
    """Whether each local time falls in a weekly schedule [{weekday, start, end}, ...].

    weekday 0 = Monday; an end at or before the start means the walk goes past midnight.
    """
    if isinstance(schedule, str):
        schedule = json.loads(schedule)
    lt = pd.to_datetime(local_times, utc=True).dt.tz_convert(TIMEZONE)
    wd = lt.dt.day_of_week.to_numpy()
    mins = (lt.dt.hour * 60 + lt.dt.minute).to_numpy()
    out = np.zeros(len(lt), dtype=bool)
    for k, entry in enumerate(schedule or []):
        where = f"schedule entry {k + 1}"
        try:
            day = int(entry["weekday"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where}: needs a weekday 0-6") from exc
        if not 0 <= day <= 6:
            raise ValueError(f"{where}: weekday {day} is not 0-6")
        start = _minutes(entry.get("start"), where)
        end = _minutes(entry.get("end"), where)
        if end > start:
            out |= (wd == day) & (mins >= start) & (mins < end)
        else:  # past midnight
            out |= (wd == day) & (mins >= start)
            out |= (wd == (day + 1) % 7) & (mins < end)
    return out


def walk_evenings(local_times: pd.Series) -> np.ndarray:
    """The evening (local date, datetime64[D]) each time belongs to: times before noon belong to
    the evening before (a walk from 20:00 to 01:00 is one evening)."""
    lt = pd.to_datetime(local_times, utc=True).dt.tz_convert(TIMEZONE)
    day = lt.dt.tz_localize(None).dt.normalize()
    day = day.where(lt.dt.hour >= 12, day - pd.Timedelta(days=1))
    return day.to_numpy().astype("datetime64[D]")


@dataclass
class CoverageGaps:
    cells: pd.DataFrame  # one row per hot cell
    clusters: pd.DataFrame  # one row per cluster of hot cells, with a dissolved geometry
    cameras_known: bool
    max_route_distance_m: float


def coverage_gaps(
    lattice: Lattice,
    gi: GiStar,
    points: pd.DataFrame,
    cameras: pd.DataFrame | None,
    routes: pd.DataFrame | None,
    min_level: int = 2,
    max_route_distance_m: float = DEFAULT_ROUTE_DISTANCE_M,
    camera_min_share: float = 0.25,
    walk_far_share: float = 0.5,
) -> CoverageGaps:
    """Camera and night-walk gaps for the hot cells of ``gi`` (see module docstring).

    ``points`` has x, y, occurred_at; ``cameras`` a geometry column of coverage polygons and
    optionally status (None = the role may not see cameras); ``routes`` geometry and schedule,
    and optionally ``held``: the evenings (dates) the route was walked according to the night
    walkers' log. Walk hours are the schedule's; a route with logged walks reaches an incident
    in them only on an evening it was walked; a route with no log at all is taken at its word.
    """
    if max_route_distance_m <= 0:
        raise ValueError("the route distance must be a positive number of metres")
    hot = np.flatnonzero(gi.level >= min_level)
    x = points["x"].to_numpy(dtype=float)
    y = points["y"].to_numpy(dtype=float)
    q, r = axial_coords(x, y, lattice.size)
    cell_of = lattice.lookup(q, r)
    pos_in_hot = np.full(len(lattice), -1)
    pos_in_hot[hot] = np.arange(len(hot))
    hot_of = np.where(cell_of >= 0, pos_in_hot[np.maximum(cell_of, 0)], -1)
    sel = hot_of >= 0
    pts = shapely.points(x[sel], y[sel])
    # cameras
    cameras_known = cameras is not None
    in_cam = np.zeros(sel.sum(), dtype=bool)
    cam_union = None
    if cameras is not None and len(cameras):
        cams = cameras
        if "status" in cams:
            cams = cams[cams["status"].fillna("active") == "active"]
        geoms = [g for g in cams.geometry if g is not None and not g.is_empty]
        if geoms:
            cam_union = shapely.union_all(geoms)
            shapely.prepare(cam_union)
            in_cam = shapely.contains_xy(cam_union, x[sel], y[sel]) | shapely.intersects(
                cam_union, pts
            )
    # night walks
    walk = np.zeros(sel.sum(), dtype=bool)
    near = np.zeros(sel.sum(), dtype=bool)
    times = points["occurred_at"][sel]
    held_col = (
        routes["held"]
        if routes is not None and "held" in routes
        else [None] * (0 if routes is None else len(routes))
    )
    route_list = (
        []
        if routes is None
        else list(zip(routes.geometry, routes["schedule"], held_col, strict=True))
    )
    evenings = walk_evenings(times)
    for geom, schedule, held in route_list:
        active = in_schedule(times, schedule)
        walk |= active  # walk hours by the schedule
        walked = active
        if held is not None and len(held):
            # walks are logged for this route: it reaches an incident only on an evening it
            # was walked (a scheduled evening without a walk leaves the incident unreached)
            walked = active & np.isin(evenings, np.array(sorted(held), dtype="datetime64[D]"))
        if not walked.any() or geom is None or geom.is_empty:
            continue
        d = shapely.distance(geom, pts)
        near |= walked & (d <= max_route_distance_m)
    all_routes = (
        shapely.union_all([g for g, _s, _h in route_list if g is not None]) if route_list else None
    )
    hq, hr = lattice.q[hot], lattice.r[hot]
    cx, cy = lattice.centres()
    hot_polys = lattice.polygons()[hot] if len(hot) else np.array([])
    idx = hot_of[sel]

    def per_hot(values: np.ndarray) -> np.ndarray:
        return np.bincount(idx, weights=values.astype(float), minlength=len(hot))

    n_inc = per_hot(np.ones(len(idx)))
    n_cam = per_hot(in_cam)
    n_walk = per_hot(walk)
    n_walk_far = per_hot(walk & ~near)
    route_dist = (
        shapely.distance(all_routes, shapely.points(cx[hot], cy[hot]))
        if all_routes is not None and len(hot)
        else np.full(len(hot), np.nan)
    )
    area_share = np.full(len(hot), np.nan)
    if cameras_known:
        area_share = np.zeros(len(hot))
        if cam_union is not None and len(hot):
            area_share = shapely.area(shapely.intersection(hot_polys, cam_union)) / shapely.area(
                hot_polys
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        cam_share = np.where(n_inc > 0, n_cam / n_inc, np.nan)
        far_share = np.where(n_walk > 0, n_walk_far / n_walk, np.nan)
    cells = pd.DataFrame(
        {
            "q": hq,
            "r": hr,
            "level": gi.level[hot],
            "z": gi.z[hot],
            "incidents": n_inc.astype(int),
            "camera_area_share": area_share,
            "camera_incident_share": cam_share if cameras_known else np.nan,
            "camera_gap": (np.nan_to_num(cam_share) < camera_min_share) if cameras_known else None,
            "walk_hour_incidents": n_walk.astype(int),
            "walk_far_share": far_share,
            "route_distance_m": route_dist,
            "walk_gap": (n_walk > 0) & (np.nan_to_num(far_share) >= walk_far_share),
            "geometry": hot_polys,
        }
    )
    # clusters: connected components of hot cells
    clusters = pd.DataFrame(
        columns=[
            "cluster",
            "cells",
            "incidents",
            "camera_incident_share",
            "camera_gap",
            "walk_hour_incidents",
            "walk_far_share",
            "walk_gap",
            "geometry",
        ]
    )
    if len(hot):
        sub = Lattice(lattice.size, hq, hr)
        w = sub.neighbours(1) + sp.eye(len(hot))
        _, label = connected_components(w, directed=False)
        cells["cluster"] = label
        rows = []
        for c in np.unique(label):
            m = label == c
            ni, nc, nw, nf = n_inc[m].sum(), n_cam[m].sum(), n_walk[m].sum(), n_walk_far[m].sum()
            cs = nc / ni if ni else np.nan
            fs = nf / nw if nw else np.nan
            rows.append(
                {
                    "cluster": int(c),
                    "cells": int(m.sum()),
                    "incidents": int(ni),
                    "camera_incident_share": cs if cameras_known else np.nan,
                    "camera_gap": bool(np.nan_to_num(cs) < camera_min_share)
                    if cameras_known
                    else None,
                    "walk_hour_incidents": int(nw),
                    "walk_far_share": fs,
                    "walk_gap": bool(nw > 0 and np.nan_to_num(fs) >= walk_far_share),
                    "geometry": shapely.union_all(hot_polys[m]),
                }
            )
        clusters = (
            pd.DataFrame(rows).sort_values("incidents", ascending=False).reset_index(drop=True)
        )
    return CoverageGaps(cells, clusters, cameras_known, float(max_route_distance_m))
