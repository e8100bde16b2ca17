"""What each importable layer needs: its table, fields (with the column names that map to them
automatically), geometry type and identity.

Identifiers in here are the only ones the loader interpolates into SQL (an allowlist).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pax_geo.layers import INCIDENT_KINDS

VERIFICATIONS = ("unverified", "suspected", "confirmed", "rejected")
AREA_KINDS = ("municipality", "district", "deso", "vulnerable_area")
CACHE_SUBTYPES = ("drugs", "weapons", "mixed")
PRECISIONS = ("exact", "address", "area", "municipality")
CAMERA_STATUSES = ("active", "inactive", "planned")

#: Swedish and other spellings accepted for enum values (normalised lower case).
SYNONYMS: dict[str, dict[str, str]] = {
    "kind": {
        "bilbrand": "car_fire",
        "car fire": "car_fire",
        "skottlossning": "shooting",
        "skjutning": "shooting",
        "explosion": "explosion",
        "detonation": "explosion",
        "sprängning": "explosion",
        "gömma": "cache",
        "gomma": "cache",
    },
    "subtype": {"narkotika": "drugs", "vapen": "weapons", "blandat": "mixed"},
    "verification": {
        "obekräftad": "unverified",
        "misstänkt": "suspected",
        "bekräftad": "confirmed",
        "avfärdad": "rejected",
    },
    "area_kind": {
        "kommun": "municipality",
        "stadsdel": "district",
        "kommundel": "district",
        "utsatt område": "vulnerable_area",
        "utsatt_omrade": "vulnerable_area",
    },
    "status": {"aktiv": "active", "inaktiv": "inactive", "planerad": "planned"},
}


@dataclass(frozen=True)
class Field:
    name: str
    #: text, int, float, time, enum, json, area_ref, route_ref, wkt
    type: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    synonyms: str | None = None
    #: the name of another field whose value is used when this one is empty (area code <- name)
    fallback: str | None = None
    #: database column, when it differs from the field name
    column: str | None = None
    #: events in the future are refused for these time fields
    no_future: bool = False

    @property
    def db_column(self) -> str:
        return self.column or self.name


@dataclass(frozen=True)
class Target:
    layer: str
    table: str
    fields: tuple[Field, ...]
    #: point, polygon, line or None
    geometry: str | None
    geom_required: bool = True
    #: incident kind fixed by the layer (car_fire …); None for the 'incident' layer
    kind: str | None = None
    #: the unique key used for ON CONFLICT
    conflict: tuple[str, ...] = ("source", "source_id")
    #: how source_id is made when the file has no id column: 'hash' or a format of fields
    derived_id: str | None = None
    #: which working-area check applies with --working-area auto
    area_check: str = "local"
    #: spatially join points to districts for area_id
    join_district: bool = False

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


ID = Field(
    "source_id",
    aliases=(
        "source_id",
        "id",
        "uid",
        "uuid",
        "objectid",
        "object_id",
        "incident_id",
        "event_id",
        "handelse_id",
        "händelse_id",
        "diarienummer",
        "ärendenummer",
    ),
)
VERIFICATION = Field(
    "verification",
    "enum",
    aliases=("verification", "verifiering", "verified_status"),
    choices=VERIFICATIONS,
    synonyms="verification",
)
AREA_REF = Field(
    "area",
    "area_ref",
    aliases=("area", "area_code", "area_name", "område", "omrade", "district", "stadsdel"),
    column="area_id",
)

_INCIDENT_FIELDS: tuple[Field, ...] = (
    ID,
    Field(
        "kind",
        "enum",
        aliases=("kind", "incident_kind", "type", "typ", "händelsetyp"),
        choices=INCIDENT_KINDS,
        synonyms="kind",
    ),
    Field(
        "subtype",
        "enum",
        aliases=("subtype", "undertyp", "cache_type"),
        choices=CACHE_SUBTYPES,
        synonyms="subtype",
    ),
    Field("title", aliases=("title", "titel", "rubrik", "name")),
    Field(
        "description",
        aliases=("description", "beskrivning", "summary", "sammanfattning", "text", "notes"),
    ),
    Field(
        "occurred_at",
        "time",
        required=True,
        aliases=(
            "occurred_at",
            "occurred",
            "time",
            "datetime",
            "date_time",
            "timestamp",
            "date",
            "tid",
            "tidpunkt",
            "datum",
            "händelsetid",
            "brottstid",
            "occur_date",
        ),
        no_future=True,
    ),
    Field(
        "occurred_from",
        "time",
        aliases=("occurred_from", "time_from", "från", "fran", "tid_från"),
        no_future=True,
    ),
    Field(
        "occurred_to",
        "time",
        aliases=("occurred_to", "time_to", "till", "tid_till"),
        no_future=True,
    ),
    Field(
        "reported_at",
        "time",
        aliases=("reported_at", "reported", "anmäld", "anmald", "report_date"),
        no_future=True,
    ),
    Field(
        "location_precision",
        "enum",
        aliases=("location_precision", "precision", "noggrannhet"),
        choices=PRECISIONS,
    ),
    AREA_REF,
    Field("source_url", aliases=("source_url", "url", "link", "länk")),
    VERIFICATION,
)


def _incident(layer: str, kind: str | None) -> Target:
    fields = tuple(
        f if not (f.name == "kind" and kind is None) else Field(**{**f.__dict__, "required": True})
        for f in _INCIDENT_FIELDS
        if not (f.name == "kind" and kind is not None)
    )
    return Target(
        layer=layer,
        table="pax_data.incident",
        fields=fields,
        geometry="point",
        geom_required=False,  # a row without a point needs an area (precision 'area')
        kind=kind,
        derived_id="hash",
        join_district=True,
    )


TARGETS: dict[str, Target] = {k: _incident(k, k) for k in INCIDENT_KINDS}
TARGETS["incident"] = _incident("incident", None)

TARGETS["area"] = Target(
    layer="area",
    table="pax_data.area",
    fields=(
        Field(
            "code",
            aliases=(
                "code",
                "kod",
                "area_code",
                "id",
                "kommun_kod",
                "kommunkod",
                "kom_kod",
                "lan_kod",
                "länskod",
                "deso",
                "desokod",
                "deso_kod",
                "stadsdel_kod",
                "boro_code",
            ),
            fallback="name",
        ),
        Field(
            "name",
            required=True,
            aliases=(
                "name",
                "namn",
                "kom_namn",
                "kommun",
                "kommunnamn",
                "stadsdel",
                "stadsdelsnamn",
                "lan",
                "län",
                "boro_name",
            ),
        ),
        Field(
            "kind",
            "enum",
            required=True,
            aliases=("kind", "area_kind", "typ"),
            choices=AREA_KINDS,
            synonyms="area_kind",
        ),
        Field("population", "int", aliases=("population", "befolkning", "folkmängd", "invånare")),
    ),
    geometry="polygon",
    conflict=("kind", "code"),
    derived_id="{kind}:{code}",
    area_check="sweden",
)

TARGETS["camera"] = Target(
    layer="camera",
    table="pax_data.camera",
    fields=(
        ID,
        Field("name", required=True, aliases=("name", "namn", "kamera", "camera", "benämning")),
        Field(
            "owner",
            required=True,
            aliases=("owner", "ägare", "agare", "operator", "huvudman", "organisation"),
        ),
        Field(
            "status",
            "enum",
            aliases=("status",),
            choices=CAMERA_STATUSES,
            synonyms="status",
        ),
        Field(
            "direction_deg",
            "float",
            aliases=("direction_deg", "direction", "riktning", "bearing", "heading"),
        ),
        Field("coverage", "wkt", aliases=("coverage", "coverage_wkt", "täckning", "tackning")),
        VERIFICATION,
    ),
    geometry="point",
    derived_id="hash",
)

TARGETS["night_walk_route"] = Target(
    layer="night_walk_route",
    table="pax_data.night_walk_route",
    fields=(
        ID,
        Field("name", required=True, aliases=("name", "namn", "route", "rutt")),
        Field(
            "organisation",
            required=True,
            aliases=("organisation", "organization", "org", "förening", "forening"),
        ),
        Field("schedule", "json", aliases=("schedule", "schema")),
        VERIFICATION,
    ),
    geometry="line",
    derived_id="hash",
)

#: Night walks held: one row per route and evening (the walk log an organisation keeps).
TARGETS["night_walk"] = Target(
    layer="night_walk",
    table="pax_data.night_walk",
    fields=(
        ID,
        Field(
            "route",
            "route_ref",
            required=True,
            aliases=("route", "rutt", "route_id", "route_name", "ruttnamn", "nattvandringsrutt"),
            column="route_id",
        ),
        Field(
            "walked_on",
            "time",
            required=True,
            aliases=("walked_on", "date", "datum", "walk_date", "dag", "kväll", "kvall"),
            no_future=True,
        ),
        Field(
            "participants",
            "int",
            required=True,
            aliases=("participants", "deltagare", "antal", "antal_deltagare", "vandrare"),
        ),
        Field("note", aliases=("note", "anteckning", "kommentar", "comment", "notes")),
        VERIFICATION,
    ),
    geometry=None,
    geom_required=False,
    derived_id="{route_id}:{walked_on}",
    area_check="none",
)

TARGETS["operation"] = Target(
    layer="operation",
    table="pax_data.operation",
    fields=(
        ID,
        Field("name", required=True, aliases=("name", "namn", "insats", "operation")),
        Field("description", aliases=("description", "beskrivning")),
        Field(
            "starts_at",
            "time",
            required=True,
            aliases=("starts_at", "start", "starttid", "start_time", "from", "från"),
        ),
        Field(
            "ends_at",
            "time",
            required=True,
            aliases=("ends_at", "end", "slut", "sluttid", "end_time", "to", "till"),
        ),
        VERIFICATION,
    ),
    geometry="polygon",
    derived_id="hash",
)

TARGETS["observation"] = Target(
    layer="observation",
    table="pax_data.observation",
    fields=(
        ID,
        Field(
            "observed_at",
            "time",
            required=True,
            aliases=("observed_at", "time", "datetime", "timestamp", "date", "tid", "tidpunkt"),
            no_future=True,
        ),
        Field("category", required=True, aliases=("category", "kategori", "type", "typ")),
        Field("text", aliases=("text", "note", "anteckning", "beskrivning", "description")),
        Field(
            "reporter",
            required=True,
            aliases=("reporter", "rapportör", "rapportor", "reported_by", "user"),
        ),
        AREA_REF,
        VERIFICATION,
    ),
    geometry="point",
    geom_required=False,
    derived_id="hash",
    join_district=True,
)

TARGETS["indicator"] = Target(
    layer="indicator",
    table="pax_data.indicator",
    fields=(
        Field(
            "area",
            "area_ref",
            required=True,
            aliases=(
                "area",
                "area_code",
                "area_name",
                "område",
                "omrade",
                "municipality",
                "kommun",
                "kommunkod",
                "district",
                "stadsdel",
                "code",
                "kod",
            ),
            column="area_id",
        ),
        Field("period", required=True, aliases=("period", "year", "år", "ar")),
        Field("key", required=True, aliases=("key", "kpi", "kpi_id", "nyckeltal", "indicator")),
        Field("value", "float", required=True, aliases=("value", "värde", "varde")),
        Field("unit", aliases=("unit", "enhet")),
        Field("row_source", aliases=("source", "källa", "kalla"), column="source"),
        Field("label_sv", aliases=("label_sv", "label", "benämning")),
        Field("label_en", aliases=("label_en",)),
    ),
    geometry=None,
    geom_required=False,
    conflict=("area_id", "key", "period"),
    derived_id="{area_id}:{key}:{period}",
    area_check="none",
)

#: The Police events feed is a layer of its own: it fills several incident kinds and the
#: context table pax_data.police_event.
FEED_LAYERS = ("polisen",)
LAYERS: tuple[str, ...] = (*TARGETS.keys(), *FEED_LAYERS)

#: Coordinate columns recognised in tables (CSV, JSON records, plain Parquet).
LON_ALIASES = ("lon", "lng", "long", "longitude", "longitud")
LAT_ALIASES = ("lat", "latitude", "latitud")
X_ALIASES = ("x", "easting", "east", "e", "x_coord", "x_koordinat", "xkoord", "ost", "öst")
Y_ALIASES = ("y", "northing", "north", "n", "y_coord", "y_koordinat", "ykoord", "nord")
WKT_ALIASES = ("geometry", "geom", "wkt", "the_geom", "geometri", "shape")

#: Geometry types accepted per layer geometry.
GEOM_TYPES = {
    "point": ("Point",),
    "polygon": ("Polygon", "MultiPolygon"),
    "line": ("LineString", "MultiLineString"),
}

PERIOD_RE = re.compile(r"^(\d{4})(?:-?(?:0[1-9]|1[0-2])|-?Q[1-4]|-?H[12]|-?T[1-3])?$")


def norm(name: str) -> str:
    """Column names compared case- and punctuation-insensitively."""
    return re.sub(r"[\s\-./]+", "_", str(name).strip().lower())


def target(layer: str) -> Target:
    return TARGETS[layer]
