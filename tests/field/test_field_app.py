"""The field-mode pages (Mitt område, Rapportera, Inkomna rapporter, Nattvandring) under AppTest,
signed in as the demo accounts "falt" (field_worker, Ronna), "natt" (night_walker) and "polis"
(police_analyst), against the session's test database. Writes are checked in pax_data as the
owner; every row a test writes carries a unique marker in its note and is removed afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from pax_geo import auth, i18n
from pax_geo.clock import TZ
from pax_geo.field import reports
from tests.app_support import LEAK_MARKERS, ROOT, assert_clean, signed_in, signed_in_app

FIELD, WALKER, POLICE = "falt", "natt", "polis"
MARK = "apptest-" + uuid.uuid4().hex[:8]


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


def luhn_digit(nine: str) -> int:
    """The check digit of a personnummer's first nine digits (YYMMDDNNN)."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return (10 - total % 10) % 10


def test_luhn_helper_agrees_with_a_known_number():
    assert luhn_digit("811218987") == 6  # 811218-9876, a valid test personnummer


def page_file(name: str) -> str:
    return str(ROOT / "pages" / f"{name}.py")


def open_page(name: str, username: str) -> AppTest:
    return signed_in(page_file(name), username).run()


def note(tag: str) -> str:
    return f"{MARK} {tag} {uuid.uuid4().hex[:6]}"


def alltext(at: AppTest) -> str:
    parts = []
    for kind in ("error", "warning", "info", "success", "markdown", "caption", "title"):
        for el in at.get(kind):
            parts.append(str(getattr(el, "value", "") or ""))
    return "\n".join(parts)


def no_leaks(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    shown = alltext(at)
    assert not [m for m in LEAK_MARKERS if m in shown], shown


def rows_with(owner: Engine, text_value: str) -> list[dict]:
    with owner.connect() as c:
        return [
            dict(r)
            for r in c.execute(
                text(
                    "select id, text, status, status_by, reporter, revision, category, "
                    "st_x(st_transform(geom, 4326)) as lon, st_y(st_transform(geom, 4326)) as lat "
                    "from pax_data.observation where source = 'field_report' and text = :t"
                ),
                {"t": text_value},
            ).mappings()
        ]


@pytest.fixture(scope="module", autouse=True)
def _clean_up(owner_engine: Engine, demo_loaded) -> Iterator[None]:
    yield
    like = f"{MARK}%"
    with owner_engine.begin() as c:
        c.execute(
            text(
                "delete from pax_data.observation_history where observation_id in ("
                "select observation_id from pax_data.observation_history where text like :m)"
            ),
            {"m": like},
        )
        c.execute(
            text("delete from pax_data.observation where source = 'field_report' and text like :m"),
            {"m": like},
        )
        c.execute(
            text("delete from pax_data.night_walk where source = 'walk_log' and note like :m"),
            {"m": like},
        )


def fill_report(at: AppTest, text_value: str, category: str | None = "graffiti") -> AppTest:
    """Category (or none), the default time (now) and place (the home area's first place)."""
    if category is not None:
        at.pills(key="rp_category").set_value(category)
    at.text_area(key="rp_note").input(text_value)
    return at


def send(at: AppTest) -> AppTest:
    at.button(key="rp_submit").click()
    return at.run()


def expander_with(at: AppTest, text_value: str):
    """The expander (own reports, triage list) whose body shows this note."""
    for exp in at.expander:
        if any(text_value in str(m.value) for m in exp.markdown):
            return exp
    raise AssertionError(f"no expander shows {text_value!r}")


# --- start pages per role ---------------------------------------------------------------------


@pytest.mark.usefixtures("navigation_mode")
@pytest.mark.parametrize(
    ("username", "title"),
    [(FIELD, "page_mitt_omrade"), (WALKER, "page_nattvandring"), (POLICE, "page_har_och_nu")],
)
def test_app_lands_on_the_roles_start_page(username, title):
    at = signed_in_app(username)
    assert tr(title) in [t.value for t in at.title], [t.value for t in at.title]
    no_leaks(at)


# --- Mitt område ------------------------------------------------------------------------------


def test_mitt_omrade_shows_the_area_light_and_counts():
    at = open_page("mitt_omrade", FIELD)
    assert_clean(at)
    assert tr("page_mitt_omrade") in [t.value for t in at.title]
    shown = alltext(at)
    assert "### Ronna" in shown
    lights = [tr(f"hz_light_{c}") for c in ("green", "yellow", "red")]
    assert any(light in shown for light in lights), shown  # the badge (a word, not only colour)
    # The counts table: st.table, or a Markdown table (no dataframe bundle on 4G).
    tonight = (tr("fm_window_tonight"), tr("fm_window_lastnight"))
    windows = [tr("fm_window_24h"), tr("fm_window_7d")]
    if at.table:
        df = at.table[0].value
        cols = list(df.columns)
        assert len(cols) == 3 and cols[0] in tonight and cols[1:] == windows, cols
        assert len(df) >= 1 and all("norm." in str(v) for v in df.to_numpy().ravel())
    else:
        tables = [str(m.value) for m in at.markdown if str(m.value).startswith("|")]
        assert tables, "the counts table is missing"
        head, _rule, *body = tables[0].splitlines()
        cols = [c.strip() for c in head.strip("|").split("|")][1:]
        assert len(cols) == 3 and cols[0] in tonight and cols[1:] == windows, cols
        assert body and all(line.count("norm.") == 3 for line in body), body


# --- Rapportera -------------------------------------------------------------------------------


def test_a_valid_personnummer_is_refused_and_an_invalid_one_accepted(owner_engine):
    nine = "850709123"
    good = f"{nine[:6]}-{nine[6:]}{luhn_digit(nine)}"
    bad = f"{nine[:6]}-{nine[6:]}{(luhn_digit(nine) + 1) % 10}"

    at = open_page("rapportera", FIELD)
    refused = note(f"pojke {good} vid torget")
    send(fill_report(at, refused))
    errors = " ".join(e.value for e in at.error)
    assert "personnummer" in errors and "850709-****" in errors, errors
    assert good not in errors  # masked, never echoed
    assert not at.success
    assert rows_with(owner_engine, refused) == []
    no_leaks(at)

    accepted = note(f"lapp med {bad} på")
    send(fill_report(at, accepted))
    assert not at.error, [e.value for e in at.error]
    assert any("Sparad" in s.value for s in at.success)
    assert len(rows_with(owner_engine, accepted)) == 1


def test_a_phone_number_is_refused(owner_engine):
    at = open_page("rapportera", FIELD)
    refused = note("ring 070-123 45 67 om det blir bråk")
    send(fill_report(at, refused))
    errors = " ".join(e.value for e in at.error)
    assert "telefonnummer" in errors, errors
    assert "123 45 67" not in errors
    assert rows_with(owner_engine, refused) == []
    no_leaks(at)


def test_no_category_is_refused_naming_it(owner_engine):
    at = open_page("rapportera", FIELD)
    value = note("ingen kategori")
    send(fill_report(at, value, category=None))
    errors = " ".join(e.value for e in at.error)
    assert tr("fm_not_saved", reason="")[:10] in errors and "kategori" in errors, errors
    assert rows_with(owner_engine, value) == []
    no_leaks(at)


def test_a_report_is_saved_once_and_a_resend_says_saved_before(owner_engine):
    at = open_page("rapportera", FIELD)
    value = note("klotter på tunneln")
    send(fill_report(at, value))
    assert not at.error, [e.value for e in at.error]
    saved = [s.value for s in at.success]
    assert saved and saved[0].startswith("Sparad:"), saved
    rows = rows_with(owner_engine, value)
    assert len(rows) == 1 and rows[0]["reporter"] == FIELD and rows[0]["category"] == "Klotter"
    key = at.session_state["rp_key"]
    # The send button is off while "Sparad" shows (the form is done).
    assert at.button(key="rp_submit").disabled

    # The reply to the first send never reached the tablet: the form is still pending with the
    # same key, and the user presses "Skicka igen".
    del at.session_state["rp_saved"]
    at.session_state["rp_pending"] = True
    at.run()
    assert at.button(key="rp_submit").label == tr("fm_retry")
    send(at)
    assert at.session_state["rp_key"] == key
    again = [s.value for s in at.success]
    assert again and again[0].startswith("Sparad sedan tidigare"), again
    assert str(rows[0]["id"]) in again[0]
    assert len(rows_with(owner_engine, value)) == 1

    # "Ny rapport" starts a new form with a new key.
    next(b for b in at.button if b.label == tr("fm_new_report")).click()
    at.run()
    assert at.session_state["rp_key"] != key
    assert not at.success
    assert at.text_area(key="rp_note").value in ("", None)
    no_leaks(at)


def test_correct_and_withdraw_from_the_own_reports(owner_engine):
    at = open_page("rapportera", FIELD)
    value = note("trasig lampa")
    send(fill_report(at, value, category="broken_lighting"))
    (row,) = rows_with(owner_engine, value)

    exp = expander_with(at, value)
    fixed = value + " rättad"
    exp.text_area[0].input(fixed)
    exp.selectbox[0].set_value("vandalism")
    next(b for b in exp.button if b.label == tr("fm_correct")).click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert any(tr("fm_corrected", id=row["id"], rev=2) == s.value for s in at.success)
    assert rows_with(owner_engine, value) == []
    (after,) = rows_with(owner_engine, fixed)
    assert (
        after["id"] == row["id"] and after["revision"] == 2 and after["category"] == "Skadegörelse"
    )

    # The list was read before the correction, so this run still shows the old text; the
    # withdraw button is the report's own (its id).
    at.button(key=f"rp_wd_{row['id']}").click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert rows_with(owner_engine, fixed) == []
    with owner_engine.connect() as c:
        actions = c.execute(
            text(
                "select action from pax_data.observation_history where observation_id = :i "
                "order by id"
            ),
            {"i": row["id"]},
        ).scalars()
        assert list(actions) == ["report", "correct", "withdraw"]
    assert not any(fixed in str(m.value) for m in at.markdown)
    no_leaks(at)


# --- Inkomna rapporter (triage) ---------------------------------------------------------------


def report_by_position(username: str, text_value: str) -> int:
    """A report with a device position (no named place) sent through the core as `username`."""
    res = auth.authenticate(username, auth.DEMO_PASSWORD)
    assert res.ok
    now = datetime.now(TZ)
    with auth.reader_connection(res.account.role, res.token, username) as c:
        saved = reports.report(
            c,
            reports.new_key(),
            "threat",
            now - timedelta(minutes=5),
            reports.Where(lon=17.62, lat=59.19, how="device"),
            text_value,
            now,
        )
    return saved.id


def test_police_marks_a_report_seen_and_the_list_still_draws(owner_engine):
    at = open_page("rapportera", FIELD)
    value = note("ungdomar vid skolan")
    send(fill_report(at, value, category="youth_gathering"))
    (row,) = rows_with(owner_engine, value)
    assert row["status"] == "new"
    untouched = note("otryggt vid busshållplatsen")
    report_by_position(FIELD, untouched)  # no place name: NULL next to named places

    tri = open_page("rapporter", POLICE)
    assert_clean(tri)
    exp = expander_with(tri, value)
    exp.selectbox[0].set_value("seen")
    next(b for b in exp.button if b.label == tr("fm_triage_set")).click()
    tri.run()
    assert_clean(tri)  # one triaged report next to untriaged ones
    (after,) = rows_with(owner_engine, value)
    assert after["status"] == "seen" and after["status_by"] == POLICE
    seen = expander_with(tri, value)
    assert seen.label.startswith(tr("fm_status_seen"))
    assert any(f"Sedd av {POLICE}" in c.value for c in seen.caption)
    other = expander_with(tri, untouched)
    assert other.label.startswith(tr("fm_status_new"))
    assert not any(" av " in c.value and "Rapporterad" not in c.value for c in other.caption)
    labels = [e.label for e in tri.expander]
    assert not [lb for lb in labels if "nan" in lb.split(" · ")], labels
    no_leaks(tri)

    # The reporter's own list too (a report with a place next to one without).
    own = open_page("rapportera", FIELD)
    assert_clean(own)
    assert not [e.label for e in own.expander if "nan" in e.label.split(" · ")]
    res = auth.authenticate(FIELD, auth.DEMO_PASSWORD)
    with auth.reader_connection(res.account.role, res.token, FIELD) as c:
        mine = reports.my_reports(c, limit=50)
    assert mine.loc[mine["text"] == untouched, "place_name"].tolist() == [None]


# --- Nattvandring -----------------------------------------------------------------------------


def walks_with(owner: Engine, note_value: str) -> list[dict]:
    with owner.connect() as c:
        return [
            dict(r)
            for r in c.execute(
                text(
                    "select id, route_id, participants, reported_by from pax_data.night_walk "
                    "where source = 'walk_log' and note = :n"
                ),
                {"n": note_value},
            ).mappings()
        ]


def test_the_night_walker_logs_a_walk_and_no_phone_numbers(owner_engine):
    at = open_page("nattvandring", WALKER)
    assert_clean(at)
    with owner_engine.connect() as c:
        route_id = int(
            c.execute(
                text("select id from pax_data.night_walk_route where name = 'Kvällsrunda Ronna'")
            ).scalar_one()
        )
    refused = note("ring 0701234567")
    at.pills(key="nw_route").set_value(route_id)
    at.text_input(key="nw_note").input(refused)
    next(b for b in at.button if b.label == tr("fm_walk_submit")).click()
    at.run()
    errors = " ".join(e.value for e in at.error)
    assert "telefonnummer" in errors, errors
    assert walks_with(owner_engine, refused) == []

    value = note("lugnt i kväll")
    at.pills(key="nw_route").set_value(route_id)
    at.text_input(key="nw_note").input(value)
    at.number_input(key="nw_people").set_value(6)
    next(b for b in at.button if b.label == tr("fm_walk_submit")).click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert any(s.value.startswith("Sparad: vandring") for s in at.success)
    (walk,) = walks_with(owner_engine, value)
    assert walk["reported_by"] == WALKER and walk["participants"] == 6
    assert walk["route_id"] == route_id
    no_leaks(at)


# --- who may open what ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "page"),
    [(WALKER, "rapportera"), (WALKER, "rapporter"), (FIELD, "rapporter")],
)
def test_pages_refuse_roles_without_the_capability(username, page):
    at = open_page(page, username)
    errors = " ".join(e.value for e in at.error)
    assert "får inte öppna den här sidan" in errors, errors
    assert not at.text_area and not at.pills
    assert not [b for b in at.button if b.label in (tr("fm_submit"), tr("fm_triage_set"))]
    no_leaks(at)
