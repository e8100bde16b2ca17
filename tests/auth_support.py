"""Accounts for the auth tests: a password, committed users, settings variants, row reads."""

from __future__ import annotations

import dataclasses
import hashlib

from sqlalchemy import text

from pax_geo import config

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
