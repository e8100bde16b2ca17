"""Lägesbild fixtures: removal of every lägesbild a test wrote, frozen ones included (the owner
lifts the freeze trigger for it). The signed-in demo accounts (``signed``) are tests/conftest.py's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text


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


@pytest.fixture
def clean_briefings(owner_engine: Engine, demo_loaded) -> Iterator[None]:
    wipe_briefings(owner_engine)
    yield
    wipe_briefings(owner_engine)
