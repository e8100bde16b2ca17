"""Schema migrations (Alembic, revisions under ``sql/migrations``) plus the privilege sync."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL

from pax_geo.config import PROJECT_ROOT, Settings, settings
from pax_geo.db import ensure_database, owner_url
from pax_geo.security import sync_privileges

MIGRATIONS = PROJECT_ROOT / "sql" / "migrations"


class MigrationsBehind(RuntimeError):
    pass


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: URL | None = None, cfg: Settings | None = None) -> str:
    """Create the database if needed, migrate to head and sync privileges. Returns head."""
    cfg = cfg or settings()
    url = url or ensure_database(cfg)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            acfg = _config()
            acfg.attributes["connection"] = conn
            command.upgrade(acfg, "head")
            sync_privileges(conn, cfg)
    finally:
        engine.dispose()
    return head_revision()


def check_current(url: URL | None = None) -> None:
    engine = create_engine(url or owner_url())
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    if current != head:
        raise MigrationsBehind(
            f"The database schema is at {current or 'nothing'}, the code expects {head}. "
            "Run 'pax migrate'."
        )
