"""Insatser: planned operations, the partners' action register, and their evaluation.

* ``pax_data.operation`` grows from "a polygon and a time window" into a register entry: type,
  owner organisation, whether it is a police operation, samverkansgrupp (``pax_data.collab_group``),
  status (planned -> ongoing -> done -> evaluated, forward only), how the target was picked,
  the incident types it aims at, who saved it, and the stored evaluation.
* Writes only through SECURITY DEFINER functions that check a capability against the login and
  audit in the same transaction: ``operation_save`` (police operations need ``plan_operation``,
  the partners' actions ``record_action``), ``operation_set_status``, ``operation_evaluation_save``
  (``evaluate_operation``). A save with the same form key twice is one save (a retry after a
  dropped connection).
* **Who sees what** (the layer spec ``layers/operation.toml``): the police see every entry with
  its polygon (the restricted view ``pax_api.operation``). Roles at ``area`` precision see the
  register through ``pax_api.operation_register()``: the partners' actions, and police
  operations only once they have started and without their purpose; for both, the districts
  they touch, never a polygon.
* ``zone_day_counts``: incidents per zone, type and local day inside polygons the caller sends
  (an operation's target, its buffer ring, a comparison area), for the evaluation and the
  planning profile; ``zone_incident_times`` the target's incident times (the aoristic pattern).
  Both need exact precision for every type asked for: they are the police's own data, counted in
  the database instead of shipped as points. The incidents' location index gains the time
  (btree_gist), so a polygon and a period are found together.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SQL = r"""
-- Incidents inside a polygon *and* a period: the location index alone made the evaluation read
-- every incident of the comparison area over all years and drop all but the period's (4.3 s at
-- 1M incidents, bench/bench_operations.py); with the time in the same GiST index, 0.6 s. A
-- location-only query uses the first column as before.
create extension if not exists btree_gist with schema public;
drop index if exists pax_data.incident_geom_gix;
create index incident_geom_time_gix on pax_data.incident using gist (geom, occurred_at);

create table pax_data.collab_group (
    key text primary key check (key ~ '^[a-z_]{2,40}$'),
    label_sv text not null,
    label_en text not null,
    sort int not null default 0
);
insert into pax_data.collab_group (key, label_sv, label_en, sort) values
    ('valfardsbrott', 'Välfärdsbrott', 'Welfare crime', 1),
    ('avfall', 'Avfall', 'Waste', 2),
    ('fokus_unga', 'Fokus unga', 'Focus on youth', 3),
    ('trygga_bostadsomraden', 'Trygga bostadsområden', 'Safe neighbourhoods', 4);

alter table pax_data.operation
    add column kind text not null default 'patrol'
        check (kind in ('patrol', 'presence', 'camera', 'lighting', 'housing', 'tillsyn',
                        'outreach', 'other')),
    add column owner_org text not null default 'Polisen'
        check (pg_catalog.length(owner_org) between 1 and 120),
    add column is_police boolean not null default true,
    add column group_key text references pax_data.collab_group (key),
    add column status text not null default 'planned'
        check (status in ('planned', 'ongoing', 'done', 'evaluated')),
    add column target_kind text not null default 'polygon'
        check (target_kind in ('hot_cells', 'risk_zone', 'area', 'polygon')),
    add column target_types text[] not null
        default array['car_fire', 'shooting', 'explosion', 'cache']::text[]
        check (target_types <@ array['car_fire', 'shooting', 'explosion', 'cache']::text[]
               and pg_catalog.cardinality(target_types) > 0),
    add column client_key uuid unique,
    add column created_by text,
    add column updated_by text,
    add column updated_at timestamptz,
    add column evaluation jsonb check (evaluation is null
                                       or pg_catalog.jsonb_typeof(evaluation) = 'object'),
    add column evaluated_at timestamptz,
    add check (status <> 'evaluated' or evaluation is not null);

-- what was in the table before: status from the dates
update pax_data.operation set status = case when ends_at < pg_catalog.now() then 'done'
                                            when starts_at <= pg_catalog.now() then 'ongoing'
                                            else 'planned' end;
create index operation_time_idx on pax_data.operation (starts_at, ends_at);

-- Operations that come from files or the demo (not the register's forms) get their status from
-- their dates; the register's own entries move by hand (operation_set_status).
create function pax_data.operation_status_from_dates() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    if new.source is distinct from 'register' and new.status <> 'evaluated' then
        new.status := case when new.ends_at < pg_catalog.now() then 'done'
                           when new.starts_at <= pg_catalog.now() then 'ongoing'
                           else 'planned' end;
    end if;
    return new;
end $$;
create trigger operation_status_from_dates
    before insert or update of starts_at, ends_at on pax_data.operation
    for each row execute function pax_data.operation_status_from_dates();

-- The caller's precision for a layer ('none' when it has no row). (Not "_my_precision": that
-- is the name of the array type of the view pax_api.my_precision.)
create function pax_api._precision_of(p_layer pg_catalog.text) returns pg_catalog.text
language sql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
    select coalesce((select rp.precision from pax_data.role_precision rp
                      where rp.db_role = session_user and rp.layer = p_layer), 'none')
$$;

-- A target polygon in SWEREF 99 TM from WGS84 GeoJSON, or the union of districts.
create function pax_api._operation_target(p_geojson pg_catalog.text, p_area_ids pg_catalog.int4[])
returns public.geometry
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_geom public.geometry;
    v_muni public.geometry;
begin
    if p_geojson is not null and p_geojson <> '' then
        if pg_catalog.length(p_geojson) > 200000 then
            raise exception 'the target has too many points (at most 200,000 characters of GeoJSON)'
                using errcode = '22023';
        end if;
        begin
            v_geom := st_transform(st_setsrid(st_geomfromgeojson(p_geojson), 4326), 3006);
        exception when others then
            raise exception 'the target is not a readable GeoJSON polygon' using errcode = '22023';
        end;
    elsif p_area_ids is not null and pg_catalog.cardinality(p_area_ids) > 0 then
        select st_union(a.geom) into v_geom from pax_data.area a
         where a.id = any(p_area_ids) and a.kind = 'district';
        if v_geom is null then
            raise exception 'none of the areas % is a district', p_area_ids using errcode = '22023';
        end if;
    else
        raise exception 'an operation needs a target: a polygon or one or more areas'
            using errcode = '22023';
    end if;
    v_geom := st_collectionextract(st_makevalid(v_geom), 3);
    if v_geom is null or st_isempty(v_geom) or st_area(v_geom) < 100 then
        raise exception 'the target must be a polygon of at least 100 m²' using errcode = '22023';
    end if;
    select st_union(a.geom) into v_muni from pax_data.area a where a.kind = 'municipality';
    if v_muni is null then
        select st_union(a.geom) into v_muni from pax_data.area a where a.kind = 'district';
    end if;
    if v_muni is not null and not st_intersects(v_geom, v_muni) then
        raise exception 'the target lies outside the municipality' using errcode = '22023';
    end if;
    return st_multi(v_geom);
end $$;

create function pax_api.operation_save(
    p_key pg_catalog.uuid, p_id pg_catalog.int4, p_name pg_catalog.text, p_kind pg_catalog.text,
    p_owner pg_catalog.text, p_police pg_catalog.bool, p_group pg_catalog.text,
    p_starts pg_catalog.timestamptz, p_ends pg_catalog.timestamptz,
    p_geojson pg_catalog.text, p_area_ids pg_catalog.int4[], p_target_kind pg_catalog.text,
    p_types pg_catalog.text[], p_purpose pg_catalog.text)
returns pg_catalog.int4
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
    v_id pg_catalog.int4;
    v_old record;
    v_geom public.geometry;
    v_name pg_catalog.text := pg_catalog.btrim(p_name);
    v_owner pg_catalog.text := pg_catalog.btrim(p_owner);
    v_purpose pg_catalog.text;
begin
    if p_police then
        perform pax_api._require('plan_operation');
    else
        perform pax_api._require('record_action');
    end if;
    if p_key is not null then
        select o.id into v_id from pax_data.operation o where o.client_key = p_key;
        if v_id is not null then
            if (select o.created_by from pax_data.operation o where o.id = v_id)
               is distinct from v_user then
                raise exception 'this form key belongs to another entry' using errcode = '23505';
            end if;
            return v_id;  -- the same form sent twice
        end if;
    end if;
    if v_name is null or v_name = '' or pg_catalog.length(v_name) > 200 then
        raise exception 'the name must be 1 to 200 characters' using errcode = '22023';
    end if;
    if v_owner is null or v_owner = '' or pg_catalog.length(v_owner) > 120 then
        raise exception 'the owner organisation must be 1 to 120 characters' using errcode = '22023';
    end if;
    if p_starts is null or p_ends is null or p_ends < p_starts then
        raise exception 'the operation needs a start and an end not before it' using errcode = '22023';
    end if;
    if p_group is not null and not exists (select 1 from pax_data.collab_group g
                                           where g.key = p_group) then
        raise exception 'unknown samverkansgrupp %', p_group using errcode = '22023';
    end if;
    if pax_data.personal_data_kind(v_name) is not null then
        raise exception 'the name contains a % (personal data is not allowed)',
            pax_data.personal_data_kind(v_name) using errcode = '22023';
    end if;
    v_purpose := pax_api._clean_note(p_purpose, 1000);
    v_geom := pax_api._operation_target(p_geojson, p_area_ids);
    if p_id is null then
        insert into pax_data.operation (name, description, starts_at, ends_at, geom, source,
                                        source_id, verification, kind, owner_org, is_police,
                                        group_key, status, target_kind, target_types, client_key,
                                        created_by, updated_by, updated_at)
        values (v_name, v_purpose, p_starts, p_ends, v_geom, 'register',
                coalesce(p_key::pg_catalog.text, pg_catalog.gen_random_uuid()::pg_catalog.text),
                'confirmed', p_kind, v_owner, p_police, p_group, 'planned',
                coalesce(p_target_kind, 'polygon'),
                coalesce(p_types, array['car_fire', 'shooting', 'explosion', 'cache']),
                p_key, v_user, v_user, pg_catalog.now())
        returning operation.id into v_id;
    else
        select o.* into v_old from pax_data.operation o where o.id = p_id for update;
        if v_old.id is null then
            raise exception 'no operation %', p_id using errcode = '22023';
        end if;
        if v_old.status = 'evaluated' then
            raise exception 'an evaluated operation is frozen' using errcode = '42501';
        end if;
        if v_old.is_police <> p_police then
            raise exception 'a police operation stays one (and an action stays an action)'
                using errcode = '22023';
        end if;
        if not v_old.is_police and v_old.created_by is distinct from v_user
           and not exists (select 1 from pax_data.role_capability c
                           where c.db_role = session_user and c.capability = 'plan_operation') then
            raise exception 'only the one who recorded this action (or the police) may change it'
                using errcode = '42501';
        end if;
        update pax_data.operation o
           set name = v_name, description = v_purpose, starts_at = p_starts, ends_at = p_ends,
               geom = v_geom, kind = p_kind, owner_org = v_owner, group_key = p_group,
               target_kind = coalesce(p_target_kind, o.target_kind),
               target_types = coalesce(p_types, o.target_types),
               updated_by = v_user, updated_at = pg_catalog.now()
         where o.id = p_id;
        v_id := p_id;
    end if;
    perform pax_api.audit(v_user, null, 'operation_save', 'insatser',
                          pg_catalog.jsonb_build_object('id', v_id, 'police', p_police,
                                                        'new', p_id is null, 'kind', p_kind));
    return v_id;
end $$;

create function pax_api.operation_set_status(p_id pg_catalog.int4, p_status pg_catalog.text)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
    v_old record;
    v_order pg_catalog.text[] := array['planned', 'ongoing', 'done', 'evaluated'];
begin
    select o.id, o.status, o.is_police, o.created_by into v_old
      from pax_data.operation o where o.id = p_id for update;
    if v_old.id is null then
        raise exception 'no operation %', p_id using errcode = '22023';
    end if;
    if v_old.is_police then
        perform pax_api._require('plan_operation');
    else
        perform pax_api._require('record_action');
        if v_old.created_by is distinct from v_user
           and not exists (select 1 from pax_data.role_capability c
                           where c.db_role = session_user and c.capability = 'plan_operation') then
            raise exception 'only the one who recorded this action (or the police) may change it'
                using errcode = '42501';
        end if;
    end if;
    if p_status = 'evaluated' then
        raise exception 'an operation becomes evaluated when its evaluation is saved'
            using errcode = '22023';
    end if;
    if pg_catalog.array_position(v_order, p_status) is null
       or pg_catalog.array_position(v_order, p_status)
          <= pg_catalog.array_position(v_order, v_old.status) then
        raise exception 'status goes forward only (planned, ongoing, done, evaluated): % to % refused',
            v_old.status, p_status using errcode = '22023';
    end if;
    update pax_data.operation set status = p_status, updated_by = v_user,
                                  updated_at = pg_catalog.now()
     where id = p_id;
    perform pax_api.audit(v_user, null, 'operation_status', 'insatser',
                          pg_catalog.jsonb_build_object('id', p_id, 'from', v_old.status,
                                                        'to', p_status));
end $$;

create function pax_api.operation_evaluation_save(p_id pg_catalog.int4, p_result pg_catalog.jsonb)
returns pg_catalog.text
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
    v_old record;
    v_status pg_catalog.text;
begin
    perform pax_api._require('evaluate_operation');
    if p_result is null or pg_catalog.jsonb_typeof(p_result) <> 'object' then
        raise exception 'an evaluation is a JSON object' using errcode = '22023';
    end if;
    if pg_catalog.length(p_result::pg_catalog.text) > 20000 then
        raise exception 'the evaluation is too large to store' using errcode = '22001';
    end if;
    -- the verdict is shown to other roles and on the board's slide: one of the known words only
    if (p_result ->> 'verdict') is null or (p_result ->> 'verdict') not in
       ('too_few', 'not_estimable', 'drop', 'rise', 'no_clear_change') then
        raise exception 'an evaluation needs a known verdict' using errcode = '22023';
    end if;
    select o.id, o.status, o.ends_at, o.starts_at into v_old
      from pax_data.operation o where o.id = p_id for update;
    if v_old.id is null then
        raise exception 'no operation %', p_id using errcode = '22023';
    end if;
    if v_old.status = 'evaluated' then
        raise exception 'an evaluated operation is frozen' using errcode = '42501';
    end if;
    if v_old.starts_at > pg_catalog.now() then
        raise exception 'an operation that has not started cannot be evaluated'
            using errcode = '22023';
    end if;
    -- Ended: the evaluation is final. Ongoing: stored as the evaluation to date.
    v_status := case when v_old.ends_at <= pg_catalog.now() then 'evaluated' else v_old.status end;
    update pax_data.operation set evaluation = p_result, evaluated_at = pg_catalog.now(),
                                  status = v_status, updated_by = v_user,
                                  updated_at = pg_catalog.now()
     where id = p_id;
    perform pax_api.audit(v_user, null, 'operation_evaluate', 'insatser',
                          pg_catalog.jsonb_build_object('id', p_id, 'status', v_status,
                                                        'verdict', p_result -> 'verdict'));
    return v_status;
end $$;

-- The register at the caller's precision: every entry with its polygon for 'exact'; for 'area'
-- the partners' actions and the police operations that have started, without the police's
-- purpose, and never a polygon.
create function pax_api.operation_register()
returns table (id pg_catalog.int4, name pg_catalog.text, kind pg_catalog.text,
               owner_org pg_catalog.text, is_police pg_catalog.bool, group_key pg_catalog.text,
               status pg_catalog.text, starts_at pg_catalog.timestamptz,
               ends_at pg_catalog.timestamptz, purpose pg_catalog.text,
               target_kind pg_catalog.text, target_types pg_catalog.text[],
               area_ids pg_catalog.int4[], area_names pg_catalog.text[],
               created_by pg_catalog.text, verdict pg_catalog.text, geom public.geometry)
language plpgsql stable security definer rows 200
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_prec pg_catalog.text := pax_api._precision_of('operation');
begin
    if v_prec not in ('exact', 'area') then
        raise exception 'this role may not see the operations' using errcode = '42501';
    end if;
    return query
    select o.id, o.name, o.kind, o.owner_org, o.is_police, o.group_key, o.status, o.starts_at,
           o.ends_at,
           case when v_prec = 'exact' or not o.is_police then o.description end,
           o.target_kind, o.target_types,
           coalesce(d.ids, array[]::pg_catalog.int4[]), coalesce(d.names, array[]::text[]),
           case when v_prec = 'exact' or not o.is_police then o.created_by end,
           o.evaluation ->> 'verdict',
           case when v_prec = 'exact' then o.geom end
    from pax_data.operation o
    left join lateral (
        select pg_catalog.array_agg(a.id order by a.name) as ids,
               pg_catalog.array_agg(a.name order by a.name) as names
        from pax_data.area a
        where a.kind = 'district' and st_intersects(a.geom, o.geom)
          and st_area(st_intersection(a.geom, o.geom)) >= 0.05 * least(st_area(o.geom), st_area(a.geom))
    ) d on true
    where v_prec = 'exact' or not o.is_police or o.starts_at <= pg_catalog.now();
end $$;

create function pax_api.collab_groups()
returns table (key pg_catalog.text, label_sv pg_catalog.text, label_en pg_catalog.text)
language sql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
    select g.key, g.label_sv, g.label_en from pax_data.collab_group g order by g.sort, g.key
$$;

-- The board's list of operations (0014) now says who acted and what the evaluation found.
drop function pax_api.board_operations(pg_catalog.timestamptz, pg_catalog.timestamptz);
create function pax_api.board_operations(p_from pg_catalog.timestamptz,
                                         p_to pg_catalog.timestamptz)
returns table (name pg_catalog.text, starts_on pg_catalog.date, ends_on pg_catalog.date,
               status pg_catalog.text, areas pg_catalog.text[], owner_org pg_catalog.text,
               kind pg_catalog.text, verdict pg_catalog.text)
language plpgsql stable security definer
set search_path = pg_catalog, public, pax_data, pg_temp
as $$
begin
    perform pax_api._require('build_briefing');
    return query
    select op.name, (op.starts_at at time zone 'Europe/Stockholm')::date,
           (op.ends_at at time zone 'Europe/Stockholm')::date,
           case when op.starts_at > p_to then 'planned'
                when op.ends_at is null or op.ends_at > p_to then 'ongoing'
                else 'done' end,
           coalesce((select pg_catalog.array_agg(a.name order by a.name)
                       from pax_data.area a
                      where a.kind = 'district' and st_intersects(a.geom, op.geom)),
                    '{}'::pg_catalog.text[]),
           op.owner_org, op.kind, op.evaluation ->> 'verdict'
    from pax_data.operation op
    where op.starts_at < p_to and (op.ends_at is null or op.ends_at >= p_from)
    order by op.starts_at, op.name;
end $$;

-- Exact precision for every type asked for, or an error.
create function pax_api._require_exact(p_kinds pg_catalog.text[]) returns void
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
declare
    v_kind pg_catalog.text;
begin
    if p_kinds is null or pg_catalog.cardinality(p_kinds) = 0 then
        raise exception 'no incident types given' using errcode = '22023';
    end if;
    foreach v_kind in array p_kinds loop
        if pax_api._precision_of(v_kind) <> 'exact' then
            raise exception 'this role may not count % inside its own polygons', v_kind
                using errcode = '42501';
        end if;
    end loop;
end $$;

-- Incidents per zone, type and local day inside the given polygons (WKT in SWEREF 99 TM),
-- occurred in [p_from, p_to), each incident in one zone at most. Only incidents with a position (not those known to the area or
-- the municipality only). A zone's polygon is cut in pieces so the index does the work.
create function pax_api.zone_day_counts(p_zones pg_catalog.text[], p_wkt pg_catalog.text[],
                                        p_from pg_catalog.timestamptz, p_to pg_catalog.timestamptz,
                                        p_kinds pg_catalog.text[])
returns table (zone pg_catalog.text, kind pg_catalog.text, day pg_catalog.date, n pg_catalog.int4)
language plpgsql stable security definer rows 1000
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
begin
    perform pax_api._require_exact(p_kinds);
    if pg_catalog.cardinality(p_zones) is distinct from pg_catalog.cardinality(p_wkt)
       or pg_catalog.cardinality(p_zones) > 8 then
        raise exception 'zones and polygons must pair up (at most 8)' using errcode = '22023';
    end if;
    if p_to <= p_from or p_to - p_from > interval '12 years' then
        raise exception 'the period must be positive and at most 12 years' using errcode = '22023';
    end if;
    return query
    with z as (
        select u.zone, u.ord, st_subdivide(st_geomfromtext(u.wkt, 3006), 64) as g
        from unnest(p_zones, p_wkt) with ordinality as u(zone, wkt, ord)
    ), hit as (
        -- an incident on the edge between two zones counts once, in the zone listed first
        select distinct on (i.id) z.zone, i.id, i.kind, i.occurred_at
        from z join pax_data.incident i
          on i.geom && z.g and st_intersects(z.g, i.geom)
        where i.occurred_at >= p_from and i.occurred_at < p_to and i.kind = any(p_kinds)
          and i.location_precision in ('exact', 'address')
        order by i.id, z.ord
    )
    select hit.zone, hit.kind, (hit.occurred_at at time zone 'Europe/Stockholm')::date,
           pg_catalog.count(*)::pg_catalog.int4
    from hit group by 1, 2, 3 order by 1, 2, 3;
end $$;

-- How many incidents lie inside one polygon in [p_from, p_to) (the target's history): a count
-- only, half the time of counting per day (bench/bench_operations.py).
create function pax_api.zone_count(p_wkt pg_catalog.text, p_from pg_catalog.timestamptz,
                                   p_to pg_catalog.timestamptz, p_kinds pg_catalog.text[])
returns pg_catalog.int4
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_n pg_catalog.int4;
begin
    perform pax_api._require_exact(p_kinds);
    if p_to <= p_from or p_to - p_from > interval '12 years' then
        raise exception 'the period must be positive and at most 12 years' using errcode = '22023';
    end if;
    with z as (select st_subdivide(st_geomfromtext(p_wkt, 3006), 64) as g)
    select pg_catalog.count(distinct i.id)::pg_catalog.int4 into v_n
    from z join pax_data.incident i on i.geom && z.g and st_intersects(z.g, i.geom)
    where i.occurred_at >= p_from and i.occurred_at < p_to and i.kind = any(p_kinds)
      and i.location_precision in ('exact', 'address');
    return v_n;
end $$;

-- The target's incidents with their time windows (for the aoristic hour x weekday pattern).
create function pax_api.zone_incident_times(p_wkt pg_catalog.text,
                                            p_from pg_catalog.timestamptz,
                                            p_to pg_catalog.timestamptz,
                                            p_kinds pg_catalog.text[])
returns table (kind pg_catalog.text, occurred_at pg_catalog.timestamptz,
               occurred_from pg_catalog.timestamptz, occurred_to pg_catalog.timestamptz)
language plpgsql stable security definer rows 1000
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
begin
    perform pax_api._require_exact(p_kinds);
    if p_to <= p_from or p_to - p_from > interval '12 years' then
        raise exception 'the period must be positive and at most 12 years' using errcode = '22023';
    end if;
    return query
    with z as (select st_subdivide(st_geomfromtext(p_wkt, 3006), 64) as g)
    select distinct on (i.id) i.kind, i.occurred_at, i.occurred_from, i.occurred_to
    from z join pax_data.incident i on i.geom && z.g and st_intersects(z.g, i.geom)
    where i.occurred_at >= p_from and i.occurred_at < p_to and i.kind = any(p_kinds)
      and i.location_precision in ('exact', 'address')
    order by i.id;
end $$;
"""

#: Functions no login may call directly (each has its own grant in sync_privileges, or none).
PRIVATE = (
    "_precision_of(text)",
    "_operation_target(text, int4[])",
    "_require_exact(text[])",
    "operation_save(uuid, int4, text, text, text, bool, text, timestamptz, timestamptz, text, "
    "int4[], text, text[], text)",
    "operation_set_status(int4, text)",
    "operation_evaluation_save(int4, jsonb)",
    "operation_register()",
    "collab_groups()",
    "zone_day_counts(text[], text[], timestamptz, timestamptz, text[])",
    "zone_incident_times(text, timestamptz, timestamptz, text[])",
    "zone_count(text, timestamptz, timestamptz, text[])",
    "board_operations(timestamptz, timestamptz)",
)


def upgrade() -> None:
    op.execute(SQL)
    for fn in PRIVATE:
        op.execute(f"revoke all on function pax_api.{fn} from public")
    op.execute("revoke all on function pax_data.operation_status_from_dates() from public")


def downgrade() -> None:
    raise NotImplementedError("0015 is not reversible: the register and evaluations would be lost")
