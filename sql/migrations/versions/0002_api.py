"""The role-facing API: security-barrier views and functions in schema pax_api.

No application role has any privilege on pax_data. Every view filters by the precision that
pax_data.role_precision (generated from layers/*.toml) gives to ``current_user``; the counts
functions run as definer and read the caller's login role from ``session_user``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

API = """
create view pax_api.my_precision as
    select layer, precision, suppress_below
    from pax_data.role_precision where db_role = current_user;

create view pax_api.area as
    select id, code, name, kind, population, geom, source, source_id, loaded_at
    from pax_data.area;

create view pax_api.indicator_key as select * from pax_data.indicator_key;

create view pax_api.indicator as
    select id, area_id, period, year, key, value, unit, source, source_id, loaded_at
    from pax_data.indicator;

create view pax_api.night_walk_route as
    select id, name, organisation, schedule, geom, source, source_id, loaded_at
    from pax_data.night_walk_route;

create view pax_api.night_walk as
    select id, route_id, walked_on, participants, source, loaded_at
    from pax_data.night_walk;

create view pax_api.incident_exact with (security_barrier) as
    select i.id, i.kind, i.subtype, i.title, i.description, i.occurred_at, i.occurred_from,
           i.occurred_to, i.reported_at, i.verification, i.location_precision, i.area_id, i.geom,
           i.source, i.source_id, i.source_url, i.loaded_at
    from pax_data.incident i
    where i.kind in (select rp.layer from pax_data.role_precision rp
                     where rp.db_role = current_user and rp.precision = 'exact');

create view pax_api.incident_grid with (security_barrier) as
    select i.id, i.kind, i.subtype, i.occurred_at, i.occurred_from, i.occurred_to,
           i.verification, i.area_id,
           case when i.geom is null then null else
               st_setsrid(st_makepoint(floor(st_x(i.geom) / g.m) * g.m + g.m / 2,
                                       floor(st_y(i.geom) / g.m) * g.m + g.m / 2), 3006)
           end::geometry(Point, 3006) as geom
    from pax_data.incident i
    cross join (select coalesce((select value::double precision from pax_data.setting
                                 where key = 'grid_m'), 250) as m) g
    where i.kind in (select rp.layer from pax_data.role_precision rp
                     where rp.db_role = current_user and rp.precision in ('exact', 'grid'));

create view pax_api.camera with (security_barrier) as
    select c.id, c.name, c.owner, c.status, c.direction_deg, c.geom, c.coverage,
           c.source, c.source_id, c.verification, c.loaded_at
    from pax_data.camera c
    where exists (select 1 from pax_data.role_precision rp
                  where rp.db_role = current_user and rp.layer = 'camera'
                    and rp.precision = 'exact');

create view pax_api.operation with (security_barrier) as
    select o.id, o.name, o.description, o.starts_at, o.ends_at, o.geom, o.source, o.loaded_at
    from pax_data.operation o
    where exists (select 1 from pax_data.role_precision rp
                  where rp.db_role = current_user and rp.layer = 'operation'
                    and rp.precision = 'exact');

create view pax_api.observation with (security_barrier) as
    select o.id, o.observed_at, o.category, o.text, o.reporter, o.geom, o.area_id,
           o.source, o.verification, o.loaded_at
    from pax_data.observation o
    where exists (select 1 from pax_data.role_precision rp
                  where rp.db_role = current_user and rp.layer = 'observation'
                    and (rp.precision = 'exact'
                         or (rp.precision = 'own'
                             and o.reporter = current_setting('pax.app_user', true))));

-- Hour-aligned window used by the counts functions: it blunts differencing between two
-- nearly identical windows for the roles whose small counts are suppressed.
create function pax_api._window(p_from timestamptz, p_to timestamptz, p_suppress int,
                                out w_from timestamptz, out w_to timestamptz)
language sql immutable as $$
    select case when p_suppress > 0 then date_trunc('hour', p_from) else p_from end,
           case when p_suppress > 0 and date_trunc('hour', p_to) <> p_to
                then date_trunc('hour', p_to) + interval '1 hour' else p_to end
$$;

create function pax_api.incident_counts(
    p_from timestamptz, p_to timestamptz, p_bucket text default 'all', p_kinds text[] default null)
returns table (area_id int, kind text, bucket date, n int, suppressed boolean)
language plpgsql stable security definer
set search_path = pg_catalog, public, pax_data
as $$
begin
    if p_bucket not in ('all', 'day', 'week', 'month', 'year') then
        raise exception 'bucket must be one of all, day, week, month, year (got %)', p_bucket;
    end if;
    return query
    with perm as (
        select rp.layer, rp.suppress_below, w.w_from, w.w_to
        from pax_data.role_precision rp,
             lateral pax_api._window(p_from, p_to, rp.suppress_below) w
        where rp.db_role = session_user and rp.precision in ('exact', 'grid', 'area')
    ), base as (
        select i.area_id as a, i.kind as k,
               case when p_bucket = 'all' then null::date
                    else date_trunc(p_bucket, i.occurred_at at time zone 'Europe/Stockholm')::date
               end as b,
               count(*)::int as cnt
        from pax_data.incident i
        join perm on perm.layer = i.kind
        where i.occurred_at >= perm.w_from and i.occurred_at < perm.w_to
          and (p_kinds is null or i.kind = any (p_kinds))
        group by 1, 2, 3
    )
    select base.a, base.k, base.b,
           case when base.cnt < perm.suppress_below then null else base.cnt end,
           base.cnt < perm.suppress_below
    from base join perm on perm.layer = base.k;
end $$;

create function pax_api.observation_counts(
    p_from timestamptz, p_to timestamptz, p_bucket text default 'all')
returns table (area_id int, category text, bucket date, n int, suppressed boolean)
language plpgsql stable security definer
set search_path = pg_catalog, public, pax_data
as $$
declare
    v_supp int;
    v_from timestamptz;
    v_to timestamptz;
begin
    if p_bucket not in ('all', 'day', 'week', 'month', 'year') then
        raise exception 'bucket must be one of all, day, week, month, year (got %)', p_bucket;
    end if;
    select rp.suppress_below into v_supp from pax_data.role_precision rp
     where rp.db_role = session_user and rp.layer = 'observation'
       and rp.precision in ('exact', 'area', 'own');
    if not found then
        return;
    end if;
    select w.w_from, w.w_to into v_from, v_to from pax_api._window(p_from, p_to, v_supp) w;
    return query
    select o.area_id, o.category,
           case when p_bucket = 'all' then null::date
                else date_trunc(p_bucket, o.observed_at at time zone 'Europe/Stockholm')::date end,
           case when count(*) < v_supp then null else count(*)::int end,
           count(*) < v_supp
    from pax_data.observation o
    where o.observed_at >= v_from and o.observed_at < v_to
    group by 1, 2, 3;
end $$;

create function pax_api.audit(p_username text, p_role text, p_action text, p_page text,
                              p_detail jsonb default '{}'::jsonb)
returns void language sql security definer
set search_path = pg_catalog, pax_data
as $$
    insert into pax_data.audit_log (username, role, action, page, detail)
    values (p_username, p_role, p_action, p_page, coalesce(p_detail, '{}'::jsonb));
$$;

create view pax_api.audit_log as
    select id, at, username, role, action, page, detail from pax_data.audit_log;

revoke all on all functions in schema pax_api from public;
"""


def upgrade() -> None:
    op.execute(API)


def downgrade() -> None:
    op.execute("drop schema pax_api cascade; create schema pax_api;")
