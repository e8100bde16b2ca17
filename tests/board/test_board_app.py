"""Lägesbild för styrelsen under AppTest, signed in as the demo accounts: a police analyst builds
a draft, comments (saved to the database as the field changes), freezes it; the board opens it
read-only as it was shown; the next draft's default period starts where it ended."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from pax_geo import i18n
from pax_geo.board.slides import SECTION_ORDER
from pax_geo.clock import local, today
from tests.app_support import ROOT, assert_clean, page_text, signed_in

PAGE = str(ROOT / "pages" / "styrelse.py")
pytestmark = pytest.mark.usefixtures("clean_briefings")


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


def open_as(user: str) -> AppTest:
    at = signed_in(PAGE, user).run()
    assert_clean(at)
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert_clean(at)
    return at


def briefings(owner: Engine) -> list[dict]:
    with owner.connect() as c:
        return [
            dict(r)
            for r in c.execute(
                text(
                    "select b.id, b.status, b.title, b.period_start, b.period_end, "
                    "b.figures is not null as has_figures, "
                    "(select jsonb_object_agg(section, body) from pax_data.briefing_comment c "
                    " where c.briefing_id = b.id) as comments from pax_data.briefing b order by id"
                )
            ).mappings()
        ]


def test_build_comment_freeze_and_reopen(owner_engine):
    at = open_as("polis")
    assert at.selectbox(key="bd_sel").value == 0  # "new" is the only choice
    click(at, tr("bd_create"))
    rows = briefings(owner_engine)
    assert len(rows) == 1 and rows[0]["status"] == "draft"
    bid = rows[0]["id"]
    assert at.selectbox(key="bd_sel").value == bid
    # one section per slide, in order, each with its comment field
    heads = [s.value for s in at.subheader]
    kinds = ("car_fire", "shooting", "explosion", "cache")  # what the board sees
    assert len(heads) == len(SECTION_ORDER) - 1 + len(kinds)  # one map slide per type
    assert heads[1] == f"2. {tr('bd_sec_key_figures')}"
    assert heads[2].startswith("3. ") and "bilbränder" in heads[2]
    # one comment field per section, under its first slide
    assert len([ta for ta in at.text_area if ta.key.endswith("_maps")]) == 1
    keys = [ta.key for ta in at.text_area]
    assert f"bd_c_{bid}_maps" in keys and f"bd_c_{bid}_next_steps" in keys
    at.text_area(key=f"bd_c_{bid}_maps").input("Bilbränderna har ökat i Ronna.")
    at.run()
    assert_clean(at)
    assert briefings(owner_engine)[0]["comments"] == {"maps": "Bilbränderna har ökat i Ronna."}
    assert any(c.value.startswith(tr("bd_saved_at", time="")) for c in at.caption)

    # a reload (a new session) finds the draft and its comment in the database
    again = open_as("polis")
    again.selectbox(key="bd_sel").set_value(bid).run()
    assert again.text_area(key=f"bd_c_{bid}_maps").value == "Bilbränderna har ökat i Ronna."

    # personal data in a comment is refused with the reason, and nothing is saved
    again.text_area(key=f"bd_c_{bid}_assessment").input("Ring 070-123 45 67 om läget.")
    again.run()
    assert any(e.value.startswith("Kommentaren innehåller ett telefonnummer") for e in again.error)
    assert "assessment" not in briefings(owner_engine)[0]["comments"]

    # freeze on the meeting date
    at.selectbox(key="bd_sel").set_value(bid).run()
    click(at, tr("bd_mark_presented"))
    row = briefings(owner_engine)[0]
    assert row["status"] == "presented" and row["has_figures"]
    assert not at.text_area, "a presented lägesbild has no comment fields"
    shown = page_text(at, kinds=("success", "info", "markdown", "caption", "subheader"))
    assert tr("bd_frozen", date=today().isoformat(), who="Demo Polis (analytiker)") in shown
    assert "Bilbränderna har ökat i Ronna." in shown

    # the next draft's default period starts the day after the frozen one ended
    nxt = open_as("sakerhetschef")
    nxt.selectbox(key="bd_sel").set_value(0).run()
    end = local(row["period_end"]).date()
    caption = tr("bd_since_last_caption", date=end.isoformat())
    assert caption in page_text(nxt) or any(
        c.value.startswith(tr("bd_period_line", first="", last="")[:8]) for c in nxt.caption
    )


def test_the_board_sees_presented_lagesbilder_only_and_read_only(owner_engine):
    at = open_as("styrelse")
    assert tr("bd_none_presented") in page_text(at)
    # a draft by the security chief stays invisible to the board
    chief = open_as("sakerhetschef")
    click(chief, tr("bd_create"))
    bid = briefings(owner_engine)[0]["id"]
    chief.text_area(key=f"bd_c_{bid}_assessment").input("Läget är stabilt.")
    chief.run()
    at = open_as("styrelse")
    assert tr("bd_none_presented") in page_text(at)
    chief.selectbox(key="bd_sel").set_value(bid).run()
    click(chief, tr("bd_mark_presented"))
    at = open_as("styrelse")
    assert at.selectbox(key="bd_sel").options and len(at.selectbox(key="bd_sel").options) == 1
    assert not at.text_area and not [b for b in at.button if b.label == tr("bd_create")]
    shown = page_text(at)
    assert "Läget är stabilt." in shown
    assert tr("bd_sec_long") in [s.value.split(". ", 1)[1] for s in at.subheader]


def test_a_quarter_and_custom_dates_set_the_period(owner_engine):
    at = open_as("polis")
    at.segmented_control(key="bd_new_kind").set_value("quarter").run()
    assert_clean(at)
    (year, q) = at.selectbox(key="bd_new_q").value
    click(at, tr("bd_create"))
    row = briefings(owner_engine)[0]
    first = local(row["period_start"]).date()
    last = (local(row["period_end"]) - timedelta(days=1)).date()
    assert first.month == 3 * q - 2 and first.day == 1 and first.year == year
    assert last < today()
