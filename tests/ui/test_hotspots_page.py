"""AppTest for the Hotspots page, through the real app (login session, navigation), as the roles
that may open it, and a refusal for one that may not."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from pax_geo import auth, i18n
from tests.app_support import assert_clean, page_text, press_download, signed_in

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGE = "pages/hotspots.py"
TIMEOUT = 300
ACCOUNTS = auth.DEMO_ACCOUNTS
METHODS = ("density", "hotspots", "emerging", "nearrepeat", "temporal", "compstat", "coverage")


def tr(key: str, lang: str = "sv", **fmt) -> str:
    return i18n.t(key, lang, **fmt)


def open_hotspots(role: str, lang: str = "sv") -> AppTest:
    at = signed_in(APP, ACCOUNTS[role], lang, TIMEOUT)
    at.run()
    at.switch_page(PAGE)
    return at.run()


def test_police_every_method_renders_with_its_explanation(demo_loaded):
    at = open_hotspots("police_analyst")
    assert_clean(at)
    assert [t.value for t in at.title] == [tr("page_hotspots")]
    assert tr("an_precision_exact") in page_text(at)
    at.segmented_control(key="an_period").set_value("3y").run()
    for method in METHODS:
        at.segmented_control(key="an_method").set_value(method).run()
        assert_clean(at)
        text_ = page_text(at)
        head = tr(f"an_explain_{method}", perms="x", steps=1, step="x", sims=1, d=1)[:40]
        assert head in text_, method
        if method not in ("temporal", "compstat"):
            assert len(at.get("deck_gl_json_chart")) == 1, method
        assert at.get("download_button") or method == "density", method


def test_hot_spot_findings_and_table(demo_loaded):
    at = open_hotspots("police_analyst")
    at.segmented_control(key="an_period").set_value("3y").run()
    at.segmented_control(key="an_method").set_value("hotspots").run()
    assert_clean(at)
    table = next(df.value for df in at.dataframe if tr("an_hdr_gi_z") in df.value.columns)
    hot = {tr(f"an_gi_level_{v}") for v in (3, 2, 1)}
    assert len(table) >= 5 and table[tr("an_col_class")].isin(hot).any()
    assert set(table[tr("an_col_class")]) <= hot | {tr(f"an_gi_level_{v}") for v in (-1, -2, -3)}
    assert "Hot spots:" in page_text(at)


def test_grid_role_is_told_it_sees_snapped_positions(demo_loaded):
    at = open_hotspots("municipal_staff")
    assert_clean(at)
    assert tr("an_precision_grid", grid=250) in page_text(at)
    # municipal staff cannot pick caches (no points for them)
    options = at.multiselect(key="an_kinds").options
    assert tr("kind_cache") not in options and tr("kind_car_fire") in options


def test_security_chief_near_repeat_and_compstat(demo_loaded):
    at = open_hotspots("security_chief")
    at.segmented_control(key="an_period").set_value("3y").run()
    at.segmented_control(key="an_method").set_value("nearrepeat").run()
    assert_clean(at)
    assert tr("kind_shooting") + ":" in page_text(at)
    at.segmented_control(key="an_method").set_value("compstat").run()
    assert_clean(at)
    verdicts = {tr(f"an_verdict_{v}") for v in ("significant", "not_significant", "too_few")}
    seen = set()
    for df in at.dataframe:
        col = tr("an_col_verdict")
        if col in df.value.columns:
            seen |= set(df.value[col])
    assert seen and seen <= verdicts | {tr("an_verdict_suppressed")}


def test_near_repeat_says_when_it_tested_only_the_latest_events(env_settings, demo_loaded):
    """With a bound the demo's car fires exceed, the findings say how many of the latest
    events the test counted and from when."""
    env_settings(PAX_NEAR_REPEAT_MAX_PAIRS="1000")
    at = open_hotspots("police_analyst")
    at.segmented_control(key="an_method").set_value("nearrepeat").run()
    assert_clean(at)
    kind = tr("kind_car_fire")
    pieces = tr("an_find_nearrepeat_recent", kind=kind, tested="§", n="§", since="§").split("§")
    pattern = "(.+)".join(re.escape(p) for p in pieces)
    [found] = [m for c in at.caption if (m := re.fullmatch(pattern, c.value))]
    tested, total, since = found.groups()
    assert 10 <= int(tested) < int(total)
    # and the finding above it does not speak of the whole period
    shown = page_text(at)
    assert tr("an_find_nearrepeat_none", kind=kind, n=total) not in shown
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", since)


def test_english_interface(demo_loaded):
    at = open_hotspots("police_analyst", lang="en")
    assert_clean(at)
    assert "Hot spots (Getis-Ord Gi" in page_text(at)
    assert tr("an_precision_exact", "en") in page_text(at)


def test_field_worker_may_not_open_hotspots(demo_loaded):
    at = open_hotspots("field_worker")
    assert not at.exception
    assert any(tr("page_forbidden", role=tr("role_field_worker")) in e.value for e in at.error)
    assert not at.get("deck_gl_json_chart")


def test_csv_download_is_audited(owner_engine, demo_loaded):
    at = open_hotspots("police_analyst")
    at.segmented_control(key="an_period").set_value("3y").run()

    def exports() -> int:
        with owner_engine.connect() as c:
            return c.execute(
                text(
                    "select count(*) from pax_data.audit_log where action = 'export' "
                    "and page = 'hotspots'"
                )
            ).scalar()

    before = exports()
    assert at.get("download_button")[0].proto.deferred_file_id  # built only when pressed
    assert exports() == before
    data = press_download(at)
    assert exports() == before + 1
    assert data.startswith(b"\xef\xbb\xbf") and len(data.splitlines()) > 1  # UTF-8 with BOM


def test_hex_size_changes_the_grid(demo_loaded):
    import re

    at = open_hotspots("police_analyst")
    cells = {}
    for size in (250, 500):
        at.selectbox(key="an_size").set_value(size).run()
        assert_clean(at)
        m = re.search(r"i (\d+) hexagoner", page_text(at))
        assert m, page_text(at)
        cells[size] = int(m.group(1))
    # a 500 m hexagon has four times the area of a 250 m one
    assert 3.2 < cells[250] / cells[500] < 4.8
