"""Accounts for the auth tests: a password, committed users, settings variants, row reads."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, text

from pax_geo import auth, config

PASSWORD = "correct horse battery"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cfg(**kw) -> config.Settings:
    return dataclasses.replace(config.settings(), **kw)


def user_row(owner_engine, name: str) -> dict:
    with owner_engine.connect() as c:
        return dict(
            c.execute(text("select * from pax_data.app_user where username = :u"), {"u": name})
            .mappings()
            .one()
        )


@dataclass(frozen=True)
class Signed:
    """A signed-in account: its reader login bound to a live session (the ``signed`` fixture)."""

    name: str
    role: str
    token: str

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with auth.reader_connection(self.role, self.token, self.name) as c:
            yield c
