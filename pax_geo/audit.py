"""The append-only audit log (pax_data.audit_log), written through pax_api.audit()."""

from __future__ import annotations

import json

from sqlalchemy import text

from pax_geo.db import reader_engine


def write(role: str, username: str | None, action: str, page: str | None, detail: dict) -> None:
    with reader_engine(role).begin() as conn:
        conn.execute(
            text("select pax_api.audit(:u, :r, :a, :p, cast(:d as jsonb))"),
            {
                "u": username,
                "r": role if role != "auth" else None,
                "a": action,
                "p": page,
                "d": json.dumps(detail, default=str, ensure_ascii=False),
            },
        )
