"""What the caller asked for: the same options from the CLI and the admin page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pax_geo.config import settings

WORKING_AREA_MODES = ("auto", "sweden", "none")
#: Local times in the autumn DST fold / the spring gap (see pax_geo.ingest.times).
AMBIGUOUS_TIME_CHOICES = ("earlier", "later")
NONEXISTENT_TIME_CHOICES = ("shift-forward", "shift-backward")


@dataclass
class ImportOptions:
    #: provenance name; default: 'polisen' for the feed, else the file name without suffix
    source: str | None = None
    #: EPSG code of the file's coordinates, when the file does not say (or says it wrong)
    crs: int | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    #: repair invalid geometries with make_valid instead of refusing them
    make_valid: bool = False
    #: auto (Sweden, and the municipality for local layers) | sweden | none (explicit override)
    working_area: str = "auto"
    #: field -> column name in the file (overrides the automatic mapping; '' = do not map)
    mapping: dict[str, str] = field(default_factory=dict)
    #: field -> constant value for every row (e.g. kind=district for an areas file)
    defaults: dict[str, str] = field(default_factory=dict)
    #: Police feed: keep events of this municipality (default: PAX_MUNICIPALITY_NAME)
    municipality: str = field(default_factory=lambda: settings().municipality_name)
    #: a layer inside a GeoPackage or a zip with several shapefiles
    file_layer: str | None = None
    #: who ran it (import_run.username)
    username: str | None = None
    #: the signed-in account whose municipalities limit the rows (the import page); None for
    #: the operator's ``pax import`` on the server, which is not limited
    account: str | None = None
    #: a local time that occurs twice (autumn fold): None = refuse the row, earlier | later
    ambiguous_time: str | None = None
    #: a local time that does not exist (spring gap): None = refuse, shift-forward | shift-backward
    nonexistent_time: str | None = None

    def resolved_source(self, layer: str, path: Path | str) -> str:
        if self.source:
            return self.source.strip()
        if layer == "polisen":
            return "polisen"
        stem = Path(path).name.split(".")[0].lower()
        return re.sub(r"[^a-z0-9åäö_.-]+", "_", stem).strip("_") or "file"

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "crs": self.crs,
            "dry_run": self.dry_run,
            "skip_invalid": self.skip_invalid,
            "make_valid": self.make_valid,
            "working_area": self.working_area,
            "mapping": dict(self.mapping),
            "defaults": dict(self.defaults),
            "municipality": self.municipality,
            "file_layer": self.file_layer,
            "ambiguous_time": self.ambiguous_time,
            "nonexistent_time": self.nonexistent_time,
        }
