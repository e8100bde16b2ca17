"""Database URLs and engines.

Two kinds of connection exist:

* the *owner* connection (migrations, imports, demo data, user administration): the embedded
  cluster's superuser, or whatever ``DATABASE_URL`` names;
* one *reader* connection per application role. Each role logs in as its own database role
  (``pax_police_analyst`` …) whose grants and views allow only that role's precision, so a bug
  in a page cannot read more than the role may see. Reader passwords are derived from the
  project secret with HMAC, so nothing extra has to be stored.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from functools import lru_cache

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from pax_geo import cluster
from pax_geo.config import Settings, settings
from pax_geo.sqlident import ident, qualified

ROLE_PREFIX = "pax_"
AUTH_ROLE = "pax_auth"


class DatabaseError(RuntimeError):
    """The database cannot be used; the message says what to do."""


def owner_url(cfg: Settings | None = None, database: str | None = None) -> URL:
    cfg = cfg or settings()
    if cfg.database_url:
        url = make_url(cfg.database_url)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
    else:
        url = URL.create(
            "postgresql+psycopg",
            username="postgres",
            password=cluster.superuser_password(cfg),
            host="127.0.0.1",
            port=cfg.pg_port,
            database=cfg.db_name,
        )
    if database:
        url = url.set(database=database)
    return url


def project_secret(cfg: Settings | None = None) -> str:
    cfg = cfg or settings()
    if cfg.secret:
        return cfg.secret
    if cfg.embedded:
        return cluster.superuser_password(cfg)
    password = make_url(cfg.database_url or "").password
    if not password:
        raise DatabaseError(
            "Set PAX_SECRET: with a DATABASE_URL that has no password the reader roles' "
            "passwords cannot be derived."
        )
    return password


def db_role_name(app_role: str) -> str:
    return f"{ROLE_PREFIX}{app_role}"


def db_role_password(db_role: str, cfg: Settings | None = None) -> str:
    key = project_secret(cfg).encode()
    return hmac.new(key, db_role.encode(), hashlib.sha256).hexdigest()[:32]


def reader_url(app_role: str, cfg: Settings | None = None, database: str | None = None) -> URL:
    role = db_role_name(app_role) if app_role != "auth" else AUTH_ROLE
    return owner_url(cfg, database).set(username=role, password=db_role_password(role, cfg))


#: Seconds to wait for a new connection: a server that is gone must not hang a page (or the
#: app's database-unreachable notice, pax_geo.ui.dbstatus) for the operating system's TCP timeout.
CONNECT_TIMEOUT_S = 10


@lru_cache(maxsize=64)
def _engine(url_str: str) -> Engine:
    # pool_pre_ping: a pooled connection that a database restart killed is noticed at checkout
    # and replaced (and, on a disconnect, the whole pool is invalidated) instead of failing the
    # next query; pool_timeout bounds the wait for a free connection.
    return create_engine(
        url_str,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=30,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )


def engine_for(url: URL) -> Engine:
    return _engine(url.render_as_string(hide_password=False))


def owner_engine(cfg: Settings | None = None) -> Engine:
    return engine_for(owner_url(cfg))


def reader_engine(app_role: str, cfg: Settings | None = None) -> Engine:
    return engine_for(reader_url(app_role, cfg))


def check_reachable(url: URL) -> None:
    try:
        with create_engine(url, poolclass=None).connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        where = f"{url.host}:{url.port}/{url.database}"
        hint = (
            "Start the embedded database with 'pax db start' (or 'make run')."
            if settings().embedded
            else "Check DATABASE_URL and that the server is running."
        )
        raise DatabaseError(f"Database {where} is unreachable: {exc.orig}. {hint}") from exc


def ensure_database(cfg: Settings | None = None, name: str | None = None) -> URL:
    """Create the database (and PostGIS in it) if missing; return its owner URL."""
    cfg = cfg or settings()
    target = owner_url(cfg, name)
    admin = target.set(database="postgres")
    check_reachable(admin)
    eng = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            exists = conn.execute(
                text("select 1 from pg_database where datname = :n"), {"n": target.database}
            ).scalar()
            if not exists:
                conn.execute(text(f"create database {ident(target.database or '')}"))
    finally:
        eng.dispose()
    eng = create_engine(target, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            available = conn.execute(
                text("select 1 from pg_available_extensions where name = 'postgis'")
            ).scalar()
            if not available:
                raise DatabaseError(
                    "PostGIS is not available on this server: install postgresql-15-postgis-3."
                )
            conn.execute(text("create extension if not exists postgis"))
    finally:
        eng.dispose()
    return target


def drop_database(name: str, cfg: Settings | None = None) -> None:
    admin = owner_url(cfg, "postgres")
    eng = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.execute(text(f"drop database if exists {ident(name)} with (force)"))
    finally:
        eng.dispose()


#: Rows written by one load above which the tables are vacuumed afterwards (see vacuum_analyze).
VACUUM_AFTER_ROWS = 10_000


def vacuum_analyze(engine: Engine, tables: list[str] | tuple[str, ...], tries: int = 5) -> None:
    """``VACUUM (ANALYZE)`` the given tables (names of our own, ``pax_data.incident``), outside
    any transaction, after a large load has committed.

    Rows just written are not yet marked all-visible, so until autovacuum gets to them the
    index-only scans of the released counts visit the table for every row. After loading a
    million incidents, Mitt område's evening windows took 11 s instead of 0.08 s until then
    (bench/bench_status.py); the vacuum itself took 0.3 s. Right after the commit, autovacuum's
    own ANALYZE of the new rows can hold back what a vacuum may mark; a table left with pages
    not all-visible is therefore vacuumed again a second later (at most ``tries`` times: a
    vacuum of pages already marked skips them)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            for attempt in range(tries):
                if attempt:
                    time.sleep(1.0)
                conn.execute(text(f"vacuum (analyze) {qualified(table)}"))
                visible, pages = conn.execute(
                    text(
                        "select relallvisible, relpages from pg_class "
                        "where oid = cast(:t as regclass)"
                    ),
                    {"t": table},
                ).one()
                if visible >= pages:
                    break
