"""Insatser and Planera insats under AppTest, signed in as the demo accounts, on the real test
database: the partners record their actions through the form (once, audited, personal data
refused with the database's reason), move their own actions forward; the board reads the
register per district and downloads it (audited, without the police's purposes); the police
evaluate an ended operation and save the evaluation, and plan an operation on a district; the
roles without the pages are refused.

The draw map (a streamlit-folium component in an iframe) does not run under AppTest: the
component is an ``UnknownElement`` and ``st_folium`` returns its default value, which has no
drawings, so :func:`pax_geo.ui.drawmap.drawn_geometry` returns the map's ``initial`` area. The
district path ("Område") sets ``initial`` to the districts' outline, so the plan is saved from
it exactly as it is in a browser before the user edits the outline. Drawing by hand is covered
by tests/operations/test_operations_browser.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, text
from streamlit.testing.v1 import AppTest

from pax_geo import auth, i18n, queries
from pax_geo.auth import DEMO_ACCOUNTS
from pax_geo.clock import TZ, local, now, today
from pax_geo.horizons import fmt
from pax_geo.operations import register
from pax_geo.pages import may_open, page
from tests.app_support import (
    LEAK_MARKERS,
    ROOT,
    assert_clean,
    page_text,
    press_download,
    signed_in,
    signed_in_app,
)

INSATSER = str(ROOT / "pages" / "insatser.py")
PLANERA = str(ROOT / "pages" / "planera_insats.py")
ALL_KINDS = ["car_fire", "shooting", "explosion", "cache"]


def tr(key: str, **fmt_) -> str:
    return i18n.t(key, "sv", **fmt_)


# --- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean(owner_engine: Engine, demo_loaded) -> Iterator[None]:
    """Remove every register entry a test wrote and put back the demo operations' status and
    evaluation (an evaluation saved from the page changes a demo operation)."""
    cols = "id, status, evaluation, evaluated_at, updated_by, updated_at"
    with owner_engine.connect() as c:
        before = c.execute(
            text(f"select {cols} from pax_data.operation where source <> 'register'")
        ).all()
    yield
    with owner_engine.begin() as c:
        c.execute(text("delete from pax_data.operation where source = 'register'"))
        for r in before:
            c.execute(
                text(
                    "update pax_data.operation set status = :s, evaluation = cast(:e as jsonb), "
                    "evaluated_at = :ea, updated_by = :ub, updated_at = :ua where id = :id "
                    "and (status, evaluation, evaluated_at) is distinct from "
                    "(:s, cast(:e as jsonb), :ea)"
                ),
                {
                    "id": r.id,
                    "s": r.status,
                    "e": json.dumps(r.evaluation) if r.evaluation is not None else None,
                    "ea": r.evaluated_at,
                    "ub": r.updated_by,
                    "ua": r.updated_at,
                },
            )


def open_as(script: str, user: str) -> AppTest:
    at = signed_in(script, user).run()
    assert_clean(at)
    return at


def widget(at: AppTest, kind: str, label: str):
    """The one widget of a kind with this label."""
    found = [w for w in at.get(kind) if w.label == label]
    assert len(found) == 1, (kind, label, [w.label for w in at.get(kind)])
    return found[0]


def click(at: AppTest, label: str) -> AppTest:
    widget(at, "button", label).click()
    return at.run()


def district_id(owner: Engine, name: str) -> int:
    with owner.connect() as c:
        areas = queries.areas(c, ("district",))
    return int(areas.loc[areas["name"] == name, "id"].iloc[0])


def entries(owner: Engine, name: str) -> list[dict]:
    """The register rows of this name as stored (owner's view)."""
    with owner.connect() as c:
        return [
            dict(r)
            for r in c.execute(
                text(
                    "select id, name, kind, owner_org, is_police, group_key, status, starts_at, "
                    "ends_at, description, target_kind, target_types, created_by, source "
                    "from pax_data.operation where name = :n order by id"
                ),
                {"n": name},
            ).mappings()
        ]


def audit_mark(owner: Engine) -> int:
    with owner.connect() as c:
        return int(c.execute(text("select coalesce(max(id), 0) from pax_data.audit_log")).scalar())


def audits(owner: Engine, since: int, action: str) -> list[dict]:
    with owner.connect() as c:
        return [
            dict(r)
            for r in c.execute(
                text(
                    "select username, role, page, detail from pax_data.audit_log "
                    "where id > :m and action = :a order by id"
                ),
                {"m": since, "a": action},
            ).mappings()
        ]


def table(at: AppTest):
    """The register table of the Register tab (the first dataframe on the page)."""
    df = at.dataframe[0].value
    assert tr("op_col_name") in df.columns
    return df


def fill_action(
    at: AppTest,
    name: str,
    area: int,
    purpose: str = "",
    first: date | None = None,
    last: date | None = None,
) -> None:
    """The action form's fields (all in one run: a form sends its values on submit)."""
    widget(at, "text_input", tr("op_form_name")).input(name)
    widget(at, "selectbox", tr("op_form_kind")).set_value("lighting")
    widget(at, "selectbox", tr("op_form_group")).set_value("trygga_bostadsomraden")
    widget(at, "multiselect", tr("op_form_areas")).set_value([area])
    if first is not None:
        widget(at, "date_input", tr("op_form_start")).set_value(first)
    if last is not None:
        widget(at, "date_input", tr("op_form_end")).set_value(last)
    widget(at, "text_area", tr("op_form_purpose")).input(purpose)


@contextmanager
def login_as(role: str) -> Iterator[Connection]:
    """The reader login of a role's demo account, bound to a fresh session of it."""
    name = DEMO_ACCOUNTS[role]
    res = auth.authenticate(name, auth.DEMO_PASSWORD)
    assert res.ok, name
    with auth.reader_connection(role, str(res.token), name) as c:
        yield c


def save_entry(role: str, name: str, police: bool, start: datetime, days: int, **kw) -> int:
    """An entry saved through the core on a signed-in demo login (test set-up)."""
    d = register.Draft(
        name=name,
        kind="patrol" if police else "lighting",
        owner_org="Polisen" if police else "Södertälje kommun",
        police=police,
        starts_at=start,
        ends_at=start + timedelta(days=days),
        **kw,
    )
    with login_as(role) as c:
        return register.save(c, d, uuid.uuid4())


def midnight(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time(), tzinfo=TZ)


def ended_demo_operation(owner: Engine) -> tuple[int, str]:
    """The police demo operation that ended most recently, at least two days ago."""
    with owner.connect() as c:
        r = c.execute(
            text(
                "select id, name from pax_data.operation where source = 'demo' and is_police "
                "and ends_at < now() - interval '2 days' and status = 'done' "
                "order by ends_at desc limit 1"
            )
        ).one()
    return int(r.id), str(r.name)


# --- recording an action (municipal staff) ------------------------------------------------------

ACTION = "Belysning gångväg Ronna (test)"


def test_staff_record_an_action_through_the_form(owner_engine):
    ronna = district_id(owner_engine, "Ronna")
    at = open_as(INSATSER, "kommun")
    assert [t.label for t in at.tabs] == [tr("op_tab_register"), tr("op_tab_record")]
    assert tr("op_intro_area") in [c.value for c in at.caption]
    first, last = today() + timedelta(days=2), today() + timedelta(days=12)
    fill_action(at, ACTION, ronna, "Nya armaturer längs gångvägen.", first, last)
    mark = audit_mark(owner_engine)
    click(at, tr("op_form_save"))
    assert_clean(at)
    # the page reran: the confirmation above an empty form
    assert [s.value for s in at.success] == [tr("op_saved", name=ACTION)]
    assert widget(at, "text_input", tr("op_form_name")).value == ""
    assert widget(at, "multiselect", tr("op_form_areas")).value == []

    rows = entries(owner_engine, ACTION)
    assert len(rows) == 1
    row = rows[0]
    assert row["is_police"] is False and row["created_by"] == DEMO_ACCOUNTS["municipal_staff"]
    assert (row["source"], row["status"], row["kind"]) == ("register", "planned", "lighting")
    assert (row["target_kind"], row["group_key"]) == ("area", "trygga_bostadsomraden")
    assert row["owner_org"] == "Södertälje kommun"
    assert row["description"] == "Nya armaturer längs gångvägen."
    # whole local days: [first 00:00, the day after last 00:00)
    assert (row["starts_at"], row["ends_at"]) == (midnight(first), midnight(last + timedelta(1)))

    saves = audits(owner_engine, mark, "operation_save")
    assert [(a["username"], a["page"], a["detail"]["id"]) for a in saves] == [
        (DEMO_ACCOUNTS["municipal_staff"], "insatser", row["id"])
    ]
    assert saves[0]["detail"]["police"] is False and saves[0]["detail"]["new"] is True

    # the register table (the page reran after the save) lists it with its district
    df = table(at)
    mine = df.loc[df[tr("op_col_name")] == ACTION]
    assert len(mine) == 1
    shown = mine.iloc[0]
    assert shown[tr("op_col_areas")] == "Ronna"
    assert shown[tr("op_col_status")] == tr("op_status_planned")
    assert shown[tr("op_col_start")] == first.isoformat()
    assert shown[tr("op_col_end")] == last.isoformat()  # the last day, not the exclusive end
    assert shown[tr("op_col_kind")] == tr("op_kind_lighting")
    assert shown[tr("op_col_police")] == ""
    assert shown[tr("op_col_purpose")] == "Nya armaturer längs gångvägen."


def test_a_retried_save_with_the_same_form_key_is_one_save(owner_engine):
    """A run that committed the save but ended before it dropped the form key (a double click
    interrupts it): the next press sends the same key, and the database returns the same
    entry instead of a second one."""
    ronna = district_id(owner_engine, "Ronna")
    key = uuid.uuid4()
    first = today() + timedelta(days=2)
    d = register.Draft(
        name=ACTION,
        kind="lighting",
        owner_org="Södertälje kommun",
        police=False,
        starts_at=midnight(first),
        ends_at=midnight(first + timedelta(days=10)),
        area_ids=(ronna,),
        target_kind="area",
    )
    with login_as("municipal_staff") as c:
        op_id = register.save(c, d, key)
    at = signed_in(INSATSER, "kommun")
    at.session_state["op_key_action"] = key
    at.run()
    fill_action(at, ACTION, ronna, first=first, last=first + timedelta(days=9))
    mark = audit_mark(owner_engine)
    click(at, tr("op_form_save"))
    assert_clean(at)
    assert [r["id"] for r in entries(owner_engine, ACTION)] == [op_id]
    assert audits(owner_engine, mark, "operation_save") == []
    assert "op_key_action" not in at.session_state  # saved: the next entry gets a new key


def test_pressing_save_again_after_a_save_makes_no_second_entry(owner_engine):
    """After a save the form starts empty: a second press of Spara (the same session) saves
    nothing and asks for a name."""
    ronna = district_id(owner_engine, "Ronna")
    at = open_as(INSATSER, "kommun")
    fill_action(at, ACTION, ronna, "Nya armaturer.")
    click(at, tr("op_form_save"))
    assert len(entries(owner_engine, ACTION)) == 1
    mark = audit_mark(owner_engine)
    click(at, tr("op_form_save"))
    assert not at.exception
    assert [e.value for e in at.error] == [tr("op_form_need_name")]
    assert len(entries(owner_engine, ACTION)) == 1
    assert audits(owner_engine, mark, "operation_save") == []
    at.run()  # the confirmation is shown once
    assert not at.success


@pytest.mark.parametrize(
    ("name", "purpose", "reason"),
    [
        ("Trygghetsvandring Geneta (test)", "Ring 070-123 45 67 vid frågor", "phone"),
        ("Insats 19121212-1212", "Kvällsnärvaro", "personnummer"),
    ],
    ids=["phone-in-purpose", "personal-number-in-name"],
)
def test_personal_data_is_refused_with_the_reason_and_nothing_saved(
    owner_engine, name, purpose, reason
):
    geneta = district_id(owner_engine, "Geneta")
    at = open_as(INSATSER, "kommun")
    fill_action(at, name, geneta, purpose)
    mark = audit_mark(owner_engine)
    click(at, tr("op_form_save"))
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    # the database's refusal, told in Swedish
    assert errors == [tr("op_err_pii", what=tr(f"op_pii_{reason}"))], errors
    shown = page_text(at)
    assert not any(m in shown for m in LEAK_MARKERS), shown
    assert entries(owner_engine, name) == []
    assert audits(owner_engine, mark, "operation_save") == []
    # the form keeps what was written, to be corrected
    assert widget(at, "text_input", tr("op_form_name")).value == name
    assert widget(at, "text_area", tr("op_form_purpose")).value == purpose


# --- status ---------------------------------------------------------------------------------


def test_status_moves_forward_for_ones_own_action(owner_engine):
    ronna = district_id(owner_engine, "Ronna")
    op_id = save_entry(
        "municipal_staff",
        ACTION,
        False,
        now() + timedelta(days=3),
        20,
        area_ids=(ronna,),
        target_kind="area",
    )
    at = open_as(INSATSER, "kommun")
    assert [e.label for e in at.expander] == [tr("op_status_change")]
    pick = widget(at, "selectbox", tr("op_status_pick"))
    assert pick.options == [ACTION]  # only one's own actions (the demo's are not one's own)
    to = widget(at, "selectbox", tr("op_status_to"))
    # forward only: never back to planned, never 'evaluated' by hand
    assert to.options == [tr("op_status_ongoing"), tr("op_status_done")]
    to.set_value("ongoing")
    mark = audit_mark(owner_engine)
    click(at, tr("op_status_move"))
    assert_clean(at)
    assert entries(owner_engine, ACTION)[0]["status"] == "ongoing"
    moves = audits(owner_engine, mark, "operation_status")
    assert [(a["username"], a["detail"]) for a in moves] == [
        (DEMO_ACCOUNTS["municipal_staff"], {"id": op_id, "from": "planned", "to": "ongoing"})
    ]
    assert widget(at, "selectbox", tr("op_status_to")).options == [tr("op_status_done")]
    df = table(at)
    assert df.loc[df[tr("op_col_name")] == ACTION, tr("op_col_status")].iloc[0] == tr(
        "op_status_ongoing"
    )

    # another municipal account may not move it: nothing to change there
    other = open_as(INSATSER, "kommun1")
    assert tr("op_status_none") in [c.value for c in other.caption]
    assert not [b for b in other.button if b.label == tr("op_status_move")]


# --- the board ------------------------------------------------------------------------------

PLANNED_POLICE = "Planerad insats Glasberga (test)"
STARTED_POLICE = "Startad insats Ronna (test)"
SECRET_PLANNED = "Spaning mot uppgiftslämnare (test)"
SECRET_STARTED = "Närvaro vid kända överlämningsplatser (test)"
DEMO_POLICE_PURPOSES = ("Riktad närvaro mot brottsplatser", "Pågående riktad insats")


def test_the_board_reads_the_register_per_district_and_downloads_it_audited(owner_engine):
    ronna, glasberga = district_id(owner_engine, "Ronna"), district_id(owner_engine, "Glasberga")
    police = "police_analyst"
    save_entry(
        police,
        PLANNED_POLICE,
        True,
        now() + timedelta(days=3),
        14,
        area_ids=(glasberga,),
        target_kind="area",
        purpose=SECRET_PLANNED,
    )
    save_entry(
        police,
        STARTED_POLICE,
        True,
        now() - timedelta(days=2),
        14,
        area_ids=(ronna,),
        target_kind="area",
        purpose=SECRET_STARTED,
    )
    save_entry(
        "municipal_staff",
        ACTION,
        False,
        now() + timedelta(days=5),
        30,
        area_ids=(ronna,),
        target_kind="area",
        purpose="Ny belysning",
    )

    at = open_as(INSATSER, "styrelse")
    # the register only: no record tab, no evaluation, no form, no status change, no map
    assert [t.label for t in at.tabs] == [tr("op_tab_register")]
    assert tr("op_intro_area") in [c.value for c in at.caption]
    for kind in ("text_input", "text_area", "date_input", "number_input", "metric", "expander"):
        assert not at.get(kind), kind
    assert [b.label for b in at.button] == []
    assert not at.get("vega_lite_chart") and not at.get("component_instance")
    shown = page_text(at)
    assert "km²" not in shown  # no polygon-derived figures
    df = table(at)
    names = list(df[tr("op_col_name")])
    assert STARTED_POLICE in names and ACTION in names
    assert PLANNED_POLICE not in names  # a police operation that has not started
    by_name = df.set_index(tr("op_col_name"))
    assert by_name.loc[STARTED_POLICE, tr("op_col_purpose")] == "–"
    assert by_name.loc[STARTED_POLICE, tr("op_col_areas")] == "Ronna"
    assert by_name.loc[ACTION, tr("op_col_purpose")] == "Ny belysning"
    police_rows = df.loc[df[tr("op_col_police")] == "✓"]
    assert len(police_rows) and (police_rows[tr("op_col_purpose")] == "–").all()
    as_text = df.to_csv()
    for secret in (SECRET_PLANNED, SECRET_STARTED, *DEMO_POLICE_PURPOSES):
        assert secret not in as_text and secret not in shown

    # the CSV: built on the press, one 'export' audit row, what the table shows
    mark = audit_mark(owner_engine)
    assert at.get("download_button")[0].proto.deferred_file_id
    assert audits(owner_engine, mark, "export") == []
    data = press_download(at).decode("utf-8-sig")
    exports = audits(owner_engine, mark, "export")
    assert [(a["username"], a["role"], a["page"]) for a in exports] == [
        (DEMO_ACCOUNTS["board_viewer"], "board_viewer", "insatser")
    ]
    assert exports[0]["detail"]["what"] == "operation_register"
    assert exports[0]["detail"]["rows"] == len(df)
    for n in names:
        assert n in data, n
    assert PLANNED_POLICE not in data
    for secret in (SECRET_PLANNED, SECRET_STARTED, *DEMO_POLICE_PURPOSES):
        assert secret not in data, secret
    assert "Ny belysning" in data


# --- evaluation (police) --------------------------------------------------------------------


def evaluate(at: AppTest, op_id: int) -> AppTest:
    widget(at, "selectbox", tr("op_ev_pick")).set_value(op_id)
    at.run()
    assert_clean(at)
    return at


def test_police_evaluate_an_ended_operation_and_save_it(owner_engine):
    op_id, _ = ended_demo_operation(owner_engine)
    at = open_as(INSATSER, "polis")
    assert [t.label for t in at.tabs] == [
        tr("op_tab_register"),
        tr("op_tab_record"),
        tr("op_tab_evaluate"),
    ]
    evaluate(at, op_id)
    assert widget(at, "selectbox", tr("op_ev_pick")).value == op_id
    # the figures: verdict, rate ratio, WDQ; the zones' counts; the periods
    assert [m.label for m in at.metric] == [tr("op_col_verdict"), tr("op_ev_rr"), tr("op_ev_wdq")]
    verdict_shown = at.metric[0].value
    assert verdict_shown in {
        tr(f"ev_label_{v}")
        for v in ("too_few", "not_estimable", "drop", "rise", "no_clear_change", "rtm")
    }
    zones = next(d.value for d in at.dataframe if tr("op_ev_table_zone") in d.value.columns)
    assert list(zones[tr("op_ev_table_zone")]) == [
        tr("op_zone_target"),
        tr("op_zone_buffer"),
        tr("op_zone_comparison"),
    ]
    assert (zones[[tr("op_ev_table_before"), tr("op_ev_table_after")]] >= 0).all().all()
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Före: ") for c in captions), captions
    assert tr("op_ev_chart") in captions
    # the sentences, in plain Swedish
    sentences = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert len(sentences) >= 2 and sentences[0].startswith("- Insatsområdet hade")
    # the weekly charts: three panels (target, buffer, comparison), the operation shaded
    charts = at.get("vega_lite_chart")
    assert len(charts) == 3
    for chart in charts:
        marks = [layer["mark"]["type"] for layer in json.loads(chart.proto.spec)["layer"]]
        assert marks == ["rect", "line"], marks

    mark = audit_mark(owner_engine)
    click(at, tr("op_ev_save"))
    assert_clean(at)
    assert tr("op_ev_saved", status=tr("op_status_evaluated")) in [s.value for s in at.success]
    with owner_engine.connect() as c:
        row = c.execute(
            text(
                "select status, evaluation, evaluated_at, updated_by from pax_data.operation "
                "where id = :i"
            ),
            {"i": op_id},
        ).one()
    assert row.status == "evaluated" and row.evaluated_at is not None
    assert row.updated_by == DEMO_ACCOUNTS["police_analyst"]
    assert tr(f"ev_label_{row.evaluation['verdict']}") == verdict_shown
    assert row.evaluation["kinds"] == ALL_KINDS and row.evaluation["buffer_m"] == 400
    saved = audits(owner_engine, mark, "operation_evaluate")
    assert [(a["username"], a["detail"]["id"], a["detail"]["status"]) for a in saved] == [
        (DEMO_ACCOUNTS["police_analyst"], op_id, "evaluated")
    ]


def test_an_evaluated_operation_is_shown_frozen(owner_engine):
    op_id, op_name = ended_demo_operation(owner_engine)
    at = evaluate(open_as(INSATSER, "polis"), op_id)
    click(at, tr("op_ev_save"))
    assert_clean(at)
    at.run()  # the second render: read back from the database
    assert_clean(at)
    evaluate(at, op_id)
    assert not [b for b in at.button if b.label == tr("op_ev_save")]
    with owner_engine.connect() as c:
        verdict = c.execute(
            text("select evaluation ->> 'verdict' from pax_data.operation where id = :i"),
            {"i": op_id},
        ).scalar_one()
    frozen = tr("op_ev_frozen", verdict=tr(f"ev_label_{verdict}"))
    assert frozen in [c.value for c in at.caption]
    # a new session shows it frozen too, and the register its verdict beside the others' "–"
    again = evaluate(open_as(INSATSER, "polis"), op_id)
    assert not [b for b in again.button if b.label == tr("op_ev_save")]
    assert frozen in [c.value for c in again.caption]
    df = table(again).set_index(tr("op_col_name"))
    assert df.loc[op_name, tr("op_col_verdict")] == tr(f"ev_label_{verdict}")
    assert df.loc[df.index != op_name, tr("op_col_verdict")].eq("–").all()
    assert df.loc[op_name, tr("op_col_status")] == tr("op_status_evaluated")


def test_the_evaluation_keeps_its_operation_after_a_status_change(owner_engine):
    op_id, _ = ended_demo_operation(owner_engine)
    ronna = district_id(owner_engine, "Ronna")
    save_entry(
        "police_analyst",
        STARTED_POLICE,
        True,
        now() - timedelta(days=2),
        14,
        area_ids=(ronna,),
        target_kind="area",
    )
    at = evaluate(open_as(INSATSER, "polis"), op_id)
    pick = widget(at, "selectbox", tr("op_status_pick"))
    started_id = next(o for o in entries(owner_engine, STARTED_POLICE))["id"]
    pick.set_value(started_id)
    at.run()
    widget(at, "selectbox", tr("op_status_to")).set_value("ongoing")
    click(at, tr("op_status_move"))
    assert_clean(at)
    assert entries(owner_engine, STARTED_POLICE)[0]["status"] == "ongoing"
    assert widget(at, "selectbox", tr("op_ev_pick")).value == op_id


def test_the_weekly_chart_speaks_the_interface_language(owner_engine):
    op_id, _ = ended_demo_operation(owner_engine)
    at = evaluate(open_as(INSATSER, "polis"), op_id)
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    time_locale = spec.get("config", {}).get("locale", {}).get("time", {})
    assert time_locale.get("shortDays", [None])[0] == "sön", spec.get("config")


# --- planning (police) ----------------------------------------------------------------------

PLAN = "Riktad närvaro Ronna (test)"


def test_plan_an_operation_on_a_district(owner_engine):
    ronna = district_id(owner_engine, "Ronna")
    at = open_as(PLANERA, "polis")
    how = at.segmented_control(key="op_pl_how")
    assert how.value == "hot_cells"
    # "Rita själv" under AppTest: the component cannot run; st_folium returns its default
    # (no drawings), so there is no target yet
    how.set_value("polygon").run()
    assert_clean(at)
    assert tr("op_plan_draw") in [c.value for c in at.caption]
    assert [c.type for c in at.get("component_instance")] == ["component_instance"]
    assert tr("op_plan_none") in [i.value for i in at.info]
    assert not [b for b in at.button if b.label == tr("op_plan_save")]

    at.segmented_control(key="op_pl_how").set_value("area").run()
    assert_clean(at)
    assert tr("op_plan_none") in [i.value for i in at.info]  # no district chosen yet
    at.multiselect(key="op_pl_areas").set_value([ronna]).run()
    assert_clean(at)
    with owner_engine.connect() as c:
        ronna_m2 = c.execute(
            text("select st_area(geom) from pax_data.area where id = :i"), {"i": ronna}
        ).scalar_one()
    heads = [s.value for s in at.subheader]
    assert heads == [tr("op_plan_profile", km2=fmt.num(ronna_m2 / 1e6, "sv", 2))], heads
    counts = at.dataframe[0].value
    assert list(counts.columns) == [tr("op_plan_days", d=d) for d in (30, 90, 365)]
    assert len(counts) == 4 and (counts >= 0).all().all()
    # every table of the profile speaks the interface language (no column names of the code)
    code_names = {"name", "owner", "status", "organisation", "when", "kind", "starts_at"}
    for table in at.dataframe:
        assert not code_names & {str(c) for c in table.value.columns}, table.value.columns

    widget(at, "text_input", tr("op_form_name")).input(PLAN)
    widget(at, "selectbox", tr("op_form_kind")).set_value("presence")
    widget(at, "text_area", tr("op_form_purpose")).input("Närvaro fredagskvällar")
    mark = audit_mark(owner_engine)
    click(at, tr("op_plan_save"))
    assert_clean(at)
    assert [s.value for s in at.success] == [tr("op_saved", name=PLAN)]
    assert widget(at, "text_input", tr("op_form_name")).value == ""  # ready for the next

    rows = entries(owner_engine, PLAN)
    assert len(rows) == 1
    row = rows[0]
    assert row["is_police"] is True and row["target_kind"] == "area"
    assert (row["status"], row["kind"]) == ("planned", "presence")
    assert row["created_by"] == DEMO_ACCOUNTS["police_analyst"]
    assert list(row["target_types"]) == ALL_KINDS
    assert local(row["starts_at"]).date() == today()
    with owner_engine.connect() as c:
        got = c.execute(
            text(
                "select st_area(o.geom) / st_area(a.geom) as ratio, "
                "st_area(st_symdifference(o.geom, a.geom)) / st_area(a.geom) as off "
                "from pax_data.operation o, pax_data.area a where o.id = :o and a.id = :a"
            ),
            {"o": row["id"], "a": ronna},
        ).one()
    assert got.ratio == pytest.approx(1.0, rel=0.01)
    assert got.off < 0.01  # the same polygon, not only the same area
    saves = audits(owner_engine, mark, "operation_save")
    assert [(a["username"], a["detail"]["police"], a["detail"]["id"]) for a in saves] == [
        (DEMO_ACCOUNTS["police_analyst"], True, row["id"])
    ]


# --- who may open the pages -----------------------------------------------------------------

REFUSED = [
    ("field_worker", "insatser"),
    ("night_walker", "insatser"),
    ("admin", "insatser"),
    ("security_chief", "planera"),
    ("municipal_staff", "planera"),
    ("board_viewer", "planera"),
]


def test_the_page_matrix():
    opens = {"police_analyst", "security_chief", "municipal_staff", "board_viewer"}
    for role in ("police_analyst", "security_chief", "municipal_staff", "board_viewer"):
        assert may_open(role, "insatser") == (role in opens)
        assert may_open(role, "planera") == (role == "police_analyst")
    for role, key in REFUSED:
        assert not may_open(role, key)


@pytest.mark.parametrize(("role", "key"), REFUSED, ids=[f"{r}-{k}" for r, k in REFUSED])
def test_the_page_itself_refuses_other_roles(owner_engine, role, key):
    spec = page(key)
    mark = audit_mark(owner_engine)
    at = signed_in(str(ROOT / spec.path), role).run()
    assert not at.exception
    assert [e.value for e in at.error] == [tr("page_forbidden", role=tr(f"role_{role}"))]
    assert tr(spec.title_key) not in [t.value for t in at.title]
    assert not at.dataframe and not at.get("download_button") and not at.text_input
    refused = audits(owner_engine, mark, "page_refused")
    assert [(a["username"], a["page"]) for a in refused] == [(DEMO_ACCOUNTS[role], key)]


@pytest.mark.parametrize(
    ("role", "key"), [("field_worker", "insatser"), ("security_chief", "planera")]
)
def test_the_app_refuses_them_through_the_navigation(navigation_mode, owner_engine, role, key):
    spec = page(key)
    at = signed_in_app(DEMO_ACCOUNTS[role])
    assert not at.exception
    assert tr(spec.title_key) not in {link.value for link in at.page_link}
    mark = audit_mark(owner_engine)
    at.switch_page(spec.path).run()
    assert tr("page_forbidden", role=tr(f"role_{role}")) in [e.value for e in at.error]
    assert tr(spec.title_key) not in [t.value for t in at.title]
    refused = audits(owner_engine, mark, "page_refused")
    assert [(a["username"], a["page"]) for a in refused] == [(DEMO_ACCOUNTS[role], key)]
    # and the police analyst has both in the menu
    police = signed_in_app(DEMO_ACCOUNTS["police_analyst"])
    menu = {link.value for link in police.page_link}
    assert {tr("page_insatser"), tr("page_planera")} <= menu
