"""Map aggregation inside the database: hexagon and grid-cell counts from definer functions.

0010 put the restricted incident views behind row functions (so EXPLAIN shows no hidden rows).
Binning then read every row of a year (357k at 1M incidents, geometry and text included)
through a materialised function result before counting: the police hexagon map went from
0.75 s to 2.6 s. These functions count inside, over plain x/y, and return only cells:

* ``pax_api.incident_hex_counts``: per kind and flat-top hexagon (axial q, r, the same cube
  rounding as ``pax_geo.mapdata.hex_axial``), from exact positions for the kinds the role sees
  exactly and from 250 m cell centres for the kinds it sees on the grid;
* ``pax_api.incident_grid_counts``: per kind and grid cell centre, for the kinds the role sees
  on the grid (or exactly).

For grid kinds the window is widened to whole hours, as in ``incident_grid_rows``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SQL = r"""
create function pax_api.incident_hex_counts(
    p_size pg_catalog.float8,
    p_from pg_catalog.timestamptz,
    p_to pg_catalog.timestamptz,
    p_kinds pg_catalog.text[] default null,
    p_areas pg_catalog.int4[] default null,
    p_subtypes pg_catalog.text[] default null,
    p_verifications pg_catalog.text[] default null)
returns table (kind pg_catalog.text, q pg_catalog.int8, r pg_catalog.int8, n pg_catalog.int4)
language plpgsql stable security definer rows 1000
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_exact pg_catalog.text[];
    v_grid pg_catalog.text[];
    v_m pg_catalog.float8;
    v_gfrom pg_catalog.timestamptz;
    v_gto pg_catalog.timestamptz;
begin
    if p_size is null or p_size < 10 or p_size > 100000 then
        raise exception 'hexagon size must be 10 to 100000 metres (got %)', p_size;
    end if;
    select pg_catalog.array_agg(rp.layer) filter (where rp.precision = 'exact'),
           pg_catalog.array_agg(rp.layer) filter (where rp.precision = 'grid')
      into v_exact, v_grid
      from pax_data.role_precision rp
     where rp.db_role = session_user
       and rp.layer in ('car_fire', 'shooting', 'explosion', 'cache')
       and (p_kinds is null or rp.layer = any (p_kinds));
    v_m := coalesce((select s.value::pg_catalog.float8 from pax_data.setting s
                     where s.key = 'grid_m'), 250);
    v_gfrom := pg_catalog.date_trunc('hour', p_from, 'Europe/Stockholm');
    v_gto := case when pg_catalog.date_trunc('hour', p_to, 'Europe/Stockholm') = p_to then p_to
                  else pg_catalog.date_trunc('hour', p_to, 'Europe/Stockholm')
                       + '1 hour'::pg_catalog.interval end;
    return query
    with pts as (
        select i.kind as k, i.x as px, i.y as py
        from pax_data.incident i
        where v_exact is not null and i.kind = any (v_exact)
          and i.occurred_at >= p_from and i.occurred_at < p_to and i.x is not null
          and (p_areas is null or i.area_id = any (p_areas))
          and (p_subtypes is null or i.kind <> 'cache' or i.subtype = any (p_subtypes))
          and (p_verifications is null or i.verification = any (p_verifications))
        union all
        select i.kind, pg_catalog.floor(i.x / v_m) * v_m + v_m / 2,
               pg_catalog.floor(i.y / v_m) * v_m + v_m / 2
        from pax_data.incident i
        where v_grid is not null and i.kind = any (v_grid)
          and i.occurred_at >= v_gfrom and i.occurred_at < v_gto and i.x is not null
          and (p_areas is null or i.area_id = any (p_areas))
          and (p_subtypes is null or i.kind <> 'cache' or i.subtype = any (p_subtypes))
          and (p_verifications is null or i.verification = any (p_verifications))
    ), a as (
        select pts.k, (2.0 / 3.0 * pts.px) / p_size as qf,
               (-pts.px / 3.0 + pg_catalog.sqrt(3.0) / 3.0 * pts.py) / p_size as rf
        from pts
    ), c as (
        select a.k, a.qf, a.rf, -a.qf - a.rf as sf, pg_catalog.round(a.qf) as rq,
               pg_catalog.round(a.rf) as rr, pg_catalog.round(-a.qf - a.rf) as rs
        from a
    ), d as (
        select c.k,
               case when pg_catalog.abs(c.rq - c.qf) > pg_catalog.abs(c.rr - c.rf)
                         and pg_catalog.abs(c.rq - c.qf) > pg_catalog.abs(c.rs - c.sf)
                    then -c.rr - c.rs else c.rq end as hq,
               case when pg_catalog.abs(c.rq - c.qf) > pg_catalog.abs(c.rr - c.rf)
                         and pg_catalog.abs(c.rq - c.qf) > pg_catalog.abs(c.rs - c.sf) then c.rr
                    when pg_catalog.abs(c.rr - c.rf) > pg_catalog.abs(c.rs - c.sf)
                    then -c.rq - c.rs else c.rr end as hr
        from c
    )
    select d.k, d.hq::pg_catalog.int8, d.hr::pg_catalog.int8, pg_catalog.count(*)::pg_catalog.int4
    from d group by 1, 2, 3;
end $$;

create function pax_api.incident_grid_counts(
    p_from pg_catalog.timestamptz,
    p_to pg_catalog.timestamptz,
    p_kinds pg_catalog.text[] default null,
    p_areas pg_catalog.int4[] default null,
    p_subtypes pg_catalog.text[] default null,
    p_verifications pg_catalog.text[] default null)
returns table (kind pg_catalog.text, x pg_catalog.float8, y pg_catalog.float8,
               n pg_catalog.int4)
language plpgsql stable security definer rows 1000
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_kinds pg_catalog.text[];
    v_m pg_catalog.float8;
    v_from pg_catalog.timestamptz;
    v_to pg_catalog.timestamptz;
begin
    select pg_catalog.array_agg(rp.layer) into v_kinds from pax_data.role_precision rp
     where rp.db_role = session_user and rp.precision in ('exact', 'grid')
       and rp.layer in ('car_fire', 'shooting', 'explosion', 'cache')
       and (p_kinds is null or rp.layer = any (p_kinds));
    if v_kinds is null then
        return;
    end if;
    v_m := coalesce((select s.value::pg_catalog.float8 from pax_data.setting s
                     where s.key = 'grid_m'), 250);
    v_from := pg_catalog.date_trunc('hour', p_from, 'Europe/Stockholm');
    v_to := case when pg_catalog.date_trunc('hour', p_to, 'Europe/Stockholm') = p_to then p_to
                 else pg_catalog.date_trunc('hour', p_to, 'Europe/Stockholm')
                      + '1 hour'::pg_catalog.interval end;
    return query
    select i.kind, pg_catalog.floor(i.x / v_m) * v_m + v_m / 2,
           pg_catalog.floor(i.y / v_m) * v_m + v_m / 2, pg_catalog.count(*)::pg_catalog.int4
    from pax_data.incident i
    where i.kind = any (v_kinds)
      and i.occurred_at >= v_from and i.occurred_at < v_to and i.x is not null
      and (p_areas is null or i.area_id = any (p_areas))
      and (p_subtypes is null or i.kind <> 'cache' or i.subtype = any (p_subtypes))
      and (p_verifications is null or i.verification = any (p_verifications))
    group by 1, 2, 3;
end $$;

revoke all on function pax_api.incident_hex_counts(pg_catalog.float8, pg_catalog.timestamptz,
    pg_catalog.timestamptz, pg_catalog.text[], pg_catalog.int4[], pg_catalog.text[],
    pg_catalog.text[]) from public;
revoke all on function pax_api.incident_grid_counts(pg_catalog.timestamptz,
    pg_catalog.timestamptz, pg_catalog.text[], pg_catalog.int4[], pg_catalog.text[],
    pg_catalog.text[]) from public;
"""


def upgrade() -> None:
    op.execute(SQL)


def downgrade() -> None:
    op.execute(
        "drop function if exists pax_api.incident_hex_counts(float8, timestamptz, timestamptz, "
        "text[], int4[], text[], text[]); "
        "drop function if exists pax_api.incident_grid_counts(timestamptz, timestamptz, text[], "
        "int4[], text[], text[]);"
    )
