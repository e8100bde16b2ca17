"""Layer specs drive the map: typed style, tooltip fields, and a new layer is a TOML file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pax_geo import layers
from pax_geo.layers import LayerSpecError, Style, load_layers

ROOT = Path(__file__).resolve().parents[2]

NEW_LAYER = """
id = "graffiti"
title = { sv = "Klotter", en = "Graffiti" }
source = "observation"
geometry = "point"
order = 75
style = { color = [100, 100, 200], radius_m = 15, icon = ":material/brush:" }
tooltip = ["category", "observed_local", "area_name"]

[precision]
police_analyst = "exact"
security_chief = "exact"
municipal_staff = "own"
field_worker = "own"
board_viewer = "area"
night_walker = "none"
regional_analyst = "none"
admin = "none"
"""


@pytest.fixture
def spec_dir(tmp_path) -> Path:
    for p in (ROOT / "layers").glob("*.toml"):
        shutil.copy(p, tmp_path / p.name)
    return tmp_path


def test_every_shipped_layer_has_a_typed_style_and_known_tooltip_fields():
    for spec in load_layers().values():
        assert isinstance(spec.style, Style)
        assert len(spec.color) == 3 and all(0 <= c <= 255 for c in spec.color)
        assert set(spec.tooltip) <= layers.TOOLTIP_FIELDS, spec.id


def test_adding_a_layer_is_a_toml_file(spec_dir):
    (spec_dir / "graffiti.toml").write_text(NEW_LAYER, encoding="utf-8")
    specs = load_layers(spec_dir)
    g = specs["graffiti"]
    assert list(specs).index("graffiti") == sorted(s.order for s in specs.values()).index(75)
    assert g.label("en") == "Graffiti" and g.style.icon == ":material/brush:"
    assert g.color == [100, 100, 200] and g.style.radius_m == 15.0
    assert g.precision_for("board_viewer") == "area" and g.precision_for("admin") == "none"
    # the tooltip is the spec's fields the row has, in the spec's order
    row = {
        "area_name": "Ronna",
        "category": "Klotter på skola",
        "observed_local": "2026-12-01 21:10",
    }
    assert g.tooltip_text(row) == "Klotter på skola · 2026-12-01 21:10 · Ronna"
    assert g.tooltip_text({"category": "x", "area_name": ""}) == "x"


def test_shipped_tooltips_drive_the_map_rows():
    car_fire = load_layers()["car_fire"]
    text = car_fire.tooltip_text(
        {
            "kind_label": "Bilbrand",
            "occurred_local": "2026-12-01 22:10",
            "area_name": "Hovsjö",
            "verification": "bekräftad",
        }
    )
    assert text == "Bilbrand · 2026-12-01 22:10 · Hovsjö · bekräftad"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("radius_m = 15", "radius = 15"), "graffiti.toml: unknown style key(s) radius"),
        (("color = [100, 100, 200]", "color = [100, 100, 300]"), "graffiti.toml: style.color"),
        (("color = [100, 100, 200]", 'color = "blue"'), "graffiti.toml: style.color"),
        (("radius_m = 15", "radius_m = -1"), "graffiti.toml: style.radius_m"),
        (
            ('"area_name"]', '"area_name", "reporter_phone"]'),
            "unknown tooltip field(s) reporter_phone",
        ),
    ],
)
def test_a_bad_spec_is_refused_naming_file_and_field(spec_dir, change, message):
    old, new = change
    (spec_dir / "graffiti.toml").write_text(NEW_LAYER.replace(old, new), encoding="utf-8")
    with pytest.raises(LayerSpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_layers(spec_dir)
