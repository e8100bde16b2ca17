"""Database hardening (issue 13): restricted views over definer functions, coarser grid rows,
an audit function that refuses forged rows.

* The restricted views (incident_exact, incident_grid, camera, operation, observation) no longer
  filter pax_data tables in the caller's plan, where ``EXPLAIN ANALYZE`` showed the hidden rows as
  "Rows Removed by Filter". Each view now reads a SECURITY DEFINER set-returning function
  ``pax_api.<view>_rows(...)`` that filters inside; a plan shows only a Function Scan with the
  rows the role may see. The incident functions take the time window, kinds, areas, subtypes,
  verification, "located only" and a row limit, so the map and analysis readers call them
  directly and the time index is used.
* incident_grid has no ``id`` any more, and its times are truncated to the hour
  (Europe/Stockholm); its time window is widened to whole hours before filtering, so which rows
  a window returns depends only on the hour of each incident.
* ``pax_api.audit``: a reader login writes only for its own live bound session (else it
  raises); every non-superuser login may write only actions listed in ``pax_data.audit_action``
  (filled by pax_geo.security.sync_privileges from pax_geo.audit.ACTIONS); detail is bounded.

Ownership (the non-superuser ``pax_definer``), ``search_path ... pg_temp`` on every definer
function and the catalogue/TEMP revocations are applied by sync_privileges after every
migration, so they also cover functions added by later revisions.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SQL = r"""
create table if not exists pax_data.audit_action (
    action text primary key check (action ~ '^[a-z][a-z0-9_.:-]{0,63}$'),
    auth_login boolean not null default false  -- the pax_auth login may write it
);

-- The caller's role, checked inside every row function: a login may ask only for a role it is
-- a member of (itself, or pax_reader after SET ROLE, which has no rows).
create or replace function pax_api._check_role(p_role pg_catalog.name)
returns pg_catalog.name
language plpgsql stable
set search_path = pg_catalog, pax_data, pg_temp
as $$
begin
    if p_role is null or not pg_catalog.pg_has_role(session_user, p_role, 'MEMBER') then
        raise exception 'role % is not the caller', p_role using errcode = '42501';
    end if;
    return p_role;
end $$;

drop view if exists pax_api.incident_exact;
drop view if exists pax_api.incident_grid;
drop view if exists pax_api.camera;
drop view if exists pax_api.operation;
drop view if exists pax_api.observation;

create function pax_api.incident_exact_rows(
    p_from pg_catalog.timestamptz default null,
    p_to pg_catalog.timestamptz default null,
    p_kinds pg_catalog.text[] default null,
    p_areas pg_catalog.int4[] default null,
    p_subtypes pg_catalog.text[] default null,
    p_verifications pg_catalog.text[] default null,
    p_located pg_catalog.bool default false,
    p_limit pg_catalog.int4 default null,
    p_role pg_catalog.name default current_user)
returns table (id pg_catalog.int8, kind pg_catalog.text, subtype pg_catalog.text,
               title pg_catalog.text, description pg_catalog.text,
               occurred_at pg_catalog.timestamptz, occurred_from pg_catalog.timestamptz,
               occurred_to pg_catalog.timestamptz, reported_at pg_catalog.timestamptz,
               verification pg_catalog.text, location_precision pg_catalog.text,
               area_id pg_catalog.int4, geom public.geometry, source pg_catalog.text,
               source_id pg_catalog.text, source_url pg_catalog.text,
               loaded_at pg_catalog.timestamptz, x pg_catalog.float8, y pg_catalog.float8)
language plpgsql stable security definer rows 1000
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_kinds pg_catalog.text[];
begin
    perform pax_api._check_role(p_role);
    select pg_catalog.array_agg(rp.layer) into v_kinds from pax_data.role_precision rp
     where rp.db_role = p_role and rp.precision = 'exact'
       and (p_kinds is null or rp.layer = any (p_kinds));
    if v_kinds is null then
        return;
    end if;
    return query
    select i.id, i.kind, i.subtype, i.title, i.description, i.occurred_at, i.occurred_from,
           i.occurred_to, i.reported_at, i.verification, i.location_precision, i.area_id, i.geom,
           i.source, i.source_id, i.source_url, i.loaded_at, i.x, i.y
    from pax_data.incident i
    where i.kind = any (v_kinds)
      and i.occurred_at >= coalesce(p_from, '-infinity'::pg_catalog.timestamptz)
      and i.occurred_at < coalesce(p_to, 'infinity'::pg_catalog.timestamptz)
      and (p_areas is null or i.area_id = any (p_areas))
      and (p_subtypes is null or i.kind <> 'cache' or i.subtype = any (p_subtypes))
      and (p_verifications is null or i.verification = any (p_verifications))
      and (not coalesce(p_located, false) or i.geom is not null)
    limit p_limit;
end $$;

create function pax_api.incident_grid_rows(
    p_from pg_catalog.timestamptz default null,
    p_to pg_catalog.timestamptz default null,
    p_kinds pg_catalog.text[] default null,
    p_areas pg_catalog.int4[] default null,
    p_subtypes pg_catalog.text[] default null,
    p_verifications pg_catalog.text[] default null,
    p_located pg_catalog.bool default false,
    p_limit pg_catalog.int4 default null,
    p_role pg_catalog.name default current_user)
returns table (kind pg_catalog.text, subtype pg_catalog.text,
               occurred_at pg_catalog.timestamptz, occurred_from pg_catalog.timestamptz,
               occurred_to pg_catalog.timestamptz, verification pg_catalog.text,
               area_id pg_catalog.int4, geom public.geometry, x pg_catalog.float8,
               y pg_catalog.float8)
language plpgsql stable security definer rows 1000
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_kinds pg_catalog.text[];
    v_m pg_catalog.float8;
    v_from pg_catalog.timestamptz;
    v_to pg_catalog.timestamptz;
begin
    perform pax_api._check_role(p_role);
    select pg_catalog.array_agg(rp.layer) into v_kinds from pax_data.role_precision rp
     where rp.db_role = p_role and rp.precision in ('exact', 'grid')
       and (p_kinds is null or rp.layer = any (p_kinds));
    if v_kinds is null then
        return;
    end if;
    v_m := coalesce((select s.value::pg_catalog.float8 from pax_data.setting s
                     where s.key = 'grid_m'), 250);
    -- whole hours only: a window cannot split an hour, so it reveals no finer time
    v_from := coalesce(pg_catalog.date_trunc('hour', p_from, 'Europe/Stockholm'),
                       '-infinity'::pg_catalog.timestamptz);
    v_to := case when p_to is null then 'infinity'::pg_catalog.timestamptz
                 when pg_catalog.date_trunc('hour', p_to, 'Europe/Stockholm') = p_to then p_to
                 else pg_catalog.date_trunc('hour', p_to, 'Europe/Stockholm')
                      + '1 hour'::pg_catalog.interval end;
    return query
    select i.kind, i.subtype,
           pg_catalog.date_trunc('hour', i.occurred_at, 'Europe/Stockholm'),
           pg_catalog.date_trunc('hour', i.occurred_from, 'Europe/Stockholm'),
           pg_catalog.date_trunc('hour', i.occurred_to, 'Europe/Stockholm'),
           i.verification, i.area_id,
           case when i.geom is null then null else
               public.st_setsrid(public.st_makepoint(pg_catalog.floor(i.x / v_m) * v_m + v_m / 2,
                                                     pg_catalog.floor(i.y / v_m) * v_m + v_m / 2),
                                 3006) end,
           pg_catalog.floor(i.x / v_m) * v_m + v_m / 2,
           pg_catalog.floor(i.y / v_m) * v_m + v_m / 2
    from pax_data.incident i
    where i.kind = any (v_kinds)
      and i.occurred_at >= v_from and i.occurred_at < v_to
      and (p_areas is null or i.area_id = any (p_areas))
      and (p_subtypes is null or i.kind <> 'cache' or i.subtype = any (p_subtypes))
      and (p_verifications is null or i.verification = any (p_verifications))
      and (not coalesce(p_located, false) or i.geom is not null)
    limit p_limit;
end $$;

create function pax_api.camera_rows(p_role pg_catalog.name default current_user)
returns table (id pg_catalog.int4, name pg_catalog.text, owner pg_catalog.text,
               status pg_catalog.text, direction_deg pg_catalog.float8, geom public.geometry,
               coverage public.geometry, source pg_catalog.text, source_id pg_catalog.text,
               verification pg_catalog.text, loaded_at pg_catalog.timestamptz)
language plpgsql stable security definer rows 100
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
begin
    perform pax_api._check_role(p_role);
    return query
    select c.id, c.name, c.owner, c.status, c.direction_deg, c.geom, c.coverage,
           c.source, c.source_id, c.verification, c.loaded_at
    from pax_data.camera c
    where exists (select 1 from pax_data.role_precision rp
                  where rp.db_role = p_role and rp.layer = 'camera' and rp.precision = 'exact');
end $$;

create function pax_api.operation_rows(p_role pg_catalog.name default current_user)
returns table (id pg_catalog.int4, name pg_catalog.text, description pg_catalog.text,
               starts_at pg_catalog.timestamptz, ends_at pg_catalog.timestamptz,
               geom public.geometry, source pg_catalog.text, loaded_at pg_catalog.timestamptz)
language plpgsql stable security definer rows 100
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
begin
    perform pax_api._check_role(p_role);
    return query
    select o.id, o.name, o.description, o.starts_at, o.ends_at, o.geom, o.source, o.loaded_at
    from pax_data.operation o
    where exists (select 1 from pax_data.role_precision rp
                  where rp.db_role = p_role and rp.layer = 'operation'
                    and rp.precision = 'exact');
end $$;

create function pax_api.observation_rows(p_role pg_catalog.name default current_user)
returns table (id pg_catalog.int8, observed_at pg_catalog.timestamptz, category pg_catalog.text,
               text pg_catalog.text, reporter pg_catalog.text, geom public.geometry,
               area_id pg_catalog.int4, source pg_catalog.text, verification pg_catalog.text,
               loaded_at pg_catalog.timestamptz)
language plpgsql stable security definer rows 1000
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_prec pg_catalog.text;
    v_user pg_catalog.text;
begin
    perform pax_api._check_role(p_role);
    select rp.precision into v_prec from pax_data.role_precision rp
     where rp.db_role = p_role and rp.layer = 'observation';
    if v_prec = 'exact' then
        return query
        select o.id, o.observed_at, o.category, o.text, o.reporter, o.geom, o.area_id,
               o.source, o.verification, o.loaded_at
        from pax_data.observation o;
    elsif v_prec = 'own' then
        v_user := pax_api.app_username();
        if v_user is null then
            return;
        end if;
        return query
        select o.id, o.observed_at, o.category, o.text, o.reporter, o.geom, o.area_id,
               o.source, o.verification, o.loaded_at
        from pax_data.observation o where o.reporter = v_user;
    end if;
end $$;

create view pax_api.incident_exact with (security_barrier) as
    select r.id, r.kind, r.subtype, r.title, r.description, r.occurred_at, r.occurred_from,
           r.occurred_to, r.reported_at, r.verification, r.location_precision, r.area_id,
           r.geom::geometry(Point, 3006) as geom, r.source, r.source_id, r.source_url,
           r.loaded_at, r.x, r.y
    from pax_api.incident_exact_rows() r;

create view pax_api.incident_grid with (security_barrier) as
    select r.kind, r.subtype, r.occurred_at, r.occurred_from, r.occurred_to, r.verification,
           r.area_id, r.geom::geometry(Point, 3006) as geom, r.x, r.y
    from pax_api.incident_grid_rows() r;

create view pax_api.camera with (security_barrier) as
    select r.id, r.name, r.owner, r.status, r.direction_deg, r.geom::geometry(Point, 3006) as geom,
           r.coverage::geometry(Polygon, 3006) as coverage, r.source, r.source_id,
           r.verification, r.loaded_at
    from pax_api.camera_rows() r;

create view pax_api.operation with (security_barrier) as
    select r.id, r.name, r.description, r.starts_at, r.ends_at,
           r.geom::geometry(MultiPolygon, 3006) as geom, r.source, r.loaded_at
    from pax_api.operation_rows() r;

create view pax_api.observation with (security_barrier) as
    select r.id, r.observed_at, r.category, r.text, r.reporter,
           r.geom::geometry(Point, 3006) as geom, r.area_id, r.source, r.verification,
           r.loaded_at
    from pax_api.observation_rows() r;

create or replace function pax_api.audit(p_username pg_catalog.text, p_role pg_catalog.text,
                                         p_action pg_catalog.text, p_page pg_catalog.text,
                                         p_detail pg_catalog.jsonb default '{}'::pg_catalog.jsonb)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
declare
    v_user pg_catalog.text := pg_catalog.left(p_username, 128);
    v_role pg_catalog.text := p_role;
    v_detail pg_catalog.jsonb := coalesce(p_detail, '{}'::pg_catalog.jsonb);
    v_bound pg_catalog.text;
begin
    if p_action is null or p_action !~ '^[a-z][a-z0-9_.:-]{0,63}$' then
        raise exception 'audit action must be a short lower-case word';
    end if;
    -- Every login but a superuser (the owner's migrations and CLI) writes listed actions only.
    if not coalesce((select r.rolsuper from pg_catalog.pg_roles r
                     where r.rolname = session_user), false)
       and not exists (select 1 from pax_data.audit_action a where a.action = p_action) then
        raise exception 'audit action % is not one the application writes', p_action
            using errcode = '42501';
    end if;
    -- The sign-in login writes only sign-in and sign-out rows (for names that need not exist).
    if session_user = (select s.value from pax_data.setting s where s.key = 'auth_login')
       and not exists (select 1 from pax_data.audit_action a
                       where a.action = p_action and a.auth_login) then
        raise exception 'audit action % needs a signed-in session', p_action
            using errcode = '42501';
    end if;
    if pg_catalog.jsonb_typeof(v_detail) <> 'object' then
        v_detail := pg_catalog.jsonb_build_object('value', v_detail);
    end if;
    if pg_catalog.octet_length(v_detail::pg_catalog.text) > 8192 then
        raise exception 'audit detail is too large (at most 8192 bytes)' using errcode = '22001';
    end if;
    -- A reader login writes only for its own live bound session: the user and the role come
    -- from the session, never from the arguments.
    if exists (select 1 from pax_data.role_precision rp where rp.db_role = session_user) then
        v_bound := pax_api.app_username();
        if v_bound is null then
            raise exception 'audit rows from % need a live session bound to this connection',
                session_user using errcode = '42501';
        end if;
        v_role := pg_catalog.substr(session_user, 5);
        v_user := v_bound;
    end if;
    insert into pax_data.audit_log (username, role, action, page, detail, db_login)
    values (v_user, v_role, p_action, pg_catalog.left(p_page, 64), v_detail, session_user);
end $$;

revoke all on all functions in schema pax_api from public;
"""


def upgrade() -> None:
    op.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError(
        "0010 replaces the restricted views and pax_api.audit; restore from a backup instead."
    )
