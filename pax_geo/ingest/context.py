"""What validating a file needs from the database, read once in the import's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from pax_geo.ingest import fields as F
from pax_geo.ingest.geo import WorkingArea
from pax_geo.ingest.options import ImportOptions


@dataclass
class Context:
    """What validation needs from the database, read once in the import's transaction."""

    areas: pd.DataFrame
    districts: pd.DataFrame
    indicator_keys: dict[str, str]
    working_area: WorkingArea
    now: pd.Timestamp
    municipality_area_id: int | None = None
    #: night-walk routes (id, source_id, name), for the walk log
    routes: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["id", "source_id", "name"])
    )
    _tree: shapely.STRtree | None = None

    @classmethod
    def load(cls, conn: Connection, tgt: F.Target | None, opts: ImportOptions) -> Context:
        rows = conn.execute(
            text("select id, code, name, kind, st_asbinary(geom) from pax_data.area order by id")
        ).all()
        areas = pd.DataFrame(
            [(r[0], r[1], r[2], r[3]) for r in rows], columns=["id", "code", "name", "kind"]
        )
        districts = pd.DataFrame(
            {
                "id": [r[0] for r in rows if r[3] == "district"],
                "name": [r[2] for r in rows if r[3] == "district"],
                "geom": [shapely.from_wkb(bytes(r[4])) for r in rows if r[3] == "district"],
            }
        )
        keys: dict[str, str] = dict(
            conn.execute(text("select key, unit from pax_data.indicator_key")).all()
        )
        area_check = tgt.area_check if tgt is not None else "none"
        wa = WorkingArea.for_import(opts.working_area, conn, area_check)
        muni_id = conn.execute(
            text(
                "select id from pax_data.area where kind = 'municipality' "
                "and lower(name) = lower(:n) order by id limit 1"
            ),
            {"n": opts.municipality},
        ).scalar()
        routes = pd.DataFrame(
            conn.execute(
                text("select id, source_id, name from pax_data.night_walk_route order by id")
            ).all(),
            columns=["id", "source_id", "name"],
        )
        return cls(
            areas=areas,
            districts=districts,
            indicator_keys=keys,
            working_area=wa,
            now=pd.Timestamp.now(tz="UTC"),
            municipality_area_id=muni_id,
            routes=routes,
        )

    def district_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """District id per point (EPSG:3006), or -1; the lowest id wins on shared borders."""
        out = np.full(len(x), -1, dtype=np.int64)
        if len(self.districts) == 0 or len(x) == 0:
            return out
        for area_id, geom in zip(self.districts["id"], self.districts["geom"], strict=True):
            shapely.prepare(geom)
            x0, y0, x1, y1 = geom.bounds
            idx = np.flatnonzero((out < 0) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
            if len(idx):
                hit = shapely.intersects_xy(geom, x[idx], y[idx])
                out[idx[hit]] = area_id
        return out
