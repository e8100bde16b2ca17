"""Layer specs, read from ``layers/*.toml``: the one place the role x precision matrix lives.

The database's precision table (``pax_data.role_precision``) and the view grants are generated
from these specs by :func:`pax_geo.security.sync_privileges`, and a test checks the live
database against them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
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
    "admin",
)

#: Roles that see per-area counts below the threshold as "<N".
SUPPRESSING_ROLES: frozenset[str] = frozenset({"field_worker", "board_viewer"})

#: Precision levels, finest first. "own" = own records exact, the rest as area counts.
PRECISIONS: tuple[str, ...] = ("exact", "grid", "area", "own", "none")

INCIDENT_KINDS: tuple[str, ...] = ("car_fire", "shooting", "explosion", "cache")


@dataclass(frozen=True)
class LayerSpec:
    id: str
    title: dict[str, str]
    source: str
    geometry: str
    order: int
    style: dict
    tooltip: list[str]
    precision: dict[str, str]
    kind: str | None = None
    subtypes: list[str] = field(default_factory=list)

    def label(self, lang: str = "sv") -> str:
        return self.title.get(lang) or self.title["sv"]

    def precision_for(self, role: str) -> str:
        return self.precision.get(role, "none")

    @property
    def color(self) -> list[int]:
        return list(self.style.get("color", [80, 80, 80]))


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
        style=data.get("style", {}),
        tooltip=list(data.get("tooltip", [])),
        precision=dict(prec),
        kind=data.get("kind"),
        subtypes=list(data.get("subtypes", [])),
    )


@lru_cache(maxsize=1)
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
