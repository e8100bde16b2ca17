"""Benchmark Mitt område's area status (what ``pax serve`` refreshes every minute); prints figures.

    .venv/bin/python bench/bench_status.py [--incidents 1000000] [--keep]

Creates its own database (pax_bench_status) on the configured server, loads the demo data set
with the given number of incidents, and times, for the field roles and the police, the status of
every district as ``pax_geo.field.live`` computes it (``field.status.build``, read with no
session as the background thread does):

* with the normals read every time (as every refresh did before they were kept);
* the first refresh with kept normals (``field.status.Normals``: it reads them) and the next
  ones (they are kept for an hour), best of three.

No figure is asserted.
"""

from __future__ import annotations

import time

from support import scratch_arguments, scratch_database

from pax_geo import clock, queries
from pax_geo.auth import reader_connection
from pax_geo.field import status

DB = "pax_bench_status"
ROLES = ("field_worker", "night_walker", "police_analyst")


def seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def time_role(role: str) -> str:
    """normals read each time / first with kept normals / kept (best of three)."""
    with reader_connection(role, None, None) as conn:
        ids = queries.area_table(conn)["id"].astype(int).tolist()
        now = clock.now()
        status.build(conn, ids, now, normals=None)  # the database's caches warm
        fresh = seconds(lambda: status.build(conn, ids, now, normals=None))
        normals = status.Normals()
        first = seconds(lambda: status.build(conn, ids, now, normals=normals))
        kept = min(seconds(lambda: status.build(conn, ids, now, normals=normals)) for _ in range(3))
    return f"  {role:15s} {len(ids)} areas: {fresh:.2f} / {first:.2f} / {kept:.2f}"


def main() -> int:
    args = scratch_arguments(1_000_000)
    with scratch_database(DB, args.incidents, keep=args.keep) as s:
        print(s.loaded)
        print("area status of every district, seconds: normals read each time / first / kept")
        for role in ROLES:
            print(time_role(role))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
