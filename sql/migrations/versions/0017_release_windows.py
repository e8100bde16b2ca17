"""The released counts without a self-join, and lookups that lead with the municipality.

* ``pax_api._released_counts`` (0009) projected the noisy area sums onto the noisy total with
  a self-join of ``ranked`` (each row with the row at ``j = rho``). Its row estimates are 1, so
  when the plan around it changed (row security with two or more municipalities, 0016) the
  planner chose a nested loop over every pair of cells: 4.2 s instead of 0.3 s for a field
  worker's two years at a million incidents. The same values now come from window functions
  over ``ranked``, with no join to misplan. The rest of the function is unchanged; the body is
  patched in place, and the migration stops if the old block is not found exactly once. On the
  demo database the 96 combinations of role, bucket, window and source gave the same 34,455
  rows before and after.
* ``(municipality_code, area_id)`` on incidents and observations, replacing the single-column
  municipality index: the "was any record ever in this area" probe of the release, under row
  security, is an index-only probe.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from alembic import op
from sqlalchemy import text

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

SIGNATURE = "pax_api._released_counts(text, timestamptz, timestamptz, text, text[], integer)"

OLD = """    ), shift as (
        -- the Euclidean projection of the noisy area sums onto {b >= 0, sum b = total}:
        -- b = max(0, s - lambda) (the sorting algorithm for the projection onto a simplex)
        select r.bucket, r.k,
               coalesce(max(r.j) filter (where r.s - (r.cs - r.total)::double precision / r.j > 0),
                        0) as rho
        from ranked r group by 1, 2
    ), quotas as (
        select r.bucket, r.k, r.a, r.total, r.s as tiebreak,
               case when sh.rho = 0 then 0::double precision
                    else greatest(r.s - (rr.cs - r.total)::double precision / sh.rho, 0) end as q
        from ranked r
        join shift sh on sh.bucket = r.bucket and sh.k = r.k
        left join ranked rr on rr.bucket = r.bucket and rr.k = r.k and rr.j = sh.rho
    ), released as ("""
NEW = """    ), shift as (
        -- the Euclidean projection of the noisy area sums onto {b >= 0, sum b = total}:
        -- b = max(0, s - lambda) (the sorting algorithm for the projection onto a simplex);
        -- rho per bucket and key as a window, so no self-join (whose row estimates of 1 made
        -- the planner loop over every pair of cells)
        select r.*,
               coalesce(max(r.j) filter (where r.s - (r.cs - r.total)::double precision / r.j > 0)
                        over (partition by r.bucket, r.k), 0) as rho
        from ranked r
    ), quotas as (
        select sh.bucket, sh.k, sh.a, sh.total, sh.s as tiebreak,
               case when sh.rho = 0 then 0::double precision
                    else greatest(sh.s - (max(sh.cs) filter (where sh.j = sh.rho)
                                          over (partition by sh.bucket, sh.k)
                                          - sh.total)::double precision / sh.rho, 0) end as q
        from shift sh
    ), released as ("""


INDEXES = """
drop index pax_data.incident_municipality_idx;
create index incident_municipality_area_idx on pax_data.incident (municipality_code, area_id);
drop index pax_data.observation_municipality_idx;
create index observation_municipality_area_idx
    on pax_data.observation (municipality_code, area_id);
"""


def upgrade() -> None:
    bind = op.get_bind()
    ddl = bind.execute(
        text("select pg_get_functiondef(cast(:s as regprocedure))"), {"s": SIGNATURE}
    ).scalar_one()
    if ddl.count(NEW) != 1:
        if ddl.count(OLD) != 1:
            raise RuntimeError(f"0017: {SIGNATURE} is not the 0009 version; not patched")
        # through the driver without parameters: the body is sent as it is (its '%' included)
        with bind.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.execute(ddl.replace(OLD, NEW))
    op.execute(INDEXES)


def downgrade() -> None:
    raise NotImplementedError("0017: restore 0009's function body by hand if ever needed")
