"""incident_counts with scalar window bounds, so the time index is used.

0002 joined the window to the precision rows, which hid the bounds from the planner and made
every call scan the whole incident table (about 0.5 s at 1M incidents for a 30-day window).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FUNCTION = """
create or replace function pax_api.incident_counts(
    p_from timestamptz, p_to timestamptz, p_bucket text default 'all', p_kinds text[] default null)
returns table (area_id int, kind text, bucket date, n int, suppressed boolean)
language plpgsql stable security definer
set search_path = pg_catalog, public, pax_data
as $$
declare
    v_kinds text[];
    v_supp int;
    v_from timestamptz;
    v_to timestamptz;
begin
    if p_bucket not in ('all', 'day', 'week', 'month', 'year') then
        raise exception 'bucket must be one of all, day, week, month, year (got %)', p_bucket;
    end if;
    select array_agg(rp.layer), coalesce(max(rp.suppress_below), 0) into v_kinds, v_supp
      from pax_data.role_precision rp
     where rp.db_role = session_user and rp.precision in ('exact', 'grid', 'area')
       and rp.layer in ('car_fire', 'shooting', 'explosion', 'cache')
       and (p_kinds is null or rp.layer = any (p_kinds));
    if v_kinds is null then
        return;
    end if;
    select w.w_from, w.w_to into v_from, v_to from pax_api._window(p_from, p_to, v_supp) w;
    return query
    select i.area_id, i.kind,
           case when p_bucket = 'all' then null::date
                else date_trunc(p_bucket, i.occurred_at at time zone 'Europe/Stockholm')::date
           end,
           case when count(*) < v_supp then null else count(*)::int end,
           count(*) < v_supp
    from pax_data.incident i
    where i.occurred_at >= v_from and i.occurred_at < v_to and i.kind = any (v_kinds)
    group by 1, 2, 3;
end $$;
revoke all on function pax_api.incident_counts(timestamptz, timestamptz, text, text[]) from public;
"""


def upgrade() -> None:
    op.execute(FUNCTION)


def downgrade() -> None:
    pass  # 0002's version is semantically equal; nothing to restore
