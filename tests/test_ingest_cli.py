"""``pax import`` and ``pax fetch-polisen`` as a user runs them (a subprocess on the test
database, committing for real), and an import killed with SIGKILL in the middle of its COPY."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from tests.test_ingest_db import fingerprint, incident_rows, write_csv

ROOT = Path(__file__).resolve().parents[1]


def pax(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pax_geo.cli", *args],
        cwd=ROOT,
        env={**os.environ, "PAX_LANG": "en", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def cleanup(owner_engine):
    sources: list[str] = []
    yield sources
    with owner_engine.begin() as c:
        for s in sources:
            c.execute(text("delete from pax_data.incident where source = :s"), {"s": s})
            c.execute(text("delete from pax_data.import_run where source = :s"), {"s": s})


def test_cli_import_commits_and_a_reimport_changes_nothing(
    owner_engine, demo_loaded, tmp_path, cleanup
):
    cleanup.append("cli_test")
    p = write_csv(tmp_path / "cli.csv", incident_rows(5, prefix="CLI"))
    r = pax("import", "incident", str(p), "--source", "cli_test")
    assert r.returncode == 0, r.stderr
    assert "5 new" in r.stdout
    q = text(
        "select source_id, loaded_at from pax_data.incident where source = 'cli_test' order by 1"
    )
    with owner_engine.connect() as c:
        first = c.execute(q).all()
    assert len(first) == 5
    time.sleep(0.05)
    r2 = pax("import", "incident", str(p), "--source", "cli_test", "--json")
    assert r2.returncode == 0, r2.stderr
    rep = json.loads(r2.stdout)
    assert (rep["inserted"], rep["updated"], rep["unchanged"]) == (0, 0, 5)
    with owner_engine.connect() as c:
        assert c.execute(q).all() == first  # not even loaded_at moved
        runs = c.execute(
            text("select count(*) from pax_data.import_run where source = 'cli_test'")
        ).scalar()
    assert runs == 2


def test_cli_refuses_nypd_with_a_clear_message_and_exit_2(
    owner_engine, demo_loaded, shared_data, tmp_path
):
    path = shared_data / "nypd_shootings/NYPD_Shooting_Incident_Data__Historic_.csv"
    with owner_engine.connect() as c:
        before = fingerprint(c)
    report = tmp_path / "nypd.json"
    r = pax("import", "shooting", str(path), "--report", str(report))
    assert r.returncode == 2
    assert any(line.startswith("pax: ") for line in r.stderr.splitlines())
    assert "NYPD_Shooting_Incident_Data__Historic_.csv, row 1, field 'lon/lat'" in r.stderr
    assert "outside Sweden" in r.stderr
    assert "Traceback" not in r.stderr
    with owner_engine.connect() as c:
        assert fingerprint(c) == before
    rep = json.loads(report.read_text())
    assert rep["status"] == "rejected" and len(rep["issues"]) == rep["rows_read"] > 15000


def test_cli_dry_run_skip_invalid_and_unknown_layer(owner_engine, demo_loaded, tmp_path):
    rows = incident_rows(4, prefix="DRY")
    rows[1]["occurred_at"] = "not a time"
    p = write_csv(tmp_path / "dry.csv", rows)
    with owner_engine.connect() as c:
        before = fingerprint(c)
    report = tmp_path / "dry.json"
    r = pax("import", "incident", str(p), "--dry-run", "--skip-invalid", "--report", str(report))
    assert r.returncode == 0, r.stderr
    assert "Dry run" in r.stdout and "dry.csv, row 2, field 'occurred_at'" in r.stdout
    assert json.loads(report.read_text())["issues"][0]["row"] == 2
    with owner_engine.connect() as c:
        assert fingerprint(c) == before
    bad = pax("import", "burglary", str(p))
    assert bad.returncode == 2 and "unknown layer 'burglary'" in bad.stderr


def test_fetch_polisen_refuses_a_second_call_within_ten_seconds(tmp_path):
    """No network: the limiter refuses before any request is made."""
    state = tmp_path / "polisen"
    state.mkdir()
    (state / "calls.json").write_text(json.dumps({"calls": [time.time()]}))
    r = pax("fetch-polisen", "--no-wait", "--out", str(tmp_path), env={"PAX_HOME": str(tmp_path)})
    assert r.returncode == 2 and "at least 10 s between calls" in r.stderr
    many = [time.time() - 60 * i - 20 for i in range(60)]
    (state / "calls.json").write_text(json.dumps({"calls": many}))
    r = pax("fetch-polisen", "--out", str(tmp_path), env={"PAX_HOME": str(tmp_path)})
    assert r.returncode == 2 and "limit 60" in r.stderr


# --- killed halfway ----------------------------------------------------------------------------


def _big_parquet(path: Path, n: int) -> Path:
    rng = np.random.default_rng(5)
    x = 650_000 + rng.normal(0, 1500, n)
    y = 6_562_000 + rng.normal(0, 1500, n)
    occurred = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 300 * 86400, n), unit="s"
    )
    gpd.GeoDataFrame(
        {
            "id": np.char.add("K", np.arange(n).astype(str)),
            "kind": np.where(rng.random(n) < 0.8, "car_fire", "shooting"),
            "occurred_at": occurred,
        },
        geometry=gpd.points_from_xy(x, y),
        crs=3006,
    ).to_parquet(path)
    return path


def _backends(owner_engine, app: str) -> list[tuple[str, str]]:
    with owner_engine.connect() as c:
        return [
            (r[0], r[1] or "")
            for r in c.execute(
                text(
                    "select state, query from pg_stat_activity where application_name = :a "
                    "and datname = current_database()"
                ),
                {"a": app},
            ).all()
        ]


def test_an_import_killed_in_the_middle_of_its_copy_leaves_nothing(
    owner_engine, demo_loaded, tmp_path
):
    path = _big_parquet(tmp_path / "big.parquet", 400_000)
    with owner_engine.connect() as c:
        before = fingerprint(c)
    app = f"pax_killtest_{os.getpid()}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pax_geo.cli",
            "import",
            "incident",
            str(path),
            "--source",
            "killtest",
            "--working-area",
            "sweden",
        ],
        cwd=ROOT,
        env={**os.environ, "PGAPPNAME": app},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen_copy = False
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if any(
                q.lower().startswith("copy") and s == "active"
                for s, q in _backends(owner_engine, app)
            ):
                seen_copy = True
                time.sleep(0.2)  # well inside the COPY
                break
            time.sleep(0.02)
        assert seen_copy, "the import finished (or failed) before its COPY could be caught"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 120
    while _backends(owner_engine, app) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _backends(owner_engine, app), "the killed import's backend is still there"
    with owner_engine.connect() as c:
        assert fingerprint(c) == before
        assert (
            c.execute(
                text("select count(*) from pax_data.incident where source = 'killtest'")
            ).scalar()
            == 0
        )
