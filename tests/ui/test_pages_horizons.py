"""AppTest for the Medellång sikt, Lång sikt and Områdeskort pages, run through the real app
(app.py, login session, navigation) against the test database, as several roles."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from pax_geo import auth, clock, i18n
from pax_geo.horizons.traffic import RED_MIN_COUNT
from pax_geo.ui.session import KEY_LAST_ACTIVITY, User
from tests.app_support import press_download

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 180
ACCOUNTS = auth.DEMO_ACCOUNTS
LEAK_MARKERS = ("Traceback", "psycopg", "sqlalchemy", "SQLSTATE", "pax_data.")


def tr(key: str, lang: str = "sv", **fmt) -> str:
    return i18n.t(key, lang, **fmt)


def open_page(role: str, path: str, query: dict | None = None, lang: str = "sv") -> AppTest:
    """The app signed in with the role's demo account, switched to `path`."""
    res = auth.authenticate(ACCOUNTS[role], auth.DEMO_PASSWORD)
    assert res.ok, role
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["user"] = User.from_login(res)
    at.session_state[KEY_LAST_ACTIVITY] = time.time()
    at.session_state["lang"] = lang
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page(path)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


@pytest.fixture(scope="module")
def viewed(demo_loaded):
    """open_page, remembered for the module: tests that only read what a page shows share one
    run of it per role (a suppressing role's Medellång sikt is the slowest page to compute)."""
    runs: dict[tuple[str, str], AppTest] = {}

    def _open(role: str, path: str) -> AppTest:
        if (role, path) not in runs:
            runs[role, path] = open_page(role, path)
        return runs[role, path]

    return _open


MEDELLANG_TABS = ("hz_tab_trends", "hz_tab_reporting", "hz_tab_safety", "hz_tab_since")


def in_tab(at: AppTest, key: str) -> AppTest:
    """Open a tab of Medellång sikt (its tabs run only while open) as a click on it does."""
    if at.session_state["mt_tab"] != tr(key, at.session_state["lang"]):
        at.session_state["mt_tab"] = tr(key, at.session_state["lang"])
        at.run()
    return at


def all_text(at: AppTest) -> str:
    parts = []
    for kind in ("error", "warning", "info", "markdown", "caption", "title", "subheader"):
        for el in at.get(kind):
            parts.append(str(getattr(el, "value", "") or ""))
    return "\n".join(parts)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    body = all_text(at)
    for marker in LEAK_MARKERS:
        assert marker not in body


def frame_with(at: AppTest, column: str):
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with column {column!r}")


def district_ids(owner_engine) -> dict[str, int]:
    with owner_engine.connect() as c:
        rows = c.execute(text("select name, id from pax_data.area where kind = 'district'")).all()
    return dict(rows)


# --- Medellång sikt --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["police_analyst", "field_worker", "board_viewer", "admin"])
def test_medellang_renders_for_role(role, viewed):
    at = in_tab(viewed(role, "pages/medellang.py"), "hz_tab_trends")
    assert_clean(at)
    assert [t.value for t in at.title] == [tr("page_medellang")]
    assert [t.label for t in at.tabs] == [tr(k) for k in MEDELLANG_TABS]
    charts = downloads = 0
    for key in MEDELLANG_TABS:
        in_tab(at, key)
        assert_clean(at)
        charts += len(at.get("vega_lite_chart"))
        downloads += len(at.get("download_button"))
        captions = "\n".join(c.value for c in at.caption)
        assert "Källa: demo" in captions
        assert "data t.o.m." in captions or key == "hz_tab_safety"  # the survey has years
    assert charts >= 3  # trend panels, observations, night walks, safety survey
    assert downloads >= 4


def test_medellang_runs_only_the_open_tab_and_keeps_it_in_english(demo_loaded):
    at = open_page("security_chief", "pages/medellang.py")
    assert at.session_state["mt_tab"] == tr("hz_tab_trends")
    assert at.segmented_control(key="mt_bucket") is not None
    with pytest.raises(AssertionError):
        frame_with(at, tr("hz_col_since"))  # the since tab did not run
    assert not [w for w in at.date_input if w.key == "mt_since"]
    at.segmented_control(key="mt_bucket").set_value("month").run()
    in_tab(at, "hz_tab_since")
    assert_clean(at)
    assert len(frame_with(at, tr("hz_col_since")))
    assert not [w for w in at.segmented_control if w.key == "mt_bucket"]  # trends did not run
    # a language switch keeps the open tab, and the trends keep their filters
    at.session_state["lang"] = "en"
    at.run()
    assert_clean(at)
    assert at.session_state["mt_tab"] == tr("hz_tab_since", "en")
    assert len(frame_with(at, tr("hz_col_since", "en")))
    in_tab(at, "hz_tab_trends")
    assert at.segmented_control(key="mt_bucket").value == "month"


def test_medellang_field_worker_sees_less_than_three_never_zero(viewed):
    police = frame_with(
        in_tab(viewed("police_analyst", "pages/medellang.py"), "hz_tab_since"), tr("hz_col_since")
    )
    field_at = in_tab(viewed("field_worker", "pages/medellang.py"), "hz_tab_since")
    field = frame_with(field_at, tr("hz_col_since"))
    key = [tr("hz_col_area"), tr("hz_col_kind")]
    p = police.set_index(key)
    f = field.set_index(key)
    shared = p.index.intersection(f.index)
    small = [i for i in shared if p.loc[i, tr("hz_col_since")] in ("1", "2")]
    assert small, "the demo data should have small counts in the last 30 days"
    # released values below the threshold never show as numbers, whatever the truth was
    assert not f[tr("hz_col_since")].isin(["1", "2"]).any()
    assert (f[tr("hz_col_since")] == "<3").any()
    assert tr("hz_suppressed_note", n=3, m=2) in all_text(field_at)


def test_medellang_since_date_changes_the_comparison(demo_loaded):
    at = in_tab(open_page("security_chief", "pages/medellang.py"), "hz_tab_since")
    day = clock.today() - timedelta(days=7)  # the app's (Stockholm) today, not the machine's
    at.date_input(key="mt_since").set_value(day).run()
    assert_clean(at)
    body = all_text(at)
    # Calendar-aligned, and said so: from midnight on the day, 7 whole days and today's hours.
    assert f"Från midnatt **{day.isoformat()}**" in body
    assert "kalenderjusterat" in body
    assert re.search(r"\b7 dygn och \d{1,2} h\b", body)


def test_medellang_per_area_and_monthly(demo_loaded):
    at = open_page("municipal_staff", "pages/medellang.py")
    at.segmented_control(key="mt_by").set_value("area_id").run()
    at.segmented_control(key="mt_bucket").set_value("month").run()
    assert_clean(at)
    table = frame_with(at, tr("hz_panel_by_area_id"))
    assert table[tr("hz_panel_by_area_id")].nunique() >= 21


# --- Lång sikt -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["police_analyst", "field_worker", "board_viewer"])
def test_lang_renders_for_role(role, viewed):
    at = viewed(role, "pages/lang_sikt.py")
    assert_clean(at)
    assert [t.value for t in at.title] == [tr("page_lang")]
    assert len(at.get("vega_lite_chart")) == 2  # choropleth + small multiples
    captions = "\n".join(c.value for c in at.caption)
    assert "Källa: demo" in captions
    assert tr("hz_click_area") in captions


def test_lang_year_slider_and_classification(demo_loaded):
    at = open_page("security_chief", "pages/lang_sikt.py")
    slider = at.select_slider(key="lt_year")
    years = list(slider.options)
    assert len(map_classes(at)) == 5
    first = frame_with(at, tr("hz_col_vs_average")).copy()
    slider.set_value(years[0]).run()
    assert_clean(at)
    earlier = frame_with(at, tr("hz_col_vs_average"))
    assert not first.equals(earlier)
    assert tr("hz_municipality_average", year=years[0]) in [m.label for m in at.metric]
    at.selectbox(key="lt_scheme").set_value("natural_breaks").run()
    at.number_input(key="lt_k").set_value(3).run()
    assert_clean(at)
    assert len(map_classes(at)) == 3


def map_classes(at: AppTest) -> list[str]:
    """The class labels of the choropleth's colour legend (from the chart spec)."""
    import json

    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        color = spec.get("encoding", {}).get("color", {})
        if spec.get("mark", {}).get("type") == "geoshape" or spec.get("mark") == "geoshape":
            return list(color["scale"]["domain"])
    raise AssertionError("no choropleth on the page")


def test_lang_csv_download_is_audited(owner_engine, demo_loaded):
    at = open_page("board_viewer", "pages/lang_sikt.py")
    with owner_engine.connect() as c:
        before = c.execute(
            text(
                "select count(*) from pax_data.audit_log where action = 'export' and page = 'lang_sikt'"
            )
        ).scalar()
    assert at.get("download_button")
    data = press_download(at).decode("utf-8-sig")
    with owner_engine.connect() as c:
        rows = c.execute(
            text(
                "select username, detail from pax_data.audit_log where action = 'export' "
                "and page = 'lang_sikt' order by id desc"
            )
        ).all()
    assert len(rows) == before + 1
    assert rows[0].username == "styrelse"
    assert rows[0].detail["format"] == "csv" and rows[0].detail["rows"] > 0
    assert len(data.splitlines()) == rows[0].detail["rows"] + 1  # a header and the rows


# --- Områdeskort ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["police_analyst", "field_worker", "board_viewer", "admin"])
def test_omradeskort_opens_the_area_in_the_url(role, owner_engine, demo_loaded):
    ids = district_ids(owner_engine)
    at = open_page(role, "pages/omradeskort.py", {"area": str(ids["Geneta"])})
    assert_clean(at)
    assert at.selectbox(key="card_area").value == ids["Geneta"]
    assert "Geneta" in [s.value for s in at.subheader]
    body = all_text(at)
    # the traffic-light rule is written on the card
    assert tr("hz_rule_red", red_min=RED_MIN_COUNT) in body
    assert tr("hz_rule_title") in body
    labels = [m.label for m in at.metric]
    for key in ("hz_window_24h", "hz_window_7d", "hz_window_30d", "hz_last_28", "hz_ytd"):
        assert tr(key) in labels
    assert "Källa: demo" in body
    ind = frame_with(at, tr("hz_col_average"))
    assert len(ind) == 6


def test_omradeskort_field_worker_counts_are_ranges(owner_engine, demo_loaded):
    ids = district_ids(owner_engine)
    at = open_page("field_worker", "pages/omradeskort.py", {"area": str(ids["Mölnbo"])})
    assert_clean(at)
    values = [m.value for m in at.metric]
    assert values
    # a quiet district: released values below the threshold never show as 1 or 2, and the
    # page says that the counts are protected (see test_release.py for what is released)
    assert not {"1", "2"} & set(values)
    assert tr("hz_suppressed_note", n=3, m=2) in all_text(at)


def test_omradeskort_defaults_to_the_field_workers_own_area(owner_engine, demo_loaded):
    ids = district_ids(owner_engine)
    at = open_page("field_worker", "pages/omradeskort.py")  # demo user 'falt' works in Ronna
    assert_clean(at)
    assert at.selectbox(key="card_area").value == ids["Ronna"]
    assert at.query_params["area"] == str(ids["Ronna"])


def test_omradeskort_unknown_area_in_url_is_explained(demo_loaded):
    at = open_page("security_chief", "pages/omradeskort.py", {"area": "nonsense"})
    assert not at.exception
    assert tr("hz_area_unknown", value="nonsense") in [w.value for w in at.warning]
    assert at.subheader  # a card is still shown (the first area)


def test_omradeskort_selectbox_updates_the_url(owner_engine, demo_loaded):
    ids = district_ids(owner_engine)
    at = open_page("police_analyst", "pages/omradeskort.py", {"area": str(ids["Ronna"])})
    at.selectbox(key="card_area").set_value(ids["Hovsjö"]).run()
    assert_clean(at)
    assert "Hovsjö" in [s.value for s in at.subheader]
    assert at.query_params["area"] == str(ids["Hovsjö"])


def test_omradeskort_in_english(owner_engine, demo_loaded):
    ids = district_ids(owner_engine)
    at = open_page("board_viewer", "pages/omradeskort.py", {"area": str(ids["Järna"])}, "en")
    assert_clean(at)
    assert [t.value for t in at.title] == [tr("page_omradeskort", "en")]
    assert tr("hz_rule_title", "en") in all_text(at)


# --- the string catalogue ---------------------------------------------------------------------

PREFIXED = {
    "hz_panel_by_": ("kind", "area_id"),
    "hz_bucket_": ("week", "month"),
    "hz_unit_": ("week", "month"),
    "hz_dir_": ("up", "down", "same", "uncertain"),
    "hz_light_": ("green", "yellow", "red"),
    "hz_window_": ("24h", "7d", "30d"),
    "hz_scheme_": ("quantiles", "natural_breaks", "equal_interval"),
}


def test_every_horizons_string_key_exists():
    import re

    files = [
        ROOT / "pages" / "medellang.py",
        ROOT / "pages" / "lang_sikt.py",
        ROOT / "pages" / "omradeskort.py",
        ROOT / "pax_geo" / "ui" / "area_card.py",
        ROOT / "pax_geo" / "ui" / "horizons.py",
        ROOT / "pax_geo" / "ui" / "charts.py",
    ]
    used = set()
    for f in files:
        used |= set(re.findall(r"[\"'](hz_[a-z0-9_]+)[\"']", f.read_text(encoding="utf-8")))
        # keys built from a prefix and a value: check every value the code can put in
        for prefix, values in PREFIXED.items():
            if prefix in f.read_text(encoding="utf-8"):
                used |= {prefix + v for v in values}
    used -= set(PREFIXED)
    cat = i18n.catalogue()
    missing = sorted(k for k in used if k not in cat)
    assert not missing, missing
    assert len(used) > 50
