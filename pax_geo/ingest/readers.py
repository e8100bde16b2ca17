"""Read an input file into attributes plus geometries, whatever its format.

Formats: GeoJSON, GeoPackage, zipped Shapefile (and a bare .shp), GeoParquet, CSV (comma,
semicolon, tab or pipe separated; UTF-8 or Windows-1252), plain Parquet and JSON arrays of
records (coordinates in columns, like CSV). Nothing here knows about layers or the database.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from pax_geo.ingest.errors import IngestError, file_error
from pax_geo.ingest.geo import epsg_of

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSON_SUFFIXES = (".json", ".geojson")
PARQUET_SUFFIXES = (".parquet", ".geoparquet", ".pq")
SUFFIXES = (*CSV_SUFFIXES, *JSON_SUFFIXES, ".gpkg", ".zip", ".shp", *PARQUET_SUFFIXES)


@dataclass
class RawTable:
    """A file as read: attribute columns, and geometries when the format carries them."""

    file: str
    fmt: str
    attrs: pd.DataFrame
    geoms: np.ndarray | None = None
    crs: int | None = None
    encoding: str | None = None

    @property
    def unit(self) -> str:
        return "row" if self.geoms is None else "feature"

    def __len__(self) -> int:
        return len(self.attrs)


def display_name(path: Path | str) -> str:
    return Path(path).name


def read(path: Path | str, file_layer: str | None = None, name: str | None = None) -> RawTable:
    """Read path; ``name`` is the file name shown in messages (an upload's original name)."""
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise file_error(name, "file_missing")
    if path.stat().st_size == 0:
        raise file_error(name, "file_empty")
    suffix = path.suffix.lower()
    try:
        if suffix in CSV_SUFFIXES:
            return read_csv(path, name)
        if suffix in JSON_SUFFIXES:
            return _read_json(path, name)
        if suffix in PARQUET_SUFFIXES:
            return _read_parquet(path, name)
        if suffix == ".zip":
            return _read_zip(path, name, file_layer)
        if suffix in (".gpkg", ".shp"):
            return _read_vector(str(path), name, suffix.lstrip("."), file_layer)
    except IngestError:
        raise
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, csv.Error) as exc:
        raise file_error(name, "unreadable", detail=_detail(exc)) from exc
    raise file_error(name, "unknown_format", suffixes=", ".join(SUFFIXES))


def _detail(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    return (msg[0] if msg else type(exc).__name__)[:300]


# --- CSV ------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_csv(path: Path, name: str) -> RawTable:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    data = path.read_bytes()
    textdata, encoding = _decode(data)
    if not textdata.strip():
        raise file_error(name, "file_empty")
    first = textdata.split("\n", 1)[0].rstrip("\r")
    delim = _sniff_delimiter(first)
    header = next(csv.reader([first], delimiter=delim))
    header = [h.strip() for h in header]
    if any(h == "" for h in header):
        raise file_error(name, "csv_blank_header", position=header.index("") + 1)
    seen: set[str] = set()
    for h in header:
        if h.lower() in seen:
            raise file_error(name, "csv_duplicate_header", column=h)
        seen.add(h.lower())
    try:
        table = pacsv.read_csv(
            io.BytesIO(textdata.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise _csv_row_error(textdata, delim, len(header), name, exc) from exc
    attrs = table.to_pandas()
    if len(attrs) == 0:
        raise file_error(name, "no_rows")
    return RawTable(name, "csv", attrs, encoding=encoding)


def _csv_row_error(textdata: str, delim: str, ncols: int, name: str, exc: Exception) -> IngestError:
    """Find the row that broke the fast parser, so the message can name it."""
    reader = csv.reader(io.StringIO(textdata, newline=""), delimiter=delim)
    try:
        next(reader, None)
        rows = list(enumerate(reader, start=1))
    except csv.Error:
        return file_error(name, "unreadable", detail=_detail(exc))
    for i, row in rows:
        if row and len(row) != ncols:
            from pax_geo.ingest.errors import Issue

            return IngestError(
                name,
                [Issue("csv_columns", row=i, params={"expected": ncols, "got": len(row)})],
            )
    return file_error(name, "unreadable", detail=_detail(exc))


# --- vector formats -------------------------------------------------------------------------


def _read_vector(source: str, name: str, fmt: str, file_layer: str | None) -> RawTable:
    import pyogrio

    try:
        layers = pyogrio.list_layers(source)
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        raise file_error(name, "unreadable", detail=_detail(exc)) from exc
    names = [str(x[0]) for x in layers]
    if file_layer is None and len(names) > 1:
        raise file_error(name, "many_layers", layers=", ".join(names))
    if file_layer is not None and file_layer not in names:
        raise file_error(name, "no_such_file_layer", layer=file_layer, layers=", ".join(names))
    # Unclosed rings are invalid GeoJSON: let GDAL return no geometry (reported as empty)
    # instead of quietly closing them. GDAL's own warnings become our per-feature messages.
    pyogrio.set_gdal_config_options({"OGR_GEOMETRY_ACCEPT_UNCLOSED_RING": "NO"})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(source, layer=file_layer or (names[0] if names else None))
    except Exception as exc:
        raise file_error(name, "unreadable", detail=_detail(exc)) from exc
    return _from_gdf(gdf, name, fmt)


def _from_gdf(gdf, name: str, fmt: str) -> RawTable:
    if len(gdf) == 0:
        raise file_error(name, "no_rows")
    crs = None
    if gdf.crs is not None:
        crs = epsg_of(gdf.crs)
        if crs is None:
            raise file_error(name, "crs_unsupported", crs=str(gdf.crs)[:80])
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    geoms = shapely.force_2d(geoms)
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    return RawTable(name, fmt, attrs, geoms=geoms, crs=crs)


def _read_zip(path: Path, name: str, file_layer: str | None) -> RawTable:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if not m.startswith("__MACOSX")]
    except zipfile.BadZipFile as exc:
        raise file_error(name, "unreadable", detail=_detail(exc)) from exc
    shps = [m for m in members if m.lower().endswith(".shp")]
    if not shps:
        raise file_error(name, "zip_no_shapefile")
    if file_layer:
        chosen = [m for m in shps if Path(m).stem == file_layer]
        if not chosen:
            raise file_error(name, "no_such_file_layer", layer=file_layer, layers=", ".join(shps))
        shps = chosen
    if len(shps) > 1:
        raise file_error(name, "many_layers", layers=", ".join(Path(s).stem for s in shps))
    stem = shps[0][:-4]
    lower = {m.lower() for m in members}
    for side in (".dbf", ".shx"):
        if (stem + side).lower() not in lower:
            raise file_error(name, "shapefile_part_missing", part=Path(stem).name + side)
    return _read_vector(f"/vsizip/{path.resolve()}/{shps[0]}", name, "shapefile", None)


def _read_parquet(path: Path, name: str) -> RawTable:
    import geopandas as gpd
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception as exc:  # pyarrow raises ArrowInvalid for non-Parquet bytes
        raise file_error(name, "unreadable", detail=_detail(exc)) from exc
    if b"geo" in meta:
        try:
            gdf = gpd.read_parquet(path)
        except Exception as exc:
            raise file_error(name, "unreadable", detail=_detail(exc)) from exc
        return _from_gdf(gdf, name, "geoparquet")
    try:
        attrs = pd.read_parquet(path)
    except Exception as exc:
        raise file_error(name, "unreadable", detail=_detail(exc)) from exc
    if len(attrs) == 0:
        raise file_error(name, "no_rows")
    return RawTable(name, "parquet", attrs.reset_index(drop=True))


def _read_json(path: Path, name: str) -> RawTable:
    raw = path.read_bytes()
    head = raw.lstrip()[:1]
    if head == b"[":
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise file_error(name, "unreadable", detail=_detail(exc)) from exc
        if not data:
            raise file_error(name, "no_rows")
        if not all(isinstance(r, dict) for r in data):
            raise file_error(name, "json_not_records")
        return RawTable(name, "json", pd.json_normalize(data, sep="_"))
    if head != b"{":
        raise file_error(name, "unreadable", detail="not JSON")
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise file_error(name, "unreadable", detail=_detail(exc)) from exc
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise file_error(name, "not_geojson")
    return _read_vector(str(path), name, "geojson", None)


def read_json_list(path: Path | str, name: str | None = None) -> list:
    """A JSON array (the Police events feed); clear errors when it is not one."""
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise file_error(name, "file_missing")
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise file_error(name, "unreadable", detail=_detail(exc)) from exc
    if not isinstance(data, list):
        raise file_error(name, "feed_not_list")
    return data
