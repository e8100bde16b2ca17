"""Run the analyses for a signed-in role: fetch through the role's own database login, compute.

Every function takes a connection opened as the role's reader login
(:func:`pax_geo.db.reader_engine`), so the analysis sees exactly the positions that role may see:
exact points for police, 250 m grid-snapped points for municipal roles. Results say which
(``precision``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection

from pax_geo import queries
from pax_geo.analysis import compstat as _compstat
from pax_geo.analysis.coverage import DEFAULT_ROUTE_DISTANCE_M, CoverageGaps, coverage_gaps
from pax_geo.analysis.density import DEFAULT_BANDWIDTH_M, Density, kde
from pax_geo.analysis.emerging import Emerging, build_cube, choose_step, emerging_hot_spots
from pax_geo.analysis.getis import GiStar, gi_star
from pax_geo.analysis.hexgrid import Lattice, hex_counts, lattice_for
from pax_geo.analysis.nearrepeat import (
    Knox,
    RiskSpec,
    knox,
    recent_within,
    risk_spec,
    risk_zones,
)
from pax_geo.analysis.temporal import HourWeekday, Seasonality, hour_weekday, seasonality
from pax_geo.config import TIMEZONE, settings


def precision_of(points: pd.DataFrame) -> str:
    """'exact', 'grid', 'mixed' or 'none' for the points a role got."""
    if points.empty:
        return "none"
    kinds = set(points["precision"].unique())
    return kinds.pop() if len(kinds) == 1 else "mixed"


def load_points(conn: Connection, flt: queries.Filter) -> pd.DataFrame:
    return queries.incident_points(conn, flt)


#: Where a method gets its points: (connection, filter) -> incident_points' columns. The pages
#: pass one that keeps the whole past days (pax_geo.ui.analysis_data.points_source).
PointSource = Callable[[Connection, queries.Filter], pd.DataFrame]


def split_points(
    conn: Connection,
    flt: queries.Filter,
    settled: Callable[[datetime, datetime], pd.DataFrame],
) -> pd.DataFrame:
    """The filter's points with its whole past days (queries.Filter.split_settled) taken from
    ``settled(start, end)`` (every point kind the role sees, kept by the caller) and the hours
    before its first midnight and after the last read now: the rows one read of the window
    gives, in its order (exact positions first, each newest first). A filter on areas, subtypes
    or verification is read whole."""
    split = flt.split_settled()
    if split is None or flt.area_ids or flt.subtypes or flt.verifications:
        return load_points(conn, flt)
    span, windows = split
    body = settled(*span)
    body = body[body["kind"].isin(flt.kinds)]
    frames = [f for f in (*(load_points(conn, w) for w in windows), body) if len(f)]
    if not frames:
        return body.iloc[0:0].reset_index(drop=True)
    return (
        pd.concat(frames, ignore_index=True)
        .sort_values(["precision", "occurred_at"], ascending=[True, False], kind="stable")
        .reset_index(drop=True)
    )


def study_region(conn: Connection):
    """The municipality as the union of its districts (EPSG:3006), or None without areas."""
    areas = queries.areas(conn, ("district",))
    if areas.empty:
        areas = queries.areas(conn, ("municipality",))
    if areas.empty:
        return None
    return shapely.union_all(list(areas.geometry))


@dataclass(frozen=True)
class Concentration:
    """Why a Gi* map shows no hot spot although the counts are piled up (see
    :meth:`HotSpots.concentration`)."""

    share: float  # share of the incidents in the busiest cell
    top_count: int
    max_z: float
    min_p: float  # the smallest p-value any cell got


#: the busiest cell holding at least this share of the incidents counts as "most in one cell"
CONCENTRATION_SHARE = 0.5


@dataclass
class HotSpots:
    lattice: Lattice
    values: np.ndarray
    gi: GiStar
    n_points: int
    precision: str
    rings: int

    def concentration(self, alpha: float = 0.10) -> Concentration | None:
        """A reason to show when no cell is a hot spot although the counts are concentrated:
        all or most incidents in one cell (the Police feed often gives only the municipality's
        point), or a high z-score whose permutation p-value cannot pass FDR at ``alpha`` even as
        the single smallest p (p > alpha / cells). With all incidents in one cell, a random
        neighbourhood of the same size contains that cell with probability about size / cells,
        so p cannot fall below roughly 2 * size / cells (0.036 for 7 of 390 cells) while z is 7
        or more. None when hot spots were found or nothing is concentrated."""
        total = float(self.values.sum())
        if total <= 0 or self.gi.hot.any():
            return None
        top = float(self.values.max())
        share = top / total
        min_p = float(self.gi.p_two_sided.min())
        max_z = float(self.gi.z.max())
        blocked = min_p > alpha / len(self.values) and max_z >= 3.0
        if share >= CONCENTRATION_SHARE or blocked:
            return Concentration(share, int(top), max_z, min_p)
        return None

    def table(self) -> pd.DataFrame:
        cx, cy = self.lattice.centres()
        return pd.DataFrame(
            {
                "q": self.lattice.q,
                "r": self.lattice.r,
                "x": cx.round(1),
                "y": cy.round(1),
                "incidents": self.values.astype(int),
                "gi_z": self.gi.z,
                "p": self.gi.p_two_sided,
                "level": self.gi.level,
            }
        )


def hot_spots_from_points(
    points: pd.DataFrame,
    region,
    size: float = 250.0,
    rings: int = 1,
    permutations: int = 99_999,
    seed: int = 12345,
    randomisation: str = "total",
) -> HotSpots:
    x = points["x"].to_numpy(dtype=float)
    y = points["y"].to_numpy(dtype=float)
    lattice = lattice_for(size, region, x, y)
    values = lattice.values(hex_counts(x, y, size))
    gi = gi_star(
        values,
        lattice.neighbours(rings),
        permutations=permutations,
        seed=seed,
        randomisation=randomisation,
    )
    return HotSpots(lattice, values, gi, len(points), precision_of(points), rings)


def hot_spots(
    conn: Connection,
    flt: queries.Filter,
    size: float = 250.0,
    rings: int = 1,
    permutations: int = 99_999,
    points: PointSource = load_points,
) -> HotSpots:
    return hot_spots_from_points(points(conn, flt), study_region(conn), size, rings, permutations)


@dataclass
class DensityResult:
    density: Density | None
    n_points: int
    precision: str


def density(
    conn: Connection,
    flt: queries.Filter,
    bandwidth: float | str = DEFAULT_BANDWIDTH_M,
    grid: int = 512,  # a minimum: the spacing is at most half the bandwidth (density.kde)
    points: PointSource = load_points,
) -> DensityResult:
    pts = points(conn, flt)
    if len(pts) < 2:
        return DensityResult(None, len(pts), precision_of(pts))
    region = study_region(conn)
    bounds = None
    if region is not None:
        bw = 1000.0 if isinstance(bandwidth, str) else float(bandwidth)
        minx, miny, maxx, maxy = region.bounds
        m = 4 * bw
        bounds = (
            min(minx, pts.x.min()) - m,
            min(miny, pts.y.min()) - m,
            max(maxx, pts.x.max()) + m,
            max(maxy, pts.y.max()) + m,
        )
        # The municipality is large; centre the grid on where the incidents are when they
        # cover only part of it, so that the cells stay small.
        bounds = (
            max(bounds[0], pts.x.min() - m),
            max(bounds[1], pts.y.min() - m),
            min(bounds[2], pts.x.max() + m),
            min(bounds[3], pts.y.max() + m),
        )
    d = kde(pts.x.to_numpy(), pts.y.to_numpy(), bandwidth, grid, bounds)
    return DensityResult(d, len(pts), precision_of(pts))


def emerging(
    conn: Connection,
    flt: queries.Filter,
    size: float = 500.0,
    step: str | None = None,
    time_window: int = 1,
    alpha: float = 0.10,
    points: PointSource = load_points,
) -> tuple[Emerging, str]:
    """Emerging hot spots over the filter's period; ``step`` None picks the longest step giving
    at least 10 (see :func:`emerging.choose_step`); too few steps raise ``TooFewSteps``."""
    step = step or choose_step(flt.start, flt.end)
    pts = points(conn, flt)
    x, y = pts.x.to_numpy(dtype=float), pts.y.to_numpy(dtype=float)
    lattice = lattice_for(size, study_region(conn), x, y)
    cube = build_cube(lattice, x, y, pts["occurred_at"], flt.end, step, start=flt.start)
    return emerging_hot_spots(cube, lattice.neighbours(1), time_window, alpha), precision_of(pts)


@dataclass
class NearRepeat:
    kind: str
    knox: Knox | None
    spec: RiskSpec | None
    zones: pd.DataFrame
    n_events: int
    precision: str
    note: str = ""
    #: the events the Knox test counted: all of them, or the most recent that fit max_pairs
    n_tested: int = 0
    tested_from: datetime | None = None  # the earliest event tested


@dataclass
class NearRepeatParams:
    distance_band: float = 100.0
    n_distance: int = 5
    time_band_days: float = 7.0
    n_time: int = 5
    simulations: int = 999
    alpha: float = 0.05
    min_ratio: float = 1.2
    kinds: tuple[str, ...] = field(default=("shooting", "car_fire"))
    #: At most this many close pairs per test (PAX_NEAR_REPEAT_MAX_PAIRS); above it only the
    #: most recent events that fit are tested. The work is pairs x simulations: 500,000 pairs x
    #: 999 simulations take about 0.8 s on the 2-core reference machine, 2 million 3-4.5 s. Real
    #: volumes (hundreds of car fires a year: tens of thousands of pairs) stay far below it. A
    #: year of the demo at a million incidents has 3.9 billion (271,000 car fires): without the
    #: bound, hours of work and more memory than the machine has (killed at 24 GiB).
    max_pairs: int = field(default_factory=lambda: settings().near_repeat_max_pairs)


def near_repeat(
    conn: Connection,
    flt: queries.Filter,
    params: NearRepeatParams | None = None,
    now: datetime | None = None,
    points: PointSource = load_points,
) -> list[NearRepeat]:
    """Knox test per kind over the filter's period; risk zones active at ``now``."""
    params = params or NearRepeatParams()
    now = now or min(pd.Timestamp.now(tz=TIMEZONE).to_pydatetime(), flt.end)
    return near_repeat_of(points(conn, flt), params, now, flt.kinds)


def near_repeat_of(
    pts: pd.DataFrame,
    params: NearRepeatParams,
    now: datetime,
    kinds: Sequence[str] | None = None,
) -> list[NearRepeat]:
    """:func:`near_repeat` of points already read (columns kind, x, y, occurred_at,
    precision), for the kinds of ``params`` that are among ``kinds`` (None: all of them). Per
    kind, the Knox test counts the most recent events whose close pairs fit ``params.max_pairs``
    (all of them, normally); the risk zones come from every event."""
    out = []
    for kind in params.kinds:
        if kinds is not None and kind not in kinds:
            continue
        ev = pts[pts["kind"] == kind].sort_values("occurred_at", kind="stable")
        if len(ev) < 10:
            out.append(
                NearRepeat(
                    kind,
                    None,
                    None,
                    risk_zones(ev.iloc[:0], RiskSpec(0, 0, np.zeros((1, 1), bool)), now),
                    len(ev),
                    precision_of(ev),
                    "too_few",
                )
            )
            continue
        first = recent_within(
            ev.x.to_numpy(dtype=float),
            ev.y.to_numpy(dtype=float),
            params.distance_band * params.n_distance,
            params.max_pairs,
        )
        tested = ev.iloc[first:]
        k = knox(
            tested.x.to_numpy(),
            tested.y.to_numpy(),
            tested["occurred_at"],
            params.distance_band,
            params.n_distance,
            params.time_band_days,
            params.n_time,
            params.simulations,
        )
        spec = risk_spec(k, params.alpha, params.min_ratio)
        zones = (
            risk_zones(ev, spec, now)
            if spec is not None
            else risk_zones(ev.iloc[:0], RiskSpec(0, 0, np.zeros((1, 1), bool)), now)
        )
        out.append(
            NearRepeat(
                kind,
                k,
                spec,
                zones,
                len(ev),
                precision_of(ev),
                "recent" if first else "",
                len(tested),
                tested["occurred_at"].iloc[0].to_pydatetime(),
            )
        )
    return out


@dataclass
class Temporal:
    grid: HourWeekday
    season: Seasonality
    n_points: int


def temporal(
    conn: Connection,
    flt: queries.Filter,
    aoristic: bool = True,
    points: PointSource = load_points,
) -> Temporal:
    """Hour x weekday and seasonality. Uses every incident the role may see with a time, also
    those without a position (read through the same point views)."""
    pts = points(conn, flt)
    return Temporal(
        hour_weekday(pts, aoristic), seasonality(pts["occurred_at"], flt.start, flt.end), len(pts)
    )


def compstat(conn: Connection, flt: queries.Filter, now: datetime | None = None):
    return _compstat.compstat(conn, flt, now)


def coverage(
    conn: Connection,
    flt: queries.Filter,
    size: float = 250.0,
    rings: int = 1,
    permutations: int = 99_999,
    min_level: int = 2,
    max_route_distance_m: float = DEFAULT_ROUTE_DISTANCE_M,
    points: PointSource = load_points,
) -> tuple[HotSpots, CoverageGaps]:
    pts = points(conn, flt)
    hs = hot_spots_from_points(pts, study_region(conn), size, rings, permutations)
    gaps = coverage_gaps(
        hs.lattice,
        hs.gi,
        pts,
        queries.cameras(conn),
        queries.routes(conn),
        min_level=min_level,
        max_route_distance_m=max_route_distance_m,
    )
    return hs, gaps
