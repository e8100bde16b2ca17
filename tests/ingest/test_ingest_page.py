"""The admin import page through Streamlit's AppTest: upload, preview, column mapping, dry run,
import, the refusal of a bad file, the downloadable report, the audit row and who may open it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from pax_geo import auth, i18n
from pax_geo.ui.session import KEY_LAST_ACTIVITY, User
from tests.ingest_support import fingerprint, incident_rows

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "admin_import.py")
TIMEOUT = 120


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


def page_as(username: str) -> AppTest:
    res = auth.authenticate(username, auth.DEMO_PASSWORD)
    assert res.ok, username
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["user"] = User.from_login(res)
    at.session_state[KEY_LAST_ACTIVITY] = time.time()
    return at.run()


def texts(at: AppTest) -> str:
    parts = []
    for kind in ("error", "warning", "info", "success", "markdown", "caption", "title", "code"):
        for el in at.get(kind):
            parts.append(str(getattr(el, "value", "") or ""))
    return "\n".join(parts)


@pytest.fixture
def cleanup(owner_engine):
    sources: list[str] = []
    yield sources
    with owner_engine.begin() as c:
        for s in sources:
            c.execute(text("delete from pax_data.incident where source = :s"), {"s": s})
            c.execute(text("delete from pax_data.import_run where source = :s"), {"s": s})


def csv_bytes(rows: list[dict]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8")


def test_upload_preview_map_dry_run_then_import(owner_engine, demo_loaded, cleanup):
    cleanup.append("apptest_import")
    at = page_as("admin")
    assert not at.exception
    assert at.title[0].value == tr("page_import")
    at.selectbox(key="import_layer").set_value("incident").run()
    at.file_uploader[0].upload(
        "apptest_import.csv", csv_bytes(incident_rows(4, prefix="AT")), "text/csv"
    )
    at.run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert tr("import_preview_rows", n="4", crs="EPSG:4326 (WGS84)") in shown
    assert at.get("deck_gl_json_chart"), "the preview map is missing"
    # the mapping was preset from the column names
    assert at.selectbox(key="import_map_incident_occurred_at").value == "occurred_at"
    assert at.selectbox(key="import_map_incident_kind").value == "kind"
    with owner_engine.connect() as c:
        before = fingerprint(c)

    at.button(key="import_dry").click().run()
    assert not at.exception
    assert "Provkörning" in texts(at)
    with owner_engine.connect() as c:
        assert fingerprint(c) == before

    at.button(key="import_go").click().run()
    assert not at.exception
    assert "4 nya" in texts(at)
    labels = [b.label for b in at.get("download_button")]
    assert tr("import_download_report") in labels
    with owner_engine.connect() as c:
        n = c.execute(
            text("select count(*) from pax_data.incident where source = 'apptest_import'")
        ).scalar()
        audit = c.execute(
            text(
                "select username, detail->>'status', (detail->>'inserted')::int from pax_data.audit_log "
                "where action = 'import' and detail->>'file' = 'apptest_import.csv' "
                "order by id desc limit 1"
            )
        ).one()
    assert n == 4 and tuple(audit) == ("admin", "imported", 4)


def test_mapping_a_column_by_hand(owner_engine, demo_loaded, cleanup):
    cleanup.append("apptest_mapped")
    rows = incident_rows(3, prefix="MAP")
    for r in rows:
        r["när"] = r.pop("occurred_at")
    at = page_as("polis")
    at.selectbox(key="import_layer").set_value("incident").run()
    at.file_uploader[0].upload("apptest_mapped.csv", csv_bytes(rows), "text/csv")
    at.run()
    assert at.selectbox(key="import_map_incident_occurred_at").value == tr("import_not_mapped")
    at.button(key="import_go").click().run()
    assert "occurred_at" in texts(at) and tr("import_refused") in texts(at)
    at.selectbox(key="import_map_incident_occurred_at").set_value("när").run()
    at.button(key="import_go").click().run()
    assert not at.exception
    assert "3 nya" in texts(at)


def test_a_refused_file_shows_file_row_field_and_saves_nothing(
    owner_engine, demo_loaded, shared_data
):
    path = shared_data / "nypd_shootings/NYPD_Shooting_Incident_Data__Historic_.csv"
    at = page_as("admin")
    at.selectbox(key="import_layer").set_value("shooting").run()
    at.file_uploader[0].upload(path.name, path.read_bytes(), "text/csv")
    at.run()
    with owner_engine.connect() as c:
        before = fingerprint(c)
    at.button(key="import_go").click().run()
    assert not at.exception
    shown = texts(at)
    assert tr("import_refused") in shown
    assert f"{path.name}, rad 1, fält 'lon/lat'" in shown and "utanför Sverige" in shown
    assert tr("import_download_issues") in [b.label for b in at.get("download_button")]
    for leak in ("Traceback", "psycopg", "sqlalchemy"):
        assert leak not in shown
    with owner_engine.connect() as c:
        assert fingerprint(c) == before


def test_police_feed_preview_lists_the_municipality_events(demo_loaded, shared_data):
    path = shared_data / "polisen/events_api_window_2026-08-22.json"
    at = page_as("admin")
    at.selectbox(key="import_layer").set_value("polisen").run()
    at.file_uploader[0].upload(path.name, path.read_bytes(), "application/json")
    at.run()
    assert not at.exception
    feed = json.loads(at.get("json")[0].value)
    events = json.loads(path.read_text(encoding="utf-8"))
    mine = [
        e
        for e in events
        if e["location"]["name"] == "Södertälje" or e["name"].endswith(", Södertälje")
    ]
    assert feed["municipality"] == "Södertälje" and feed["events"] == len(events)
    assert feed["kept"] == len(mine)


@pytest.mark.parametrize("username", ["falt", "styrelse", "kommun", "sakerhetschef"])
def test_other_roles_may_not_open_it(demo_loaded, username):
    at = page_as(username)
    assert not at.file_uploader
    assert any("får inte öppna" in e.value for e in at.error)


def test_walk_log_without_geometry_imports_from_the_page(owner_engine, demo_loaded):
    """A layer without geometry (night walks held): preview without a map, then import."""
    rows = [
        {"rutt": "Kvällsrunda Hovsjö", "datum": "2026-04-03", "deltagare": 6},
        {"rutt": "demo-route-lina", "datum": "2026-04-04", "deltagare": 3},
    ]
    at = page_as("admin")
    at.selectbox(key="import_layer").set_value("night_walk").run()
    at.file_uploader[0].upload("apptest_walks.csv", csv_bytes(rows), "text/csv")
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="import_map_night_walk_route").value == "rutt"
    assert at.selectbox(key="import_map_night_walk_walked_on").value == "datum"
    try:
        at.button(key="import_go").click().run()
        assert not at.exception
        assert "2 nya" in texts(at)
        with owner_engine.connect() as c:
            got = c.execute(
                text(
                    "select r.source_id, w.walked_on::text, w.participants "
                    "from pax_data.night_walk w join pax_data.night_walk_route r "
                    "on r.id = w.route_id where w.source = 'apptest_walks' order by 2"
                )
            ).all()
        assert [tuple(g) for g in got] == [
            ("demo-route-hovsjö", "2026-04-03", 6),
            ("demo-route-lina", "2026-04-04", 3),
        ]
    finally:
        with owner_engine.begin() as c:
            c.execute(text("delete from pax_data.night_walk where source = 'apptest_walks'"))
            c.execute(text("delete from pax_data.import_run where source = 'apptest_walks'"))


def test_dst_choices_on_the_form(owner_engine, demo_loaded, cleanup):
    """A local time in the autumn fold is refused naming row and field; choosing 'the second
    (winter time)' on the form imports it."""
    cleanup.append("apptest_dst")
    rows = incident_rows(3, prefix="ATDST")
    rows[1]["occurred_at"] = "2026-10-25 02:30"
    at = page_as("admin")
    at.selectbox(key="import_layer").set_value("incident").run()
    at.file_uploader[0].upload("apptest_dst.csv", csv_bytes(rows), "text/csv")
    at.run()
    assert at.selectbox(key="import_ambiguous_time").value is None
    at.button(key="import_go").click().run()
    assert not at.exception
    shown = texts(at)
    assert tr("import_refused") in shown
    assert (
        "apptest_dst.csv, rad 2, fält 'occurred_at': '2026-10-25 02:30' finns två gånger" in shown
    )
    at.selectbox(key="import_ambiguous_time").set_value("later").run()
    at.button(key="import_go").click().run()
    assert not at.exception
    assert "3 nya" in texts(at)
    with owner_engine.connect() as c:
        t = c.execute(
            text(
                "select to_char(occurred_at at time zone 'UTC', 'HH24:MI') from pax_data.incident "
                "where source = 'apptest_dst' and source_id = 'ATDST1'"
            )
        ).scalar()
    assert t == "01:30"
