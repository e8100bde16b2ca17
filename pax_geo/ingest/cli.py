"""``pax import`` and ``pax fetch-polisen`` (registered by pax_geo.cli)."""

from __future__ import annotations

import argparse
import errno
import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from pax_geo.config import settings
from pax_geo.ingest.errors import IngestError, file_error
from pax_geo.ingest.fetch import FetchRefused, fetch_events, fetch_municipalities
from pax_geo.ingest.fields import LAYERS
from pax_geo.ingest.options import (
    AMBIGUOUS_TIME_CHOICES,
    NONEXISTENT_TIME_CHOICES,
    WORKING_AREA_MODES,
    ImportOptions,
)

# The readers and the loader (pandas, GDAL, pyproj) are imported by the commands only, so
# 'pax --help' and the other sub-commands stay quick.

#: Errors pax_geo.cli.main turns into "pax: <message>" and exit code 2.
CLI_ERRORS: tuple[type[Exception], ...] = (IngestError, FetchRefused)


def _pairs(values: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        if "=" not in v:
            raise file_error("-", "bad_pair", flag=flag, value=v)
        k, _, val = v.partition("=")
        out[k.strip()] = val.strip()
    return out


def options_from_args(args: argparse.Namespace) -> ImportOptions:
    return ImportOptions(
        source=args.source,
        crs=args.crs,
        dry_run=args.dry_run,
        skip_invalid=args.skip_invalid,
        make_valid=args.make_valid,
        working_area="none" if args.allow_outside_sweden else args.working_area,
        mapping=_pairs(args.map, "--map"),
        defaults=_pairs(args.set, "--set"),
        municipality=args.municipality,
        file_layer=args.file_layer,
        username=_username(),
        ambiguous_time=args.ambiguous_time,
        nonexistent_time=args.nonexistent_time,
    )


def _username() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return None


def _report_target(report, path: str | None) -> Path:
    if path:
        return Path(path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings().home / "reports" / f"import_{stamp}_{report.layer}.json"


def _save_report(report, path: str | None) -> Path:
    target = _report_target(report, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(report.to_json(), encoding="utf-8")
    return target


def _why_not_saved(exc: OSError, target: Path) -> str:
    """One clause: why the report could not be written (the disk full said plainly)."""
    from pax_geo import i18n
    from pax_geo.ingest.errors import _lang

    lang = _lang(None)
    if exc.errno == errno.ENOSPC:
        return i18n.t("ingest_disk_full_reports", lang, path=target.parent)
    reason = (exc.strerror or type(exc).__name__).lower()
    return i18n.t("ingest_report_not_written", lang, path=target, reason=reason)


def _try_save_report(report, path: str | None) -> tuple[Path | None, str | None]:
    """(where it was saved, None) or (None, why not): a report that cannot be written never
    changes what the import did, nor its exit code."""
    target = _report_target(report, path)
    try:
        return _save_report(report, path), None
    except OSError as exc:
        return None, _why_not_saved(exc, target)


def cmd_import(args: argparse.Namespace) -> int:
    """Exit 0 when the import (or dry run) went through, 2 when it was refused (nothing saved).
    The outcome is printed first; a report that could not be written is one line after it."""
    from pax_geo import i18n, migrate
    from pax_geo.ingest.errors import _lang
    from pax_geo.ingest.report import ImportReport
    from pax_geo.ingest.run import import_file

    opts = options_from_args(args)
    migrate.check_current()
    try:
        report = import_file(args.file, args.layer, opts)
    except IngestError as exc:
        if not isinstance(exc.report, ImportReport):
            raise
        where, why = _try_save_report(exc.report, args.report)
        print(f"pax: {exc}", file=sys.stderr)
        if where is not None:
            print(f"report: {where}", file=sys.stderr)
        else:
            print(
                "pax: " + i18n.t("ingest_report_not_written_refused", _lang(None), note=why),
                file=sys.stderr,
            )
        return 2
    if args.json:
        print(report.to_json())
    else:
        print(report.summary())
    if args.report or report.issues:
        where, why = _try_save_report(report, args.report)
        if where is not None:
            print(f"report: {where}", file=sys.stderr if args.json else sys.stdout)
        else:
            key = (
                "ingest_report_not_written_dry_run"
                if report.status == "dry_run"
                else "ingest_report_not_written_imported"
            )
            line = i18n.t(
                key,
                _lang(None),
                inserted=report.inserted,
                updated=report.updated,
                unchanged=report.unchanged,
                skipped=report.skipped_rows,
                note=why,
            )
            print(f"pax: {line}", file=sys.stderr)
    return 0


def _configured_municipalities() -> list[str]:
    from pax_geo import db

    with db.owner_engine().connect() as conn:
        return list(
            conn.execute(text("select name from pax_data.municipality order by code")).scalars()
        )


def cmd_fetch_polisen(args: argparse.Namespace) -> int:
    if args.all_municipalities:
        fetched = fetch_municipalities(
            _configured_municipalities(),
            out_dir=Path(args.out) if args.out else None,
            wait=not args.no_wait,
        )
        for name, path in fetched:
            data = json.loads(path.read_text(encoding="utf-8"))
            print(f"{name}: {len(data)} events saved to {path}")
            if args.do_import:
                _import_feed(path, name, args)
        return 0
    path = fetch_events(
        location=args.location,
        event_type=args.type,
        out_dir=Path(args.out) if args.out else None,
        wait=not args.no_wait,
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    print(f"{len(data)} events saved to {path}")
    if args.do_import:
        _import_feed(path, args.municipality, args)
    return 0


def _import_feed(path: Path, municipality: str, args: argparse.Namespace) -> None:
    from pax_geo import migrate
    from pax_geo.ingest.run import import_file

    migrate.check_current()
    opts = ImportOptions(
        municipality=municipality, skip_invalid=args.skip_invalid, username=_username()
    )
    report = import_file(path, "polisen", opts)
    print(report.summary())


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "import",
        help="import a file into a layer (validated, one transaction, idempotent)",
        description=(
            "Formats: GeoJSON, GeoPackage, zipped Shapefile, GeoParquet, CSV (lon/lat or x/y "
            "columns in EPSG:3006 or 3011), the Police events JSON (layer polisen). "
            f"Layers: {', '.join(LAYERS)}."
        ),
    )
    s.add_argument("layer", metavar="LAYER", help=", ".join(LAYERS))
    s.add_argument("file", metavar="FILE")
    s.add_argument("--source", help="provenance name (default: the file name; polisen)")
    s.add_argument("--crs", type=int, metavar="EPSG", help="CRS of a file that names none")
    s.add_argument("--dry-run", action="store_true", help="validate and count, save nothing")
    s.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows, report the others"
    )
    s.add_argument("--make-valid", action="store_true", help="repair invalid geometries")
    s.add_argument(
        "--working-area",
        choices=WORKING_AREA_MODES,
        default="auto",
        help="auto: Sweden, and the municipality for local layers; sweden; none",
    )
    s.add_argument(
        "--allow-outside-sweden",
        action="store_true",
        help="same as --working-area none (an explicit override)",
    )
    s.add_argument("--map", action="append", metavar="FIELD=COLUMN", help="map a column")
    s.add_argument("--set", action="append", metavar="FIELD=VALUE", help="a value for all rows")
    s.add_argument(
        "--municipality", default=settings().municipality_name, help="Police feed filter"
    )
    s.add_argument("--file-layer", help="layer in a GeoPackage / shapefile in a zip")
    s.add_argument(
        "--ambiguous-time",
        choices=AMBIGUOUS_TIME_CHOICES,
        help="a local time that occurs twice (the autumn DST change, e.g. 02:30 on the last "
        "Sunday of October): earlier = summer time (+02:00), later = winter time (+01:00); "
        "default: refuse the row",
    )
    s.add_argument(
        "--nonexistent-time",
        choices=NONEXISTENT_TIME_CHOICES,
        help="a local time that does not exist (the spring DST change, e.g. 02:30 on the last "
        "Sunday of March): shift-forward = 03:30 summer time, shift-backward = 01:30 winter "
        "time; default: refuse the row",
    )
    s.add_argument("--report", metavar="PATH", help="write the full JSON report here")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser(
        "fetch-polisen",
        help="fetch the Police public events feed (politely) and optionally import it",
        description=(
            "Calls https://polisen.se/api/events with a User-Agent (PAX_POLISEN_USER_AGENT), at "
            "least 10 s apart and at most 60 times an hour (shared across processes)."
        ),
    )
    s.add_argument("--location", help="locationname filter of the API (e.g. Södertälje)")
    s.add_argument("--type", help="type filter of the API (e.g. Skottlossning)")
    s.add_argument("--out", metavar="DIR", help="where to save (default PAX_HOME/polisen)")
    s.add_argument("--import", dest="do_import", action="store_true", help="import after fetching")
    s.add_argument("--municipality", default=settings().municipality_name)
    s.add_argument(
        "--all-municipalities",
        action="store_true",
        help="one call per configured municipality (pax_data.municipality), in the shared "
        "budget, each imported as its own municipality with --import",
    )
    s.add_argument("--skip-invalid", action="store_true")
    s.add_argument("--no-wait", action="store_true", help="refuse instead of waiting 10 s")
    s.set_defaults(func=cmd_fetch_polisen)
