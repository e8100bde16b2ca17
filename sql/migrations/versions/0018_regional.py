"""The regional view: a regional analyst's role, the municipalities it may compare, and counts
released per municipality.

* ``regional_analyst`` joins the roles (a coordinator of the Mälardalen collaboration): incident
  counts per area with suppression, like the board; no positions, cameras, operations or
  observations (its row in ``layers/*.toml``).
* ``pax_api.municipality``: the municipalities of the session's scope, with name and population
  (the inhabitants the rates are per); ``pax_api.area`` shows each area's municipality.
* ``pax_api.municipality_counts(from, to, bucket, kinds)``: incidents per municipality, kind
  and bucket. For the roles without suppression they are exact. For the suppressing roles
  they are released by the same mechanism as the per-area counts (0009), with the
  municipality as the cell. ``_released_counts`` gains the source ``'municipality'``: records
  are counted in their municipality's own area row, the cells are those rows (not the
  districts), and the noise is drawn per source, so it is independent of the per-area release.
  A municipality value is therefore not a sum of suppressed district values, and the
  municipality values of a bucket sum to its noisy total.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from alembic import op
from sqlalchemy import text

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

SIGNATURE = "pax_api._released_counts(text, timestamptz, timestamptz, text, text[], integer)"

#: (0009's text, the new text): the places where the 'municipality' source differs
PATCHES = (
    (
        """    if p_source not in ('incident', 'observation') then
        raise exception 'source must be incident or observation (got %)', p_source;""",
        """    if p_source not in ('incident', 'observation', 'municipality') then
        raise exception 'source must be incident, observation or municipality (got %)',
            p_source;""",
    ),
    (
        """            union all
            select o.area_id, o.category, o.observed_at, o.id
            from pax_data.observation o""",
        """            union all
            -- per municipality: counted in the municipality's own area row
            select m.id, i.kind, i.occurred_at, i.id
            from pax_data.incident i
            join pax_data.area m on m.kind = 'municipality' and m.code = i.municipality_code
                                and m.municipality_code = i.municipality_code
            where p_source = 'municipality' and i.occurred_at >= v_from
              and i.occurred_at < v_to and i.kind = any (p_keys)
            union all
            select o.area_id, o.category, o.observed_at, o.id
            from pax_data.observation o""",
    ),
    (
        """        select ar.id as a from pax_data.area ar
        where ar.kind = 'district'
           or (p_source = 'incident'""",
        """        select ar.id as a from pax_data.area ar
        where (p_source = 'municipality' and ar.kind = 'municipality'
               and ar.code = ar.municipality_code)
           or (p_source <> 'municipality' and ar.kind = 'district')
           or (p_source = 'incident'""",
    ),
    (
        """        union all
        select null::int
    ), cells as (""",
        """        union all
        select null::int where p_source <> 'municipality'
    ), cells as (""",
    ),
)

SQL = r"""
alter table pax_data.app_user drop constraint app_user_role_check;
alter table pax_data.app_user add constraint app_user_role_check
    check (role in ('police_analyst', 'security_chief', 'municipal_staff', 'field_worker',
                    'board_viewer', 'night_walker', 'regional_analyst', 'admin'));

-- the municipality each area belongs to (appended: the view keeps its columns' order)
create or replace view pax_api.area as
    select id, code, name, kind, population, geom, source, source_id, loaded_at,
           municipality_code
    from pax_data.area;

create view pax_api.municipality as
    select m.code, m.name, m.population
      from pax_data.municipality m
     where m.code = any (pax_api._scope());

create function pax_api.municipality_counts(
    p_from timestamptz, p_to timestamptz, p_bucket text default 'all', p_kinds text[] default null)
returns table (municipality_code text, kind text, bucket date, n int, suppressed boolean)
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
        select a.municipality_code, r.key, r.bucket, r.n, r.suppressed
        from pax_api._released_counts('municipality', p_from, p_to, p_bucket, v_kinds, v_supp) r
        join pax_data.area a on a.id = r.area_id;
        return;
    end if;
    return query
    select i.municipality_code, i.kind,
           case when p_bucket = 'all' then null::date
                else date_trunc(p_bucket, i.occurred_at at time zone 'Europe/Stockholm')::date
           end,
           count(*)::int,
           false
    from pax_data.incident i
    where i.occurred_at >= p_from and i.occurred_at < p_to and i.kind = any (v_kinds)
    group by 1, 2, 3;
end $$;
"""


def upgrade() -> None:
    bind = op.get_bind()
    ddl = bind.execute(
        text("select pg_get_functiondef(cast(:s as regprocedure))"), {"s": SIGNATURE}
    ).scalar_one()
    for old, new in PATCHES:
        if ddl.count(new) == 1:
            continue
        if ddl.count(old) != 1:
            raise RuntimeError(f"0018: {SIGNATURE} does not have the expected text; not patched")
        ddl = ddl.replace(old, new)
    # through the driver without parameters: the body is sent as it is (its '%' included)
    with bind.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(ddl)
    op.execute(SQL)
    op.execute(
        "revoke all on function pax_api.municipality_counts(timestamptz, timestamptz, text, "
        "text[]) from public"
    )


def downgrade() -> None:
    raise NotImplementedError("0018 is not reversible")
