"""What the admin page shows before an import: columns, the automatic mapping, the CRS and a
sample of the features in WGS84 (GeoJSON for the map). Reads the file only, never the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from pax_geo.config import WGS84
from pax_geo.ingest import fields as F
from pax_geo.ingest import polisen
from pax_geo.ingest.errors import IngestError
from pax_geo.ingest.geometry_read import read_geometry
from pax_geo.ingest.issues import IssueCollector
from pax_geo.ingest.mapping import resolve_mapping
from pax_geo.ingest.options import ImportOptions
from pax_geo.ingest.readers import read, read_json_list

SAMPLE_ROWS = 20
MAX_FEATURES = 2000


@dataclass
class FieldInfo:
    name: str
    type: str
    required: bool
    choices: tuple[str, ...] = ()


@dataclass
class Preview:
    file: str
    layer: str
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    fields: list[FieldInfo] = field(default_factory=list)
    mapping: dict[str, str | None] = field(default_factory=dict)
    crs: int | None = None
    crs_note: str = ""
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)
    geojson: dict | None = None
    bounds: tuple[float, float, float, float] | None = None
    feed: dict | None = None
    error: IngestError | None = None


def preview(
    path: Path | str,
    layer: str,
    options: ImportOptions | None = None,
    name: str | None = None,
    max_features: int = MAX_FEATURES,
) -> Preview:
    opts = options or ImportOptions()
    name = name or Path(path).name
    pv = Preview(file=name, layer=layer)
    try:
        if layer in F.FEED_LAYERS:
            data = read_json_list(path, name)
            kept = [
                e
                for e in data
                if isinstance(e, dict) and polisen.in_municipality(e, opts.municipality)
            ]
            types: dict[str, int] = {}
            for e in kept:
                types[str(e.get("type"))] = types.get(str(e.get("type")), 0) + 1
            pv.rows = len(data)
            pv.feed = {
                "events": len(data),
                "municipality": opts.municipality,
                "kept": len(kept),
                "types": dict(sorted(types.items(), key=lambda kv: -kv[1])),
            }
            pv.sample = pd.DataFrame(
                [
                    {k: e.get(k) for k in ("id", "datetime", "type", "name", "summary")}
                    for e in kept[:SAMPLE_ROWS]
                ]
            )
            return pv
        if layer not in F.TARGETS:
            from pax_geo.ingest.errors import file_error

            raise file_error(name, "unknown_layer", layer=layer, layers=", ".join(F.LAYERS))
        raw = read(path, opts.file_layer, name)
        tgt = F.target(layer)
        pv.rows = len(raw)
        pv.columns = [str(c) for c in raw.attrs.columns]
        pv.fields = [FieldInfo(f.name, f.type, f.required, f.choices) for f in tgt.fields]
        pv.mapping = resolve_mapping(raw, tgt, opts)
        pv.sample = raw.attrs.head(SAMPLE_ROWS).astype("str")
        if tgt.geometry:
            g = read_geometry(raw, tgt, opts, IssueCollector(len(raw)))
            pv.crs, pv.crs_note = g.crs, g.note
            pv.geojson, pv.bounds = _features(g, raw.attrs, max_features)
    except IngestError as exc:
        pv.error = exc
    return pv


def _features(g, attrs: pd.DataFrame, limit: int):
    from pax_geo.ingest.geo import transform_geoms, transformer

    if g.mode == "none" or g.crs is None:
        return None, None
    if g.mode == "points":
        ok = np.flatnonzero(np.isfinite(g.x) & np.isfinite(g.y))[:limit]
        if g.crs == WGS84:
            lon, lat = g.x[ok], g.y[ok]
        else:
            lon, lat = transformer(g.crs, WGS84).transform(g.x[ok], g.y[ok])
        geoms = shapely.points(lon, lat)
    else:
        present = ~(pd.isna(g.geoms) | shapely.is_missing(g.geoms))
        ok = np.flatnonzero(present)[:limit]
        geoms = transform_geoms(g.geoms[ok], g.crs, WGS84)
    if len(ok) == 0:
        return None, None
    label_col = next(
        (c for c in attrs.columns if F.norm(c) in ("name", "namn", "title", "kom_namn", "kind")),
        None,
    )
    feats = []
    for i, geom in zip(ok, geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        label = str(attrs.iloc[i][label_col]) if label_col is not None else f"#{i + 1}"
        feats.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {"row": int(i) + 1, "label": label},
            }
        )
    if not feats:
        return None, None
    b = shapely.total_bounds(geoms)
    bounds = tuple(float(v) for v in b) if np.all(np.isfinite(b)) else None
    return {"type": "FeatureCollection", "features": feats}, bounds


#: The package-level name (``pax_geo.ingest.preview`` is this module).
preview_file = preview
