"""One import from start to end: read, validate, load, report. One transaction, all or nothing.

Called the same way by the CLI (``pax import``) and the admin page. With a connection given, the
import runs in a SAVEPOINT of the caller's transaction (tests, composite jobs); otherwise it
opens its own owner connection and commits only when everything is in.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import psycopg
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from pax_geo import db
from pax_geo.config import settings
from pax_geo.ingest import fields as F
from pax_geo.ingest import load, polisen
from pax_geo.ingest.errors import IngestError, Issue, file_error
from pax_geo.ingest.options import (
    AMBIGUOUS_TIME_CHOICES,
    NONEXISTENT_TIME_CHOICES,
    WORKING_AREA_MODES,
    ImportOptions,
)
from pax_geo.ingest.prepare import Context, prepare, reject_or_filter
from pax_geo.ingest.readers import RawTable, read, read_json_list
from pax_geo.ingest.report import ImportReport
from pax_geo.sqlident import qualified

#: progress(fraction 0..1, stage) with stage one of read, validate, load, index, done
ProgressFn = Callable[[float, str], None]

LOG = logging.getLogger(__name__)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_request(layer: str, opts: ImportOptions, name: str) -> None:
    if layer not in F.LAYERS:
        raise file_error(name, "unknown_layer", layer=layer, layers=", ".join(F.LAYERS))
    if opts.working_area not in WORKING_AREA_MODES:
        raise file_error(
            name, "bad_working_area", mode=opts.working_area, modes=", ".join(WORKING_AREA_MODES)
        )
    for option, value, choices in (
        ("--ambiguous-time", opts.ambiguous_time, AMBIGUOUS_TIME_CHOICES),
        ("--nonexistent-time", opts.nonexistent_time, NONEXISTENT_TIME_CHOICES),
    ):
        if value is not None and value not in choices:
            raise file_error(
                name, "bad_option", option=option, value=value, choices=", ".join(choices)
            )
    if opts.crs is not None:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            CRS.from_epsg(int(opts.crs))
        except (CRSError, ValueError, TypeError) as exc:
            raise file_error(name, "bad_crs", crs=opts.crs) from exc


def _target_table(layer: str) -> str:
    return "pax_data.incident" if layer in F.FEED_LAYERS else F.target(layer).table


def import_file(
    path: Path | str,
    layer: str,
    options: ImportOptions | None = None,
    *,
    conn: Connection | None = None,
    engine: Engine | None = None,
    progress: ProgressFn | None = None,
    name: str | None = None,
) -> ImportReport:
    """Import path into layer. Raises IngestError (nothing written) when the file is refused."""
    opts = options or ImportOptions()
    path = Path(path)
    name = name or path.name
    check_request(layer, opts, name)
    prog = progress or (lambda _f, _s: None)
    t0 = time.perf_counter()
    report = ImportReport(
        file=name,
        layer=layer,
        source=opts.resolved_source(layer, name),
        options=opts.as_dict(),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    prog(0.02, "read")
    payload: list | RawTable
    if layer in F.FEED_LAYERS:
        payload = read_json_list(path, name)
        report.unit = "event"
    else:
        payload = raw = read(path, opts.file_layer, name)
        report.unit = raw.unit
        report.rows_read = len(raw)
    if path.exists():
        report.file_sha256 = _sha256(path)
    prog(0.15, "validate")

    def body(c: Connection) -> None:
        tgt_table = _target_table(layer)
        c.execute(text("select pg_advisory_xact_lock(hashtext(:t))"), {"t": tgt_table})
        if isinstance(payload, list):  # the feed layers
            _run_feed(c, payload, opts, report, prog)
        else:
            _run_file(c, payload, layer, opts, report, prog)
        municipality = _check_municipalities(c, tgt_table, opts, name)
        report.seconds = time.perf_counter() - t0
        if opts.dry_run:
            report.status = "dry_run"
        else:
            _record(c, report, opts, municipality)

    try:
        if conn is not None:
            sp = conn.begin_nested()
            try:
                body(conn)
            except BaseException:
                sp.rollback()
                raise
            if opts.dry_run:
                sp.rollback()
            else:
                sp.commit()
        else:
            eng = engine or db.owner_engine()
            with eng.connect() as c:
                tx = c.begin()
                try:
                    body(c)
                except BaseException:
                    tx.rollback()
                    raise
                if opts.dry_run:
                    tx.rollback()
                else:
                    tx.commit()
    except (DBAPIError, psycopg.Error) as exc:
        orig = getattr(exc, "orig", exc)
        detail = str(orig).strip().splitlines()
        first = (detail[0] if detail else "")[:300]
        if is_disk_full(orig):
            # the transaction (or savepoint) was rolled back above: nothing was saved
            raise file_error(
                name,
                "disk_full_database",
                detail=first,
                **database_place(eng_or_conn(conn, engine)),
            ) from exc
        raise file_error(name, "database_error", detail=first) from exc
    if (
        conn is None
        and not opts.dry_run
        and report.inserted + report.updated >= db.VACUUM_AFTER_ROWS
    ):
        prog(0.97, "vacuum")
        _vacuum(engine or db.owner_engine(), _target_table(layer))
    report.seconds = time.perf_counter() - t0
    prog(1.0, "done")
    return report


def _vacuum(engine: Engine, table: str) -> None:
    """Vacuum a table after an import has committed (db.vacuum_analyze). The import stands
    whatever happens here: a failure is logged, and autovacuum does the same work later."""
    try:
        db.vacuum_analyze(engine, [table])
    except (DBAPIError, psycopg.Error) as exc:
        LOG.warning("%s not vacuumed after the import: %s", table, type(exc).__name__)


def _check_municipalities(c: Connection, table: str, opts: ImportOptions, name: str) -> str | None:
    """Every row this import wrote must lie in the importing user's municipalities (from the
    database, 0016_tenancy.py). The rows are placed by the database from their geometry or
    area; one outside refuses the whole import, and the transaction is rolled back. Only
    imports made as an account (``opts.account``, the import page) are limited; the ``pax
    import`` command on the server is the operator's.

    Returns the municipality that received most of the rows (the import run's own, so that it
    is listed to that municipality's users), or None when the table keeps no load time or the
    installation has one municipality (every row is then in it: nothing to check)."""
    if c.execute(text("select count(*) from pax_data.municipality")).scalar_one() <= 1:
        return None
    has_loaded_at = c.execute(
        text(
            "select 1 from pg_attribute where attrelid = cast(:t as regclass) "
            "and attname = 'loaded_at' and not attisdropped"
        ),
        {"t": table},
    ).scalar()
    if not has_loaded_at:
        return None
    # written (inserted or changed) in this transaction: loaded_at is the transaction's now()
    most = c.execute(
        text(
            f"select municipality_code from {qualified(table)} where loaded_at = now() "  # noqa: S608 - allowlisted identifiers
            "group by 1 order by count(*) desc, 1 limit 1"
        )
    ).scalar()
    has_source = c.execute(
        text(
            "select 1 from pg_attribute where attrelid = cast(:t as regclass) "
            "and attname = 'source_id' and not attisdropped"
        ),
        {"t": table},
    ).scalar()
    if has_source:
        # (source, source_id) is unique per municipality (0019): a row written now whose id
        # already lies in another municipality moved across a border; refuse rather than add
        moved = c.execute(
            text(
                f"select r.source_id, o.municipality_code, r.municipality_code "  # noqa: S608 - allowlisted identifiers
                f"from {qualified(table)} r join {qualified(table)} o "
                "on o.source = r.source and o.source_id = r.source_id "
                "and o.municipality_code <> r.municipality_code "
                "where r.loaded_at = now() and o.loaded_at <> now() order by 1 limit 11"
            )
        ).all()
        if moved:
            raise IngestError(
                name,
                [
                    Issue(
                        "moved_municipality",
                        field="geometry",
                        value=str(sid),
                        params={"old": old, "new": new},
                    )
                    for sid, old, new in moved
                ],
            )
    if not opts.account:
        return most
    allowed = list(
        c.execute(
            text(
                "select m.municipality_code from pax_data.app_user_municipality m "
                "join pax_data.app_user u on u.id = m.user_id where u.username = :u order by 1"
            ),
            {"u": opts.account},
        ).scalars()
    )
    rows = c.execute(
        text(
            f"select r.source_id, r.municipality_code, m.name from {qualified(table)} r "  # noqa: S608 - allowlisted identifiers
            "join pax_data.municipality m on m.code = r.municipality_code "
            "where r.loaded_at = now() and r.municipality_code <> all(:a) "
            "order by r.source_id limit 11"
        ),
        {"a": allowed},
    ).all()
    if rows:
        issues = [
            Issue(
                "outside_municipalities",
                field="geometry",
                value=str(source_id),
                params={"municipality": f"{code} {mname}", "allowed": ", ".join(allowed) or "-"},
            )
            for source_id, code, mname in rows
        ]
        raise IngestError(name, issues)
    return most if most is not None else (allowed[0] if allowed else None)


#: SQLSTATE of PostgreSQL's disk_full (e.g. "could not extend file …: No space left on device").
DISK_FULL = "53100"


def is_disk_full(err: BaseException | None) -> bool:
    """A server error saying its disk is full (SQLSTATE 53100, or the OS's ENOSPC text)."""
    if err is None:
        return False
    if isinstance(err, psycopg.errors.DiskFull) or getattr(err, "sqlstate", None) == DISK_FULL:
        return True
    return "No space left on device" in str(err)


def eng_or_conn(conn: Connection | None, engine: Engine | None):
    return conn.engine if conn is not None else (engine or db.owner_engine())


def database_place(engine: Engine) -> dict:
    """Where the database keeps its files, for a message: the embedded cluster's data
    directory when the engine is on it, else the server's address."""
    cfg = settings()
    url = engine.url
    host = url.host or "localhost"
    if cfg.embedded and host in ("127.0.0.1", "localhost", "::1") and url.port == cfg.pg_port:
        return {"where_i18n": "ingest_disk_where_local", "path": str(cfg.pgdata)}
    return {"where_i18n": "ingest_disk_where_server", "server": f"{host}:{url.port or 5432}"}


def _run_file(
    c: Connection, raw, layer: str, opts: ImportOptions, report: ImportReport, prog
) -> None:
    tgt = F.target(layer)
    ctx = Context.load(c, tgt, opts)
    prep = prepare(raw, tgt, opts, ctx, report.source)
    report.mapping = {k: v for k, v in prep.mapping.items() if v}
    report.crs, report.crs_note, report.repaired = prep.crs, prep.crs_note, prep.repaired
    if prep.issues and not opts.skip_invalid:
        report.status = "rejected"
        report.issues = prep.issues
        raise IngestError(raw.file, prep.issues, unit=raw.unit, report=report, total_rows=len(raw))
    frame = reject_or_filter(prep, opts.skip_invalid, raw.unit, raw.file)
    report.issues = prep.issues
    report.rows_valid = len(frame)
    prog(0.45, "load")
    if prep.new_keys:
        report.extra["indicator_keys_created"] = load.ensure_indicator_keys(c, prep.new_keys)

    def copy_progress(f: float) -> None:
        prog(0.45 + 0.4 * f, "load")

    res = load.upsert(c, tgt.table, frame, tgt.conflict, copy_progress)
    prog(0.9, "index")
    report.inserted, report.updated, report.unchanged, report.bulk = (
        res.inserted,
        res.updated,
        res.unchanged,
        res.bulk,
    )
    report.extra["load_seconds"] = res.timings


def feed_districts(c: Connection, municipality: str) -> tuple[list[tuple[int, str]], int | None]:
    """Districts inside the municipality (all districts when it has no polygon) and its area id."""
    muni = c.execute(
        text(
            "select id from pax_data.area where kind = 'municipality' and (lower(name) = lower(:n) "
            "or (code = :c and lower(:n) = lower(:default_name))) order by (lower(name) = lower(:n)) "
            "desc, id limit 1"
        ),
        {
            "n": municipality,
            "c": settings().municipality_code,
            "default_name": settings().municipality_name,
        },
    ).scalar()
    if muni is None:
        rows = c.execute(
            text("select id, name from pax_data.area where kind = 'district' order by id")
        ).all()
    else:
        rows = c.execute(
            text(
                "select d.id, d.name from pax_data.area d, pax_data.area m where m.id = :m "
                "and d.kind = 'district' and st_intersects(m.geom, st_pointonsurface(d.geom)) "
                "order by d.id"
            ),
            {"m": muni},
        ).all()
    return [(int(r[0]), str(r[1])) for r in rows], (int(muni) if muni is not None else None)


def _run_feed(c: Connection, data: list, opts: ImportOptions, report: ImportReport, prog) -> None:
    districts, muni_id = feed_districts(c, opts.municipality)
    res = polisen.parse_feed(
        data,
        opts.municipality,
        districts,
        muni_id,
        datetime.now(UTC),
        source=report.source,
    )
    report.rows_read = res.total
    report.issues = sorted(res.issues, key=lambda i: (i.row or 0, i.field or ""))
    if res.issues and not opts.skip_invalid:
        report.status = "rejected"
        raise IngestError(
            report.file, report.issues, unit="event", report=report, total_rows=res.total
        )
    report.rows_valid = len(res.events)
    inc = res.incidents
    ev = res.events
    report.extra = {
        "municipality": opts.municipality,
        "events_in_file": res.total,
        "events_of_municipality": res.kept,
        "incidents_by_kind": inc["kind"].value_counts().to_dict() if len(inc) else {},
        "incidents_by_precision": (
            inc["location_precision"].value_counts().to_dict() if len(inc) else {}
        ),
        "events_by_type": dict(sorted(res.by_type.items(), key=lambda kv: -kv[1])),
    }
    prog(0.45, "load")
    if len(ev):
        r_ev = load.upsert(
            c, "pax_data.police_event", ev.drop(columns="_row"), ("source", "source_id")
        )
        report.extra["context_events"] = {
            "inserted": r_ev.inserted,
            "updated": r_ev.updated,
            "unchanged": r_ev.unchanged,
        }
    prog(0.7, "load")
    if len(inc):
        r = load.upsert(c, "pax_data.incident", inc.drop(columns="_row"), ("source", "source_id"))
        report.inserted, report.updated, report.unchanged = r.inserted, r.updated, r.unchanged
    prog(0.9, "index")


def _record(
    c: Connection, report: ImportReport, opts: ImportOptions, municipality: str | None = None
) -> None:
    """One row in pax_data.import_run, in the import's own transaction; ``municipality``
    None lets the database place it (the installation's only municipality)."""
    c.execute(
        text(
            "insert into pax_data.import_run (started_at, username, layer, file_name, file_sha256, "
            "source, status, rows_read, inserted, updated, unchanged, skipped, report, "
            "municipality_code) values "
            "(:started, :user, :layer, :file, :sha, :source, :status, :read, :ins, :upd, :unch, "
            ":skipped, cast(:report as jsonb), :municipality)"
        ),
        {
            "municipality": municipality,
            "started": report.started_at,
            "user": opts.username,
            "layer": report.layer,
            "file": report.file,
            "sha": report.file_sha256,
            "source": report.source,
            "status": "imported_with_skips" if report.issues else "imported",
            "read": report.rows_read,
            "ins": report.inserted,
            "upd": report.updated,
            "unch": report.unchanged,
            "skipped": report.skipped_rows,
            "report": _stored_report(report),
        },
    )


#: At most this many issues are kept in import_run.report (the full list goes to the caller).
STORED_ISSUES = 1000


def _stored_report(report: ImportReport) -> str:
    import json

    d = report.to_dict()
    if len(d["issues"]) > STORED_ISSUES:
        d["issues_total"] = len(d["issues"])
        d["issues"] = d["issues"][:STORED_ISSUES]
    return json.dumps(d, ensure_ascii=False, default=str)


def history(conn: Connection, limit: int = 20) -> pd.DataFrame:
    """The latest imports, through pax_api.import_run (admin and police analyst logins)."""
    rows = (
        conn.execute(
            text(
                "select finished_at, username, layer, file_name, source, status, rows_read, inserted, "
                "updated, unchanged, skipped from pax_api.import_run order by finished_at desc "
                "limit :n"
            ),
            {"n": limit},
        )
        .mappings()
        .all()
    )
    return pd.DataFrame([dict(r) for r in rows])
