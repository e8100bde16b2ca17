"""Observations reported from the street: validation with clear messages, then the definer
functions of ``0013_field.py`` (which check everything again and audit in the same transaction).

The form keeps one idempotency key (a UUID) until the report is saved: a retry after a dropped
connection sends the same key and gets the same report back (``created`` False), never a
second one. "Sparad" may be shown only when :func:`report` has returned, i.e. committed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from pax_geo import pii
from pax_geo.layers import load_layers

NOTE_MAX = 500
#: How long a reporter may correct or withdraw a report (the database enforces it too).
CHANGE_WINDOW = timedelta(hours=24)
#: How far back a report's time may lie.
MAX_AGE = timedelta(days=7)
STATUSES: tuple[str, ...] = ("new", "seen", "handled")


class ReportError(ValueError):
    """A report the form or the database refused. ``key`` names an i18n message, ``field`` the
    form field it concerns, ``params`` fill the message."""

    def __init__(self, key: str, field: str, **params: object) -> None:
        super().__init__(f"{field}: {key} {params or ''}".strip())
        self.key = key
        self.field = field
        self.params = params


@dataclass(frozen=True)
class Where:
    """A report's place: WGS84 lon/lat (the device or a tap on the map) or a named place."""

    lon: float | None = None
    lat: float | None = None
    place_id: int | None = None
    how: str = "none"  # "device", "map", "place"

    @property
    def given(self) -> bool:
        return self.place_id is not None or (self.lon is not None and self.lat is not None)


@dataclass(frozen=True)
class Saved:
    id: int
    created: bool  # False: this form had been saved before (a retry), nothing new written


def categories() -> dict[str, dict[str, str]]:
    """Category key -> {"sv", "en"} labels, from the observation layer spec."""
    return load_layers()["observation"].categories


def category_label(stored: str, lang: str = "sv") -> str:
    """The label of a stored category (its Swedish label) in `lang`; unknown ones as stored."""
    for labels in categories().values():
        if labels["sv"] == stored:
            return labels.get(lang) or labels["sv"]
    return stored


def new_key() -> str:
    return str(uuid.uuid4())


def check_note(note: str | None) -> str | None:
    """The note, trimmed; ReportError for too long or for personal data in it."""
    value = (note or "").strip()
    if not value:
        return None
    if len(value) > NOTE_MAX:
        raise ReportError("fm_err_note_long", "note", n=len(value), max=NOTE_MAX)
    found = pii.find_personal_data(value)
    if found:
        raise ReportError(f"fm_err_pii_{found[0].kind}", "note", masked=found[0].masked)
    return value


def validate(
    category_key: str, observed_at: datetime, where: Where, note: str | None, now: datetime
) -> tuple[str, str | None]:
    """(the category's stored label, the clean note) or ReportError naming the field."""
    cats = categories()
    if not category_key:
        raise ReportError("fm_err_no_category", "category")
    if category_key not in cats:
        raise ReportError("fm_err_category", "category", value=category_key)
    if observed_at.tzinfo is None:
        raise ValueError("observed_at must be timezone-aware")
    if observed_at > now + timedelta(minutes=5):
        raise ReportError("fm_err_future", "when")
    if observed_at < now - MAX_AGE:
        raise ReportError("fm_err_too_old", "when", days=MAX_AGE.days)
    if not where.given:
        raise ReportError("fm_err_where", "where")
    return cats[category_key]["sv"], check_note(note)


def _db_error(exc: DBAPIError) -> ReportError:
    diag = getattr(exc.orig, "diag", None)
    msg = str(getattr(diag, "message_primary", None) or exc.orig)
    known = (
        ("outside the municipality", "fm_err_outside", "where"),
        ("personal data", "fm_err_pii_db", "note"),
        ("can be changed for 24 hours", "fm_err_too_late", "report"),
        ("of yours to change", "fm_err_not_yours", "report"),
        ("duplicate key", "fm_err_key", "report"),
        ("unknown place", "fm_err_where", "where"),
        ("cannot be in the future", "fm_err_future", "when"),
        ("last 7 days", "fm_err_too_old", "when"),
        ("may not", "fm_err_not_allowed", "report"),
        ("permission denied", "fm_err_not_allowed", "report"),
        ("form key belongs", "fm_err_key", "report"),
    )
    for needle, key, field in known:
        if needle in msg:
            return ReportError(key, field, days=MAX_AGE.days, detail=msg)
    return ReportError("fm_err_db", "report", detail=msg)


def report(
    conn: Connection,
    key: str,
    category_key: str,
    observed_at: datetime,
    where: Where,
    note: str | None,
    now: datetime,
) -> Saved:
    """Save a report (committed when this returns) or raise ReportError."""
    label, clean = validate(category_key, observed_at, where, note, now)
    try:
        row = conn.execute(
            text(
                "select id, created from pax_api.report_observation(cast(:k as uuid), :c, :t, "
                ":lon, :lat, :p, :n)"
            ),
            {
                "k": key,
                "c": label,
                "t": observed_at,
                "lon": where.lon,
                "lat": where.lat,
                "p": where.place_id,
                "n": clean,
            },
        ).one()
        conn.commit()
    except DBAPIError as exc:
        conn.rollback()
        raise _db_error(exc) from exc
    return Saved(int(row.id), bool(row.created))


def correct(
    conn: Connection,
    obs_id: int,
    category_key: str,
    observed_at: datetime,
    where: Where,
    note: str | None,
    now: datetime,
) -> int:
    """Correct an own report within 24 h (the earlier version stays in the history). Returns
    the new revision number. An empty `where` keeps the position."""
    cats = categories()
    if category_key not in cats:
        raise ReportError("fm_err_category", "category", value=category_key)
    if observed_at > now + timedelta(minutes=5):
        raise ReportError("fm_err_future", "when")
    clean = check_note(note)
    try:
        rev = conn.execute(
            text("select pax_api.correct_observation(:i, :c, :t, :lon, :lat, :p, :n)"),
            {
                "i": obs_id,
                "c": cats[category_key]["sv"],
                "t": observed_at,
                "lon": where.lon,
                "lat": where.lat,
                "p": where.place_id,
                "n": clean,
            },
        ).scalar_one()
        conn.commit()
    except DBAPIError as exc:
        conn.rollback()
        raise _db_error(exc) from exc
    return int(rev)


def withdraw(conn: Connection, obs_id: int) -> None:
    """Withdraw an own report within 24 h: it leaves maps and counts; the history keeps it."""
    try:
        conn.execute(text("select pax_api.withdraw_observation(:i)"), {"i": obs_id})
        conn.commit()
    except DBAPIError as exc:
        conn.rollback()
        raise _db_error(exc) from exc


def triage(
    conn: Connection,
    obs_id: int,
    status: str,
    incident_id: int | None = None,
    operation_id: int | None = None,
) -> None:
    """Set a report's triage status (police, security chief), with optional links."""
    if status not in STATUSES:
        raise ReportError("fm_err_status", "status", value=status)
    try:
        conn.execute(
            text("select pax_api.triage_observation(:i, :s, :inc, :op)"),
            {"i": obs_id, "s": status, "inc": incident_id, "op": operation_id},
        )
        conn.commit()
    except DBAPIError as exc:
        conn.rollback()
        msg = str(exc.orig)
        if "no incident" in msg:
            raise ReportError("fm_err_no_incident", "incident", value=incident_id) from exc
        if "no operation" in msg:
            raise ReportError("fm_err_no_operation", "operation", value=operation_id) from exc
        raise _db_error(exc) from exc


_LIST_COLUMNS = (
    "o.id, o.observed_at, o.reported_at, o.category, o.text, o.reporter, o.area_id, "
    "o.place_name, o.status, o.status_by, o.status_at, o.incident_id, o.operation_id, "
    "o.revision, st_x(st_transform(o.geom, 4326)) as lon, st_y(st_transform(o.geom, 4326)) as lat"
)


#: Text columns that may be NULL in the lists. pandas reads a text column with some NULLs as
#: strings with NaN for the missing ones, and NaN is truthy ("if r.status_by:"), so an
#: untriaged report next to a triaged one would read as triaged (and "nan" would show as a
#: place name). These columns hold None for NULL.
_NULLABLE_TEXT = ("text", "place_name", "status_by", "changed_by")


def _text_nulls_as_none(df: pd.DataFrame) -> pd.DataFrame:
    for col in _NULLABLE_TEXT:
        if col in df.columns:
            df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df


def my_reports(conn: Connection, limit: int = 20) -> pd.DataFrame:
    """The signed-in reporter's latest live reports (the view returns only their own to
    roles with 'own' precision; police get every report, so filter on the reporter)."""
    return _read(
        text(
            f"select {_LIST_COLUMNS} from pax_api.observation o "  # noqa: S608 (constant)
            "where o.reporter = pax_api.app_username() and o.source = 'field_report' "
            "order by o.reported_at desc limit :n"
        ),
        conn,
        params={"n": limit},
    )


def triage_list(
    conn: Connection, statuses: tuple[str, ...] = STATUSES, days: int = 30
) -> pd.DataFrame:
    """Reports from the app for the triage list (roles that see observations exactly)."""
    return _read(
        text(
            f"select {_LIST_COLUMNS} from pax_api.observation o "  # noqa: S608 (constant)
            "where o.source = 'field_report' and o.status = any(:s) "
            "and o.reported_at >= now() - make_interval(days => :d) "
            "order by (o.status = 'new') desc, o.reported_at desc limit 500"
        ),
        conn,
        params={"s": list(statuses), "d": days},
    )


def history(conn: Connection, obs_id: int) -> pd.DataFrame:
    """Every version of one report (oldest first), as far as the role may see it."""
    return _read(
        text(
            "select revision, action, observed_at, category, text, place_name, status, "
            "incident_id, operation_id, changed_by, changed_at "
            "from pax_api.observation_history where observation_id = :i order by id"
        ),
        conn,
        params={"i": obs_id},
    )


def _read(sql, conn: Connection, params: dict) -> pd.DataFrame:
    return _text_nulls_as_none(pd.read_sql_query(sql, conn, params=params))


def places(conn: Connection) -> pd.DataFrame:
    """Named places (id, name, area_id, lon, lat), by name."""
    return pd.read_sql_query(
        text("select id, name, area_id, lon, lat from pax_api.place order by name"), conn
    )


def changeable(reported_at: datetime, now: datetime) -> bool:
    """Whether a report sent at `reported_at` can still be corrected or withdrawn."""
    return now - reported_at < CHANGE_WINDOW
