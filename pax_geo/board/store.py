"""Lägesbilder in the database (0014_board.py): list, open, save drafts and comments, present.

Every write goes through a SECURITY DEFINER function on the caller's own bound login, which
checks the capability and audits the save in the same transaction; a presented lägesbild is
frozen by a trigger, so these functions cannot change it either. Each write commits before
it returns ("Sparad" is shown only then).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, text

SECTIONS: tuple[str, ...] = (
    "title",
    "key_figures",
    "maps",
    "here_now",
    "medium",
    "long",
    "operations",
    "assessment",
    "next_steps",
)


@dataclass(frozen=True)
class Briefing:
    id: int
    title: str
    period_start: datetime
    period_end: datetime
    marking: str
    status: str  # draft | presented
    presented_on: date | None
    presented_by: str | None
    created_by: str
    updated_by: str
    updated_at: datetime
    figures: dict | None = None
    comments: dict[str, str] = field(default_factory=dict)

    @property
    def frozen(self) -> bool:
        return self.status == "presented"


_SELECT = (
    "select id, title, period_start, period_end, marking, status, presented_on, presented_by, "
    "created_by, updated_by, updated_at, figures from pax_api.briefing"
)


def _row(r, figures: dict | None = None, comments: dict[str, str] | None = None) -> Briefing:
    return Briefing(
        id=int(r.id),
        title=r.title,
        period_start=r.period_start,
        period_end=r.period_end,
        marking=r.marking,
        status=r.status,
        presented_on=r.presented_on,
        presented_by=r.presented_by,
        created_by=r.created_by,
        updated_by=r.updated_by,
        updated_at=r.updated_at,
        figures=figures,
        comments=comments or {},
    )


def listing(conn: Connection) -> list[Briefing]:
    """Every lägesbild the login may see, newest period first (no figures)."""
    rows = conn.execute(text(_SELECT + " order by period_end desc, id desc")).all()
    return [_row(r) for r in rows]


def last_presented_end(conn: Connection) -> datetime | None:
    return conn.execute(
        text("select max(period_end) from pax_api.briefing where status = 'presented'")
    ).scalar()


def get(conn: Connection, briefing_id: int) -> Briefing | None:
    r = conn.execute(text(_SELECT + " where id = :i"), {"i": briefing_id}).first()
    if r is None:
        return None
    comments = {
        c.section: c.body
        for c in conn.execute(
            text("select section, body from pax_api.briefing_comment where briefing_id = :i"),
            {"i": briefing_id},
        )
    }
    figs = r.figures if isinstance(r.figures, dict) or r.figures is None else json.loads(r.figures)
    return _row(r, figs, comments)


def save(
    conn: Connection,
    briefing_id: int | None,
    title: str,
    start: datetime,
    end: datetime,
    marking: str,
) -> int:
    """Create (briefing_id None) or change a draft; returns its id."""
    new_id = int(
        conn.execute(
            text("select pax_api.briefing_save(:i, :t, :a, :b, :m)"),
            {"i": briefing_id, "t": title, "a": start, "b": end, "m": marking},
        ).scalar_one()
    )
    conn.commit()
    return new_id


def save_comment(conn: Connection, briefing_id: int, section: str, body: str) -> datetime:
    if section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}")
    at = conn.execute(
        text("select pax_api.briefing_comment_save(:i, :s, :b)"),
        {"i": briefing_id, "s": section, "b": body},
    ).scalar_one()
    conn.commit()
    return at


def present(conn: Connection, briefing_id: int, on: date, figures: dict) -> None:
    conn.execute(
        text("select pax_api.briefing_present(:i, :d, cast(:f as jsonb))"),
        {"i": briefing_id, "d": on, "f": json.dumps(figures, ensure_ascii=False)},
    )
    conn.commit()


def delete(conn: Connection, briefing_id: int) -> None:
    conn.execute(text("select pax_api.briefing_delete(:i)"), {"i": briefing_id})
    conn.commit()
