"""The audited download (pax_geo.ui.downloads): what a press of the button runs, against the
real database. The audit row comes first and through the user's own bound login; a session
that has ended gets neither a row nor a file."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from pax_geo import auth
from pax_geo.auth import DEMO_ACCOUNTS
from pax_geo.export import export_detail
from pax_geo.ui.downloads import audited_file
from pax_geo.ui.session import User

TABLE = pd.DataFrame({"område": ["Hovsjö", "Södra"], "antal": [3, 4], "not": ["=1+1", "ok"]})


def _exports(owner_engine, start: int) -> list:
    with owner_engine.connect() as c:
        return c.execute(
            text(
                "select username, role, page, detail, db_login from pax_data.audit_log "
                "where id > :s and action = 'export' order by id"
            ),
            {"s": start},
        ).all()


def _start(owner_engine) -> int:
    with owner_engine.connect() as c:
        return c.execute(text("select coalesce(max(id), 0) from pax_data.audit_log")).scalar()


def test_pressing_writes_the_row_then_gives_the_file(owner_engine, demo_loaded):
    res = auth.authenticate(DEMO_ACCOUNTS["police_analyst"], auth.DEMO_PASSWORD)
    user = User.from_login(res)
    start = _start(owner_engine)
    detail = export_detail("hotspots", "pax_test.csv", len(TABLE), {"period": "3y"})
    press = audited_file(user, "hotspots", detail, TABLE)
    assert _exports(owner_engine, start) == []  # nothing happens until the press
    data = press()
    text_ = data.decode("utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf") and "Hovsjö" in text_
    assert "'=1+1" in text_  # a formula-looking cell is guarded
    (row,) = _exports(owner_engine, start)
    assert (row.username, row.role, row.page, row.db_login) == (
        user.username,
        "police_analyst",
        "hotspots",
        "pax_police_analyst",
    )
    assert row.detail == {**detail, "filters": {"period": "3y"}}
    press()  # every press is a row
    assert len(_exports(owner_engine, start)) == 2


def test_an_ended_session_gets_no_file_and_no_row(owner_engine, demo_loaded):
    res = auth.authenticate(DEMO_ACCOUNTS["board_viewer"], auth.DEMO_PASSWORD)
    user = User.from_login(res)
    press = audited_file(user, "lang_sikt", export_detail("x", "x.csv", 2), TABLE)
    auth.end_session(user.session_token)
    start = _start(owner_engine)
    with pytest.raises(Exception):  # noqa: B017 - the database refuses the unbound audit
        press()
    assert _exports(owner_engine, start) == []
