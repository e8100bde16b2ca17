"""Imports: files (GeoJSON, GeoPackage, zipped Shapefile, GeoParquet, CSV), the Swedish Police
public events feed and indicators, validated, in one transaction, idempotent.

    from pax_geo.ingest import ImportOptions, import_file
    report = import_file("stadsdelar.geojson", "area", ImportOptions(defaults={"kind": "district"}))

Importable without Streamlit (the admin page and the CLI both call :func:`import_file`). The
names below load lazily, so the CLI can register its commands without importing GDAL/pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "IngestError": "pax_geo.ingest.errors",
    "Issue": "pax_geo.ingest.errors",
    "LAYERS": "pax_geo.ingest.fields",
    "ImportOptions": "pax_geo.ingest.options",
    "ImportReport": "pax_geo.ingest.report",
    "import_file": "pax_geo.ingest.run",
    "history": "pax_geo.ingest.run",
    # (not "preview": that name is the submodule, which would shadow a function of that name)
    "preview_file": "pax_geo.ingest.preview",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pax_geo.ingest' has no attribute {name!r}")
    return getattr(import_module(module), name)
