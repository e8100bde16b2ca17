"""Layer specs, read from ``layers/*.toml``: the one place the role x precision matrix lives.

The database's precision table (``pax_data.role_precision``) and the view grants are generated
from these specs by :func:`pax_geo.security.sync_privileges`, and a test checks the live
database against them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from pax_geo.config import PROJECT_ROOT

LAYER_DIR = PROJECT_ROOT / "layers"

#: Application roles, most to least privileged for spatial detail.
ROLES: tuple[str, ...] = (
    "police_analyst",
    "security_chief",
    "municipal_staff",
    "field_worker",
    "board_viewer",
    "night_walker",
    "regional_analyst",
    "admin",
)

#: Roles that see per-area counts below the threshold as "<N".
SUPPRESSING_ROLES: frozenset[str] = frozenset(
    {"field_worker", "board_viewer", "night_walker", "regional_analyst"}
)

#: Precision levels, finest first. "own" = own records exact, the rest as area counts.
PRECISIONS: tuple[str, ...] = ("exact", "grid", "area", "own", "none")

INCIDENT_KINDS: tuple[str, ...] = ("car_fire", "shooting", "explosion", "cache")


#: The fields a layer's tooltip may name (each row of a map layer provides those it has).
TOOLTIP_FIELDS = frozenset(
    {
        "kind_label",
        "title",
        "subtype_label",
        "occurred_local",
        "area_name",
        "verification",
        "name",
        "kind",
        "owner",
        "status",
        "organisation",
        "schedule_text",
        "category",
        "observed_local",
        "window_text",
        "key",
        "value",
        "unit",
        "source",
    }
)


@dataclass(frozen=True)
class Style:
    """How a layer is drawn: an RGB colour, and for points, lines and areas their size."""

    color: tuple[int, int, int] = (80, 80, 80)
    icon: str = ""
    radius_m: float = 30.0
    width_m: float = 10.0
    fill_alpha: int = 60

    @classmethod
    def parse(cls, raw: dict, where: str) -> Style:
        unknown = sorted(set(raw) - {f.name for f in fields(cls)})
        if unknown:
            raise LayerSpecError(f"{where}: unknown style key(s) {', '.join(unknown)}")
        color = raw.get("color", list(cls.color))
        if (
            not isinstance(color, list)
            or len(color) != 3
            or not all(isinstance(c, int) and 0 <= c <= 255 for c in color)
        ):
            raise LayerSpecError(f"{where}: style.color must be three whole numbers 0-255")
        alpha = raw.get("fill_alpha", cls.fill_alpha)
        if not isinstance(alpha, int) or not 0 <= alpha <= 255:
            raise LayerSpecError(f"{where}: style.fill_alpha must be a whole number 0-255")
        sizes = {k: raw.get(k, getattr(cls, k)) for k in ("radius_m", "width_m")}
        for k, v in sizes.items():
            if not isinstance(v, int | float) or v <= 0:
                raise LayerSpecError(f"{where}: style.{k} must be a positive number of metres")
        return cls(
            color=(color[0], color[1], color[2]),
            icon=str(raw.get("icon", "")),
            radius_m=float(sizes["radius_m"]),
            width_m=float(sizes["width_m"]),
            fill_alpha=alpha,
        )


@dataclass(frozen=True)
class LayerSpec:
    id: str
    title: dict[str, str]
    source: str
    geometry: str
    order: int
    style: Style
    tooltip: list[str]
    precision: dict[str, str]
    kind: str | None = None
    subtypes: list[str] = field(default_factory=list)
    #: category key -> {"sv": label, "en": label} (observations: the report form's choices;
    #: the Swedish label is the value stored in the database)
    categories: dict[str, dict[str, str]] = field(default_factory=dict)

    def label(self, lang: str = "sv") -> str:
        return self.title.get(lang) or self.title["sv"]

    def precision_for(self, role: str) -> str:
        return self.precision.get(role, "none")

    @property
    def color(self) -> list[int]:
        return list(self.style.color)

    def tooltip_text(self, values: Mapping[str, object]) -> str:
        """The row's tooltip: the spec's tooltip fields the row has, in order, joined by " · "."""
        parts = [str(values[f]) for f in self.tooltip if values.get(f) not in (None, "")]
        return " · ".join(parts)


class LayerSpecError(ValueError):
    pass


def _parse(path: Path) -> LayerSpec:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    missing = [k for k in ("id", "title", "source", "geometry", "precision") if k not in data]
    if missing:
        raise LayerSpecError(f"{path.name}: missing {', '.join(missing)}")
    if data["id"] != path.stem:
        raise LayerSpecError(f"{path.name}: id {data['id']!r} must match the file name")
    prec = data["precision"]
    for role, level in prec.items():
        if role not in ROLES:
            raise LayerSpecError(f"{path.name}: unknown role {role!r} in [precision]")
        if level not in PRECISIONS:
            raise LayerSpecError(f"{path.name}: role {role}: unknown precision {level!r}")
    absent = [r for r in ROLES if r not in prec]
    if absent:
        raise LayerSpecError(f"{path.name}: [precision] lacks {', '.join(absent)}")
    return LayerSpec(
        id=data["id"],
        title=data["title"],
        source=data["source"],
        geometry=data["geometry"],
        order=int(data.get("order", 100)),
        style=Style.parse(data.get("style", {}), path.name),
        tooltip=_tooltip(data.get("tooltip", []), path.name),
        precision=dict(prec),
        kind=data.get("kind"),
        subtypes=list(data.get("subtypes", [])),
        categories=_categories(data.get("categories", {}), path.name),
    )


def _categories(raw: object, where: str) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict):
        raise LayerSpecError(f"{where}: [categories] must be a table of key = {{ sv, en }}")
    out: dict[str, dict[str, str]] = {}
    for key, labels in raw.items():
        if (
            not isinstance(labels, dict)
            or not all(isinstance(labels.get(lg), str) and labels.get(lg) for lg in ("sv", "en"))
            or set(labels) - {"sv", "en"}
        ):
            raise LayerSpecError(f"{where}: category {key!r} needs a Swedish and an English label")
        out[str(key)] = {"sv": labels["sv"], "en": labels["en"]}
    return out


def _tooltip(raw: object, where: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        raise LayerSpecError(f"{where}: tooltip must be a list of field names")
    unknown = [f for f in raw if f not in TOOLTIP_FIELDS]
    if unknown:
        raise LayerSpecError(
            f"{where}: unknown tooltip field(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(TOOLTIP_FIELDS))}"
        )
    return list(raw)


@lru_cache(maxsize=8)
def load_layers(layer_dir: Path = LAYER_DIR) -> dict[str, LayerSpec]:
    specs = [_parse(p) for p in sorted(layer_dir.glob("*.toml"))]
    return {s.id: s for s in sorted(specs, key=lambda s: s.order)}


def layer(layer_id: str) -> LayerSpec:
    try:
        return load_layers()[layer_id]
    except KeyError as exc:
        raise LayerSpecError(f"unknown layer {layer_id!r}") from exc


def precision_matrix() -> dict[tuple[str, str], str]:
    """(role, layer) -> precision for every role and layer."""
    return {(r, s.id): s.precision_for(r) for s in load_layers().values() for r in ROLES}


def map_layers() -> list[LayerSpec]:
    """The layers drawn on the Här och nu map, in drawing order."""
    return [s for s in load_layers().values() if s.geometry != "none"]
