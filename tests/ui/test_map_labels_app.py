"""AppTest of what the Här och nu map says its numbers are: the area labels count exactly what
the legend names (for the security chief: caches, the one kind it sees only per area)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pax_geo import i18n
from pax_geo.layers import load_layers
from tests.app_support import signed_in

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "har_och_nu.py")


def tr(key: str, lang: str = "sv", **fmt) -> str:
    return i18n.t(key, lang, **fmt)


def deck_spec(at) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def label_numbers(at) -> list[int]:
    layer = next(layer for layer in deck_spec(at)["layers"] if layer["id"] == "area_labels")
    out = []
    for row in layer["data"]:
        m = re.search(r"(\d+)$", row["s"])
        if m:
            out.append(int(m.group(1)))
    return out


def test_security_chief_area_labels_count_what_the_legend_says(demo_loaded):
    at = signed_in(PAGE, "security_chief").run()
    assert not at.exception
    at.segmented_control(key="har_window").set_value("1y").run()
    captions = "\n".join(c.value for c in at.caption)
    # The legend names caches (the kind this role sees per area), not "incidents" in general.
    assert tr("legend_area_counts_of", kinds="gömmor (narkotika/vapen)") in captions
    assert tr("legend_area_counts") not in captions
    numbers = label_numbers(at)
    assert numbers, "no area numbers on the map"
    # The labels are the cache count: they add up to the cache metric (exact for this role).
    caches = int(next(m.value for m in at.metric if m.label == tr("kind_cache")))
    assert sum(numbers) == caches
    # Without caches in the filter there is nothing per area to count: no numbers.
    at.session_state["har_layers"] = [
        lid for lid in at.session_state["har_layers"] if lid != "cache"
    ]
    at.run()
    assert label_numbers(at) == []


def test_field_worker_legend_names_every_kind_counted(demo_loaded):
    at = signed_in(PAGE, "field_worker", lang="en").run()
    captions = "\n".join(c.value for c in at.caption)
    legend = next(c for c in captions.splitlines() if "Numbers at the area names" in c)
    for kind in ("car_fire", "shooting", "explosion"):
        name = load_layers()[kind].label("en")
        assert name[:1].lower() + name[1:] in legend
