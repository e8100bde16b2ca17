"""Long term (social sustainability): one indicator per area and year, classed for a
choropleth, with municipality averages and the series per area for small multiples."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection

from pax_geo import queries
from pax_geo.config import WGS84
from pax_geo.horizons import indicators as ind_stats
from pax_geo.horizons import queries as hq

#: Simplification tolerance (m, EPSG:3006) before sending area outlines to the browser.
SIMPLIFY_M = 15.0


class UnknownIndicator(LookupError):
    pass


@dataclass(frozen=True)
class IndicatorView:
    key: str
    label_sv: str
    label_en: str
    unit: str
    higher_is_better: bool
    values: pd.DataFrame  # area_id, area, year, value, unit, source, loaded_at, cls
    averages: pd.DataFrame  # year, value, method, n_areas
    classes: ind_stats.Classes
    years: tuple[int, ...]

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_sv

    def year(self, year: int) -> pd.DataFrame:
        return self.values[self.values["year"] == year].reset_index(drop=True)

    def average(self, year: int) -> pd.Series | None:
        row = self.averages[self.averages["year"] == year]
        return None if row.empty else row.iloc[0]


def area_shapes(conn: Connection) -> gpd.GeoDataFrame:
    """District outlines for the browser: simplified in EPSG:3006, then WGS84."""
    gdf = queries.areas(conn, ("district",))
    gdf["geometry"] = gdf.geometry.simplify(SIMPLIFY_M, preserve_topology=True)
    return gdf.to_crs(WGS84)[["id", "name", "population", "geometry"]]


def indicator_view(
    conn: Connection, key: str, scheme: str = "quantiles", k: int = 5
) -> IndicatorView:
    meta = hq.indicator_keys(conn)
    row = meta[meta["key"] == key]
    if row.empty:
        raise UnknownIndicator(f"no indicator {key!r}")
    m = row.iloc[0]
    values = hq.indicators(conn, [key])
    areas = queries.area_table(conn)
    pop = {
        int(i): (None if pd.isna(p) else int(p))
        for i, p in zip(areas["id"], areas["population"], strict=True)
    }
    avgs = ind_stats.averages(values, pop).drop(columns="key")
    values = values.merge(
        areas[["id", "name"]].rename(columns={"id": "area_id", "name": "area"}), on="area_id"
    )
    if values.empty:
        raise UnknownIndicator(f"indicator {key!r} has no values for districts")
    classes = ind_stats.classify(values["value"], scheme, k)
    values["cls"] = classes.assign(values["value"])
    return IndicatorView(
        key=key,
        label_sv=str(m["label_sv"]),
        label_en=str(m["label_en"]),
        unit=str(m["unit"]),
        higher_is_better=bool(m["higher_is_better"]),
        values=values.sort_values(["area", "year"]).reset_index(drop=True),
        averages=avgs,
        classes=classes,
        years=tuple(sorted(int(y) for y in values["year"].unique())),
    )
