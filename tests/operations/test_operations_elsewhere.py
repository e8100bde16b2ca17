"""The register where other pages show it: the list beside the Här och nu map, the area card's
section, the rules on the medium-term trend charts and the board's list, each at the role's
precision (a police operation not yet started is nowhere but with the police)."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import Engine, text

from pax_geo import i18n, queries
from pax_geo.clock import now
from pax_geo.operations import register
from pax_geo.ui import charts
from pax_geo.ui.operations import shared_register
from tests.app_support import ROOT, assert_clean, page_text, signed_in

HAR = str(ROOT / "pages" / "har_och_nu.py")
CARD = str(ROOT / "pages" / "omradeskort.py")
MEDEL = str(ROOT / "pages" / "medellang.py")


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


@pytest.fixture
def entries(signed, owner_engine: Engine):
    """A partner action running now in Ronna, and a police operation in Ronna that starts
    tomorrow (police only)."""
    with owner_engine.connect() as c:
        areas = queries.areas(c, ("district",))
    rid = int(areas.loc[areas["name"] == "Ronna", "id"].iloc[0])
    start = now() - timedelta(days=3)
    with signed["security_chief"].connect() as c:
        action = register.save(
            c,
            register.Draft(
                name="Nattbelysning Ronnaparken",
                kind="lighting",
                owner_org="Södertälje kommun",
                police=False,
                starts_at=start,
                ends_at=start + timedelta(days=30),
                group_key="trygga_bostadsomraden",
                area_ids=(rid,),
                target_kind="area",
            ),
            uuid.uuid4(),
        )
    with signed["police_analyst"].connect() as c:
        secret = register.save(
            c,
            register.Draft(
                name="Hemlig fredagsinsats",
                kind="patrol",
                owner_org="Polisen",
                police=True,
                starts_at=now() + timedelta(days=1),
                ends_at=now() + timedelta(days=8),
                area_ids=(rid,),
                target_kind="area",
            ),
            uuid.uuid4(),
        )
    # saved through the core, not the form: clear the pages' minute-long register as the form
    # does (another test of this worker may have read it a moment ago)
    shared_register.clear()
    yield {"area": rid, "action": action, "secret": secret}
    with owner_engine.begin() as c:
        c.execute(text("delete from pax_data.operation where source = 'register'"))
    shared_register.clear()


def run(script: str, who: str, **state):
    at = signed_in(script, who)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert_clean(at)
    return at


@pytest.mark.parametrize("who", ["kommun1", "board_viewer", "security_chief"])
def test_other_roles_see_the_partners_action_but_not_the_planned_police_operation(entries, who):
    shown = page_text(run(HAR, who))
    assert tr("op_on_map") in shown
    assert "Nattbelysning Ronnaparken" in shown
    assert "Hemlig fredagsinsats" not in shown
    card = page_text(run(CARD, who, card_area=entries["area"]))
    assert tr("op_card_title") in card and "Nattbelysning Ronnaparken" in card
    assert "Hemlig fredagsinsats" not in card


def test_the_police_see_both_and_the_field_worker_neither(entries):
    card = page_text(run(CARD, "police_analyst", card_area=entries["area"]))
    assert "Nattbelysning Ronnaparken" in card and "Hemlig fredagsinsats" in card
    field = page_text(run(CARD, "field_worker", card_area=entries["area"]))
    assert tr("op_card_title") not in field and "Nattbelysning" not in field


def test_the_trend_charts_mark_an_action_start(entries):
    at = run(MEDEL, "security_chief")
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    rules = [
        layer
        for spec in specs
        for layer in spec.get("layer", [])
        if isinstance(layer.get("mark"), dict)
        and layer["mark"].get("type") == "rule"
        and layer["mark"].get("color") == charts.MARKER_COLOR
    ]
    assert rules, "no marker layer on the trend charts"
    names = " ".join(
        " ".join(map(str, pa.ipc.open_stream(ds.data.data).read_pandas().to_numpy().ravel()))
        for c in at.get("vega_lite_chart")
        for ds in c.proto.datasets
    )
    assert "Nattbelysning Ronnaparken" in names
    assert "Hemlig fredagsinsats" not in names
    assert tr("op_marker_legend") in page_text(at)


def test_markers_outside_the_charts_span_are_left_out():
    frame = pd.DataFrame(
        {
            "bucket": [date(2026, 10, 5), date(2026, 10, 12)],
            "lo": [1, 2],
            "hi": [1, 2],
            "value": [1, 2],
            "label": ["1", "2"],
            "exact": [True, True],
            "complete": [True, True],
            "roll": [None, 1.5],
            "ly_value": [None, None],
            "ly_label": [None, None],
        }
    )
    inside = pd.DataFrame({"day": [date(2026, 10, 8)], "name": ["Inne"]})
    outside = pd.DataFrame({"day": [date(2025, 1, 1)], "name": ["Ute"]})

    def rule_layers(markers) -> int:
        spec = charts.trend_chart(frame, "week", "sv", roll=4, markers=markers).to_dict()
        return sum(
            1
            for layer in spec["layer"]
            if isinstance(layer.get("mark"), dict)
            and layer["mark"].get("type") == "rule"
            and layer["mark"].get("color") == charts.MARKER_COLOR
        )

    assert rule_layers(inside) == 1
    assert rule_layers(outside) == 0
    assert rule_layers(None) == 0
