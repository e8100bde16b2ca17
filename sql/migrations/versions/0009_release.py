"""Counts for the suppressing roles: a fixed calendar lattice with deterministic noise.

Before this revision the roles whose small counts are suppressed (field workers, the board)
got exact counts for any hour-aligned window and "<3" below the threshold. Two nested windows
(3 Jul–31 Oct = 6, 3 Jul–30 Sep = 4) gave back a suppressed October count exactly.

What these roles are released now (``PAX_SUPPRESS_BELOW`` > 0 in ``role_precision``):

* **A fixed lattice of cells.** Time is cut into calendar cells in Europe/Stockholm: years,
  months, ISO weeks, days and six-hour blocks (00, 06, 12, 18). A window is widened to whole
  blocks and split canonically, coarsest first (whole years, then whole quarters and months
  in what is left, then whole weeks, days, blocks); each time bucket (day, week, month, year) is split the
  same way. Space is the areas plus "no area"; each kind (or observation category) is its own
  cell. Every answer is therefore a sum of lattice cells, and any difference of two answers is
  itself a sum of lattice cells: differencing windows, areas or kinds gives back nothing that
  the cells themselves did not already give.
* **Deterministic noise on every cell** (including empty ones): two-sided geometric noise
  (P(e) proportional to alpha^|e|, unbounded support) drawn from SHA-256 of a secret key, the cell's
  identity, its count and the sum of its record ids (a cell key in the sense of the ABS/ONS
  table builders). The same cell gives the same answer on every query, so repeating a query
  averages nothing away; a cell whose records change gets fresh noise, so watching a cell
  does not show the exact change. Because the noise has unbounded support, no combination of
  released values pins a count with certainty.
* **Consistent areas.** Per kind and cell the noisy municipality total is released and the
  noisy area values (clipped at 0) are apportioned to integers that sum to it (largest
  remainder), so a sum over areas equals the municipality total, never a total inflated by
  clipped noise.
* Per bucket the released value is the sum of its cells. Values of 1 up to the threshold - 1
  come back as suppressed (n null), values of 0 or less as no row, others as the value.

Each record touches twelve released cells (six time levels, its area and the total), so an
attacker who combines everything still faces noise on every one of them; what an optimal
attacker achieves is measured in tests/db/test_release.py. Roles without suppression keep exact
counts for any window.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SQL = r"""
-- The secret behind the noise: random, never readable by an application role.
create table pax_data.release_key (
    id int primary key default 1 check (id = 1),
    secret bytea not null check (length(secret) >= 32)
);
insert into pax_data.release_key (secret)
select sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                         || gen_random_uuid()::text, 'UTF8'));

insert into pax_data.setting (key, value) values ('release_alpha', '0.3')
on conflict (key) do nothing;

-- The canonical split of [p_a, p_b) (local times on six-hour block boundaries) into lattice
-- cells: whole years first, then whole quarters in what is left, then months, weeks, days and
-- blocks. lvl: 6 year, 5 quarter, 4 month, 3 week, 2 day, 1 block.
create function pax_api._lattice(p_a timestamp, p_b timestamp)
returns table (lvl int, c_start timestamp, c_end timestamp)
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
    units text[] := array['year', 'quarter', 'month', 'week', 'day'];
    st_a timestamp[] := array[p_a];
    st_b timestamp[] := array[p_b];
    st_l int[] := array[1];
    n int;
    a timestamp;
    b timestamp;
    l int;
    s timestamp;
    e timestamp;
    t timestamp;
    step interval;
begin
    if p_a is null or p_b is null then
        return;
    end if;
    if extract(hour from p_a)::int % 6 <> 0 or date_trunc('hour', p_a) <> p_a
       or extract(hour from p_b)::int % 6 <> 0 or date_trunc('hour', p_b) <> p_b then
        raise exception 'lattice bounds must lie on six-hour blocks (got % to %)', p_a, p_b;
    end if;
    while cardinality(st_a) > 0 loop
        n := cardinality(st_a);
        a := st_a[n]; b := st_b[n]; l := st_l[n];
        st_a := st_a[1:n - 1]; st_b := st_b[1:n - 1]; st_l := st_l[1:n - 1];
        continue when a >= b;
        if l = 6 then
            t := a;
            while t < b loop
                lvl := 1; c_start := t; c_end := t + interval '6 hours';
                return next;
                t := c_end;
            end loop;
            continue;
        end if;
        step := case units[l] when 'quarter' then interval '3 months'
                              else ('1 ' || units[l])::interval end;
        s := date_trunc(units[l], a);
        if s < a then
            s := s + step;
        end if;
        e := date_trunc(units[l], b);
        if s < e then
            t := s;
            while t < e loop
                lvl := 7 - l; c_start := t; c_end := t + step;
                return next;
                t := c_end;
            end loop;
            st_a := st_a || a; st_b := st_b || s; st_l := st_l || (l + 1);
            st_a := st_a || e; st_b := st_b || b; st_l := st_l || (l + 1);
        else
            st_a := st_a || a; st_b := st_b || b; st_l := st_l || (l + 1);
        end if;
    end loop;
end $$;

-- The lattice cells that answer a window for a suppressing role, per time bucket: the window
-- widened to whole six-hour blocks (Europe/Stockholm), each bucket's part split canonically.
-- Sorted by start; together they cover the widened window without overlap.
create function pax_api._release_cells(p_from timestamptz, p_to timestamptz, p_bucket text)
returns table (bucket date, lvl int, c_from timestamptz, c_to timestamptz)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    -- no record lies outside these years; clamping keeps infinite or absurd bounds finite
    lf timestamp := greatest(p_from at time zone 'Europe/Stockholm', timestamp '1970-01-01');
    lt timestamp := least(p_to at time zone 'Europe/Stockholm', timestamp '2100-01-01');
    a timestamp;
    b timestamp;
begin
    if p_bucket not in ('all', 'day', 'week', 'month', 'year') then
        raise exception 'bucket must be one of all, day, week, month, year (got %)', p_bucket;
    end if;
    if lf is null or lt is null or lt <= lf then
        return;
    end if;
    a := date_trunc('day', lf) + (extract(hour from lf)::int / 6) * interval '6 hours';
    b := date_trunc('day', lt) + (extract(hour from lt)::int / 6) * interval '6 hours';
    if b < lt then
        b := b + interval '6 hours';
    end if;
    if p_bucket = 'all' then
        return query
        select null::date, c.lvl, c.c_start at time zone 'Europe/Stockholm',
               c.c_end at time zone 'Europe/Stockholm'
        from pax_api._lattice(a, b) c order by c.c_start;
    else
        return query
        select g.bs::date, c.lvl, c.c_start at time zone 'Europe/Stockholm',
               c.c_end at time zone 'Europe/Stockholm'
        from generate_series(date_trunc(p_bucket, a), b - interval '1 second',
                             ('1 ' || p_bucket)::interval) as g(bs),
             lateral pax_api._lattice(greatest(a, g.bs),
                                      least(b, g.bs + ('1 ' || p_bucket)::interval)) c
        order by c.c_start;
    end if;
end $$;

-- Uniform (0, 1) from the first 48 bits of a SHA-256 digest.
create function pax_api._uniform(p_digest bytea)
returns double precision
language sql immutable parallel safe
as $$
    select (('x' || pg_catalog.encode(pg_catalog.substr(p_digest, 1, 6), 'hex'))::bit(48)::bigint
            + 0.5) / 281474976710656.0
$$;

-- Two-sided geometric noise with parameter alpha from a uniform u in (0, 1):
-- P(0) = (1 - alpha) / (1 + alpha), P(|e| = k) = 2 (1 - alpha) alpha^k / (1 + alpha).
-- One expression, so the planner inlines it (no function call per cell).
create function pax_api._geometric_noise(p_u double precision, p_alpha double precision)
returns int
language sql immutable parallel safe
as $$
    select case
        when p_u < (1 - p_alpha) / (1 + p_alpha) then 0
        when (p_u - (1 - p_alpha) / (1 + p_alpha)) / (1 - (1 - p_alpha) / (1 + p_alpha)) < 0.5
        then -(1 + pg_catalog.floor(pg_catalog.ln(1 - 2 * ((p_u - (1 - p_alpha) / (1 + p_alpha))
                   / (1 - (1 - p_alpha) / (1 + p_alpha)))) / pg_catalog.ln(p_alpha))::int)
        else 1 + pg_catalog.floor(pg_catalog.ln(2 - 2 * ((p_u - (1 - p_alpha) / (1 + p_alpha))
                   / (1 - (1 - p_alpha) / (1 + p_alpha)))) / pg_catalog.ln(p_alpha))::int
    end
$$;

-- Released counts per area x key (x bucket) for a suppressing role. p_source: 'incident'
-- (keys are kinds) or 'observation' (keys are categories). Rows with a released value of 0 or
-- less are left out; values below p_supp come back as n = null, suppressed = true.
create function pax_api._released_counts(p_source text, p_from timestamptz, p_to timestamptz,
                                         p_bucket text, p_keys text[], p_supp int)
returns table (area_id int, key text, bucket date, n int, suppressed boolean)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_secret bytea;
    v_alpha double precision;
    v_starts timestamptz[];
    v_buckets date[];
    v_lvls int[];
    v_from timestamptz;
    v_to timestamptz;
begin
    if p_source not in ('incident', 'observation') then
        raise exception 'source must be incident or observation (got %)', p_source;
    end if;
    if p_keys is null or cardinality(p_keys) = 0 or p_supp < 1 then
        return;
    end if;
    select k.secret into v_secret from pax_data.release_key k where k.id = 1;
    select coalesce((select s.value::double precision from pax_data.setting s
                     where s.key = 'release_alpha'), 0.3) into v_alpha;
    if v_secret is null or v_alpha <= 0 or v_alpha >= 1 then
        raise exception 'the release key or release_alpha is missing or invalid';
    end if;
    -- the cells as arrays (no temporary table: a caller could have planted one)
    select array_agg(c.c_from order by c.c_from), array_agg(c.bucket order by c.c_from),
           array_agg(c.lvl order by c.c_from), min(c.c_from), max(c.c_to)
      into v_starts, v_buckets, v_lvls, v_from, v_to
      from pax_api._release_cells(p_from, p_to, p_bucket) c;
    if v_starts is null then
        return;
    end if;
    return query
    with counted as (
        select x.a, x.k, width_bucket(x.t, v_starts) as ci, count(*)::int as cnt,
               sum(x.rid)::numeric as ids
        from (
            select i.area_id as a, i.kind as k, i.occurred_at as t, i.id as rid
            from pax_data.incident i
            where p_source = 'incident' and i.occurred_at >= v_from and i.occurred_at < v_to
              and i.kind = any (p_keys)
            union all
            select o.area_id, o.category, o.observed_at, o.id
            from pax_data.observation o
            where p_source = 'observation' and o.observed_at >= v_from and o.observed_at < v_to
              and o.category = any (p_keys)
        ) x
        group by 1, 2, 3
    ), areas as (
        -- the areas records are counted in: districts, any other area a record was ever
        -- assigned to (not only in this window, so no area appears because of one event),
        -- and "no area"
        select ar.id as a from pax_data.area ar
        where ar.kind = 'district'
           or (p_source = 'incident'
               and exists (select 1 from pax_data.incident i2 where i2.area_id = ar.id))
           or (p_source = 'observation'
               and exists (select 1 from pax_data.observation o2 where o2.area_id = ar.id))
        union all
        select null::int
    ), cells as (
        -- bucket is null for 'all': a fixed date stands in so that every join below is an
        -- equality (hashable), and the final select turns it back into null
        select u.i::int as i, coalesce(u.bucket, date '1900-01-01') as bucket, u.lvl, u.c_from
        from unnest(v_buckets, v_lvls, v_starts) with ordinality as u(bucket, lvl, c_from, i)
    ), grid as (
        select c.i, c.bucket, c.lvl, c.c_from, k.k, ar.a,
               coalesce(cn.cnt, 0) as cnt, coalesce(cn.ids, 0) as ids
        from cells c
        cross join unnest(p_keys) as k(k)
        cross join areas ar
        left join counted cn on cn.ci = c.i and cn.k = k.k
                            and coalesce(cn.a, -1) = coalesce(ar.a, -1)
    ), hashed as materialized (
        -- one uniform per cell from its key; materialized so that the noise below gets a
        -- plain column and is inlined (no function call per cell)
        select g.i, g.bucket, g.k, g.a, g.cnt,
               pax_api._uniform(sha256(v_secret || convert_to(concat_ws('|', p_source, g.k,
                   g.lvl, extract(epoch from g.c_from)::bigint, coalesce(g.a::text, '-'),
                   g.cnt, g.ids), 'UTF8'))) as u
        from grid g
    ), noisy as (
        select h.i, h.bucket, h.k, h.a, h.cnt + pax_api._geometric_noise(h.u, v_alpha) as v
        from hashed h
    ), hashed_totals as materialized (
        select t.bucket, t.k, t.cnt,
               pax_api._uniform(sha256(v_secret || convert_to(concat_ws('|', p_source, t.k,
                   t.lvl, extract(epoch from t.c_from)::bigint, 'total', t.cnt, t.ids),
                   'UTF8'))) as u
        from (select g.i, g.bucket, g.k, g.lvl, g.c_from, sum(g.cnt)::int as cnt,
                     sum(g.ids) as ids
              from grid g group by 1, 2, 3, 4, 5) t
    ), cell_totals as (
        select ht.bucket, ht.k, ht.cnt + pax_api._geometric_noise(ht.u, v_alpha) as tv
        from hashed_totals ht
    ), totals as (
        select ct.bucket, ct.k, greatest(0, sum(ct.tv))::int as total
        from cell_totals ct group by 1, 2
    ), area_sums as (
        -- unbiased noisy sums per area over the bucket's cells (not clipped cell by cell)
        select nz.bucket, nz.k, nz.a, sum(nz.v)::int as s
        from noisy nz group by 1, 2, 3
    ), ranked as (
        select s.bucket, s.k, s.a, s.s, tt.total,
               row_number() over w as j,
               sum(s.s) over (w rows between unbounded preceding and current row) as cs
        from area_sums s
        join totals tt on tt.bucket = s.bucket and tt.k = s.k
        window w as (partition by s.bucket, s.k order by s.s desc, s.a nulls first)
    ), shift as (
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
    ), released as (
        -- largest remainder: integers that sum to the noisy total of the bucket
        select ap.a, ap.k, ap.bucket,
               ap.base + case when ap.rnk <= ap.left_over then 1 else 0 end as v
        from (
            select q.*, floor(q.q)::int as base,
                   q.total - sum(floor(q.q)::int) over (partition by q.bucket, q.k) as left_over,
                   row_number() over (partition by q.bucket, q.k
                                      order by q.q - floor(q.q) desc, q.tiebreak desc,
                                               q.a nulls first) as rnk
            from quotas q
        ) ap
    )
    select r.a, r.k, case when p_bucket = 'all' then null::date else r.bucket end,
           case when r.v < p_supp then null else r.v end,
           r.v < p_supp
    from released r
    where r.v > 0;
end $$;

create or replace function pax_api.incident_counts(
    p_from timestamptz, p_to timestamptz, p_bucket text default 'all', p_kinds text[] default null)
returns table (area_id int, kind text, bucket date, n int, suppressed boolean)
language plpgsql stable security definer
set search_path = pg_catalog, public, pax_data, pg_temp
as $$
declare
    v_kinds text[];
    v_supp int;
begin
    if p_bucket not in ('all', 'day', 'week', 'month', 'year') then
        raise exception 'bucket must be one of all, day, week, month, year (got %)', p_bucket;
    end if;
    select array_agg(rp.layer order by rp.layer), coalesce(max(rp.suppress_below), 0)
      into v_kinds, v_supp
      from pax_data.role_precision rp
     where rp.db_role = session_user and rp.precision in ('exact', 'grid', 'area')
       and rp.layer in ('car_fire', 'shooting', 'explosion', 'cache')
       and (p_kinds is null or rp.layer = any (p_kinds));
    if v_kinds is null then
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
           count(*)::int,
           false
    from pax_data.incident i
    where i.occurred_at >= p_from and i.occurred_at < p_to and i.kind = any (v_kinds)
    group by 1, 2, 3;
end $$;

create or replace function pax_api.observation_counts(
    p_from timestamptz, p_to timestamptz, p_bucket text default 'all')
returns table (area_id int, category text, bucket date, n int, suppressed boolean)
language plpgsql stable security definer
set search_path = pg_catalog, public, pax_data, pg_temp
as $$
declare
    v_supp int;
    v_categories text[];
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
    if v_supp > 0 then
        -- every category ever reported is a cell, so an empty category is noised like the rest
        select array_agg(distinct o.category order by o.category) into v_categories
          from pax_data.observation o;
        return query
        select r.area_id, r.key, r.bucket, r.n, r.suppressed
        from pax_api._released_counts('observation', p_from, p_to, p_bucket, v_categories,
                                      v_supp) r;
        return;
    end if;
    return query
    select o.area_id, o.category,
           case when p_bucket = 'all' then null::date
                else date_trunc(p_bucket, o.observed_at at time zone 'Europe/Stockholm')::date end,
           count(*)::int,
           false
    from pax_data.observation o
    where o.observed_at >= p_from and o.observed_at < p_to
    group by 1, 2, 3;
end $$;

-- For suppressing roles the time of the latest event would date a single record: they get
-- the day of the latest load instead (when the data were last brought up to date).
create or replace function pax_api.data_status()
returns table (layer text, source text, last_loaded_at timestamptz, data_until timestamptz)
language sql stable security definer
set search_path = pg_catalog, public, pax_data, pg_temp
as $$
    with perm as (
        select rp.layer, rp.suppress_below
        from pax_data.role_precision rp
        where rp.db_role = session_user and rp.precision <> 'none'
    )
    select i.kind, i.source, max(i.loaded_at),
           case when perm.suppress_below > 0
                then date_trunc('day', max(i.loaded_at), 'Europe/Stockholm')
                else max(i.occurred_at) end
    from pax_data.incident i
    join perm on perm.layer = i.kind
    group by i.kind, i.source, perm.suppress_below
    union all
    select 'observation', o.source, max(o.loaded_at),
           case when perm.suppress_below > 0
                then date_trunc('day', max(o.loaded_at), 'Europe/Stockholm')
                else max(o.observed_at) end
    from pax_data.observation o
    join perm on perm.layer = 'observation'
    group by o.source, perm.suppress_below
$$;

drop function pax_api._window(timestamptz, timestamptz, int);
revoke all on all functions in schema pax_api from public;
"""


def upgrade() -> None:
    op.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError(
        "0009 replaces the counts functions with the released lattice; restore the database "
        "from a backup to go back."
    )
