"""Lägesbild fixtures: signed-in demo accounts per role (one argon2 check each), and removal of
every lägesbild a test wrote, frozen ones included (the owner lifts the freeze trigger for it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, Engine, text

from pax_geo import auth
from pax_geo.auth import DEMO_ACCOUNTS


@dataclass(frozen=True)
class Signed:
    name: str
    role: str
    token: str

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with auth.reader_connection(self.role, self.token, self.name) as c:
            yield c


def wipe_briefings(owner: Engine) -> None:
    with owner.begin() as c:
        c.execute(text("alter table pax_data.briefing disable trigger briefing_frozen"))
        c.execute(
            text("alter table pax_data.briefing_comment disable trigger briefing_comment_frozen")
        )
        c.execute(text("delete from pax_data.briefing"))
        c.execute(text("alter table pax_data.briefing enable trigger briefing_frozen"))
        c.execute(
            text("alter table pax_data.briefing_comment enable trigger briefing_comment_frozen")
        )


@pytest.fixture(scope="session")
def signed(owner_engine: Engine, demo_loaded) -> dict[str, Signed]:
    out = {}
    for role, name in DEMO_ACCOUNTS.items():
        res = auth.authenticate(name, auth.DEMO_PASSWORD)
        assert res.ok, name
        out[role] = Signed(name, role, str(res.token))
    return out


@pytest.fixture
def clean_briefings(owner_engine: Engine, demo_loaded) -> Iterator[None]:
    wipe_briefings(owner_engine)
    yield
    wipe_briefings(owner_engine)
