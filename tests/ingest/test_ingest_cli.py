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

from tests.ingest_support import fingerprint, incident_rows, write_csv

ROOT = Path(__file__).resolve().parents[2]


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


# --- issue 14: reports that cannot be written, a full disk ---------------------------------------


@pytest.fixture
def unwritable_dir(tmp_path):
    """A directory nothing can be written into, even as root: immutable (chattr +i), else a
    read-only tmpfs mount, else (not root) mode 0555, else a file where the folder should be."""
    d = tmp_path / "reports"
    undo = None
    d.mkdir()
    if subprocess.run(["chattr", "+i", str(d)], capture_output=True).returncode == 0:
        undo = ["chattr", "-i", str(d)]
    elif (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(d)], capture_output=True
        ).returncode
        == 0
    ):
        undo = ["umount", str(d)]
    elif os.geteuid() != 0:
        d.chmod(0o555)
    else:
        d.rmdir()
        d.write_text("a file in place of the reports folder")
    try:
        with pytest.raises(OSError):
            (d / "probe.json").write_text("x")
        yield d
    finally:
        if undo:
            subprocess.run(undo, check=True)
        elif d.is_dir():
            d.chmod(0o755)


def test_cli_unwritable_reports_folder_never_misreports_the_outcome(
    owner_engine, demo_loaded, tmp_path, unwritable_dir, cleanup
):
    cleanup.append("ro_reports")
    rows = incident_rows(4, prefix="RO")
    rows[2]["occurred_at"] = "not a time"
    p = write_csv(tmp_path / "ro.csv", rows)
    # (PAX_HOME also holds the cluster's files, so the folder is given with --report)
    report = str(unwritable_dir / "ro.json")
    # refused: exit 2, the refusal first, then one line about the report; no traceback
    r = pax("import", "incident", str(p), "--source", "ro_reports", "--report", report)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("pax: ro.csv: 1 of 4 rows have errors; nothing was imported")
    assert "ro.csv, row 3, field 'occurred_at'" in r.stderr
    assert lines[-1].startswith("pax: Nothing was imported (the report could not be written to ")
    assert str(unwritable_dir) in lines[-1]
    # --skip-invalid: the valid rows are committed and the command says so, with exit 0
    r = pax(
        "import", "incident", str(p), "--source", "ro_reports", "--skip-invalid", "--report", report
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert "3 new" in r.stdout and "1 skipped" in r.stdout
    assert r.stderr.strip().splitlines() == [r.stderr.strip().splitlines()[0]]  # exactly one line
    assert r.stderr.startswith("pax: Imported: 3 new, 0 changed, 0 unchanged, 1 skipped (")
    assert "the report could not be written to " in r.stderr
    with owner_engine.connect() as c:
        n = c.execute(
            text("select count(*) from pax_data.incident where source = 'ro_reports'")
        ).scalar()
    assert n == 3


def test_cli_report_on_a_full_disk_says_the_disk_is_full(
    owner_engine, demo_loaded, tmp_path, cleanup
):
    """/dev/full answers every write with ENOSPC: the real error, no mount needed."""
    cleanup.append("full_report")
    p = write_csv(tmp_path / "fr.csv", incident_rows(2, prefix="FR"))
    r = pax("import", "incident", str(p), "--source", "full_report", "--report", "/dev/full")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "2 new" in r.stdout
    assert r.stderr.strip() == (
        "pax: Imported: 2 new, 0 changed, 0 unchanged, 0 skipped (the disk is full (no space "
        "left on device) in the reports folder /dev)"
    )


def test_cli_full_database_disk_exit_2_and_nothing_saved(owner_engine, demo_loaded, tmp_path):
    """A real disk_full server error (SQLSTATE 53100) from a trigger on this test database,
    for this test's source only, removed afterwards."""
    from pax_geo.config import settings

    ddl = [
        "create function pax_data.disk_full_test() returns trigger language plpgsql as $$ begin "
        "raise exception 'could not extend file \"base/1/2\": No space left on device' using "
        "errcode = 'disk_full', hint = 'Check free disk space.'; end $$",
        "create trigger disk_full_test before insert on pax_data.incident for each row "
        "when (new.source = 'disk_full_cli') execute function pax_data.disk_full_test()",
    ]
    with owner_engine.begin() as c:
        for q in ddl:
            c.execute(text(q))
        before = fingerprint(c)
    try:
        p = write_csv(tmp_path / "df.csv", incident_rows(3, prefix="DF"))
        r = pax("import", "incident", str(p), "--source", "disk_full_cli")
        assert r.returncode == 2, r.stderr
        assert "Traceback" not in r.stderr
        assert r.stderr.startswith("pax: df.csv: the database's disk is full (the database's data")
        assert str(settings().pgdata) in r.stderr
        assert "nothing was saved, the import was rolled back" in r.stderr
        with owner_engine.connect() as c:
            assert fingerprint(c) == before
    finally:
        with owner_engine.begin() as c:
            c.execute(text("drop trigger if exists disk_full_test on pax_data.incident"))
            c.execute(text("drop function if exists pax_data.disk_full_test()"))


def test_a_large_import_leaves_the_table_vacuumed(owner_engine, demo_loaded, tmp_path, cleanup):
    """After an import of 10,000 rows or more, the table is vacuumed and analysed once the
    import has committed: its pages are marked all-visible, so the released counts' index-only
    scans do not visit the table for every new row until autovacuum comes (11 s instead of
    0.08 s for Mitt område's evenings after a million rows: bench/bench_status.py)."""
    from pax_geo import db
    from pax_geo.ingest import import_file
    from pax_geo.ingest.options import ImportOptions

    cleanup.append("vacuum_test")
    n = db.VACUUM_AFTER_ROWS
    p = write_csv(tmp_path / "many.csv", incident_rows(n, prefix="VAC"))
    q = text(
        "select relallvisible, relpages from pg_class where oid = 'pax_data.incident'::regclass"
    )
    report = import_file(p, "incident", ImportOptions(source="vacuum_test"), engine=owner_engine)
    assert report.inserted == n
    with owner_engine.connect() as c:
        visible, pages = c.execute(q).one()
    assert pages > 0 and visible == pages
    # one row fewer than the threshold: not vacuumed (ANALYZE reads the visibility map)
    cleanup.append("vacuum_small")
    few = write_csv(tmp_path / "few.csv", incident_rows(n - 1, prefix="FEW"))
    report = import_file(few, "incident", ImportOptions(source="vacuum_small"), engine=owner_engine)
    assert report.inserted == n - 1
    with owner_engine.begin() as c:
        c.execute(text("analyze pax_data.incident"))
        visible, pages = c.execute(q).one()
    assert visible < pages


def test_an_import_stands_when_the_vacuum_after_it_fails(
    owner_engine, demo_loaded, tmp_path, cleanup, monkeypatch, caplog
):
    """The vacuum runs after the commit: when it fails, the import is still reported and kept,
    and the failure is logged (autovacuum does the same work later)."""
    import psycopg

    from pax_geo import db
    from pax_geo.ingest import import_file
    from pax_geo.ingest.options import ImportOptions

    def refuse(engine, tables, tries=5):
        raise psycopg.errors.LockNotAvailable("could not obtain lock")

    monkeypatch.setattr(db, "VACUUM_AFTER_ROWS", 1)
    monkeypatch.setattr(db, "vacuum_analyze", refuse)
    cleanup.append("vacuum_fails")
    p = write_csv(tmp_path / "three.csv", incident_rows(3, prefix="VF"))
    report = import_file(p, "incident", ImportOptions(source="vacuum_fails"), engine=owner_engine)
    assert report.inserted == 3 and report.status != "refused"
    with owner_engine.connect() as c:
        n = c.execute(
            text("select count(*) from pax_data.incident where source = 'vacuum_fails'")
        ).scalar()
    assert n == 3
    assert "not vacuumed after the import: LockNotAvailable" in caplog.text
