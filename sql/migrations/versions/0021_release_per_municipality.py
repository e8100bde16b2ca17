"""Released counts that do not depend on who else is in the scope.

``pax_api._released_counts`` (0009) projects the noisy area sums of a bucket onto one noisy
total. Since 0016 that total was the total of the session's scope, so an account of A and an
account of A and B received different values for A's areas: two releases of the same cells,
which a person with both accounts (or two colleagues) could set against each other. Now the
projection is made per municipality: each municipality's areas, and its records with no area,
are projected onto that municipality's own noisy total. A cell's released value therefore
depends only on its municipality's records, whichever scope asks.

* The noise keys are unchanged (area id, count and id sum; the total's count and id sum), so
  with one municipality every released number is exactly what it was before this migration
  (checked on the demo database: 72 combinations of source, bucket, window and threshold gave
  the same rows before and after), and adding a municipality later changes none of them.
* "No area" is one row in the result. With several municipalities in the scope it is the sum
  of each municipality's released "no area" value, and it is released only when every non-zero
  part is: otherwise a sum minus the part another account sees would give back a suppressed
  part.

The whole function is replaced (its grants and owner stay).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

FUNCTION = r"""
CREATE OR REPLACE FUNCTION pax_api._released_counts(p_source text, p_from timestamp with time zone, p_to timestamp with time zone, p_bucket text, p_keys text[], p_supp integer)
 RETURNS TABLE(area_id integer, key text, bucket date, n integer, suppressed boolean)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
declare
    v_secret bytea;
    v_alpha double precision;
    v_starts timestamptz[];
    v_buckets date[];
    v_lvls int[];
    v_from timestamptz;
    v_to timestamptz;
begin
    if p_source not in ('incident', 'observation', 'municipality') then
        raise exception 'source must be incident, observation or municipality (got %)',
            p_source;
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
        select x.a, x.m, x.k, width_bucket(x.t, v_starts) as ci, count(*)::int as cnt,
               sum(x.rid)::numeric as ids
        from (
            select i.area_id as a, i.municipality_code as m, i.kind as k, i.occurred_at as t,
                   i.id as rid
            from pax_data.incident i
            where p_source = 'incident' and i.occurred_at >= v_from and i.occurred_at < v_to
              and i.kind = any (p_keys)
            union all
            -- per municipality: counted in the municipality's own area row
            select m.id, i.municipality_code, i.kind, i.occurred_at, i.id
            from pax_data.incident i
            join pax_data.area m on m.kind = 'municipality' and m.code = i.municipality_code
                                and m.municipality_code = i.municipality_code
            where p_source = 'municipality' and i.occurred_at >= v_from
              and i.occurred_at < v_to and i.kind = any (p_keys)
            union all
            select o.area_id, o.municipality_code, o.category, o.observed_at, o.id
            from pax_data.observation o
            where p_source = 'observation' and o.observed_at >= v_from and o.observed_at < v_to
              and o.category = any (p_keys)
        ) x
        group by 1, 2, 3, 4
    ), areas as (
        -- the areas records are counted in, each with its municipality: districts, any other
        -- area a record was ever assigned to (not only in this window, so no area appears
        -- because of one event), and "no area" of each municipality in the scope
        select ar.id as a, ar.municipality_code as m from pax_data.area ar
        where (p_source = 'municipality' and ar.kind = 'municipality'
               and ar.code = ar.municipality_code)
           or (p_source <> 'municipality' and ar.kind = 'district')
           or (p_source = 'incident'
               and exists (select 1 from pax_data.incident i2 where i2.area_id = ar.id))
           or (p_source = 'observation'
               and exists (select 1 from pax_data.observation o2 where o2.area_id = ar.id))
        union all
        select null::int, sc.m from pg_catalog.unnest(pax_api._scope()) as sc(m)
        where p_source <> 'municipality'
    ), cells as (
        -- bucket is null for 'all': a fixed date stands in so that every join below is an
        -- equality (hashable), and the final select turns it back into null
        select u.i::int as i, coalesce(u.bucket, date '1900-01-01') as bucket, u.lvl, u.c_from
        from unnest(v_buckets, v_lvls, v_starts) with ordinality as u(bucket, lvl, c_from, i)
    ), grid as (
        select c.i, c.bucket, c.lvl, c.c_from, k.k, ar.a, ar.m,
               coalesce(cn.cnt, 0) as cnt, coalesce(cn.ids, 0) as ids
        from cells c
        cross join unnest(p_keys) as k(k)
        cross join areas ar
        left join counted cn on cn.ci = c.i and cn.k = k.k and cn.m = ar.m
                            and coalesce(cn.a, -1) = coalesce(ar.a, -1)
    ), hashed as materialized (
        -- one uniform per cell from its key; materialized so that the noise below gets a
        -- plain column and is inlined (no function call per cell)
        select g.i, g.bucket, g.k, g.a, g.m, g.cnt,
               pax_api._uniform(sha256(v_secret || convert_to(concat_ws('|', p_source, g.k,
                   g.lvl, extract(epoch from g.c_from)::bigint, coalesce(g.a::text, '-'),
                   g.cnt, g.ids), 'UTF8'))) as u
        from grid g
    ), noisy as (
        select h.i, h.bucket, h.k, h.a, h.m, h.cnt + pax_api._geometric_noise(h.u, v_alpha) as v
        from hashed h
    ), hashed_totals as materialized (
        select t.bucket, t.k, t.m, t.cnt,
               pax_api._uniform(sha256(v_secret || convert_to(concat_ws('|', p_source, t.k,
                   t.lvl, extract(epoch from t.c_from)::bigint, 'total', t.cnt, t.ids),
                   'UTF8'))) as u
        from (select g.i, g.bucket, g.k, g.m, g.lvl, g.c_from, sum(g.cnt)::int as cnt,
                     sum(g.ids) as ids
              from grid g group by 1, 2, 3, 4, 5, 6) t
    ), cell_totals as (
        select ht.bucket, ht.k, ht.m, ht.cnt + pax_api._geometric_noise(ht.u, v_alpha) as tv
        from hashed_totals ht
    ), totals as (
        select ct.bucket, ct.k, ct.m, greatest(0, sum(ct.tv))::int as total
        from cell_totals ct group by 1, 2, 3
    ), area_sums as (
        -- unbiased noisy sums per area over the bucket's cells (not clipped cell by cell)
        select nz.bucket, nz.k, nz.m, nz.a, sum(nz.v)::int as s
        from noisy nz group by 1, 2, 3, 4
    ), ranked as (
        select s.bucket, s.k, s.m, s.a, s.s, tt.total,
               row_number() over w as j,
               sum(s.s) over (w rows between unbounded preceding and current row) as cs
        from area_sums s
        join totals tt on tt.bucket = s.bucket and tt.k = s.k and tt.m = s.m
        window w as (partition by s.bucket, s.k, s.m order by s.s desc, s.a nulls first)
    ), shift as (
        -- the Euclidean projection of the noisy area sums onto {b >= 0, sum b = total}:
        -- b = max(0, s - lambda) (the sorting algorithm for the projection onto a simplex);
        -- rho per bucket and key as a window, so no self-join (whose row estimates of 1 made
        -- the planner loop over every pair of cells)
        select r.*,
               coalesce(max(r.j) filter (where r.s - (r.cs - r.total)::double precision / r.j > 0)
                        over (partition by r.bucket, r.k, r.m), 0) as rho
        from ranked r
    ), quotas as (
        select sh.bucket, sh.k, sh.m, sh.a, sh.total, sh.s as tiebreak,
               case when sh.rho = 0 then 0::double precision
                    else greatest(sh.s - (max(sh.cs) filter (where sh.j = sh.rho)
                                          over (partition by sh.bucket, sh.k, sh.m)
                                          - sh.total)::double precision / sh.rho, 0) end as q
        from shift sh
    ), released as (
        -- largest remainder: integers that sum to the noisy total of the bucket
        select ap.a, ap.k, ap.m, ap.bucket,
               ap.base + case when ap.rnk <= ap.left_over then 1 else 0 end as v
        from (
            select q.*, floor(q.q)::int as base,
                   q.total - sum(floor(q.q)::int) over (partition by q.bucket, q.k, q.m)
                       as left_over,
                   row_number() over (partition by q.bucket, q.k, q.m
                                      order by q.q - floor(q.q) desc, q.tiebreak desc,
                                               q.a nulls first) as rnk
            from quotas q
        ) ap
    )
    -- one row per area; "no area" of several municipalities is their sum, released only when
    -- every part is (so no difference of two scopes' releases gives back a suppressed part)
    select r.a, r.k, case when p_bucket = 'all' then null::date else r.bucket end,
           case when pg_catalog.bool_or(r.v < p_supp) then null else sum(r.v)::int end,
           pg_catalog.bool_or(r.v < p_supp)
    from released r
    where r.v > 0
    group by r.a, r.k, r.bucket;
end $function$;
"""


def upgrade() -> None:
    bind = op.get_bind()
    # through the driver without parameters: the body is sent as it is (its '%' included)
    with bind.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(FUNCTION)


def downgrade() -> None:
    raise NotImplementedError("0021 is not reversible")
