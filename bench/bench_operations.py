"""Benchmark Insatser: the register, the before/after evaluation and the planning profile.

    .venv/bin/python bench/bench_operations.py [--incidents 1000000] [--keep]

The issue's target: an evaluation on 1M incidents in at most 1 s. Creates its own database
(pax_bench_operations) on the configured server, loads the demo data set with the given number
of incidents (4,000 is the demo database's size), signs in the demo police analyst and times:

1. ``register.listing`` (the register at the police's precision, with polygons);
2. for three demo operations (the shortest and the longest that have ended, and the ongoing
   one) ``evaluate.run`` with the default buffer, against the rest of the municipality and
   against the operation's own district; and what a click on the page costs on top (the
   register read again, the municipality and the districts from the database);
3. the breakdown of one evaluation: the zones (shapely), ``zone_day_counts`` for the three
   zones over the before + after periods, the history read (the target over the year before),
   the weekly buckets and the statistics (``pax_geo.analysis.evaluation.evaluate``);
4. ``profile.build`` for an operation's target;
5. the JSON stored by ``evaluate.as_record``, in bytes;
6. the plans: the logins may not EXPLAIN (ANALYZE) a SECURITY DEFINER function's inner query,
   so the inner query of ``pax_api.zone_day_counts`` is run once as the bench database's owner
   with the same arguments, and the plan's top lines and its execution time are printed.

Best of 3 after one warm-up. No figure is asserted: the script prints what it measures.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import shapely
from sqlalchemy import Engine, text
from support import best, scratch_arguments, scratch_database, signed_in

from pax_geo import queries
from pax_geo.analysis import evaluation as ev
from pax_geo.clock import now as clock_now
from pax_geo.layers import INCIDENT_KINDS
from pax_geo.operations import evaluate as evm
from pax_geo.operations import profile, register
from pax_geo.operations import zones as zn

DB = "pax_bench_operations"
PLAN_LINES = 28

#: The inner query of pax_api.zone_day_counts (0015_operations.py), for EXPLAIN as the owner.
ZONE_DAY_COUNTS = """
    with z as (
        select u.zone, u.ord, st_subdivide(st_geomfromtext(u.wkt, 3006), 64) as g
        from unnest(cast(:zones as text[]), cast(:wkt as text[])) with ordinality as u(zone, wkt, ord)
    ), hit as (
        select distinct on (i.id) z.zone, i.id, i.kind, i.occurred_at
        from z join pax_data.incident i
          on i.geom && z.g and st_intersects(z.g, i.geom)
        where i.occurred_at >= :a and i.occurred_at < :b and i.kind = any(cast(:kinds as text[]))
          and i.location_precision in ('exact', 'address')
        order by i.id, z.ord
    )
    select hit.zone, hit.kind, (hit.occurred_at at time zone 'Europe/Stockholm')::date,
           count(*)::int4
    from hit group by 1, 2, 3 order by 1, 2, 3
"""


def main() -> int:
    args = scratch_arguments(1_000_000)
    with scratch_database(DB, args.incidents, keep=args.keep) as s:
        t0 = time.perf_counter()
        with s.owner.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("vacuum (analyze) pax_data.incident"))
        print(f"{s.loaded} (+ vacuum analyze {time.perf_counter() - t0:.1f} s)")
        measure(s.owner)
    return 0


def measure(owner: Engine) -> None:
    now = clock_now()
    rows: list[tuple[str, str, float | None]] = []
    breakdown: list[tuple[str, str, float]] = []
    sizes: list[tuple[str, int]] = []
    explain_args: dict | None = None

    with signed_in("police_analyst") as c:
        reg = register.listing(c)
        rows.append(
            ("register", f"register.listing ({len(reg)} rows)", best(lambda: register.listing(c)))
        )

        ops = reg.loc[reg["is_police"] & reg["geometry"].notna() & (reg["starts_at"] <= now)]
        ops = ops.assign(days=(ops["ends_at"].clip(upper=now) - ops["starts_at"]).dt.days)
        ongoing = ops.loc[ops["ends_at"] > now]
        ended = ops.loc[ops["ends_at"] <= now].sort_values(["days", "id"])
        picks = {
            "short": ended.iloc[0],
            "long": ended.iloc[-1],
            "ongoing": ongoing.sort_values("starts_at").iloc[-1],
        }
        districts = queries.areas(c, ("district",))
        muni_areas = queries.areas(c, ("municipality",))
        municipality = shapely.union_all(
            list((muni_areas if len(muni_areas) else districts).geometry)
        )

        def district_of(op) -> tuple[str, object]:
            inter = districts.geometry.intersection(op["geometry"]).area
            d = districts.loc[inter.idxmax()]
            return str(d["name"]), d.geometry

        for label, op in picks.items():
            kinds = tuple(k for k in op["target_types"] if k in INCIDENT_KINDS)
            p = evm.periods_for(op["starts_at"], op["ends_at"], now)
            dname, dgeom = district_of(op)
            head = (
                f"{label}: {op['name']} ({p.days} d after, {p.days} d before, "
                f"target {op['geometry'].area / 1e6:.2f} km², kinds {len(kinds)})"
            )
            print(head)
            for comp_label, comp, comp_name in (
                ("rest of municipality", None, "municipality"),
                (f"district {dname}", dgeom, dname),
            ):

                def one(op=op, kinds=kinds, comp=comp, comp_name=comp_name):
                    return evm.run(
                        c,
                        op["geometry"],
                        op["starts_at"],
                        op["ends_at"],
                        now,
                        kinds,
                        municipality,
                        comparison=comp,
                        comparison_name=comp_name,
                    )

                def click(op_id=int(op["id"]), kinds=kinds, comp=comp, comp_name=comp_name):
                    # what pax_geo.ui.operations._run adds: the entry, the areas, then run
                    o = register.get(c, op_id)
                    ar = queries.areas(c, ("municipality",))
                    muni = shapely.union_all(list(ar.geometry))
                    cmp_geom = None
                    if comp is not None:
                        ds = queries.areas(c, ("district",))
                        cmp_geom = ds.loc[ds["name"] == comp_name].geometry.iloc[0]
                    return evm.run(
                        c,
                        o["geometry"],
                        o["starts_at"],
                        o["ends_at"],
                        now,
                        kinds,
                        muni,
                        comparison=cmp_geom,
                        comparison_name=comp_name,
                    )

                r = one()
                rows.append(
                    (label, f"evaluate.run vs {comp_label} [{r.result.verdict}]", best(one))
                )
                rows.append((label, "  page click incl. register.get + areas", best(click)))
                sizes.append(
                    (f"{label} vs {comp_label}", len(json.dumps(evm.as_record(r)).encode()))
                )

                # breakdown (same steps as evaluate.run)
                z = zn.make_zones(op["geometry"], evm.DEFAULT_BUFFER_M, municipality, comp)
                a, b = evm._midnight(p.before_start), evm._midnight(p.after_end)
                h0, h1 = evm._midnight(p.history_start), evm._midnight(p.before_start)
                days = zn.day_counts(c, z.items(), a, b, kinds)
                weekly = evm.weekly_from_days(
                    days.groupby(["zone", "day"], as_index=False)["n"].sum(), p
                )
                history = ev.History(
                    count=zn.count(c, z.target, h0, h1, kinds), days=float(evm.HISTORY_DAYS)
                )
                key = f"{label} vs {comp_label}"
                breakdown.append(
                    (
                        key,
                        "make_zones (shapely)",
                        best(
                            lambda op=op, comp=comp: zn.make_zones(
                                op["geometry"], evm.DEFAULT_BUFFER_M, municipality, comp
                            )
                        ),
                    )
                )
                breakdown.append(
                    (
                        key,
                        f"zone_day_counts, 3 zones, {2 * p.days} d ({len(days)} rows, "
                        f"{int(days['n'].sum()):,} incidents)",
                        best(
                            lambda z=z, a=a, b=b, kinds=kinds: zn.day_counts(
                                c, z.items(), a, b, kinds
                            )
                        ),
                    )
                )
                breakdown.append(
                    (
                        key,
                        f"history: target, 365 d ({history.count} incidents)",
                        best(
                            lambda z=z, h0=h0, h1=h1, kinds=kinds: zn.count(
                                c, z.target, h0, h1, kinds
                            )
                        ),
                    )
                )
                breakdown.append(
                    (
                        key,
                        "weekly buckets (pandas)",
                        best(
                            lambda days=days, p=p: evm.weekly_from_days(
                                days.groupby(["zone", "day"], as_index=False)["n"].sum(), p
                            )
                        ),
                    )
                )
                breakdown.append(
                    (
                        key,
                        "statistics: evaluation.evaluate",
                        best(
                            lambda weekly=weekly, p=p, history=history: ev.evaluate(
                                weekly, float(p.days), history
                            )
                        ),
                    )
                )
                if label == "long" and comp is None:
                    explain_args = {
                        "label": f"{label} vs {comp_label}",
                        "zones": [n for n, _ in z.items()],
                        "wkt": [shapely.to_wkt(g, rounding_precision=3) for _, g in z.items()],
                        "a": a,
                        "b": b,
                        "kinds": list(kinds),
                        "hist_wkt": [shapely.to_wkt(z.target, rounding_precision=3)],
                        "h0": h0,
                        "h1": h1,
                        "pieces": [len(shapely.get_parts(g)) for _, g in z.items()],
                        "vertices": [int(shapely.get_num_coordinates(g)) for _, g in z.items()],
                    }

        target_op = picks["long"]
        prof = profile.build(c, target_op["geometry"], now, exclude_id=int(target_op["id"]))
        rows.append(
            (
                "profile",
                f"profile.build (long op's target; {int(prof.counts['365'].sum())} incidents "
                f"in 365 d, {len(prof.earlier)} earlier ops)",
                best(
                    lambda: profile.build(
                        c, target_op["geometry"], now, exclude_id=int(target_op["id"])
                    )
                ),
            )
        )
        t_times = best(
            lambda: zn.incident_times(
                c,
                target_op["geometry"],
                now - timedelta(days=365),
                now,
                INCIDENT_KINDS,
            )
        )
        rows.append(("profile", "  of which zone_incident_times (365 d)", t_times))

    print()
    print(f"{'case':<9} {'what':<66} {'seconds':>8}")
    for name, what, secs in rows:
        print(f"{name:<9} {what:<66} {secs:>8.3f}")
    print()
    print("breakdown of evaluate.run (best of 3 each):")
    for key, what, secs in breakdown:
        print(f"  {key:<38} {what:<62} {secs:>8.4f}")
    print()
    print("stored evaluation (evaluate.as_record, JSON):")
    for key, n in sizes:
        print(f"  {key:<38} {n:>6,} bytes")

    if explain_args is not None:
        ea = explain_args
        print()
        print(
            f"zones of {ea['label']}: parts {ea['pieces']}, vertices {ea['vertices']} "
            "(target, buffer, comparison)"
        )
        with owner.connect() as oc:
            for title, params in (
                (
                    f"zone_day_counts inner query, 3 zones ({ea['label']})",
                    {"zones": ea["zones"], "wkt": ea["wkt"], "a": ea["a"], "b": ea["b"]},
                ),
                (
                    "zone_day_counts inner query, history (target, 365 d)",
                    {"zones": ["target"], "wkt": ea["hist_wkt"], "a": ea["h0"], "b": ea["h1"]},
                ),
            ):
                plan = [
                    r[0]
                    for r in oc.execute(
                        text("explain (analyze, buffers) " + ZONE_DAY_COUNTS),
                        {**params, "kinds": ea["kinds"]},
                    )
                ]
                print()
                print(f"EXPLAIN (ANALYZE, BUFFERS) as owner: {title}")
                for line in plan[:PLAN_LINES]:
                    print(f"  {line}")
                if len(plan) > PLAN_LINES:
                    print(f"  ... ({len(plan) - PLAN_LINES} more lines)")
                    for line in plan:
                        if line.startswith(("Planning Time", "Execution Time")):
                            print(f"  {line}")
            oc.rollback()


if __name__ == "__main__":
    raise SystemExit(main())
