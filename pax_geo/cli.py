"""The ``pax`` command line: database, migrations, demo data, serving.

Errors are printed as one sentence saying what is wrong and what to do, with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable

from pax_geo import cluster, config, db, frontdoor, migrate

Handler = Callable[[argparse.Namespace], int]


class CliError(RuntimeError):
    pass


def _cfg() -> config.Settings:
    return config.settings()


# --- db -------------------------------------------------------------------------------------


def cmd_db(args: argparse.Namespace) -> int:
    cfg = _cfg()
    if args.action == "url":
        print(db.owner_url(cfg).render_as_string(hide_password=True))
        return 0
    if not cfg.embedded:
        if args.action == "status":
            db.check_reachable(db.owner_url(cfg))
            print(f"external database reachable: {db.owner_url(cfg).render_as_string()}")
            return 0
        raise CliError("DATABASE_URL is set: the embedded cluster is not used (unset it first).")
    if args.action == "start":
        st = cluster.start(cfg)
    elif args.action == "stop":
        st = cluster.stop(cfg)
    else:
        st = cluster.status(cfg)
    print(st.detail)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    head = migrate.upgrade()
    print(f"schema at {head}; privileges synced from layers/")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from pax_geo.demo import load_demo
    from pax_geo.demo.load import LARGE_TABLES, is_empty

    migrate.check_current()
    with db.owner_engine().begin() as conn:
        if args.if_empty and not is_empty(conn):
            print("database already has data; demo not loaded")
            return 0
        summary = load_demo(conn, incidents=args.incidents, seed=args.seed, reset_first=args.reset)
        if args.municipalities:
            from pax_geo.auth import ensure_demo_users
            from pax_geo.demo.regional import load_municipalities

            codes = [c for c in args.municipalities.split(",") if c.strip()]
            summary["municipalities"] = load_municipalities(conn, codes, seed=args.seed)
            ensure_demo_users(conn)  # the regional coordinator gets every municipality
    try:  # the data stand whatever happens here; autovacuum does the same work later
        db.vacuum_analyze(db.owner_engine(), LARGE_TABLES)
    except DBAPIError as exc:
        print(
            f"note: the demo tables were not vacuumed ({type(exc.orig).__name__})", file=sys.stderr
        )
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Everything 'make run' needs before serving: start, migrate, demo if empty."""
    cfg = _cfg()
    if cfg.embedded:
        print(cluster.start(cfg).detail)
    head = migrate.upgrade()
    print(f"schema at {head}")
    if not args.no_demo:
        ns = argparse.Namespace(incidents=4000, seed=42, reset=False, if_empty=True)
        cmd_demo(ns)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    cfg = _cfg()
    port = args.port or cfg.app_port
    if cluster.port_in_use(port):
        raise CliError(f"Port {port} is in use. Stop what runs there or use PAX_PORT=8502 make run")
    migrate.check_current()
    workers = args.workers if args.workers is not None else frontdoor.worker_count(cfg)
    if workers > 1 and frontdoor.nginx_binary() is None:
        if cfg.workers or args.workers:
            raise CliError(frontdoor.NGINX_MISSING)
        print("nginx is not installed (make run installs it): serving one process", flush=True)
        workers = 1
    shown = "localhost" if cfg.listen_address in ("127.0.0.1", "localhost") else cfg.listen_address
    print(f"Pax lägesbild on http://{shown}:{port} (listening on {cfg.listen_address})")
    sys.stdout.flush()
    if workers > 1:
        # several Streamlit processes behind nginx, sticky by browser (pax_geo.frontdoor)
        print(f"{workers} workers behind nginx", flush=True)
        try:
            return frontdoor.run(cfg, port, workers)
        except frontdoor.FrontError as exc:
            raise CliError(str(exc)) from exc
    # server.py wraps app.py in Streamlit's st.App with the HTTP gate of pax_geo.ui.web
    # (security headers, no /_stcore/metrics, downloads only for signed-in sessions).
    argv = frontdoor.streamlit_argv(port, cfg.listen_address)
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pax", description="Pax lägesbild")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("db", help="the embedded PostGIS cluster")
    s.add_argument("action", choices=["start", "stop", "status", "url"])
    s.set_defaults(func=cmd_db)

    s = sub.add_parser("migrate", help="apply migrations and sync privileges")
    s.set_defaults(func=cmd_migrate)

    s = sub.add_parser("demo", help="load synthetic demo data")
    s.add_argument("--incidents", type=int, default=4000)
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--reset", action="store_true", help="delete existing layer data first")
    s.add_argument("--if-empty", action="store_true", help="only load into an empty database")
    s.add_argument(
        "--municipalities",
        metavar="CODES",
        help="also these municipalities (comma-separated codes, e.g. 0181,0140,0192): real "
        "outlines, synthetic districts, incidents and indicators; the default demo is "
        "Södertälje alone",
    )
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("up", help="start the database, migrate, load demo data if empty")
    s.add_argument("--no-demo", action="store_true")
    s.set_defaults(func=cmd_up)

    s = sub.add_parser("serve", help="serve the app")
    s.add_argument("--port", type=int)
    s.add_argument(
        "--workers", type=int, help="Streamlit processes behind nginx (default: PAX_WORKERS)"
    )
    s.set_defaults(func=cmd_serve)

    for register in _extensions():
        register(sub)
    return p


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Sub-commands that live beside their feature (users, import …)."""
    regs: list[Callable] = []
    from pax_geo import auth_cli  # pax users …

    regs.append(auth_cli.register)
    from pax_geo.ingest import cli as ingest_cli  # pax import, pax fetch-polisen

    regs.append(ingest_cli.register)
    return regs


def main(argv: list[str] | None = None) -> int:
    from pax_geo.auth import AuthError
    from pax_geo.config import SettingsError
    from pax_geo.ingest.cli import CLI_ERRORS as INGEST_ERRORS

    handled: tuple[type[Exception], ...] = (
        CliError,
        SettingsError,
        cluster.ClusterError,
        db.DatabaseError,
        migrate.MigrationsBehind,
        AuthError,
        *INGEST_ERRORS,
    )
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except handled as exc:
        print(f"pax: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
