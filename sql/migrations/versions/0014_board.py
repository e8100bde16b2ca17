"""Styrelsens lägesbild: drafts, frozen lägesbilder and the board-level release.

* ``pax_data.briefing`` (one lägesbild: period, title, marking line, status) and
  ``pax_data.briefing_comment`` (the presenter's comment per section). Drafts are written only
  through SECURITY DEFINER functions that check the capability ``build_briefing`` against the
  login and audit every save in the same transaction.
* **Freezing.** ``briefing_present`` stores the figures exactly as shown (JSON) with the meeting
  date; from then on a trigger refuses every update or delete of the lägesbild and of its
  comments, for every role including the definer. New imports cannot change it: its figures
  are no longer computed, they are read.
* **The board-level release.** The material leaves the building, so its figures are released
  at the board's level for every presenter, police included: ``board_incident_counts``,
  ``board_observation_counts`` and ``board_pattern`` use the lattice with noise of 0009 with the
  board role's threshold, for the kinds both the board and the caller may see. The pattern
  (weekday x six-hour block, municipality only) is a sum of the noisy six-hour lattice cells
  that 0009 already defines (the same key, so the same noise): it adds no new noisy draws
  that could be averaged, and is suppressed below the threshold like every other cell.
* **What is frozen is the release.** ``briefing_present`` recomputes the board release of the
  counts per type and area (and their totals) in the three periods and refuses figures that
  differ, so no login can freeze numbers finer than the release.
* ``board_operations``: operations in the period with the areas they touch and a status from
  their dates; never their polygons.
* Viewing: builders (``build_briefing``) see every lägesbild; the board (``view_briefing``)
  sees presented ones only, through ``pax_api.briefing`` / ``pax_api.briefing_comment``.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SQL = r"""
insert into pax_data.setting (key, value) values ('board_db_role', 'pax_board_viewer')
on conflict (key) do nothing;

create table pax_data.briefing (
    id serial primary key,
    title text not null check (pg_catalog.length(title) between 1 and 200),
    period_start timestamptz not null,
    period_end timestamptz not null,
    marking text not null default '' check (pg_catalog.length(marking) <= 200),
    status text not null default 'draft' check (status in ('draft', 'presented')),
    presented_on date,
    presented_by text,
    figures jsonb,
    created_by text not null,
    created_at timestamptz not null default pg_catalog.now(),
    updated_by text not null,
    updated_at timestamptz not null default pg_catalog.now(),
    check (period_start < period_end),
    check ((status = 'presented') = (presented_on is not null)),
    check (status = 'draft' or pg_catalog.jsonb_typeof(figures) = 'object')
);
create index briefing_presented_idx on pax_data.briefing (status, period_end desc);

create table pax_data.briefing_comment (
    briefing_id int not null references pax_data.briefing (id) on delete cascade,
    section text not null check (section in ('title', 'key_figures', 'maps', 'here_now',
                                             'medium', 'long', 'operations', 'assessment',
                                             'next_steps')),
    body text not null check (pg_catalog.length(body) between 1 and 2000),
    updated_by text not null,
    updated_at timestamptz not null default pg_catalog.now(),
    primary key (briefing_id, section)
);

-- A presented lägesbild is frozen: nothing may change or delete it or its comments.
create function pax_data.briefing_frozen_guard() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_id int;
begin
    if tg_table_name = 'briefing' then
        if old.status = 'presented' then
            raise exception 'lägesbild % is presented and frozen', old.id using errcode = '55000';
        end if;
        if tg_op = 'DELETE' then
            return old;
        end if;
        return new;
    end if;
    v_id := case when tg_op = 'INSERT' then new.briefing_id else old.briefing_id end;
    if exists (select 1 from pax_data.briefing b where b.id = v_id and b.status = 'presented') then
        raise exception 'lägesbild % is presented and frozen', v_id using errcode = '55000';
    end if;
    if tg_op = 'DELETE' then
        return old;
    end if;
    return new;
end $$;
create trigger briefing_frozen before update or delete on pax_data.briefing
    for each row execute function pax_data.briefing_frozen_guard();
create trigger briefing_comment_frozen before insert or update or delete
    on pax_data.briefing_comment
    for each row execute function pax_data.briefing_frozen_guard();

create function pax_api._may(p_capability pg_catalog.text) returns pg_catalog.bool
language sql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
    select exists (select 1 from pax_data.role_capability c
                   where c.db_role = session_user and c.capability = p_capability)
$$;

create function pax_api._draft(p_id pg_catalog.int4) returns void
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
declare
    v_status pg_catalog.text;
begin
    select b.status into v_status from pax_data.briefing b where b.id = p_id;
    if not found then
        raise exception 'no lägesbild %', p_id using errcode = '22023';
    end if;
    if v_status <> 'draft' then
        raise exception 'lägesbild % is presented and frozen', p_id using errcode = '55000';
    end if;
end $$;

create function pax_api._check_briefing(p_title pg_catalog.text, p_from pg_catalog.timestamptz,
                                        p_to pg_catalog.timestamptz, p_marking pg_catalog.text)
returns void
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
begin
    if p_title is null or pg_catalog.btrim(p_title) = '' then
        raise exception 'a lägesbild needs a title' using errcode = '22023';
    end if;
    if p_from is null or p_to is null or p_from >= p_to then
        raise exception 'the period must start before it ends (got % to %)', p_from, p_to
            using errcode = '22023';
    end if;
    if p_to > pg_catalog.now() + interval '1 day' then
        raise exception 'the period cannot end in the future (%)', p_to using errcode = '22023';
    end if;
    if p_to - p_from > interval '3 years' then
        raise exception 'the period is longer than three years' using errcode = '22023';
    end if;
    if pg_catalog.length(coalesce(p_marking, '')) > 200 then
        raise exception 'the marking line is longer than 200 characters' using errcode = '22001';
    end if;
end $$;

-- Create (p_id null) or change a draft: title, period, marking line.
create function pax_api.briefing_save(p_id pg_catalog.int4, p_title pg_catalog.text,
                                      p_from pg_catalog.timestamptz, p_to pg_catalog.timestamptz,
                                      p_marking pg_catalog.text)
returns pg_catalog.int4
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
    v_id pg_catalog.int4 := p_id;
begin
    perform pax_api._require('build_briefing');
    perform pax_api._check_briefing(p_title, p_from, p_to, p_marking);
    if v_id is null then
        insert into pax_data.briefing (title, period_start, period_end, marking,
                                       created_by, updated_by)
        values (pg_catalog.btrim(p_title), p_from, p_to, coalesce(p_marking, ''), v_user, v_user)
        returning id into v_id;
    else
        perform pax_api._draft(v_id);
        update pax_data.briefing b
           set title = pg_catalog.btrim(p_title), period_start = p_from, period_end = p_to,
               marking = coalesce(p_marking, ''), updated_by = v_user,
               updated_at = pg_catalog.now()
         where b.id = v_id;
    end if;
    perform pax_api.audit(v_user, null, 'briefing_save', 'styrelse',
                          pg_catalog.jsonb_build_object('id', v_id, 'from', p_from, 'to', p_to));
    return v_id;
end $$;

-- The presenter's comment on one section of a draft (an empty text removes it).
create function pax_api.briefing_comment_save(p_id pg_catalog.int4, p_section pg_catalog.text,
                                              p_body pg_catalog.text)
returns pg_catalog.timestamptz
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
    v_body pg_catalog.text;
begin
    perform pax_api._require('build_briefing');
    perform pax_api._draft(p_id);
    if p_section is null or p_section not in ('title', 'key_figures', 'maps', 'here_now',
                                              'medium', 'long', 'operations', 'assessment',
                                              'next_steps') then
        raise exception 'unknown section %', p_section using errcode = '22023';
    end if;
    v_body := pax_api._clean_note(p_body, 2000);
    if v_body is null then
        delete from pax_data.briefing_comment c
         where c.briefing_id = p_id and c.section = p_section;
    else
        insert into pax_data.briefing_comment (briefing_id, section, body, updated_by)
        values (p_id, p_section, v_body, v_user)
        on conflict (briefing_id, section) do update
            set body = excluded.body, updated_by = excluded.updated_by,
                updated_at = pg_catalog.now();
    end if;
    update pax_data.briefing b set updated_by = v_user, updated_at = pg_catalog.now()
     where b.id = p_id;
    perform pax_api.audit(v_user, null, 'briefing_comment', 'styrelse',
                          pg_catalog.jsonb_build_object('id', p_id, 'section', p_section,
                                                        'chars', coalesce(pg_catalog.length(v_body), 0)));
    return pg_catalog.now();
end $$;

-- What is frozen must be what the board release gives: the counts per type and area (and their
-- totals) in all three periods are recomputed here and compared with the figures handed in, so
-- no login can freeze finer numbers than the release (the presenter's comments are theirs).
create function pax_api._check_figures(p_id pg_catalog.int4, p_figures pg_catalog.jsonb)
returns void
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_start pg_catalog.timestamptz;
    v_end pg_catalog.timestamptz;
    v_supp pg_catalog.int4;
    v_key pg_catalog.text;
    v_per pg_catalog.text;
    v_from pg_catalog.timestamptz;
    v_to pg_catalog.timestamptz;
    v_bad pg_catalog.text;
begin
    select b.period_start, b.period_end into v_start, v_end
      from pax_data.briefing b where b.id = p_id;
    if (p_figures #>> '{period,start}')::pg_catalog.timestamptz is distinct from v_start
       or (p_figures #>> '{period,end}')::pg_catalog.timestamptz is distinct from v_end then
        raise exception 'the figures are not for this lägesbild''s period' using errcode = '22023';
    end if;
    if pg_catalog.jsonb_typeof(p_figures -> 'by_area') is distinct from 'object'
       or pg_catalog.jsonb_typeof(p_figures -> 'totals') is distinct from 'object' then
        raise exception 'the figures to freeze are missing their counts' using errcode = '22023';
    end if;
    select l.supp into v_supp
      from pax_api._board_layers(array['car_fire', 'shooting', 'explosion', 'cache']) l;
    foreach v_key in array array['cur', 'prev', 'ly'] loop
        v_per := case v_key when 'cur' then 'period' when 'prev' then 'previous'
                            else 'last_year' end;
        v_from := (p_figures #>> array[v_per, 'start'])::pg_catalog.timestamptz;
        v_to := (p_figures #>> array[v_per, 'end'])::pg_catalog.timestamptz;
        with rel as (
            select c.kind, coalesce(a.name, '') as area,
                   case when c.suppressed then pg_catalog.jsonb_build_array(1, v_supp - 1)
                        else pg_catalog.jsonb_build_array(c.n, c.n) end as v
              from pax_api.board_incident_counts(v_from, v_to, 'all', null) c
              left join pax_data.area a on a.id = c.area_id
             where c.area_id is null or a.kind = 'district'
        ), shown as (
            select k.key as kind, e.key as area, e.value -> v_key as v
              from pg_catalog.jsonb_each(p_figures -> 'by_area') k,
                   pg_catalog.jsonb_each(k.value) e
        )
        select pg_catalog.concat_ws(' in ', coalesce(s.kind, r.kind), coalesce(s.area, r.area))
          into v_bad
          from shown s
          full join rel r on r.kind = s.kind and r.area = s.area
         where coalesce(s.v, '[0, 0]') is distinct from coalesce(r.v, '[0, 0]')
         limit 1;
        if v_bad is null then
            -- each total is the sum of its areas' ranges
            select t.key into v_bad
              from pg_catalog.jsonb_each(p_figures -> 'totals') t
             where t.value -> v_key is distinct from (
                   select pg_catalog.jsonb_build_array(
                              coalesce(sum((e.value -> v_key ->> 0)::int), 0),
                              coalesce(sum((e.value -> v_key ->> 1)::int), 0))
                     from pg_catalog.jsonb_each(p_figures #> array['by_area', t.key]) e)
             limit 1;
        end if;
        if v_bad is not null then
            raise exception 'the figures differ from the board release (% , %): the data have changed since they were read; read them again', v_bad, v_key
                using errcode = '22023';
        end if;
    end loop;
end $$;

-- Mark a draft presented on the meeting date and freeze it with the figures as shown.
create function pax_api.briefing_present(p_id pg_catalog.int4, p_on pg_catalog.date,
                                         p_figures pg_catalog.jsonb)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
    v_start pg_catalog.timestamptz;
begin
    perform pax_api._require('build_briefing');
    perform pax_api._draft(p_id);
    select b.period_start into v_start from pax_data.briefing b where b.id = p_id;
    if p_on is null or p_on < (v_start at time zone 'Europe/Stockholm')::date
       or p_on > (pg_catalog.now() at time zone 'Europe/Stockholm')::date + 1 then
        raise exception 'the meeting date % must lie between the period start and tomorrow', p_on
            using errcode = '22023';
    end if;
    if p_figures is null or pg_catalog.jsonb_typeof(p_figures) <> 'object'
       or not p_figures ? 'version' then
        raise exception 'the figures to freeze are missing' using errcode = '22023';
    end if;
    if pg_catalog.length(p_figures::pg_catalog.text) > 2000000 then
        raise exception 'the figures are too large to freeze' using errcode = '22001';
    end if;
    perform pax_api._check_figures(p_id, p_figures);
    update pax_data.briefing b
       set status = 'presented', presented_on = p_on, presented_by = v_user,
           figures = p_figures, updated_by = v_user, updated_at = pg_catalog.now()
     where b.id = p_id;
    perform pax_api.audit(v_user, null, 'briefing_present', 'styrelse',
                          pg_catalog.jsonb_build_object('id', p_id, 'on', p_on));
end $$;

create function pax_api.briefing_delete(p_id pg_catalog.int4) returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_user pg_catalog.text := pax_api._bound_user();
begin
    perform pax_api._require('build_briefing');
    perform pax_api._draft(p_id);
    delete from pax_data.briefing b where b.id = p_id;
    perform pax_api.audit(v_user, null, 'briefing_delete', 'styrelse',
                          pg_catalog.jsonb_build_object('id', p_id));
end $$;

-- Builders see every lägesbild, the board presented ones only; others nothing.
create function pax_api.briefing_rows()
returns table (id pg_catalog.int4, title pg_catalog.text, period_start pg_catalog.timestamptz,
               period_end pg_catalog.timestamptz, marking pg_catalog.text, status pg_catalog.text,
               presented_on pg_catalog.date, presented_by pg_catalog.text,
               figures pg_catalog.jsonb, created_by pg_catalog.text,
               updated_by pg_catalog.text, updated_at pg_catalog.timestamptz)
language sql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
    select b.id, b.title, b.period_start, b.period_end, b.marking, b.status, b.presented_on,
           b.presented_by, b.figures, b.created_by, b.updated_by, b.updated_at
      from pax_data.briefing b
     where pax_api._may('build_briefing')
        or (b.status = 'presented' and pax_api._may('view_briefing'))
$$;
create view pax_api.briefing with (security_barrier) as
    select * from pax_api.briefing_rows();

create function pax_api.briefing_comment_rows()
returns table (briefing_id pg_catalog.int4, section pg_catalog.text, body pg_catalog.text,
               updated_by pg_catalog.text, updated_at pg_catalog.timestamptz)
language sql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
    select c.briefing_id, c.section, c.body, c.updated_by, c.updated_at
      from pax_data.briefing_comment c
      join pax_data.briefing b on b.id = c.briefing_id
     where pax_api._may('build_briefing')
        or (b.status = 'presented' and pax_api._may('view_briefing'))
$$;
create view pax_api.briefing_comment with (security_barrier) as
    select * from pax_api.briefing_comment_rows();

-- The board's threshold and the layers both the board and the caller may see at area level or
-- finer. Only builders call the board release (the board reads frozen lägesbilder).
create function pax_api._board_layers(p_layers pg_catalog.text[])
returns table (layers pg_catalog.text[], supp pg_catalog.int4)
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
declare
    v_board pg_catalog.text;
begin
    perform pax_api._require('build_briefing');
    select s.value into v_board from pax_data.setting s where s.key = 'board_db_role';
    return query
    select pg_catalog.array_agg(b.layer order by b.layer), coalesce(pg_catalog.max(b.suppress_below), 0)
      from pax_data.role_precision b
      join pax_data.role_precision me on me.layer = b.layer and me.db_role = session_user
     where b.db_role = v_board and b.precision in ('exact', 'grid', 'area')
       and me.precision in ('exact', 'grid', 'area', 'own')
       and b.layer = any (p_layers);
end $$;

create function pax_api.board_incident_counts(p_from pg_catalog.timestamptz,
                                              p_to pg_catalog.timestamptz,
                                              p_bucket pg_catalog.text default 'all',
                                              p_kinds pg_catalog.text[] default null)
returns table (area_id pg_catalog.int4, kind pg_catalog.text, bucket pg_catalog.date,
               n pg_catalog.int4, suppressed pg_catalog.bool)
language plpgsql stable security definer
set search_path = pg_catalog, public, pax_data, pg_temp
as $$
declare
    v_kinds pg_catalog.text[];
    v_supp pg_catalog.int4;
begin
    select l.layers, l.supp into v_kinds, v_supp
      from pax_api._board_layers(coalesce(p_kinds,
                                          array['car_fire', 'shooting', 'explosion', 'cache'])) l;
    v_kinds := array(select k from pg_catalog.unnest(v_kinds) k
                     where k in ('car_fire', 'shooting', 'explosion', 'cache'));
    if cardinality(v_kinds) = 0 then
        return;
    end if;
    if v_supp > 0 then
        return query
        select r.area_id, r.key, r.bucket, r.n, r.suppressed
        from pax_api._released_counts('incident', p_from, p_to, p_bucket, v_kinds, v_supp) r;
        return;
    end if;
    return query
    select i.area_id, i.kind,
           case when p_bucket = 'all' then null::date
                else date_trunc(p_bucket, i.occurred_at at time zone 'Europe/Stockholm')::date
           end,
           count(*)::int, false
    from pax_data.incident i
    where i.occurred_at >= p_from and i.occurred_at < p_to and i.kind = any (v_kinds)
    group by 1, 2, 3;
end $$;

create function pax_api.board_observation_counts(p_from pg_catalog.timestamptz,
                                                 p_to pg_catalog.timestamptz,
                                                 p_bucket pg_catalog.text default 'all')
returns table (area_id pg_catalog.int4, category pg_catalog.text, bucket pg_catalog.date,
               n pg_catalog.int4, suppressed pg_catalog.bool)
language plpgsql stable security definer
set search_path = pg_catalog, public, pax_data, pg_temp
as $$
declare
    v_layers pg_catalog.text[];
    v_supp pg_catalog.int4;
    v_categories pg_catalog.text[];
begin
    select l.layers, l.supp into v_layers, v_supp
      from pax_api._board_layers(array['observation']) l;
    if cardinality(v_layers) is distinct from 1 then
        return;
    end if;
    -- every category ever reported, as observation_counts does for the board: the same cells
    select pg_catalog.array_agg(distinct o.category order by o.category) into v_categories
      from pax_data.observation o;
    if v_supp > 0 then
        return query
        select r.area_id, r.key, r.bucket, r.n, r.suppressed
        from pax_api._released_counts('observation', p_from, p_to, p_bucket, v_categories,
                                      v_supp) r;
        return;
    end if;
    return query
    select o.area_id, o.category,
           case when p_bucket = 'all' then null::date
                else date_trunc(p_bucket, o.observed_at at time zone 'Europe/Stockholm')::date
           end,
           count(*)::int, false
    from pax_data.observation o
    where o.observed_at >= p_from and o.observed_at < p_to
    group by 1, 2, 3;
end $$;

-- When incidents happen, for the whole municipality: ISO weekday (1 Monday) x six-hour block
-- (0, 6, 12, 18 local), per kind and for the kinds together (kind null). Each value is the sum
-- of the noisy six-hour lattice cells of 0009 (their keys, so their noise), clipped at 0 and
-- suppressed below the board's threshold.
create function pax_api.board_pattern(p_from pg_catalog.timestamptz,
                                      p_to pg_catalog.timestamptz,
                                      p_kinds pg_catalog.text[] default null)
returns table (kind pg_catalog.text, dow pg_catalog.int4, block pg_catalog.int4,
               n pg_catalog.int4, suppressed pg_catalog.bool)
language plpgsql stable security definer
set search_path = pg_catalog, public, pax_data, pg_temp
as $$
declare
    v_kinds pg_catalog.text[];
    v_supp pg_catalog.int4;
    v_secret pg_catalog.bytea;
    v_alpha pg_catalog.float8;
    v_a pg_catalog.timestamp;
    v_b pg_catalog.timestamp;
    lf pg_catalog.timestamp;
    lt pg_catalog.timestamp;
begin
    select l.layers, l.supp into v_kinds, v_supp
      from pax_api._board_layers(coalesce(p_kinds,
                                          array['car_fire', 'shooting', 'explosion', 'cache'])) l;
    v_kinds := array(select k from pg_catalog.unnest(v_kinds) k
                     where k in ('car_fire', 'shooting', 'explosion', 'cache'));
    if cardinality(v_kinds) = 0 or p_from is null or p_to is null or p_to <= p_from then
        return;
    end if;
    if p_to - p_from > interval '3 years' then
        raise exception 'the period is longer than three years' using errcode = '22023';
    end if;
    select k.secret into v_secret from pax_data.release_key k where k.id = 1;
    select coalesce((select s.value::pg_catalog.float8 from pax_data.setting s
                     where s.key = 'release_alpha'), 0.3) into v_alpha;
    lf := p_from at time zone 'Europe/Stockholm';
    lt := p_to at time zone 'Europe/Stockholm';
    v_a := date_trunc('day', lf) + (extract(hour from lf)::int / 6) * interval '6 hours';
    v_b := date_trunc('day', lt) + (extract(hour from lt)::int / 6) * interval '6 hours';
    if v_b < lt then
        v_b := v_b + interval '6 hours';
    end if;
    return query
    with blocks as (
        select g.t as t_local, g.t at time zone 'Europe/Stockholm' as t_abs
        from generate_series(v_a, v_b - interval '6 hours', interval '6 hours') as g(t)
    ), counted as (
        select i.kind as k,
               date_trunc('day', i.occurred_at at time zone 'Europe/Stockholm')
               + (extract(hour from i.occurred_at at time zone 'Europe/Stockholm')::int / 6)
                 * interval '6 hours' as t_local,
               count(*)::int as cnt, sum(i.id)::numeric as ids
        from pax_data.incident i
        where i.occurred_at >= (v_a at time zone 'Europe/Stockholm')
          and i.occurred_at < (v_b at time zone 'Europe/Stockholm')
          and i.kind = any (v_kinds)
        group by 1, 2
    ), hashed as materialized (
        select k.k, b.t_local, coalesce(c.cnt, 0) as cnt,
               pax_api._uniform(sha256(v_secret || convert_to(concat_ws('|', 'incident', k.k, 1,
                   extract(epoch from b.t_abs)::bigint, 'total', coalesce(c.cnt, 0),
                   coalesce(c.ids, 0)), 'UTF8'))) as u
        from blocks b
        cross join unnest(v_kinds) as k(k)
        left join counted c on c.k = k.k and c.t_local = b.t_local
    ), noisy as (
        select h.k, extract(isodow from h.t_local)::int as d,
               (extract(hour from h.t_local)::int / 6) * 6 as blk,
               h.cnt + pax_api._geometric_noise(h.u, v_alpha) as v
        from hashed h
    ), summed as (
        select nz.k, nz.d, nz.blk, greatest(0, sum(nz.v))::int as v
        from noisy nz
        group by grouping sets ((nz.k, nz.d, nz.blk), (nz.d, nz.blk))
    )
    select s.k, s.d, s.blk,
           case when v_supp > 0 and s.v < v_supp then null else s.v end,
           v_supp > 0 and s.v < v_supp
    from summed s
    where s.v > 0;
end $$;

-- Operations in the period: name, status from the dates, the areas the polygon touches.
create function pax_api.board_operations(p_from pg_catalog.timestamptz,
                                         p_to pg_catalog.timestamptz)
returns table (name pg_catalog.text, starts_on pg_catalog.date, ends_on pg_catalog.date,
               status pg_catalog.text, areas pg_catalog.text[])
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
                    '{}'::pg_catalog.text[])
    from pax_data.operation op
    where op.starts_at < p_to and (op.ends_at is null or op.ends_at >= p_from)
    order by op.starts_at, op.name;
end $$;
"""

#: Functions no login may call directly (grants per capability in sync_privileges).
PRIVATE = (
    "_may(text)",
    "_draft(int4)",
    "_check_briefing(text, timestamptz, timestamptz, text)",
    "_board_layers(text[])",
    "_check_figures(int4, jsonb)",
    "briefing_save(int4, text, timestamptz, timestamptz, text)",
    "briefing_comment_save(int4, text, text)",
    "briefing_present(int4, date, jsonb)",
    "briefing_delete(int4)",
    "briefing_rows()",
    "briefing_comment_rows()",
    "board_incident_counts(timestamptz, timestamptz, text, text[])",
    "board_observation_counts(timestamptz, timestamptz, text)",
    "board_pattern(timestamptz, timestamptz, text[])",
    "board_operations(timestamptz, timestamptz)",
)


def upgrade() -> None:
    op.execute(SQL)
    for fn in PRIVATE:
        op.execute(f"revoke all on function pax_api.{fn} from public")
    op.execute("revoke all on function pax_data.briefing_frozen_guard() from public")


def downgrade() -> None:
    raise NotImplementedError("0014 is not reversible: presented lägesbilder would be lost")
