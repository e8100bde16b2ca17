"""Bulk loading: COPY into a staging table, then one INSERT … ON CONFLICT that changes only rows
whose values differ (so an identical re-import changes nothing, not even ``loaded_at``).

When the source has never been loaded into the table the rows are COPYed straight into it.
For big loads (``BULK_MIN_ROWS`` and at least as many rows as the table holds) the table's
secondary indexes are dropped and rebuilt inside the same transaction, which is several times
faster than maintaining them row by row; readers of that table wait until the import commits.

Identifiers come from the fixed allowlist below, never from the file, and are put into SQL
through :func:`pax_geo.sqlident.ident` all the same.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

from pax_geo.sqlident import ident, qualified
from pax_geo.tenancy import unique_key

#: Columns an import may write, per table (the allowlist for interpolated identifiers).
COLUMNS: dict[str, tuple[str, ...]] = {
    "pax_data.incident": (
        "kind",
        "subtype",
        "title",
        "description",
        "occurred_at",
        "occurred_from",
        "occurred_to",
        "reported_at",
        "location_precision",
        "geom",
        "area_id",
        "source_url",
        "source",
        "source_id",
        "verification",
    ),
    "pax_data.area": ("code", "name", "kind", "geom", "population", "source", "source_id"),
    "pax_data.camera": (
        "name",
        "owner",
        "status",
        "direction_deg",
        "geom",
        "coverage",
        "source",
        "source_id",
        "verification",
    ),
    "pax_data.night_walk_route": (
        "name",
        "organisation",
        "schedule",
        "geom",
        "source",
        "source_id",
        "verification",
    ),
    "pax_data.night_walk": (
        "route_id",
        "walked_on",
        "participants",
        "note",
        "source",
        "source_id",
        "verification",
    ),
    "pax_data.operation": (
        "name",
        "description",
        "starts_at",
        "ends_at",
        "geom",
        "source",
        "source_id",
        "verification",
    ),
    "pax_data.observation": (
        "observed_at",
        "category",
        "text",
        "reporter",
        "geom",
        "area_id",
        "source",
        "source_id",
        "verification",
    ),
    "pax_data.indicator": (
        "area_id",
        "period",
        "year",
        "key",
        "value",
        "unit",
        "source",
        "source_id",
    ),
    "pax_data.police_event": (
        "event_type",
        "title",
        "summary",
        "body",
        "occurred_at",
        "published_at",
        "location_name",
        "location_precision",
        "area_id",
        "incident_kind",
        "source_url",
        "source",
        "source_id",
        "verification",
    ),
}
CONFLICT_KEYS = {("source", "source_id"), ("kind", "code"), ("area_id", "key", "period")}

BULK_MIN_ROWS = 100_000
COPY_CHUNK_BYTES = 4 << 20
STAGE = "_pax_import_stage"

Progress = Callable[[float], None]


@dataclass
class LoadResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    bulk: bool = False
    #: seconds per phase (encode, copy, upsert, indexes, constraints, analyze)
    timings: dict = field(default_factory=dict)

    def __iadd__(self, other: LoadResult) -> LoadResult:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.bulk = self.bulk or other.bulk
        return self


def _check(table: str, columns: list[str], conflict: tuple[str, ...]) -> None:
    allowed = COLUMNS.get(table)
    if allowed is None:
        raise ValueError(f"not an importable table: {table}")
    bad = [c for c in columns if c not in allowed]
    if bad:
        raise ValueError(f"{table}: columns not in the allowlist: {bad}")
    if tuple(conflict) not in CONFLICT_KEYS:
        raise ValueError(f"unknown conflict key {conflict}")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as headerless CSV (NULL = unquoted empty), encoded by Arrow (fast)."""
    cols = {}
    for c in frame.columns:
        s = frame[c]
        if s.dtype == object:
            s = s.astype("str")  # arrow-backed strings; None stays null
        cols[c] = s
    table = pa.Table.from_pandas(pd.DataFrame(cols), preserve_index=False)
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return buf.getvalue()


def _copy(
    conn: Connection, table: str, columns: list[str], data: bytes, progress: Progress | None
) -> None:
    raw = conn.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):  # COPY FROM STDIN needs psycopg 3's API
        raise TypeError(f"COPY needs a psycopg connection, not {type(raw).__name__}")
    cols = _ident_list(columns)
    with raw.cursor() as cur:
        with cur.copy(f"COPY {qualified(table)} ({cols}) FROM STDIN WITH (FORMAT csv)") as cp:
            total = max(len(data), 1)
            for start in range(0, len(data), COPY_CHUNK_BYTES):
                cp.write(data[start : start + COPY_CHUNK_BYTES])
                if progress:
                    progress(min(1.0, (start + COPY_CHUNK_BYTES) / total))


def _column_types(conn: Connection, table: str, columns: list[str]) -> list[tuple[str, str]]:
    rows = conn.execute(
        text(
            "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
            "where a.attrelid = cast(:t as regclass) and a.attnum > 0 and not a.attisdropped"
        ),
        {"t": table},
    ).all()
    types: dict[str, str] = dict(rows)
    return [(c, types[c]) for c in columns]


def _secondary_indexes(conn: Connection, table: str) -> list[tuple[str, str]]:
    """(qualified name as SQL, definition) of the table's indexes that back no constraint."""
    return [
        (ident(schema, name), ddl)
        for schema, name, ddl in conn.execute(
            text(
                "select n.nspname, r.relname, pg_get_indexdef(i.indexrelid) "
                "from pg_index i join pg_class r on r.oid = i.indexrelid "
                "join pg_namespace n on n.oid = r.relnamespace "
                "left join pg_constraint c on c.conindid = i.indexrelid "
                "where i.indrelid = cast(:t as regclass) and not i.indisunique "
                "and not i.indisprimary and c.oid is null"
            ),
            {"t": table},
        ).all()
    ]


def _constraints(conn: Connection, table: str, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, definition) of the table's constraints of the given kinds ('f' foreign key,
    'u' unique)."""
    return [
        (name, ddl)
        for name, ddl in conn.execute(
            text(
                "select conname, pg_get_constraintdef(oid) from pg_constraint "
                "where conrelid = cast(:t as regclass) and contype = any(:k) order by conname"
            ),
            {"t": table, "k": list(kinds)},
        ).all()
    ]


def _table_rows(conn: Connection, table: str) -> int:
    est = conn.execute(
        text(
            "select greatest(reltuples, 0)::bigint from pg_class where oid = cast(:t as regclass)"
        ),
        {"t": table},
    ).scalar()
    return int(est or 0)


def _ident_list(columns: list[str] | tuple[str, ...], prefix: str = "") -> str:
    """Column names for SQL text, comma-separated, each after ``prefix`` (``"t."``)."""
    return ", ".join(prefix + ident(c) for c in columns)


def upsert(
    conn: Connection,
    table: str,
    frame: pd.DataFrame,
    conflict: tuple[str, ...],
    progress: Progress | None = None,
) -> LoadResult:
    """Load frame (database column names) into table; the caller owns the transaction."""
    columns = list(frame.columns)
    _check(table, columns, conflict)
    n = len(frame)
    if n == 0:
        return LoadResult()
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(timings.get(name, 0.0) + now - clock, 3)
        clock = now

    data = csv_bytes(frame)
    lap("encode")
    fresh, existing = _source_state(conn, table, frame, conflict)
    # Rows that may be new (an upper bound); bulk mode pays off when they dominate the table.
    maybe_new = n - existing if tuple(conflict) == ("source", "source_id") else n
    bulk = maybe_new >= BULK_MIN_ROWS and maybe_new >= _table_rows(conn, table) // 2
    dropped_idx: list[tuple[str, str]] = []
    dropped_con: list[tuple[str, str]] = []
    if bulk:
        dropped_idx, dropped_con = _drop_for_bulk(conn, table, fresh)
    lap("prepare")

    if fresh:
        _copy(conn, table, columns, data, progress)
        lap("copy")
        result = LoadResult(inserted=n, bulk=bulk)
    else:
        ins, upd = _merge(conn, table, columns, conflict, data, progress, lap)
        result = LoadResult(ins, upd, n - ins - upd, bulk)
    for _name, ddl in dropped_idx:
        conn.execute(text(ddl))
    lap("indexes")
    for name, ddl in dropped_con:
        conn.execute(text(f"alter table {qualified(table)} add constraint {ident(name)} {ddl}"))
    lap("constraints")
    if result.inserted + result.updated >= 10_000:
        conn.execute(text(f"analyze {qualified(table)}"))
        lap("analyze")
    result.timings = timings
    return result


def _source_state(
    conn: Connection, table: str, frame: pd.DataFrame, conflict: tuple[str, ...]
) -> tuple[bool, int]:
    """(fresh: the file's sources have no rows in the table yet, rows they have there). The
    count is only taken for big loads, where it decides on bulk mode; else it is 0."""
    if tuple(conflict) != ("source", "source_id"):
        return False, 0
    sources = sorted(set(frame["source"].dropna()))
    fresh = not conn.execute(
        text(f"select exists (select 1 from {qualified(table)} where source = any(:s))"),  # noqa: S608 - table from the allowlist
        {"s": sources},
    ).scalar()
    if fresh or len(frame) < BULK_MIN_ROWS:
        return fresh, 0
    existing = conn.execute(
        text(f"select count(*) from {qualified(table)} where source = any(:s)"),  # noqa: S608 - table from the allowlist
        {"s": sources},
    ).scalar()
    return fresh, int(existing or 0)


def _drop_for_bulk(
    conn: Connection, table: str, fresh: bool
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Drop the table's secondary indexes and constraints; returns what to rebuild.

    Rebuilt at the end of this transaction: index builds and one validating join are far
    cheaper than per-row index maintenance and per-row foreign-key triggers. Unique
    constraints are only dropped when nothing can conflict (a fresh source, no duplicate keys
    in the file: prepare() refused those), and re-adding them checks it again.
    """
    dropped_idx = _secondary_indexes(conn, table)
    dropped_con = _constraints(conn, table, ("f", "u") if fresh else ("f",))
    for name, _ddl in dropped_con:
        conn.execute(text(f"alter table {qualified(table)} drop constraint {ident(name)}"))
    for name, _ddl in dropped_idx:
        conn.execute(text(f"drop index {name}"))
    return dropped_idx, dropped_con


def _merge(
    conn: Connection,
    table: str,
    columns: list[str],
    conflict: tuple[str, ...],
    data: bytes,
    progress: Progress | None,
    lap: Callable[[str], None],
) -> tuple[int, int]:
    """COPY into a staging table, then one INSERT … ON CONFLICT that changes only the rows
    whose values differ. Returns (inserted, updated)."""
    _stage(conn, table, columns, data, progress)
    lap("copy")
    cols = _ident_list(columns)
    updatable = [c for c in columns if c not in conflict]
    sets = ", ".join(f"{ident(c)} = excluded.{ident(c)}" for c in updatable)
    old = _ident_list(updatable, "t.")
    new = _ident_list(updatable, "excluded.")
    sql = (
        f"with up as (insert into {qualified(table)} as t ({cols}) select {cols} from {STAGE} "  # noqa: S608 - allowlisted identifiers
        f"on conflict ({_ident_list(unique_key(table, conflict))}) "
        f"do update set {sets}, loaded_at = now() "
        f"where row({old}) is distinct from row({new}) "
        f"returning (xmax = 0) as inserted) "
        f"select count(*) filter (where inserted), count(*) filter (where not inserted) from up"
    )
    ins, upd = conn.execute(text(sql)).one()
    conn.execute(text(f"drop table {STAGE}"))
    lap("upsert")
    return int(ins), int(upd)


def _stage(
    conn: Connection, table: str, columns: list[str], data: bytes, progress: Progress | None
) -> None:
    """COPY the rows into a fresh temporary staging table shaped like the table's columns."""
    types = _column_types(conn, table, columns)
    conn.execute(text(f"drop table if exists {STAGE}"))
    ddl = ", ".join(f"{ident(c)} {t}" for c, t in types)
    conn.execute(text(f"create temp table {STAGE} ({ddl}) on commit drop"))
    _copy(conn, STAGE, columns, data, progress)


def ensure_indicator_keys(conn: Connection, keys: list[dict]) -> int:
    if not keys:
        return 0
    res = conn.execute(
        text(
            "insert into pax_data.indicator_key (key, label_sv, label_en, unit) "
            "values (:key, :label_sv, :label_en, :unit) on conflict (key) do nothing"
        ),
        [{k: v for k, v in d.items() if k != "row"} for d in keys],
    )
    return int(res.rowcount or 0)


def as_int64(values: np.ndarray) -> pd.array:
    return pd.array(values, dtype="Int64")
