"""Field mode: reports from the street, the night walkers' log, areas and theme per account.

* ``night_walker`` joins the roles (civil-society night walkers: routes and area status at the
  board's precision, no points, no caches, no cameras, no observations).
* ``pax_data.app_user_area``: the areas an account is assigned to (several allowed; the first
  stays in ``app_user.area_id`` as the home area). ``app_user.theme``: light or dark, per account.
* ``pax_data.place``: named places a report can be tied to (public: squares, centres).
* Observations reported in the app (``source = 'field_report'``, ``source_id`` = the form's
  idempotency key) with triage columns (new -> seen -> handled, who and when, a link to an
  incident or an operation) and a revision counter; ``pax_data.observation_history`` keeps every
  version: the report, each correction, the withdrawal (which deletes the live row, so counts
  and maps lose it at once) and each triage step. Nothing is overwritten without a copy.
* Writes only through SECURITY DEFINER functions that take the user from the bound session
  (``pax_api.app_username()``), the role from the login, and the right from
  ``pax_data.role_capability`` (copied from ``pax_geo/capabilities.py`` on every migrate):
  ``report_observation``, ``correct_observation``, ``withdraw_observation``,
  ``triage_observation``, ``log_walk``, ``set_my_theme``; ``my_account`` reads the caller's
  own areas and theme. Every write is audited inside the same transaction.
* ``pax_data.personal_data_kind`` (from ``pax_geo/pii.py``): notes carrying a personal identity
  number (valid check digit) or a phone number are refused by the database too.

Grants: pax_geo.security.sync_privileges (FIELD_FUNCTIONS, the observation_history view).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from alembic import op

from pax_geo import pii

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SQL = r"""
alter table pax_data.app_user drop constraint app_user_role_check;
alter table pax_data.app_user add constraint app_user_role_check
    check (role in ('police_analyst', 'security_chief', 'municipal_staff', 'field_worker',
                    'board_viewer', 'night_walker', 'admin'));
alter table pax_data.app_user add column theme text not null default 'light'
    check (theme in ('light', 'dark'));

create table pax_data.app_user_area (
    user_id int not null references pax_data.app_user (id) on delete cascade,
    area_id int not null references pax_data.area (id) on delete cascade,
    primary key (user_id, area_id)
);
insert into pax_data.app_user_area (user_id, area_id)
select id, area_id from pax_data.app_user where area_id is not null;

create table pax_data.role_capability (
    db_role text not null,
    capability text not null,
    primary key (db_role, capability)
);

create table pax_data.observation_category (
    label_sv text primary key,
    key text not null unique,
    label_en text not null
);

create table pax_data.place (
    id serial primary key,
    name text not null unique,
    geom geometry(Point, 3006) not null,
    area_id int references pax_data.area (id) on delete set null
);
create index place_geom_gix on pax_data.place using gist (geom);
create view pax_api.place as
    select p.id, p.name, p.area_id,
           public.st_x(public.st_transform(p.geom, 4326)) as lon,
           public.st_y(public.st_transform(p.geom, 4326)) as lat
    from pax_data.place p;

alter table pax_data.observation
    add column reported_at timestamptz not null default now(),
    add column place_name text,
    add column status text not null default 'new' check (status in ('new', 'seen', 'handled')),
    add column status_by text,
    add column status_at timestamptz,
    add column incident_id bigint references pax_data.incident (id) on delete set null,
    add column operation_id int references pax_data.operation (id) on delete set null,
    add column revision int not null default 1;
update pax_data.observation set reported_at = loaded_at;
create index observation_reporter_idx on pax_data.observation (reporter, reported_at desc);
create index observation_field_idx on pax_data.observation (status, reported_at desc)
    where source = 'field_report';

create table pax_data.observation_history (
    id bigserial primary key,
    observation_id bigint not null,
    client_key uuid,
    revision int not null,
    action text not null check (action in ('report', 'correct', 'withdraw', 'triage')),
    observed_at timestamptz,
    category text,
    text text,
    geom geometry(Point, 3006),
    area_id int,
    place_name text,
    status text,
    incident_id bigint,
    operation_id int,
    reporter text not null,
    changed_by text not null,
    changed_at timestamptz not null default now()
);
create index observation_history_geom_gix on pax_data.observation_history using gist (geom);
create index observation_history_obs_idx on pax_data.observation_history (observation_id, id);
create index observation_history_key_idx on pax_data.observation_history (client_key)
    where client_key is not null;

alter table pax_data.night_walk add column reported_by text;
alter table pax_data.night_walk add column reported_at timestamptz;

-- The bound user, or an error: every write below is somebody's.
create function pax_api._bound_user() returns pg_catalog.text
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api.app_username();
begin
    if v_user is null then
        raise exception 'no signed-in session is bound to this connection' using errcode = '42501';
    end if;
    return v_user;
end $$;

create function pax_api._require(p_capability pg_catalog.text) returns void
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
begin
    if not exists (select 1 from pax_data.role_capability c
                   where c.db_role = session_user and c.capability = p_capability) then
        raise exception 'this role may not %', pg_catalog.replace(p_capability, '_', ' ')
            using errcode = '42501';
    end if;
end $$;

create function pax_api._clean_note(p_note pg_catalog.text, p_max pg_catalog.int4)
returns pg_catalog.text
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
declare
    v_note pg_catalog.text := pg_catalog.btrim(p_note);
    v_kind pg_catalog.text;
begin
    if v_note is null or v_note = '' then
        return null;
    end if;
    if pg_catalog.length(v_note) > p_max then
        raise exception 'the note is % characters; at most % are allowed',
            pg_catalog.length(v_note), p_max using errcode = '22001';
    end if;
    v_kind := pax_data.personal_data_kind(v_note);
    if v_kind is not null then
        raise exception 'the note contains a % (personal data is not allowed in notes)', v_kind
            using errcode = '22023';
    end if;
    return v_note;
end $$;

-- A report's position: a named place, or WGS84 lon/lat; inside the municipality.
create function pax_api._report_position(p_lon pg_catalog.float8, p_lat pg_catalog.float8,
                                         p_place_id pg_catalog.int4,
                                         out pos_geom public.geometry,
                                         out pos_place pg_catalog.text,
                                         out pos_area pg_catalog.int4)
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
begin
    if p_place_id is not null then
        select p.geom, p.name into pos_geom, pos_place from pax_data.place p
         where p.id = p_place_id;
        if pos_geom is null then
            raise exception 'unknown place %', p_place_id using errcode = '22023';
        end if;
    elsif p_lon is not null and p_lat is not null then
        if p_lon not between -180 and 180 or p_lat not between -90 and 90 then
            raise exception 'the position (%, %) is not a longitude and latitude', p_lon, p_lat
                using errcode = '22023';
        end if;
        pos_geom := public.st_transform(public.st_setsrid(public.st_makepoint(p_lon, p_lat), 4326),
                                    3006);
    else
        raise exception 'a report needs a place: the position, a point on the map or a named place'
            using errcode = '22023';
    end if;
    select a.id into pos_area from pax_data.area a
     where a.kind = 'district' and public.st_intersects(a.geom, pos_geom) order by a.id limit 1;
    if pos_area is null and not exists (
        select 1 from pax_data.area a
         where a.kind = 'municipality' and public.st_intersects(a.geom, pos_geom)) then
        raise exception 'the position is outside the municipality' using errcode = '22023';
    end if;
end $$;

create function pax_api._check_observed_at(p_at pg_catalog.timestamptz) returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
    if p_at is null then
        raise exception 'a report needs a time' using errcode = '22023';
    end if;
    if p_at > pg_catalog.now() + interval '5 minutes' then
        raise exception 'the time of an observation cannot be in the future'
            using errcode = '22023';
    end if;
    if p_at < pg_catalog.now() - interval '7 days' then
        raise exception 'reports are for the last 7 days' using errcode = '22023';
    end if;
end $$;

create function pax_api._check_category(p_category pg_catalog.text) returns void
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
begin
    if p_category is null or not exists (
        select 1 from pax_data.observation_category c where c.label_sv = p_category) then
        raise exception 'unknown observation category %', p_category using errcode = '22023';
    end if;
end $$;

create function pax_api._observation_snapshot(p_id pg_catalog.int8, p_action pg_catalog.text,
                                              p_user pg_catalog.text,
                                              p_key pg_catalog.uuid default null)
returns void
language sql volatile security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
    insert into pax_data.observation_history (observation_id, client_key, revision, action,
        observed_at, category, text, geom, area_id, place_name, status, incident_id,
        operation_id, reporter, changed_by)
    select o.id, p_key, o.revision, p_action, o.observed_at, o.category, o.text, o.geom,
           o.area_id, o.place_name, o.status, o.incident_id, o.operation_id, o.reporter, p_user
      from pax_data.observation o where o.id = p_id
$$;

create function pax_api.report_observation(
    p_key pg_catalog.uuid, p_category pg_catalog.text, p_observed_at pg_catalog.timestamptz,
    p_lon pg_catalog.float8, p_lat pg_catalog.float8, p_place_id pg_catalog.int4,
    p_note pg_catalog.text)
returns table (id pg_catalog.int8, created pg_catalog.bool)
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
    v_id pg_catalog.int8;
    v_reporter pg_catalog.text;
    v_pos record;
    v_note pg_catalog.text;
begin
    perform pax_api._require('report_observation');
    if p_key is null then
        raise exception 'a report needs its form key' using errcode = '22023';
    end if;
    -- The same form sent twice (a retry after a dropped connection) is one report.
    select o.id, o.reporter into v_id, v_reporter from pax_data.observation o
     where o.source = 'field_report' and o.source_id = p_key::pg_catalog.text;
    if v_id is null then  -- reported, then withdrawn: still the same form
        select h.observation_id, h.reporter into v_id, v_reporter
          from pax_data.observation_history h where h.client_key = p_key limit 1;
    end if;
    if v_id is not null then
        if v_reporter is distinct from v_user then
            raise exception 'this form key belongs to another report' using errcode = '23505';
        end if;
        return query select v_id, false;
        return;
    end if;
    perform pax_api._check_category(p_category);
    perform pax_api._check_observed_at(p_observed_at);
    v_note := pax_api._clean_note(p_note, 500);
    select * into v_pos from pax_api._report_position(p_lon, p_lat, p_place_id);
    begin
        insert into pax_data.observation (observed_at, category, text, reporter, geom, area_id,
                                          source, source_id, verification, place_name)
        values (p_observed_at, p_category, v_note, v_user, v_pos.pos_geom, v_pos.pos_area,
                'field_report', p_key::pg_catalog.text, 'unverified', v_pos.pos_place)
        returning observation.id into v_id;
    exception when unique_violation then
        -- the same key committed by a concurrent retry
        select o.id into v_id from pax_data.observation o
         where o.source = 'field_report' and o.source_id = p_key::pg_catalog.text
           and o.reporter = v_user;
        if v_id is null then
            raise;
        end if;
        return query select v_id, false;
        return;
    end;
    perform pax_api._observation_snapshot(v_id, 'report', v_user, p_key);
    perform pax_api.audit(v_user, null, 'observation_report', 'rapportera',
                          pg_catalog.jsonb_build_object('id', v_id, 'area_id', v_pos.pos_area,
                                                        'category', p_category));
    return query select v_id, true;
end $$;

-- The reporter's own live report within 24 hours of reporting it, locked for the change.
create function pax_api._own_recent(p_id pg_catalog.int8, p_user pg_catalog.text)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
declare
    v_reporter pg_catalog.text;
    v_at pg_catalog.timestamptz;
begin
    select o.reporter, o.reported_at into v_reporter, v_at from pax_data.observation o
     where o.id = p_id and o.source = 'field_report' for update;
    if v_reporter is null or v_reporter <> p_user then
        raise exception 'no report % of yours to change', p_id using errcode = '42501';
    end if;
    if v_at < pg_catalog.now() - interval '24 hours' then
        raise exception 'a report can be changed for 24 hours after it was sent'
            using errcode = '42501';
    end if;
end $$;

create function pax_api.correct_observation(
    p_id pg_catalog.int8, p_category pg_catalog.text, p_observed_at pg_catalog.timestamptz,
    p_lon pg_catalog.float8, p_lat pg_catalog.float8, p_place_id pg_catalog.int4,
    p_note pg_catalog.text)
returns pg_catalog.int4
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
    v_pos record;
    v_note pg_catalog.text;
    v_rev pg_catalog.int4;
begin
    perform pax_api._require('report_observation');
    perform pax_api._own_recent(p_id, v_user);
    perform pax_api._check_category(p_category);
    perform pax_api._check_observed_at(p_observed_at);
    v_note := pax_api._clean_note(p_note, 500);
    if p_lon is null and p_lat is null and p_place_id is null then
        select o.geom as pos_geom, o.place_name as pos_place, o.area_id as pos_area into v_pos
          from pax_data.observation o where o.id = p_id;
    else
        select * into v_pos from pax_api._report_position(p_lon, p_lat, p_place_id);
    end if;
    update pax_data.observation o
       set observed_at = p_observed_at, category = p_category, text = v_note,
           geom = v_pos.pos_geom, place_name = v_pos.pos_place, area_id = v_pos.pos_area,
           revision = o.revision + 1
     where o.id = p_id
     returning o.revision into v_rev;
    perform pax_api._observation_snapshot(p_id, 'correct', v_user);
    perform pax_api.audit(v_user, null, 'observation_correct', 'rapportera',
                          pg_catalog.jsonb_build_object('id', p_id, 'revision', v_rev));
    return v_rev;
end $$;

create function pax_api.withdraw_observation(p_id pg_catalog.int8) returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
begin
    perform pax_api._require('report_observation');
    perform pax_api._own_recent(p_id, v_user);
    update pax_data.observation o set revision = o.revision + 1 where o.id = p_id;
    perform pax_api._observation_snapshot(p_id, 'withdraw', v_user);
    delete from pax_data.observation o where o.id = p_id;
    perform pax_api.audit(v_user, null, 'observation_withdraw', 'rapportera',
                          pg_catalog.jsonb_build_object('id', p_id));
end $$;

create function pax_api.triage_observation(p_id pg_catalog.int8, p_status pg_catalog.text,
                                           p_incident_id pg_catalog.int8 default null,
                                           p_operation_id pg_catalog.int4 default null)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
begin
    perform pax_api._require('triage_observation');
    if p_status is null or p_status not in ('new', 'seen', 'handled') then
        raise exception 'unknown status %', p_status using errcode = '22023';
    end if;
    if not exists (select 1 from pax_data.observation o where o.id = p_id) then
        raise exception 'no report %', p_id using errcode = '22023';
    end if;
    if p_incident_id is not null
       and not exists (select 1 from pax_data.incident i where i.id = p_incident_id) then
        raise exception 'no incident %', p_incident_id using errcode = '22023';
    end if;
    if p_operation_id is not null
       and not exists (select 1 from pax_data.operation op where op.id = p_operation_id) then
        raise exception 'no operation %', p_operation_id using errcode = '22023';
    end if;
    update pax_data.observation o
       set status = p_status, status_by = v_user, status_at = pg_catalog.now(),
           incident_id = p_incident_id, operation_id = p_operation_id
     where o.id = p_id;
    perform pax_api._observation_snapshot(p_id, 'triage', v_user);
    perform pax_api.audit(v_user, null, 'observation_triage', 'rapporter',
                          pg_catalog.jsonb_build_object('id', p_id, 'status', p_status,
                                                        'incident_id', p_incident_id,
                                                        'operation_id', p_operation_id));
end $$;

create function pax_api.log_walk(p_key pg_catalog.uuid, p_route_id pg_catalog.int4,
                                 p_walked_on pg_catalog.date, p_participants pg_catalog.int4,
                                 p_note pg_catalog.text default null)
returns table (id pg_catalog.int8, created pg_catalog.bool)
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
    v_id pg_catalog.int8;
    v_by pg_catalog.text;
    v_today pg_catalog.date := (pg_catalog.now() at time zone 'Europe/Stockholm')::pg_catalog.date;
    v_note pg_catalog.text;
begin
    perform pax_api._require('log_walk');
    if p_key is null then
        raise exception 'a walk needs its form key' using errcode = '22023';
    end if;
    select w.id, w.reported_by into v_id, v_by from pax_data.night_walk w
     where w.source = 'walk_log' and w.source_id = p_key::pg_catalog.text;
    if v_id is not null then
        if v_by is distinct from v_user then
            raise exception 'this form key belongs to another walk' using errcode = '23505';
        end if;
        return query select v_id, false;
        return;
    end if;
    if not exists (select 1 from pax_data.night_walk_route r where r.id = p_route_id) then
        raise exception 'unknown route %', p_route_id using errcode = '22023';
    end if;
    if p_walked_on is null or p_walked_on > v_today or p_walked_on < v_today - 14 then
        raise exception 'a walk is logged for a night in the last two weeks (got %)', p_walked_on
            using errcode = '22023';
    end if;
    if p_participants is null or p_participants < 1 or p_participants > 200 then
        raise exception 'participants must be 1 to 200 (got %)', p_participants
            using errcode = '22023';
    end if;
    v_note := pax_api._clean_note(p_note, 300);
    begin
        insert into pax_data.night_walk (route_id, walked_on, participants, note, source,
                                         source_id, verification, reported_by, reported_at)
        values (p_route_id, p_walked_on, p_participants, v_note, 'walk_log',
                p_key::pg_catalog.text, 'unverified', v_user, pg_catalog.now())
        returning night_walk.id into v_id;
    exception when unique_violation then
        select w.id into v_id from pax_data.night_walk w
         where w.source = 'walk_log' and w.source_id = p_key::pg_catalog.text
           and w.reported_by = v_user;
        if v_id is null then
            raise;
        end if;
        return query select v_id, false;
        return;
    end;
    perform pax_api.audit(v_user, null, 'walk_log', 'nattvandring',
                          pg_catalog.jsonb_build_object('id', v_id, 'route_id', p_route_id,
                                                        'walked_on', p_walked_on,
                                                        'participants', p_participants));
    return query select v_id, true;
end $$;

-- The caller's own account: role, theme and assigned areas (first = home area).
create function pax_api.my_account()
returns table (username pg_catalog.text, display_name pg_catalog.text, role pg_catalog.text,
               theme pg_catalog.text, area_ids pg_catalog.int4[])
language sql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
    select u.username, u.display_name, u.role, u.theme,
           coalesce((select pg_catalog.array_agg(ua.area_id
                                                 order by ua.area_id is distinct from u.area_id,
                                                          ua.area_id)
                       from pax_data.app_user_area ua where ua.user_id = u.id),
                    '{}'::pg_catalog.int4[])
      from pax_data.app_user u
     where u.username = pax_api.app_username()
$$;

create function pax_api.set_my_theme(p_theme pg_catalog.text) returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
begin
    if p_theme is null or p_theme not in ('light', 'dark') then
        raise exception 'unknown theme %', p_theme using errcode = '22023';
    end if;
    update pax_data.app_user u set theme = p_theme where u.username = v_user;
end $$;

-- Observations (0010's row function, now with the report and triage columns).
drop view if exists pax_api.observation;
drop function if exists pax_api.observation_rows(pg_catalog.name);
create function pax_api.observation_rows(p_role pg_catalog.name default current_user)
returns table (id pg_catalog.int8, observed_at pg_catalog.timestamptz, category pg_catalog.text,
               text pg_catalog.text, reporter pg_catalog.text, geom public.geometry,
               area_id pg_catalog.int4, source pg_catalog.text, verification pg_catalog.text,
               loaded_at pg_catalog.timestamptz, reported_at pg_catalog.timestamptz,
               place_name pg_catalog.text, status pg_catalog.text, status_by pg_catalog.text,
               status_at pg_catalog.timestamptz, incident_id pg_catalog.int8,
               operation_id pg_catalog.int4, revision pg_catalog.int4)
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
               o.source, o.verification, o.loaded_at, o.reported_at, o.place_name, o.status,
               o.status_by, o.status_at, o.incident_id, o.operation_id, o.revision
        from pax_data.observation o;
    elsif v_prec = 'own' then
        v_user := pax_api.app_username();
        if v_user is null then
            return;
        end if;
        -- the reporter sees the triage status of an own report, not who on the police side
        -- set it, nor which incident or operation it was linked to
        return query
        select o.id, o.observed_at, o.category, o.text, o.reporter, o.geom, o.area_id,
               o.source, o.verification, o.loaded_at, o.reported_at, o.place_name, o.status,
               null::pg_catalog.text, o.status_at, null::pg_catalog.int8, null::pg_catalog.int4,
               o.revision
        from pax_data.observation o where o.reporter = v_user;
    end if;
end $$;
create view pax_api.observation with (security_barrier) as
    select r.id, r.observed_at, r.category, r.text, r.reporter,
           r.geom::geometry(Point, 3006) as geom, r.area_id, r.source, r.verification,
           r.loaded_at, r.reported_at, r.place_name, r.status, r.status_by, r.status_at,
           r.incident_id, r.operation_id, r.revision
    from pax_api.observation_rows() r;

-- Every version of every report, at the same precision as the observations themselves.
create function pax_api.observation_history_rows(p_role pg_catalog.name default current_user)
returns table (id pg_catalog.int8, observation_id pg_catalog.int8, revision pg_catalog.int4,
               action pg_catalog.text, observed_at pg_catalog.timestamptz,
               category pg_catalog.text, text pg_catalog.text, geom public.geometry,
               area_id pg_catalog.int4, place_name pg_catalog.text, status pg_catalog.text,
               incident_id pg_catalog.int8, operation_id pg_catalog.int4,
               reporter pg_catalog.text, changed_by pg_catalog.text,
               changed_at pg_catalog.timestamptz)
language plpgsql stable security definer rows 100
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
        select h.id, h.observation_id, h.revision, h.action, h.observed_at, h.category,
               h.text, h.geom, h.area_id, h.place_name, h.status, h.incident_id,
               h.operation_id, h.reporter, h.changed_by, h.changed_at
        from pax_data.observation_history h;
    elsif v_prec = 'own' then
        v_user := pax_api.app_username();
        if v_user is null then
            return;
        end if;
        return query
        select h.id, h.observation_id, h.revision, h.action, h.observed_at, h.category,
               h.text, h.geom, h.area_id, h.place_name, h.status, null::pg_catalog.int8,
               null::pg_catalog.int4, h.reporter,
               case when h.changed_by = v_user then h.changed_by end, h.changed_at
        from pax_data.observation_history h where h.reporter = v_user;
    end if;
end $$;
create view pax_api.observation_history with (security_barrier) as
    select r.id, r.observation_id, r.revision, r.action, r.observed_at, r.category, r.text,
           r.geom::geometry(Point, 3006) as geom, r.area_id, r.place_name, r.status,
           r.incident_id, r.operation_id, r.reporter, r.changed_by, r.changed_at
    from pax_api.observation_history_rows() r;
"""

#: Functions no login may call directly (each has its own grant in sync_privileges, or none).
PRIVATE = (
    "_bound_user()",
    "_require(text)",
    "_clean_note(text, int4)",
    "_report_position(float8, float8, int4)",
    "_check_observed_at(timestamptz)",
    "_check_category(text)",
    "_observation_snapshot(int8, text, text, uuid)",
    "_own_recent(int8, text)",
    "report_observation(uuid, text, timestamptz, float8, float8, int4, text)",
    "correct_observation(int8, text, timestamptz, float8, float8, int4, text)",
    "withdraw_observation(int8)",
    "triage_observation(int8, text, int8, int4)",
    "log_walk(uuid, int4, date, int4, text)",
    "my_account()",
    "set_my_theme(text)",
    "observation_rows(name)",
    "observation_history_rows(name)",
)


def upgrade() -> None:
    op.execute(pii.PLPGSQL)
    op.execute("revoke all on function pax_data.personal_data_kind(text) from public")
    op.execute(SQL)
    for fn in PRIVATE:
        op.execute(f"revoke all on function pax_api.{fn} from public")


def downgrade() -> None:
    raise NotImplementedError("0013 is not reversible: reports and walks would be lost")
