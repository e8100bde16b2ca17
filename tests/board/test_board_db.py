"""Lägesbilder in the real test database (0014_board.py): who may build, comment, freeze and
read them; that a frozen one cannot change; that every figure is the board-level release for
every presenter; and that each save is audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from pax_geo.board import figures, periods, store
from pax_geo.clock import now, today
from tests.auth_support import Signed

pytestmark = pytest.mark.usefixtures("clean_briefings")


def span() -> periods.Periods:
    return periods.of_days(today() - timedelta(days=60), today() - timedelta(days=1))


def new_draft(acc: Signed, title: str = "Lägesbild test") -> int:
    ps = span()
    with acc.connect() as c:
        return store.save(c, None, title, ps.current.start, ps.current.end, "Arbetsmaterial")


def audit_rows(owner: Engine, action: str, briefing_id: int) -> int:
    with owner.connect() as c:
        return int(
            c.execute(
                text(
                    "select count(*) from pax_data.audit_log where action = :a "
                    "and (detail->>'id')::int = :i"
                ),
                {"a": action, "i": briefing_id},
            ).scalar_one()
        )


def test_builders_save_comment_and_freeze_with_audit(signed, owner_engine):
    bid = new_draft(signed["security_chief"])
    chief = signed["security_chief"]
    with chief.connect() as c:
        store.save_comment(c, bid, "maps", "Bilbränderna ökar i Ronna.")
        store.save_comment(c, bid, "assessment", "Läget är allvarligt men stabilt.")
        store.save_comment(c, bid, "maps", "Bilbränderna ökar i Ronna och Geneta.")
        b = store.get(c, bid)
    assert b is not None and b.status == "draft"
    assert b.comments == {
        "maps": "Bilbränderna ökar i Ronna och Geneta.",
        "assessment": "Läget är allvarligt men stabilt.",
    }
    assert audit_rows(owner_engine, "briefing_save", bid) == 1
    assert audit_rows(owner_engine, "briefing_comment", bid) == 3
    with chief.connect() as c:
        fig = figures.build(c, span(), now())
        store.present(c, bid, today(), fig)
        frozen = store.get(c, bid)
    assert frozen is not None and frozen.frozen and frozen.presented_on == today()
    assert frozen.figures == fig
    assert frozen.presented_by == chief.name
    assert audit_rows(owner_engine, "briefing_present", bid) == 1


def test_a_frozen_lagesbild_refuses_every_change_even_from_the_owner(signed, owner_engine):
    chief = signed["security_chief"]
    bid = new_draft(chief)
    with chief.connect() as c:
        store.save_comment(c, bid, "long", "Skolresultaten förbättras.")
        store.present(c, bid, today(), figures.build(c, span(), now()))
    ps = span()
    attempts = [
        lambda c: store.save(c, bid, "Ändrad", ps.current.start, ps.current.end, ""),
        lambda c: store.save_comment(c, bid, "long", "Ändrad kommentar"),
        lambda c: store.save_comment(c, bid, "maps", "Ny kommentar"),
        lambda c: store.present(c, bid, today(), {"version": 1}),
        lambda c: store.delete(c, bid),
    ]
    for attempt in attempts:
        with pytest.raises(DBAPIError, match="frozen"), chief.connect() as c:
            attempt(c)
    # the table owner (migrations, imports) is stopped by the trigger too
    for sql in (
        "update pax_data.briefing set title = 'x' where id = :i",
        "delete from pax_data.briefing where id = :i",
        "update pax_data.briefing_comment set body = 'x' where briefing_id = :i",
        "insert into pax_data.briefing_comment (briefing_id, section, body, updated_by) "
        "values (:i, 'maps', 'x', 'owner')",
    ):
        with pytest.raises(DBAPIError, match="frozen"), owner_engine.begin() as c:
            c.execute(text(sql), {"i": bid})
    with chief.connect() as c:
        b = store.get(c, bid)
    assert b is not None and b.comments == {"long": "Skolresultaten förbättras."}


def test_new_imports_change_nothing_in_a_frozen_lagesbild(signed, owner_engine):
    police = signed["police_analyst"]
    bid = new_draft(police)
    ps = span()
    with police.connect() as c:
        before = figures.build(c, ps, now())
        store.present(c, bid, today(), before)
    # a burst of car fires in the period, as an import would add them
    with owner_engine.begin() as c:
        area = c.execute(
            text("select id, st_pointonsurface(geom) from pax_data.area where name = 'Ronna'")
        ).one()
        for i in range(12):
            c.execute(
                text(
                    "insert into pax_data.incident (kind, occurred_at, geom, area_id, source, "
                    "source_id, verification) values ('car_fire', :t, :g, :a, 'test_freeze', "
                    ":s, 'confirmed')"
                ),
                {
                    "t": ps.current.start + timedelta(days=3, hours=i),
                    "g": area[1],
                    "a": area[0],
                    "s": f"freeze-{i}",
                },
            )
    try:
        with police.connect() as c:
            live = figures.build(c, ps, now())
            frozen = store.get(c, bid)
        assert frozen is not None and frozen.figures == before
        assert (
            live["by_area"]["car_fire"]["Ronna"]["cur"]
            != before["by_area"]["car_fire"]["Ronna"]["cur"]
        )
    finally:
        with owner_engine.begin() as c:
            c.execute(text("delete from pax_data.incident where source = 'test_freeze'"))


def test_who_may_do_what(signed):
    bid = new_draft(signed["police_analyst"])
    ps = span()
    # the board reads, never writes; other roles may not even call the functions
    for role in ("board_viewer", "field_worker", "municipal_staff", "night_walker", "admin"):
        with (
            pytest.raises(ProgrammingError, match="permission denied"),
            signed[role].connect() as c,
        ):
            store.save(c, None, "x", ps.current.start, ps.current.end, "")
        with (
            pytest.raises(ProgrammingError, match="permission denied"),
            signed[role].connect() as c,
        ):
            c.execute(
                text("select * from pax_api.board_incident_counts(:a, :b)"),
                {"a": ps.current.start, "b": ps.current.end},
            )
    for role in ("field_worker", "municipal_staff", "night_walker", "admin"):
        with (
            pytest.raises(ProgrammingError, match="permission denied"),
            signed[role].connect() as c,
        ):
            c.execute(text("select * from pax_api.briefing")).all()
    # the board sees presented ones only
    with signed["board_viewer"].connect() as c:
        assert [b.id for b in store.listing(c)] == []
    with signed["security_chief"].connect() as c:
        assert bid in [b.id for b in store.listing(c)]
        store.present(c, bid, today(), figures.build(c, ps, now()))
    with signed["board_viewer"].connect() as c:
        b = store.get(c, bid)
        assert b is not None and b.figures and b.figures["version"] == figures.VERSION


def test_comments_refuse_personal_data_and_unknown_sections(signed):
    police = signed["police_analyst"]
    bid = new_draft(police)
    with pytest.raises(DBAPIError, match="personnummer|identity number"), police.connect() as c:
        store.save_comment(c, bid, "maps", "Gärningsman 811218-9876 sågs i Ronna")
    with pytest.raises(DBAPIError, match="unknown section"), police.connect() as c:
        c.execute(text("select pax_api.briefing_comment_save(:i, 'secret', 'x')"), {"i": bid})
    with pytest.raises(DBAPIError, match="future"), police.connect() as c:
        store.save(c, None, "x", datetime.now(UTC), datetime.now(UTC) + timedelta(days=5), "")
    with pytest.raises(DBAPIError, match="meeting date"), police.connect() as c:
        store.present(c, bid, date(2000, 1, 1), {"version": 1})


def released(acc: Signed, fn: str, ps: periods.Periods) -> pd.DataFrame:
    with acc.connect() as c:
        return pd.read_sql_query(
            text(f"select * from pax_api.{fn}(:a, :b, 'all') order by 1, 2"),
            c,
            params={"a": ps.current.start, "b": ps.current.end},
        )


def test_every_presenter_gets_exactly_what_the_board_is_released(signed):
    """The police analyst sees exact counts elsewhere; here they get the board's release, cell
    for cell (same noise, same suppression), and the security chief too."""
    ps = span()
    board = released(signed["board_viewer"], "incident_counts", ps)
    assert board["suppressed"].any(), "the test period should hold some suppressed cells"
    for role in ("police_analyst", "security_chief"):
        got = released(signed[role], "board_incident_counts", ps)
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True), board.reset_index(drop=True), check_dtype=False
        )
    exact = released(signed["police_analyst"], "incident_counts", ps)
    assert not exact["suppressed"].any()
    board_obs = released(signed["board_viewer"], "observation_counts", ps)
    got_obs = released(signed["police_analyst"], "board_observation_counts", ps)
    pd.testing.assert_frame_equal(
        got_obs.reset_index(drop=True), board_obs.reset_index(drop=True), check_dtype=False
    )


def test_the_when_pattern_is_suppressed_and_consistent(signed, owner_engine):
    ps = span()
    with signed["police_analyst"].connect() as c:
        pat = pd.read_sql_query(
            text("select * from pax_api.board_pattern(:a, :b, null)"),
            c,
            params={"a": ps.current.start, "b": ps.current.end},
        )
    th = 3
    assert set(pat["dow"]) <= set(range(1, 8)) and set(pat["block"]) <= {0, 6, 12, 18}
    small = pat[pat["n"].notna() & (pat["n"] < th)]
    assert small.empty, "released values below the threshold must be suppressed"
    assert (pat["suppressed"] == pat["n"].isna()).all()
    # the noisy pattern stays close to the truth (noise alpha 0.3 per six-hour cell)
    with owner_engine.connect() as c:
        true_total = c.execute(
            text(
                "select count(*) from pax_data.incident where occurred_at >= :a "
                "and occurred_at < :b and kind in ('car_fire','shooting','explosion','cache')"
            ),
            {"a": ps.current.start, "b": ps.current.end},
        ).scalar_one()
    together = pat[pat["kind"].isna()]
    released_sum = together["n"].fillna(0).sum() + 2 * together["n"].isna().sum()
    # each of blocks x kinds six-hour cells carries two-sided geometric noise (alpha 0.3):
    # variance 2 alpha / (1 - alpha)^2 per cell; clipping at 0 only adds. Four sd either way.
    alpha, cells = 0.3, (ps.current.days * 4) * 4
    sd = (cells * 2 * alpha / (1 - alpha) ** 2) ** 0.5
    assert true_total - 4 * sd <= released_sum <= true_total + 4 * sd + 2 * 28
    # the same query twice gives the same answer (no fresh noise to average away)
    with signed["security_chief"].connect() as c:
        again = pd.read_sql_query(
            text("select * from pax_api.board_pattern(:a, :b, null)"),
            c,
            params={"a": ps.current.start, "b": ps.current.end},
        )
    key = ["kind", "dow", "block"]
    pd.testing.assert_frame_equal(
        pat.sort_values(key, na_position="first").reset_index(drop=True),
        again.sort_values(key, na_position="first").reset_index(drop=True),
    )


def test_operations_for_the_board_carry_areas_not_polygons(signed):
    ps = periods.of_days(today() - timedelta(days=365), today() - timedelta(days=1))
    with signed["police_analyst"].connect() as c:
        ops = figures._operations(c, ps.current)
    assert ops, "the demo has operations in the last year"
    for op in ops:
        assert set(op) == {
            "name",
            "starts_on",
            "ends_on",
            "status",
            "areas",
            "owner",
            "kind",
            "verdict",
        }
        assert op["status"] in ("planned", "ongoing", "done")
    # the partners' joint actions are on the board's list too, with who acted
    assert any(op["owner"] != "Polisen lokalpolisområde Södertälje" for op in ops)


def test_only_the_board_release_can_be_frozen(signed):
    """A builder's login cannot freeze numbers finer than the release: the counts per type and
    area and their totals are recomputed in the database and compared."""
    import copy

    police = signed["police_analyst"]
    bid = new_draft(police)
    with police.connect() as c:
        fig = figures.build(c, span(), now())
    area, cell = next((a, v) for a, v in fig["by_area"]["car_fire"].items() if v["cur"][0] >= 3)
    tampered = []
    exact = copy.deepcopy(fig)  # an area's count replaced by another number
    exact["by_area"]["car_fire"][area]["cur"] = [cell["cur"][0] - 1, cell["cur"][0] - 1]
    tampered.append(exact)
    total = copy.deepcopy(fig)  # a total that is not the sum of its areas
    total["totals"]["shooting"]["ly"] = [999, 999]
    tampered.append(total)
    hidden = copy.deepcopy(fig)  # a released-as-zero area given a count
    zero = next(a for a, v in fig["by_area"]["explosion"].items() if v["prev"] == [0, 0])
    hidden["by_area"]["explosion"][zero]["prev"] = [1, 1]
    tampered.append(hidden)
    shifted = copy.deepcopy(fig)  # figures for another period
    shifted["period"]["start"] = (span().current.start - timedelta(days=1)).isoformat()
    tampered.append(shifted)
    for bad in tampered:
        with pytest.raises(DBAPIError, match="board release|period"), police.connect() as c:
            store.present(c, bid, today(), bad)
    with police.connect() as c:
        assert store.get(c, bid).status == "draft"
        store.present(c, bid, today(), fig)
        assert store.get(c, bid).frozen
