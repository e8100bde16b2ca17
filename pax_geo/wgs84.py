"""From the storage grid (SWEREF 99 TM, EPSG:3006) to the browser's WGS84: the one place.

Positions are stored in EPSG:3006 and transformed only here, just before they leave for a map;
coordinates are rounded so a payload carries no false precision (5 decimals ≈ 1 m, 6 ≈ 0.1 m).
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer

from pax_geo.config import STORAGE_SRID, WGS84

_TRANSFORMER = Transformer.from_crs(STORAGE_SRID, WGS84, always_xy=True)


def xy_to_lonlat(x, y, decimals: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Arrays of EPSG:3006 x, y -> arrays of WGS84 lon, lat, rounded."""
    lon, lat = _TRANSFORMER.transform(np.asarray(x, float), np.asarray(y, float))
    return np.round(lon, decimals), np.round(lat, decimals)


def geom_to_wgs84(geom, tolerance: float = 0.0):
    """One shapely geometry from EPSG:3006 to WGS84, optionally simplified first (metres)."""
    if tolerance:
        geom = shapely.simplify(geom, tolerance, preserve_topology=True)
    return shapely.transform(
        geom, lambda xy: np.column_stack(_TRANSFORMER.transform(xy[:, 0], xy[:, 1]))
    )


def geoms_to_wgs84(geoms) -> np.ndarray:
    """An array of shapely geometries from EPSG:3006 to WGS84 (unrounded)."""
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return geoms
    return shapely.transform(
        geoms, lambda xy: np.column_stack(_TRANSFORMER.transform(xy[:, 0], xy[:, 1]))
    )


def rings(geom, decimals: int = 5) -> list[list[list[float]]]:
    """Exterior rings [[lon, lat], …] of a (multi)polygon already in WGS84, rounded; empty and
    non-polygon parts are left out."""
    if geom is None or geom.is_empty:
        return []
    out = []
    for p in getattr(geom, "geoms", [geom]):
        if p.geom_type != "Polygon" or p.is_empty:
            continue
        out.append(np.round(np.asarray(p.exterior.coords)[:, :2], decimals).tolist())
    return out


_FROM_WGS84 = Transformer.from_crs(WGS84, STORAGE_SRID, always_xy=True)


def geom_from_wgs84(geom):
    """One shapely geometry drawn in the browser (WGS84) into the storage grid (EPSG:3006)."""
    return shapely.transform(
        geom, lambda xy: np.column_stack(_FROM_WGS84.transform(xy[:, 0], xy[:, 1]))
    )
