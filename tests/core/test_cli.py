"""The pax command line: what it prints, and errors that say what is wrong and what to do."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pax_geo import cluster, config, db

ROOT = Path(__file__).resolve().parents[2]


def pax(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pax_geo.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_db_url_hides_the_password(pg_url):
    res = pax("db", "url")
    assert res.returncode == 0
    assert "***" in res.stdout
    assert db.owner_url().password not in res.stdout


def test_db_status_reports_the_running_cluster(pg_url):
    if not config.settings().embedded:
        pytest.skip("DATABASE_URL is set: there is no embedded cluster to report on")
    res = pax("db", "status")
    assert res.returncode == 0 and "running" in res.stdout


def test_demo_if_empty_leaves_a_loaded_database_alone(pg_url, demo_loaded):
    res = pax("demo", "--if-empty", env={"PAX_DB_NAME": pg_url.database})
    assert res.returncode == 0
    assert "already has data" in res.stdout


def test_migrations_behind_are_named_with_the_fix(pg_url):
    name = f"{pg_url.database}_bare"
    db.ensure_database(config.settings(), name)
    try:
        res = pax("demo", env={"PAX_DB_NAME": name})
    finally:
        db.drop_database(name)
    assert res.returncode == 2
    assert "Run 'pax migrate'" in res.stderr
    assert "Traceback" not in res.stderr


def test_unreachable_database_says_so(pg_url):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql+psycopg://pax:secret@127.0.0.1:{port}/nothing"
    res = pax("migrate", env={"DATABASE_URL": url})
    assert res.returncode == 2
    assert "unreachable" in res.stderr and "DATABASE_URL" in res.stderr
    assert "Traceback" not in res.stderr


def test_port_in_use_is_refused_with_the_setting_to_change(tmp_path, pg_url):
    if not config.settings().embedded:
        pytest.skip("DATABASE_URL is set: the embedded cluster is not used")
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        home = tmp_path / "home"
        cfg = config.Settings(home=home, pg_port=port)
        with pytest.raises(cluster.ClusterError) as err:
            cluster.start(cfg)
    assert f"Port {port}" in str(err.value) and "PAX_PG_PORT" in str(err.value)
    # It was refused before anything was started on the occupied port.
    assert not cluster.status(cfg).running


def test_serve_refuses_a_busy_app_port(pg_url):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        res = pax("serve", "--port", str(port), env={"PAX_DB_NAME": pg_url.database})
    assert res.returncode == 2
    assert f"Port {port} is in use" in res.stderr
