"""AppTest of the Här och nu page as real signed-in demo accounts, with the filters changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pax_geo import i18n
from tests.app_support import signed_in

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "har_och_nu.py")


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


def page_as(username: str) -> AppTest:
    return signed_in(PAGE, username).run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def deck_spec(at: AppTest) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert charts, "no map on the page"
    return json.loads(charts[0].proto.json)


@pytest.fixture(scope="module")
def police(demo_loaded) -> AppTest:
    return page_as("polis")


def test_police_see_counts_points_and_all_layers(police):
    assert not police.exception
    shown = metrics(police)
    for kind in ("car_fire", "shooting", "explosion", "cache"):
        assert tr(f"kind_{kind}") in shown
    layer_ids = {layer["id"] for layer in deck_spec(police)["layers"]}
    assert {"areas", "outline", "camera", "camera_coverage", "night_walk_route"} <= layer_ids
    assert any(lid.startswith("inc_") for lid in layer_ids)


def test_changing_the_window_changes_the_counts(police):
    before = int(metrics(police)[tr("kind_car_fire")])
    police.segmented_control(key="har_window").set_value("1y").run()
    after = int(metrics(police)[tr("kind_car_fire")])
    assert after > before
    police.segmented_control(key="har_window").set_value("30d").run()
    assert int(metrics(police)[tr("kind_car_fire")]) == before


def test_toggling_a_layer_removes_it_and_its_count(police):
    current = list(police.session_state["har_layers"])
    current.remove("car_fire")
    police.session_state["har_layers"] = current
    police.run()
    assert tr("kind_car_fire") not in metrics(police)
    ids = {layer["id"] for layer in deck_spec(police)["layers"]}
    assert "inc_car_fire" not in ids


def test_area_filter_restricts_counts(police, demo_loaded):
    police.session_state["har_layers"] = ["car_fire", "shooting", "explosion", "cache", "area"]
    police.segmented_control(key="har_window").set_value("1y").run()
    total = int(metrics(police)[tr("kind_car_fire")])
    ronna = next(o for o in police.multiselect(key="har_areas").options if o == "Ronna")
    police.multiselect(key="har_areas").select(ronna).run()
    only = int(metrics(police)[tr("kind_car_fire")])
    assert 0 < only < total


def test_forcing_hexagons_and_heat(police):
    police.multiselect(key="har_areas").set_value([]).run()
    police.segmented_control(key="har_mode").set_value("hex").run()
    types = {
        layer["@@type"] for layer in deck_spec(police)["layers"] if layer["id"].startswith("inc_")
    }
    assert types == {"ColumnLayer"}
    police.segmented_control(key="har_mode").set_value("heat").run()
    types = {
        layer["@@type"] for layer in deck_spec(police)["layers"] if layer["id"].startswith("inc_")
    }
    assert types == {"HeatmapLayer"}


def test_points_above_the_ceiling_are_drawn_as_hexagons_and_said_so(demo_loaded, env_settings):
    env_settings(PAX_POINT_BUDGET="5")  # a ceiling of 50 points
    at = page_as("polis")
    at.segmented_control(key="har_window").set_value("1y")
    at.segmented_control(key="har_mode").set_value("points").run()
    types = {layer["@@type"] for layer in deck_spec(at)["layers"] if layer["id"].startswith("inc_")}
    assert types == {"ColumnLayer"}
    assert [i.value for i in at.info] == [tr("points_capped", ceiling="50")]
    # a window with few enough incidents gets its points
    at.segmented_control(key="har_window").set_value("7d").run()
    types = {layer["@@type"] for layer in deck_spec(at)["layers"] if layer["id"].startswith("inc_")}
    assert types == {"ScatterplotLayer"} and not at.info


def test_sessions_of_a_role_share_one_map_read_and_other_roles_get_their_own(
    demo_loaded, make_user, monkeypatch
):
    """The map is read once per role and filter (the database decides it from the role's login
    alone): a second police account is served from the first one's read, and a field worker's
    session after them reads its own, with no positions in it."""
    from sqlalchemy import text

    from pax_geo import auth, mapdata
    from pax_geo.ui import data

    reads: list[str] = []
    real_build = mapdata.build

    def counting_build(conn, *args, **kwargs):
        reads.append(conn.execute(text("select session_user")).scalar_one())
        return real_build(conn, *args, **kwargs)

    monkeypatch.setattr(mapdata, "build", counting_build)
    data.map_data.clear()
    first = page_as("polis")
    second = signed_in(PAGE, make_user("police_analyst", auth.DEMO_PASSWORD)).run()
    assert not first.exception and not second.exception
    assert len(reads) == 1  # one read served both police sessions
    assert deck_spec(first) == deck_spec(second)
    field = page_as("falt")
    assert len(reads) == 2 and reads[0] != reads[1]  # the field worker's own login read it
    assert not any(layer["id"].startswith("inc_") for layer in deck_spec(field)["layers"])
    # and a new filter is a new read
    second.segmented_control(key="har_window").set_value("1y").run()
    assert len(reads) == 3


def test_field_worker_gets_area_counts_without_points_or_cameras(demo_loaded):
    at = page_as("falt")
    assert not at.exception
    spec = deck_spec(at)
    ids = {layer["id"] for layer in spec["layers"]}
    assert not any(i.startswith("inc_") for i in ids)
    assert "camera" not in ids and "camera_coverage" not in ids
    assert tr("kind_cache") not in metrics(at)
    # No mode switch for a role without exact positions.
    assert not [s for s in at.get("button_group") if "har_mode" in s.proto.id]


def test_english_interface(demo_loaded):
    at = page_as("polis")
    at.session_state["lang"] = "en"
    at.run()
    assert at.title[0].value == i18n.t("page_har_och_nu", "en")
    assert i18n.t("kind_car_fire", "en") in metrics(at)


@pytest.mark.parametrize(
    ("mode", "layer_id"),
    [("hotspots", "analysis_gi"), ("density", "analysis_density"), ("coverage", "analysis_gaps")],
)
def test_analysis_modes_lay_results_over_the_map(demo_loaded, mode, layer_id):
    at = page_as("polis")
    at.segmented_control(key="har_window").set_value("1y").run()
    assert "analysis_" not in json.dumps([layer["id"] for layer in deck_spec(at)["layers"]])
    at.selectbox(key="har_analysis").set_value(mode).run()
    assert not at.exception
    ids = [layer["id"] for layer in deck_spec(at)["layers"]]
    assert layer_id in ids
    # Drawn under the incidents, above the areas.
    assert ids.index("areas") < ids.index(layer_id)
    assert all(ids.index(layer_id) < ids.index(i) for i in ids if i.startswith("inc_"))


def test_no_analysis_modes_for_roles_without_positions(demo_loaded):
    at = page_as("falt")
    assert not [s for s in at.selectbox if s.key == "har_analysis"]


def test_the_next_minute_reads_only_the_first_and_last_day_of_a_year(demo_loaded, monkeypatch):
    """A year's map for the police: the window moves with the minute, but its whole past days
    are read once (mapdata.SettledReads, kept ten minutes); the next minute's map reads only
    the part before the first midnight and today's part, and shows the same counts."""
    from datetime import timedelta

    from pax_geo import clock, queries
    from pax_geo.ui import data

    t = clock.now().replace(hour=12, minute=7)
    monkeypatch.setattr(clock, "now", lambda: t)
    reads: list[timedelta] = []
    real_counts = queries.incident_counts

    def counting(conn, flt, *args, **kwargs):
        reads.append(flt.end - flt.start)
        return real_counts(conn, flt, *args, **kwargs)

    monkeypatch.setattr(queries, "incident_counts", counting)
    for loader in (data.map_data, data.settled_counts, data.settled_hex):
        loader.clear()
    at = page_as("polis")  # the default 30 days
    reads.clear()
    at.segmented_control(key="har_window").set_value("1y").run()
    before = metrics(at)
    assert sum(r > timedelta(days=2) for r in reads) == 1, reads  # the year's whole days
    reads.clear()
    t = t + timedelta(minutes=1)
    at.run()
    assert not at.exception
    assert reads and all(r <= timedelta(days=1) for r in reads), reads  # first and last day
    assert metrics(at) == before
