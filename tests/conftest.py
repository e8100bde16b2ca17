"""Shared fixtures: a real PostGIS database per test session.

Each pytest session creates its own database (``pax_test_<pid>``) on the embedded cluster (or on
the server that ``DATABASE_URL`` names), migrates it, loads a small deterministic demo data set,
and drops it at the end. Database tests run inside a transaction that is rolled back.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL

from pax_geo import auth, cluster, db, migrate
from pax_geo import config as pax_config
from tests.auth_support import PASSWORD, Signed

#: Real-browser fixtures (app_url, browser, page, viewport) for any test that asks for them.
pytest_plugins = ["tests.browser_support"]

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
ARTIFACTS = ROOT / "artifacts"

# Fewer Gi* draws under test (the pages use 999 999): the same code path, a coarser p-value grid.
# Set before anything reads the settings, so the app servers the browser tests start inherit it.
os.environ.setdefault("PAX_GI_PERMUTATIONS", "9999")

#: The demo data set every test session loads (small, deterministic).
TEST_DEMO_INCIDENTS = 3000
TEST_DEMO_SEED = 7


def pytest_configure(config: pytest.Config) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    # the tests run on a closed network: no street-map tiles (tests/ui/test_basemap_browser.py
    # serves its own tiles to an app started for it)
    os.environ["PAX_BASEMAP"] = "none"
    pax_config.settings.cache_clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The browser test files first, each file's tests in their order: ``make test`` hands whole
    files to its workers in this order, so the longest ones start early and the short ones fill
    in at the end (instead of one worker finishing a long browser file alone)."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("browser") else 1)


@pytest.fixture(scope="session")
def test_db_name() -> str:
    return f"pax_test_{os.getpid()}"


@contextmanager
def cluster_lock(cfg: pax_config.Settings) -> Iterator[None]:
    """One test session at a time may start the cluster or migrate: the login roles and their
    grants are cluster-wide, and two migrations altering them at once fail ("tuple concurrently
    updated"). Parallel workers (pytest -n) and other sessions on the machine wait here."""
    cfg.home.mkdir(parents=True, exist_ok=True)
    with (cfg.home / "test-migrate.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def pg_url(test_db_name: str) -> Iterator[URL]:
    cfg = pax_config.settings()
    with cluster_lock(cfg):
        if cfg.embedded:
            cluster.start(cfg)
        db.drop_database(test_db_name, cfg)
        url = db.ensure_database(cfg, test_db_name)
        migrate.upgrade(url, cfg)
    # Everything that reads settings (app pages, reader engines) now uses the test database.
    os.environ["PAX_DB_NAME"] = test_db_name
    pax_config.settings.cache_clear()
    yield url
    db.drop_database(test_db_name, cfg)


@pytest.fixture(scope="session")
def owner_engine(pg_url: URL) -> Iterator[Engine]:
    eng = create_engine(pg_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_loaded(owner_engine: Engine) -> dict:
    """Load the test demo data set once per session; returns the generator's summary."""
    from pax_geo.demo import load_demo

    with owner_engine.begin() as conn:
        return load_demo(conn, incidents=TEST_DEMO_INCIDENTS, seed=TEST_DEMO_SEED)


@pytest.fixture
def conn(owner_engine: Engine) -> Iterator[Connection]:
    """An owner connection in a transaction that is rolled back after the test."""
    with owner_engine.connect() as c:
        tx = c.begin()
        try:
            yield c
        finally:
            tx.rollback()


@pytest.fixture(scope="session")
def reader_engines(pg_url: URL) -> Iterator[dict[str, Engine]]:
    from pax_geo.layers import ROLES

    engines = {r: create_engine(db.reader_url(r, database=pg_url.database)) for r in ROLES}
    yield engines
    for e in engines.values():
        e.dispose()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.fail(f"../shared/data is missing: expected it at {SHARED_DATA}")
    return SHARED_DATA


def count(conn: Connection, sql: str, **params) -> int:
    return int(conn.execute(text(sql), params).scalar() or 0)


@pytest.fixture
def make_user(owner_engine, demo_loaded):
    """Create committed accounts with unique names (login runs in other transactions)."""

    def _make(role: str = "field_worker", password: str | None = PASSWORD, **kw) -> str:
        name = f"t_{uuid.uuid4().hex[:10]}"
        with owner_engine.begin() as c:
            auth.add_user(c, name, role, password=password, **kw)
        return name

    return _make


@pytest.fixture
def navigation_mode(monkeypatch):
    """Run app.py the way a running server does after its first run.

    Because a pages/ folder sits beside app.py, Streamlit starts in its old multipage mode
    (run the page file itself) until some run calls st.navigation, which app.py does on every
    run; AppTest resets that class flag before each run, so every AppTest run would otherwise
    execute page files directly instead of app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test as app_test_module

    class V2PagesManager(PagesManager):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    monkeypatch.setattr(app_test_module, "PagesManager", V2PagesManager)
    yield
    PagesManager.uses_pages_directory = None


@pytest.fixture
def env_settings(monkeypatch):
    """Change settings through the environment for one test (the app reads them)."""

    def _set(**env: str) -> None:
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        pax_config.settings.cache_clear()

    yield _set
    monkeypatch.undo()
    pax_config.settings.cache_clear()


@pytest.fixture(scope="session")
def signed(owner_engine: Engine, demo_loaded) -> dict[str, Signed]:
    """Every role's demo account signed in once per session (one argon2 check each)."""
    out = {}
    for role, name in auth.DEMO_ACCOUNTS.items():
        res = auth.authenticate(name, auth.DEMO_PASSWORD)
        assert res.ok, name
        out[role] = Signed(name, role, str(res.token))
    return out


#: The municipalities the regional database loads beside the main demo (Nykvarn, Nynäshamn).
REGIONAL_OTHERS = ("0140", "0192")


@pytest.fixture(scope="session")
def regional_db(test_db_name: str) -> Iterator[Engine]:
    """A database of its own with the main demo and two more municipalities
    (``pax demo --municipalities``), for the regional view; the session's test database keeps
    one municipality. Dropped at the end."""
    import dataclasses

    from pax_geo.demo import load_demo
    from pax_geo.demo.regional import load_municipalities

    base = pax_config.settings()
    name = f"{test_db_name}_regional"
    cfg = dataclasses.replace(base, db_name=name)
    with cluster_lock(base):
        if base.embedded:
            cluster.start(base)
        db.drop_database(name, base)
        url = db.ensure_database(base, name)
        migrate.upgrade(url, cfg)
    eng = create_engine(url)
    try:
        with eng.begin() as c:
            load_demo(c, incidents=1500, seed=5)
            load_municipalities(c, [base.municipality_code, *REGIONAL_OTHERS], seed=5)
            auth.ensure_demo_users(c)
        yield eng
    finally:
        eng.dispose()
        db.drop_database(name, base)
