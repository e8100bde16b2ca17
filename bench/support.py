"""What the benches share: a scratch database with the demo data set, a timer, a signed-in login.

    from support import best, scratch_arguments, scratch_database, signed_in

    args = scratch_arguments(200_000)    # --incidents (default 200,000) and --keep
    with scratch_database("pax_bench_x", args.incidents, keep=args.keep) as s:
        print(s.loaded)                  # "loaded 1,000,000 incidents in 80.1 s"
        with signed_in("police_analyst") as c:
            print(best(lambda: queries.areas(c, ("district",))))

The benches run as ``python bench/bench_x.py``, so this module is found next to them; importing
it also puts the project root on ``sys.path`` (the checkout's ``pax_geo``, not another one).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best(fn: Callable[[], object], repeat: int = 3) -> float:
    """Seconds of the fastest of ``repeat`` runs of ``fn``, after one untimed warm-up run."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def scratch_arguments(incidents: int) -> argparse.Namespace:
    """The command line of a bench on a scratch database: ``--incidents N`` (by default
    ``incidents``) and ``--keep`` (keep the database afterwards)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--incidents", type=int, default=incidents)
    ap.add_argument("--keep", action="store_true", help="keep the benchmark database")
    return ap.parse_args()


@dataclass(frozen=True)
class Scratch:
    """A loaded scratch database: its name, owner URL and engine, and what loading it took."""

    name: str
    url: URL
    owner: Engine
    summary: dict[str, Any]  # pax_geo.demo.load_demo's summary
    load_seconds: float

    @property
    def loaded(self) -> str:
        return f"loaded {self.summary['incidents']:,} incidents in {self.load_seconds:.1f} s"


@contextmanager
def scratch_database(
    name: str, incidents: int, *, seed: int = 11, keep: bool = False
) -> Iterator[Scratch]:
    """A fresh database ``name`` with the demo data set at ``incidents`` incidents.

    Points the process at it (``PAX_DB_NAME``, so ``db.reader_engine`` and a server started
    from here use it), starts the embedded server if configured, drops any earlier database of
    that name, creates and migrates it, and loads the demo data set (``load_demo``, one
    transaction, then vacuumed as ``pax demo`` does; ``load_seconds`` times both). Prints
    nothing. When the block ends normally the owner engine is disposed and the database dropped
    unless ``keep``; after an error it stays, for a look.
    """
    os.environ["PAX_DB_NAME"] = name
    from pax_geo import cluster, config, db, migrate
    from pax_geo.demo import load_demo
    from pax_geo.demo.load import LARGE_TABLES

    config.settings.cache_clear()
    cfg = config.settings()
    if cfg.embedded:
        cluster.start(cfg)
    db.drop_database(name, cfg)
    url = db.ensure_database(cfg, name)
    migrate.upgrade(url, cfg)
    owner = create_engine(url)
    try:
        t0 = time.perf_counter()
        with owner.begin() as conn:
            summary = load_demo(conn, incidents=incidents, seed=seed)
        db.vacuum_analyze(owner, LARGE_TABLES)  # as pax demo does
        yield Scratch(name, url, owner, summary, time.perf_counter() - t0)
    finally:
        owner.dispose()
    if not keep:
        db.drop_database(name, cfg)


@contextmanager
def signed_in(role: str) -> Iterator[Connection]:
    """A reader connection as the demo account of ``role``, bound to a fresh session."""
    from pax_geo import auth

    res = auth.authenticate(auth.DEMO_ACCOUNTS[role], auth.DEMO_PASSWORD)
    assert res.ok, f"the demo account of {role} cannot sign in"
    with auth.reader_connection(role, str(res.token), res.account.username) as conn:
        yield conn


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def settle(pids: list[int], timeout_s: float = 90) -> float:
    """Wait until the server has finished starting (its start-up imports, pax_geo.ui.warmup):
    less than 50 ms of CPU in a second. The seconds waited."""
    t0 = time.monotonic()
    last = cpu_seconds(pids)
    while time.monotonic() - t0 < timeout_s:
        time.sleep(1)
        now = cpu_seconds(pids)
        if now - last < 0.05:
            break
        last = now
    return time.monotonic() - t0
