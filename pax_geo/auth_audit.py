"""Browsing and exporting the audit log (``pax_api.audit_log``, readable by the admin role's login
only). Core: no Streamlit. Filters are bound parameters; the user filter is a case-insensitive
substring with LIKE wildcards escaped; the CSV export neutralises spreadsheet formulas."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, text

from pax_geo.clock import TZ
from pax_geo.export import to_csv_bytes

ACTION_RE = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
COLUMNS = ["at", "username", "role", "action", "page", "detail", "db_login"]
#: Leading characters a spreadsheet would treat as a formula.


@dataclass(frozen=True)
class AuditFilter:
    start: datetime
    end: datetime  # exclusive
    user: str = ""
    actions: tuple[str, ...] = ()
    page: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("audit filter times must be timezone-aware")
        if self.start >= self.end:
            raise ValueError("audit filter start must be before its end")
        if "\x00" in self.user or "\x00" in (self.page or ""):
            object.__setattr__(self, "user", self.user.replace("\x00", ""))
            object.__setattr__(self, "page", (self.page or "").replace("\x00", "") or None)
        if len(self.user) > 128:
            raise ValueError("audit user filter: at most 128 characters")
        bad = [a for a in self.actions if not ACTION_RE.fullmatch(a)]
        if bad:
            raise ValueError(f"audit action filter: not an action name: {bad[0]!r}")

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "user": self.user,
            "actions": list(self.actions),
            "page": self.page,
        }


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(flt: AuditFilter) -> tuple[str, dict]:
    clauses = ["at >= :start", "at < :end"]
    params: dict = {"start": flt.start, "end": flt.end}
    if flt.user.strip():
        clauses.append("username ilike :user escape '\\'")
        params["user"] = f"%{_like_escape(flt.user.strip())}%"
    if flt.actions:
        clauses.append("action = any(:actions)")
        params["actions"] = list(flt.actions)
    if flt.page:
        clauses.append("page = :page")
        params["page"] = flt.page
    return " and ".join(clauses), params


def audit_rows(conn: Connection, flt: AuditFilter, limit: int = 5000) -> pd.DataFrame:
    """The newest matching rows first; ``at`` in Europe/Stockholm, ``detail`` as a dict."""
    where, params = _where(flt)
    params["limit"] = int(limit)
    cols = "at, username, role, action, page, detail, db_login"
    sql = (
        f"select {cols} from pax_api.audit_log where {where} order by at desc, id desc limit :limit"  # noqa: S608 (fixed clauses; values bound)
    )
    rows = conn.execute(text(sql), params).all()
    df = pd.DataFrame(rows, columns=COLUMNS)
    if len(df):
        df["at"] = pd.to_datetime(df["at"], utc=True).dt.tz_convert(TZ)
    return df


def audit_count(conn: Connection, flt: AuditFilter) -> int:
    where, params = _where(flt)
    return int(
        conn.execute(
            text(f"select count(*) from pax_api.audit_log where {where}"),  # noqa: S608 (fixed)
            params,
        ).scalar_one()
    )


def audit_actions(conn: Connection) -> list[str]:
    return list(
        conn.execute(text("select distinct action from pax_api.audit_log order by 1")).scalars()
    )


def audit_pages(conn: Connection) -> list[str]:
    return list(
        conn.execute(
            text("select distinct page from pax_api.audit_log where page is not null order by 1")
        ).scalars()
    )


def detail_text(detail: object) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)


def to_csv(df: pd.DataFrame) -> bytes:
    """The log as CSV for spreadsheets (pax_geo.export: UTF-8 with BOM, formulas guarded)."""
    out = df.copy()
    if len(out):
        out["at"] = out["at"].map(lambda ts: ts.strftime("%Y-%m-%d %H:%M:%S%z"))
    if "detail" in out:
        out["detail"] = out["detail"].map(detail_text)
    return to_csv_bytes(out)
