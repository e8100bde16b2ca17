"""Benchmark: forty municipalities, ten years, five million incidents on the embedded cluster.

Does one municipality's work stay within the single-municipality figures? Three databases:

* ``single``: Södertälje alone, with as many incidents as it has in the regional one (its
  share of the total), over the same ten years: today's installation.
* ``regional``: Södertälje and 39 more Mälardalen municipalities (``pax demo --municipalities``
  with ``incidents_each``), about 5,000,000 incidents in all; row security is on.
* ``partitioned``: the regional database with ``pax_data.incident`` turned into a table
  partitioned by list of municipality_code (one partition each).

In each, as Södertälje's police analyst (its own session, so row security limits it to
Södertälje), the median of three warm runs after one cold run of:

* the default view: the Här och nu map payload for the default window (30 days) and a year;
* the area card of Ronna;
* the hot spot analysis (Gi*, 999 permutations) over a year;
* the regional coordinator's counts per municipality for a year (regional databases only).

Usage: .venv/bin/python bench/bench_regional.py [--incidents 5000000] [--municipalities 40]
       [--years 10] [--keep]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from pax_geo import auth, clock, config, db, mapdata, queries
from pax_geo.analysis import service
from pax_geo.demo import generate as gen
from pax_geo.demo.regional import _outlines, load_municipalities
from pax_geo.horizons import card, regional
from pax_geo.layers import INCIDENT_KINDS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import scratch_database  # noqa: E402

#: Mälardalen: Stockholm, Uppsala, Södermanland and Västmanland counties
COUNTIES = ("01", "03", "04", "19")


def codes(n: int) -> list[str]:
    home = config.settings().municipality_code
    others = [c for c in sorted(_outlines()["kommun_kod"]) if c[:2] in COUNTIES and c != home]
    return [home, *others[: n - 1]]


def build(name: str, home_incidents: int, others: list[str], each: int, years: int) -> float:
    """Create and load a database (kept); returns the load time in seconds."""
    gen.YEARS = years  # the main demo's period (three years by default)
    with scratch_database(name, home_incidents, seed=7, keep=True) as s:
        t0 = time.perf_counter()
        if others:
            with s.owner.begin() as c:
                load_municipalities(
                    c,
                    [config.settings().municipality_code, *others],
                    seed=7,
                    incidents_each=each,
                    years=years,
                )
                auth.ensure_demo_users(c)
        with s.owner.execution_options(isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text("vacuum analyze pax_data.incident"))
        return s.load_seconds + time.perf_counter() - t0


PARTITION_SQL = """
alter table pax_data.observation drop constraint observation_incident_fkey;
alter table pax_data.incident rename to incident_flat;
create table pax_data.incident (like pax_data.incident_flat including all)
    partition by list (municipality_code);
"""


def partition(name: str) -> float:
    """Turn pax_data.incident into a list-partitioned table (one partition per municipality)
    with the same indexes, trigger, policy and privileges; returns the seconds it took."""
    eng = create_engine(db.owner_url(database=name))
    t0 = time.perf_counter()
    with eng.begin() as c:
        muni = list(c.execute(text("select code from pax_data.municipality")).scalars())
        for stmt in PARTITION_SQL.split(";"):
            if stmt.strip():
                c.execute(text(stmt))
        for code in muni:
            c.execute(
                text(
                    f"create table pax_data.incident_m{code} partition of pax_data.incident "
                    f"for values in ('{code}')"
                )
            )
        cols = ", ".join(
            c.execute(
                text(
                    "select quote_ident(attname) from pg_attribute where attrelid = "
                    "'pax_data.incident_flat'::regclass and attnum > 0 and not attisdropped "
                    "and attgenerated = '' order by attnum"
                )
            ).scalars()
        )
        c.execute(
            text(
                f"insert into pax_data.incident ({cols}) select {cols} from pax_data.incident_flat"
            )
        )
        c.execute(text("drop table pax_data.incident_flat cascade"))
        c.execute(
            text(
                "create trigger incident_municipality before insert on pax_data.incident "
                "for each row execute function pax_data.assign_municipality('geom', 'area', "
                "'area_id')"
            )
        )
        c.execute(text("alter table pax_data.incident enable row level security"))
        c.execute(
            text(
                "create policy incident_tenant on pax_data.incident "
                "using (municipality_code = any ((select pax_api._scope())::text[])) "
                "with check (municipality_code = any ((select pax_api._scope())::text[]))"
            )
        )
        c.execute(text("grant select on pax_data.incident to pax_definer"))
    with eng.execution_options(isolation_level="AUTOCOMMIT").connect() as c:
        c.execute(text("analyze pax_data.incident"))
    eng.dispose()
    return time.perf_counter() - t0


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, float]:
    """(cold, median warm) seconds."""
    t0 = time.perf_counter()
    fn()
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t0)
    return cold, statistics.median(warm)


def measure(name: str) -> dict[str, tuple[float, float]]:
    import os

    os.environ["PAX_DB_NAME"] = name
    config.settings.cache_clear()
    now = clock.now()
    out: dict[str, tuple[float, float]] = {}
    police = auth.authenticate(auth.DEMO_ACCOUNTS["police_analyst"], auth.DEMO_PASSWORD)
    assert police.ok
    with auth.reader_connection(
        "police_analyst", police.token, auth.DEMO_ACCOUNTS["police_analyst"]
    ) as c:
        n = c.execute(text("select count(*) from pax_api.incident_exact")).scalar_one()
        out["police sees incidents"] = (float(n), float(n))
        ctx = mapdata.context(c)
        for label, days in (("map 30 days", 30), ("map 1 year", 365)):
            flt = queries.Filter(now - timedelta(days=days), now, tuple(INCIDENT_KINDS))
            out[label] = timed(
                lambda flt=flt: mapdata.build(
                    c, flt, budget=config.settings().point_budget, ctx=ctx
                )
            )
        ronna = c.execute(
            text("select id from pax_api.area where kind = 'district' and name = 'Ronna'")
        ).scalar_one()
        out["area card"] = timed(lambda: card.build(c, ronna, now))
        flt = queries.Filter(now - timedelta(days=365), now, tuple(INCIDENT_KINDS))
        out["hot spots 1 year"] = timed(lambda: service.hot_spots(c, flt, permutations=999), 1)
    region = auth.authenticate(auth.DEMO_ACCOUNTS["regional_analyst"], auth.DEMO_PASSWORD)
    if region.ok:
        with auth.reader_connection(
            "regional_analyst", region.token, auth.DEMO_ACCOUNTS["regional_analyst"]
        ) as c:
            m = c.execute(text("select count(*) from pax_api.municipality")).scalar_one()
            if m > 1:
                out["regional counts 1 year"] = timed(
                    lambda: regional.counts(c, now - timedelta(days=365), now)
                )
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--incidents", type=int, default=5_000_000)
    ap.add_argument("--municipalities", type=int, default=40)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    chosen = codes(args.municipalities)
    home_n = args.incidents // args.municipalities
    # each other municipality gets about incidents_each x its factor (median 0.6)
    each = int((args.incidents - home_n) / (len(chosen) - 1) / 0.65)
    print(f"{len(chosen)} municipalities, {args.years} years, target {args.incidents:,} incidents")
    t_single = build("pax_bench_single", home_n, [], each, args.years)
    print(f"single: loaded in {t_single:.0f} s")
    t_regional = build("pax_bench_region", home_n, chosen[1:], each, args.years)
    eng = create_engine(db.owner_url(database="pax_bench_region"))
    with eng.connect() as c:
        total = c.execute(text("select count(*) from pax_data.incident")).scalar_one()
        size = c.execute(
            text("select pg_size_pretty(pg_total_relation_size('pax_data.incident'))")
        ).scalar_one()
    eng.dispose()
    print(f"regional: {total:,} incidents ({size}) loaded in {t_regional:.0f} s")
    results = {"single": measure("pax_bench_single"), "regional": measure("pax_bench_region")}
    t_part = partition("pax_bench_region")
    print(f"partitioned in {t_part:.0f} s")
    results["partitioned"] = measure("pax_bench_region")
    print()
    print(f"{'':28}" + "".join(f"{k:>22}" for k in results))
    print(f"{'(cold / warm median, s)':28}")
    for row in results["regional"]:
        cells = []
        for k in results:
            v = results[k].get(row)
            if v is None:
                cells.append(f"{'-':>22}")
            elif row == "police sees incidents":
                cells.append(f"{int(v[0]):>22,}")
            else:
                cells.append(f"{v[0]:>10.3f} / {v[1]:<9.3f}")
        print(f"{row:28}" + "".join(cells))
    if not args.keep:
        for name in ("pax_bench_single", "pax_bench_region"):
            db.drop_database(name, config.settings())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
