"""Deterministic synthetic demo data with the patterns real data shows.

* incidents cluster around a few hotspots in exposed districts, with their own trends
  (emerging, persistent, diminishing) so that the analysis has something to find;
* car fires mostly at night and at weekends, with a seasonal cycle and a New Year peak;
* shootings are rarer, clustered, and come with near-repeats (self-exciting);
* caches are found near hotspots, in daytime searches, known only by a time window;
* 30-80 cameras with view cones over squares and centres; night-walk routes on Friday and
  Saturday evenings with the walks held; yearly indicators per district.

The same seed and end date give the same data. All of it is synthetic: no real person or event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from pax_geo.clock import TZ
from pax_geo.clock import now as _clock_now
from pax_geo.demo import geography as geo

YEARS = 3

KIND_SHARE = {"car_fire": 0.76, "shooting": 0.07, "explosion": 0.05, "cache": 0.12}

# Hotspots: (district, offset east m, offset north m, sigma m, weight, trend start, trend end).
HOTSPOTS: tuple[tuple[str, float, float, float, float, float, float], ...] = (
    ("Ronna", 60, -40, 180, 1.00, 1.0, 1.0),  # persistent
    ("Geneta", -80, 50, 200, 0.70, 0.6, 1.2),  # intensifying
    ("Hovsjö", 40, 120, 170, 0.65, 0.15, 1.6),  # new / emerging
    ("Fornhöjden", 0, 0, 220, 0.45, 1.4, 0.5),  # diminishing
    ("Centrum", 100, 0, 160, 0.35, 1.2, 0.8),
    ("Lina", -150, -100, 200, 0.30, 0.8, 1.0),
    ("Järna", 0, 0, 300, 0.20, 1.0, 1.0),
    ("Östertälje", -200, 100, 250, 0.15, 1.0, 1.0),
)
BACKGROUND_SHARE = 0.22

# Hour-of-day weights (local time) for car fires: a night peak around 23-02.
CAR_FIRE_HOURS = np.array(
    [9, 8, 6, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.5, 2, 3, 4, 6, 8, 10, 10], dtype=float
)
SHOOTING_HOURS = np.array(
    [5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1.5, 1.5, 2, 2, 2.5, 3, 4, 5, 6, 6, 6, 6], dtype=float
)
DAY_HOURS = np.array([0] * 7 + [2, 4, 6, 6, 5, 4, 5, 6, 5, 3, 1] + [0] * 6, dtype=float)
# Weekday weights, Monday = 0: car fires peak Friday and Saturday night.
CAR_FIRE_WEEKDAY = np.array([0.8, 0.8, 0.85, 0.9, 1.25, 1.55, 1.2])
FLAT_WEEKDAY = np.ones(7)
WORKDAY_WEEKDAY = np.array([1.2, 1.2, 1.2, 1.2, 1.1, 0.2, 0.1])

CACHE_SUBTYPES = ("drugs", "weapons", "mixed")
CACHE_SUBTYPE_P = (0.6, 0.25, 0.15)

TITLES = {
    "car_fire": "Bilbrand",
    "shooting": "Skottlossning",
    "explosion": "Explosion",
    "cache": "Gömma påträffad",
}


@dataclass
class DemoData:
    districts: pd.DataFrame
    incidents: pd.DataFrame
    cameras: list[dict]
    routes: list[dict]
    walks: pd.DataFrame
    observations: pd.DataFrame
    operations: list[dict]
    indicators: pd.DataFrame
    end: datetime


def default_end() -> datetime:
    """Now (Stockholm, to the minute): today is inside the demo period and nothing in it lies
    in the future (midnight tonight, used before, gave events and a "data t.o.m." of
    tomorrow)."""
    return _clock_now()


def _before(t: np.ndarray, end: datetime) -> np.ndarray:
    """Times at or after end (only on the last, partly elapsed day) moved back whole weeks, which
    keeps their weekday and hour; everything returned lies before end."""
    if len(t) == 0:
        return t
    limit = np.datetime64(end.astimezone(UTC).replace(tzinfo=None), "ns")
    week = np.timedelta64(7, "D")
    late = t >= limit
    if late.any():
        weeks = ((t[late] - limit) // week) + 1
        t = t.copy()
        t[late] = t[late] - weeks * week
    return t


def _day_weights(days: pd.DatetimeIndex, weekday_w: np.ndarray, seasonal: bool) -> np.ndarray:
    doy = days.day_of_year.to_numpy()
    w = weekday_w[days.day_of_week.to_numpy()]
    if seasonal:
        # Late summer / autumn high, spring low, plus the New Year's Eve spike.
        w = w * (1.0 + 0.35 * np.cos(2 * np.pi * (doy - 240) / 365.25))
        nye = (days.month == 12) & (days.day == 31) | (days.month == 1) & (days.day == 1)
        w = w * np.where(nye, 4.0, 1.0)
    return w


def _draw_times(
    rng: np.random.Generator,
    n: int,
    start: datetime,
    n_days: int,
    hours: np.ndarray,
    weekday_w: np.ndarray,
    seasonal: bool,
    trend: tuple[float, float] = (1.0, 1.0),
) -> np.ndarray:
    """n timestamps (UTC, ns) with given hour, weekday, season and linear trend weights."""
    if n == 0:
        return np.array([], dtype="datetime64[ns]")
    days = pd.date_range(start.date(), periods=n_days, freq="D")
    w = _day_weights(days, weekday_w, seasonal) * np.linspace(trend[0], trend[1], n_days)
    day_idx = rng.choice(n_days, size=n, p=w / w.sum())
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    secs = rng.integers(0, 3600, size=n)
    local = days.to_numpy()[day_idx] + hour.astype("timedelta64[h]") + secs.astype("timedelta64[s]")
    # Local wall time -> UTC (DST-aware) through pandas.
    ts = pd.DatetimeIndex(local).tz_localize(TZ, ambiguous="NaT", nonexistent="shift_forward")
    ts = ts.fillna(pd.Timestamp(days[0], tz=TZ))
    return ts.tz_convert("UTC").tz_localize(None).to_numpy()


def _district_points(rng, districts, name, n, dx=0.0, dy=0.0, sigma=None):
    row = districts.loc[districts["name"] == name].iloc[0]
    if sigma is None:  # uniform-ish background: wide normal around the district centre
        sigma = math.sqrt(row.geometry.area) / 2.5
    return geo.sample_in(row.geometry, n, rng, row.cx + dx, row.cy + dy, sigma)


def generate_incidents(
    n: int, seed: int, end: datetime, districts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """n incidents over YEARS years before end. Columns match pax_data.incident."""
    rng = np.random.default_rng(seed)
    districts = geo.districts() if districts is None else districts
    n_days = 365 * YEARS
    # Whole local days up to and including the day end falls in (the part of it before end).
    last_day = (end.astimezone(TZ) - timedelta(microseconds=1)).date()
    first_day = last_day - timedelta(days=n_days - 1)
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=TZ)
    code_by_name = dict(zip(districts["name"], districts["code"], strict=True))
    frames: list[pd.DataFrame] = []

    counts = {k: int(round(n * s)) for k, s in KIND_SHARE.items()}
    counts["car_fire"] += n - sum(counts.values())

    hot_w = np.array([h[4] for h in HOTSPOTS])
    background_w = districts["population"].to_numpy() * (0.3 + districts["vulnerability"])

    for kind, k_n in counts.items():
        if k_n <= 0:
            continue
        if kind == "shooting":
            parents = max(1, int(round(k_n / 1.6)))
            n_hot, n_bg = int(parents * 0.85), parents - int(parents * 0.85)
        elif kind == "cache":
            n_hot, n_bg = int(k_n * 0.9), k_n - int(k_n * 0.9)
        else:
            n_hot = int(k_n * (1 - BACKGROUND_SHARE))
            n_bg = k_n - n_hot
        hours = {"car_fire": CAR_FIRE_HOURS, "shooting": SHOOTING_HOURS}.get(kind, DAY_HOURS)
        if kind == "explosion":
            hours = SHOOTING_HOURS
        weekday = {"car_fire": CAR_FIRE_WEEKDAY, "cache": WORKDAY_WEEKDAY}.get(kind, FLAT_WEEKDAY)
        seasonal = kind == "car_fire"
        alloc = rng.multinomial(n_hot, hot_w / hot_w.sum())
        for (dname, dx, dy, sigma, _w, t0, t1), m in zip(HOTSPOTS, alloc, strict=True):
            if m == 0:
                continue
            s = sigma * (1.6 if kind == "cache" else 1.0)
            x, y = _district_points(rng, districts, dname, m, dx, dy, s)
            t = _before(_draw_times(rng, m, start, n_days, hours, weekday, seasonal, (t0, t1)), end)
            frames.append(_frame(kind, x, y, t, code_by_name[dname]))
        bg_alloc = rng.multinomial(n_bg, background_w / background_w.sum())
        for (_, drow), m in zip(districts.iterrows(), bg_alloc, strict=True):
            if m == 0:
                continue
            x, y = _district_points(rng, districts, drow["name"], m)
            t = _before(_draw_times(rng, m, start, n_days, hours, weekday, seasonal), end)
            frames.append(_frame(kind, x, y, t, drow["code"]))

    df = pd.concat(frames, ignore_index=True)
    shoot = df[df.kind == "shooting"]
    want = counts["shooting"] - len(shoot)
    if want > 0 and len(shoot):
        df = pd.concat([df, _near_repeats(rng, shoot, want, districts, end)], ignore_index=True)
    df = df.sort_values("occurred_at", kind="stable").reset_index(drop=True)
    return _finish(rng, df, end)


def _frame(kind: str, x, y, t, code: str) -> pd.DataFrame:
    return pd.DataFrame({"kind": kind, "x": x, "y": y, "occurred_at": t, "district_code": code})


def _near_repeats(rng, parents: pd.DataFrame, n: int, districts, end: datetime) -> pd.DataFrame:
    """Offspring of shootings: within ~200 m and ~2 weeks of a parent (near-repeat pattern)."""
    src = parents.iloc[rng.integers(0, len(parents), n)]
    dist = rng.exponential(120.0, n)
    ang = rng.uniform(0, 2 * np.pi, n)
    x = src.x.to_numpy() + dist * np.cos(ang)
    y = src.y.to_numpy() + dist * np.sin(ang)
    lag = rng.exponential(4.0, n) * 86400 + rng.uniform(3600, 86400, n)
    t = src.occurred_at.to_numpy() + lag.astype("timedelta64[s]")
    limit = np.datetime64(end.astimezone(UTC).replace(tzinfo=None)) - np.timedelta64(1, "h")
    t = np.minimum(t, limit)
    codes = src.district_code.to_numpy().copy()
    # Re-assign district where the offspring crossed a boundary; drop those outside the outline.
    owner = np.full(n, None, dtype=object)
    for _, d in districts.iterrows():
        inside = shapely.contains_xy(d.geometry, x, y)
        owner[inside] = d["code"]
    keep = owner != None  # noqa: E711 (numpy elementwise)
    codes[keep] = owner[keep]
    out = _frame("shooting", x[keep], y[keep], t[keep], "")
    out["district_code"] = codes[keep]
    return out


def _finish(rng, df: pd.DataFrame, end: datetime) -> pd.DataFrame:
    n = len(df)
    kind = df.kind.to_numpy()
    occurred = df.occurred_at.to_numpy()
    # Verification: most confirmed; suspected shootings are common in real police data.
    u = rng.random(n)
    ver = np.where(u < 0.80, "confirmed", np.where(u < 0.95, "unverified", "suspected"))
    ver = np.where((kind == "shooting") & (u > 0.70), "suspected", ver)
    subtype = np.where(kind == "cache", rng.choice(CACHE_SUBTYPES, size=n, p=CACHE_SUBTYPE_P), None)
    # Windows: caches were placed some time before they were found; ~12% of car fires are
    # found in the morning and known only as a night window.
    occ_from = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    occ_to = occ_from.copy()
    is_cache = kind == "cache"
    span = (rng.uniform(1, 30, n) * 86400).astype("timedelta64[s]")
    occ_from[is_cache] = occurred[is_cache] - span[is_cache]
    occ_to[is_cache] = occurred[is_cache]
    fire_win = (kind == "car_fire") & (rng.random(n) < 0.12)
    half = (rng.uniform(2, 5, n) * 3600).astype("timedelta64[s]")
    occ_from[fire_win] = occurred[fire_win] - half[fire_win]
    occ_to[fire_win] = occurred[fire_win] + half[fire_win]
    limit = np.datetime64(end.astimezone(UTC).replace(tzinfo=None))
    occ_to = np.where(np.isnat(occ_to), occ_to, np.minimum(occ_to, limit))
    delay = (rng.exponential(0.5, n) * 3600).astype("timedelta64[s]")
    reported = np.minimum(np.where(np.isnat(occ_to), occurred, occ_to) + delay, limit)
    df = df.assign(
        subtype=subtype,
        occurred_at=pd.to_datetime(occurred, utc=True),
        occurred_from=pd.to_datetime(occ_from, utc=True),
        occurred_to=pd.to_datetime(occ_to, utc=True),
        reported_at=pd.to_datetime(reported, utc=True),
        verification=ver,
        source="demo",
    )
    df["source_id"] = [f"demo-{i:07d}" for i in range(n)]
    df["x"] = df.x.round(1)
    df["y"] = df.y.round(1)
    return df


# --- cameras, routes, walks, observations, operations, indicators -------------------------

CAMERA_OWNERS = ("Polisen", "Södertälje kommun", "Telge Bostäder", "SL")
CAMERA_PLACES = {  # district -> cameras over its square / centre
    "Centrum": 10,
    "Ronna": 8,
    "Geneta": 6,
    "Hovsjö": 6,
    "Fornhöjden": 5,
    "Lina": 3,
    "Järna": 4,
    "Östertälje": 3,
    "Brunnsäng": 2,
    "Saltskog": 2,
    "Västergård": 2,
    "Pershagen": 1,
}


def view_cone(x: float, y: float, direction_deg: float, reach: float, fov: float) -> Polygon:
    pts = [(x, y)]
    for a in np.linspace(direction_deg - fov / 2, direction_deg + fov / 2, 9):
        r = math.radians(90 - a)  # compass bearing -> maths angle
        pts.append((x + reach * math.cos(r), y + reach * math.sin(r)))
    pts.append((x, y))
    return Polygon(pts)


def generate_cameras(rng: np.random.Generator, districts) -> list[dict]:
    out: list[dict] = []
    for dname, m in CAMERA_PLACES.items():
        d = districts.loc[districts["name"] == dname].iloc[0]
        xs, ys = geo.sample_in(d.geometry, m, rng, d.cx, d.cy, 140)
        for i, (x, y) in enumerate(zip(xs, ys, strict=True), start=1):
            direction = float(rng.uniform(0, 360))
            reach = float(rng.uniform(45, 95))
            out.append(
                {
                    "name": f"{dname} kamera {i}",
                    "owner": str(rng.choice(CAMERA_OWNERS, p=(0.45, 0.3, 0.2, 0.05))),
                    "status": "active" if rng.random() < 0.9 else "inactive",
                    "direction_deg": round(direction, 1),
                    "geom": Point(round(x, 1), round(y, 1)),
                    "coverage": view_cone(x, y, direction, reach, float(rng.uniform(60, 100))),
                    "source_id": f"demo-cam-{len(out) + 1:03d}",
                }
            )
    return out


ROUTE_PLACES = {
    "Ronna": ("Nattvandrarna Södertälje", 520),
    "Geneta": ("Nattvandrarna Södertälje", 480),
    "Hovsjö": ("Föräldrar på stan", 450),
    "Fornhöjden": ("Föräldrar på stan", 420),
    "Centrum": ("Fältgruppen Södertälje", 380),
    "Lina": ("Nattvandrarna Södertälje", 400),
    "Järna": ("Järna nattvandrare", 500),
}
#: Friday and Saturday evenings (weekday 4 and 5, Monday = 0).
ROUTE_SCHEDULE = [
    {"weekday": 4, "start": "20:00", "end": "00:00"},
    {"weekday": 5, "start": "20:00", "end": "01:00"},
]


def generate_routes(rng, districts) -> list[dict]:
    out = []
    for dname, (org, radius) in ROUTE_PLACES.items():
        d = districts.loc[districts["name"] == dname].iloc[0]
        ang = np.sort(rng.uniform(0, 2 * np.pi, 9))
        rad = radius * rng.uniform(0.7, 1.2, 9)
        pts = [
            (d.cx + r * math.cos(a), d.cy + r * math.sin(a)) for a, r in zip(ang, rad, strict=True)
        ]
        pts.append(pts[0])
        line = LineString(pts).intersection(d.geometry)
        lines = [g for g in getattr(line, "geoms", [line]) if isinstance(g, LineString)]
        out.append(
            {
                "name": f"Kvällsrunda {dname}",
                "organisation": org,
                "schedule": ROUTE_SCHEDULE,
                "geom": MultiLineString(lines),
                "source_id": f"demo-route-{dname.lower()}",
            }
        )
    return out


def generate_walks(rng, routes: list[dict], end: datetime) -> pd.DataFrame:
    local_end = end.astimezone(TZ)
    # A walk counts as held from its start (20:00): tonight's is not logged before then.
    last = local_end.date() if local_end.hour >= 20 else local_end.date() - timedelta(days=1)
    days = pd.date_range((end - timedelta(days=365 * YEARS)).date(), last, freq="D")
    days = days[days.day_of_week.isin([4, 5])]
    rows = []
    for r_i, _route in enumerate(routes):
        held = rng.random(len(days)) < 0.82
        people = rng.integers(3, 13, len(days))
        for d, h, p in zip(days[held], held[held], people[held], strict=True):
            rows.append({"route_index": r_i, "walked_on": d.date(), "participants": int(p)})
            del h
    df = pd.DataFrame(rows)
    df["source_id"] = [f"demo-walk-{i:06d}" for i in range(len(df))]
    return df


OBS_CATEGORIES = (
    "Ungdomar samlas",
    "Misstänkt langning",
    "Skadegörelse",
    "Klotter",
    "Trasig belysning",
    "Nedskräpning",
    "Oro bland boende",
)
DEMO_REPORTERS = ("falt1", "falt2", "kommun1")


def generate_observations(rng, incidents: pd.DataFrame, end: datetime, n: int) -> pd.DataFrame:
    if n == 0 or incidents.empty:
        return pd.DataFrame(
            columns=["observed_at", "category", "text", "reporter", "x", "y", "district_code"]
        )
    base = incidents.iloc[rng.integers(0, len(incidents), n)]
    jitter = rng.normal(0, 120, (n, 2))
    # Observations happen in evenings, days after incidents or in between.
    shift = (rng.uniform(-20, 20, n) * 86400).astype("timedelta64[s]")
    observed = base.occurred_at.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy() + shift
    limit = np.datetime64(end.astimezone(UTC).replace(tzinfo=None)) - np.timedelta64(1, "h")
    observed = np.minimum(observed, limit)
    cats = rng.choice(OBS_CATEGORIES, size=n)
    return pd.DataFrame(
        {
            "observed_at": pd.to_datetime(observed, utc=True),
            "category": cats,
            "text": [f"{c} noterat under kvällspass." for c in cats],
            "reporter": rng.choice(DEMO_REPORTERS, size=n),
            "x": (base.x.to_numpy() + jitter[:, 0]).round(1),
            "y": (base.y.to_numpy() + jitter[:, 1]).round(1),
            "district_code": base.district_code.to_numpy(),
            "source_id": [f"demo-obs-{i:06d}" for i in range(n)],
        }
    )


def generate_operations(rng, districts, end: datetime) -> list[dict]:
    out = []
    for i, (dname, dx, dy, sigma, *_rest) in enumerate(HOTSPOTS[:6]):
        d = districts.loc[districts["name"] == dname].iloc[0]
        for j in range(2):
            starts = end - timedelta(days=int(rng.integers(10, 365 * YEARS - 30)))
            length = timedelta(days=int(rng.integers(7, 29)))
            poly = Point(d.cx + dx, d.cy + dy).buffer(sigma * 2.2, 16).intersection(d.geometry)
            out.append(
                {
                    "name": f"Insats {dname} {j + 1}",
                    "description": "Riktad närvaro mot brottsplatser och gömmor (övningsdata).",
                    "starts_at": starts,
                    "ends_at": min(starts + length, end),
                    "geom": poly,
                    "source_id": f"demo-op-{i}-{j}",
                    "kind": ("patrol", "presence")[j],
                    "owner_org": "Polisen lokalpolisområde Södertälje",
                    "is_police": True,
                    "group_key": None,
                }
            )
    # One operation running now, so the map shows a current one.
    d = districts.loc[districts["name"] == HOTSPOTS[2][0]].iloc[0]
    out.append(
        {
            "name": f"Insats {d['name']} pågående",
            "description": "Pågående riktad insats (övningsdata).",
            "starts_at": end - timedelta(days=9),
            "ends_at": end + timedelta(days=12),
            "geom": Point(d.cx, d.cy).buffer(450, 16).intersection(d.geometry),
            "source_id": "demo-op-current",
            "kind": "patrol",
            "owner_org": "Polisen lokalpolisområde Södertälje",
            "is_police": True,
            "group_key": None,
        }
    )
    # The partners' own actions (the action register): whole districts or a part of one.
    for k, (dname, name, kind, owner, group, days_ago, span) in enumerate(PARTNER_ACTIONS):
        d = districts.loc[districts["name"] == dname].iloc[0]
        starts = end - timedelta(days=days_ago)
        poly = d.geometry if k % 2 else Point(d.cx, d.cy).buffer(300, 16).intersection(d.geometry)
        out.append(
            {
                "name": name,
                "description": "Samverkansåtgärd (övningsdata).",
                "starts_at": starts,
                "ends_at": starts + timedelta(days=span),
                "geom": poly,
                "source_id": f"demo-action-{k}",
                "kind": kind,
                "owner_org": owner,
                "is_police": False,
                "group_key": group,
            }
        )
    return out


#: district, name, type, owner, samverkansgrupp, started days ago, length in days
PARTNER_ACTIONS: tuple[tuple[str, str, str, str, str, int, int], ...] = (
    (
        "Ronna",
        "Ny belysning gångvägar Ronna",
        "lighting",
        "Södertälje kommun",
        "trygga_bostadsomraden",
        120,
        30,
    ),
    ("Hovsjö", "Tillsyn avfallsrum Hovsjö", "tillsyn", "Miljöförvaltningen", "avfall", 60, 45),
    (
        "Geneta",
        "Fritidsgården öppen till 23 fredagar",
        "outreach",
        "Fritid Södertälje",
        "fokus_unga",
        200,
        180,
    ),
    ("Fornhöjden", "Stopp för svartkontrakt", "housing", "Telge Bostäder", "valfardsbrott", 30, 90),
    (
        "Centrum",
        "Trygghetskameror Stortorget",
        "camera",
        "Södertälje kommun",
        "trygga_bostadsomraden",
        15,
        60,
    ),
)


INDICATOR_KEYS = (
    # key, label sv, label en, unit, higher is better, base at vulnerability 0, at 1
    (
        "school_eligibility",
        "Behörighet till gymnasiet",
        "Eligible for upper secondary",
        "%",
        True,
        92,
        58,
    ),
    ("employment_rate", "Förvärvsfrekvens 20–64 år", "Employment rate 20-64", "%", True, 86, 52),
    ("economic_assistance", "Ekonomiskt bistånd", "Economic assistance", "%", False, 1.5, 14),
    ("overcrowding", "Trångboddhet", "Overcrowding", "%", False, 4, 38),
    ("safety_feel", "Trygg utomhus kvällstid", "Feels safe outdoors at night", "%", True, 82, 44),
    ("trust_police", "Förtroende för polisen", "Trust in the police", "%", True, 74, 48),
)


def generate_indicators(rng, districts, end: datetime) -> pd.DataFrame:
    years = list(range(end.year - 6, end.year))
    rows = []
    for _, d in districts.iterrows():
        v = float(d["vulnerability"])
        for key, _sv, _en, unit, better, lo, hi in INDICATOR_KEYS:
            base = lo + (hi - lo) * v
            drift = rng.normal(0.4 if better else -0.15, 0.4)
            for k, year in enumerate(years):
                value = base + drift * k + rng.normal(0, abs(hi - lo) * 0.02)
                value = float(np.clip(value, 0, 100))
                rows.append(
                    {
                        "district_code": d["code"],
                        "period": str(year),
                        "year": year,
                        "key": key,
                        "value": round(value, 1),
                        "unit": unit,
                        "source_id": f"demo-ind-{d['code']}-{key}-{year}",
                    }
                )
    return pd.DataFrame(rows)


def generate(incidents: int = 4000, seed: int = 42, end: datetime | None = None) -> DemoData:
    end = end or default_end()
    districts = geo.districts()
    rng = np.random.default_rng(seed + 1)
    inc = generate_incidents(incidents, seed, end, districts)
    routes = generate_routes(rng, districts)
    return DemoData(
        districts=districts,
        incidents=inc,
        cameras=generate_cameras(rng, districts),
        routes=routes,
        walks=generate_walks(rng, routes, end),
        observations=generate_observations(rng, inc, end, min(2000, max(50, incidents // 8))),
        operations=generate_operations(rng, districts, end),
        indicators=generate_indicators(rng, districts, end),
        end=end,
    )
