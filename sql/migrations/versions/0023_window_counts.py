"""Counts in back-to-back windows in one call (the area card's status lights).

The area card compares the last 24 hours with the 365 days before, the last 7 days with the 52
weeks before and the last 30 days with the 12 periods before: 432 windows. Each was a call of
``pax_api.incident_counts`` (``generate_series`` x ``lateral``), so each ran its own query and,
with row security on (two or more municipalities, 0016), its own evaluation of the session's
scope: at forty municipalities the police's card of Ronna took 0.41 s instead of 0.23 s alone
(bench/bench_regional.py).

``pax_api.incident_window_counts(end, length, n, kinds, areas)`` gives the same rows as those
calls (window i is [end - (i+1) length, end - i length), computed with the same interval
arithmetic):

* for roles with exact counts, one scan of the whole span: each record's window is found with
  ``width_bucket`` over the windows' starts, and the areas are filtered inside;
* for roles whose counts are released (0009), one ``_released_counts`` per window, as before:
  the release is per window by design, and so is its suppression.

The index on ``incident (area_id)`` becomes ``(area_id, occurred_at)``: an area's records of a
period are then one index range (the card reads Ronna's last year, not its ten years). At forty
municipalities and five million incidents the card took 0.41 s before this migration, 0.24 s
with the function alone and 0.18 s with the index too; Södertälje alone 0.23 s before and 0.18
s after. The index costs about 25 bytes more per incident (32 MB to 155 MB at five million).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

SQL = r"""
create function pax_api.incident_window_counts(
    p_end timestamptz, p_len interval, p_n int, p_kinds text[] default null,
    p_areas int[] default null)
returns table (window_index int, area_id int, kind text, n int, suppressed boolean)
language plpgsql stable security definer
set search_path = pg_catalog, public, pax_data, pg_temp
set plan_cache_mode = force_custom_plan
as $$
declare
    v_kinds text[];
    v_supp int;
    v_starts timestamptz[];
begin
    if p_n is null or p_n < 1 or p_n > 1000 then
        raise exception 'the number of windows must be 1 to 1000 (got %)', p_n;
    end if;
    if p_len is null or p_end - p_len >= p_end then
        raise exception 'the window length must be positive (got %)', p_len;
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
        -- released per window (0009): exactly the calls of incident_counts this replaces
        return query
        select w.i, r.area_id, r.key, r.n, r.suppressed
        from generate_series(0, p_n - 1) as w(i),
             lateral pax_api._released_counts('incident', p_end - (w.i + 1) * p_len,
                                              p_end - w.i * p_len, 'all', v_kinds, v_supp) r
        where p_areas is null or r.area_id = any (p_areas);
        return;
    end if;
    -- the windows' starts, oldest first; window i starts at p_end - (i + 1) * p_len and ends
    -- where window i - 1 starts
    select array_agg(p_end - (w.i + 1) * p_len order by w.i desc)
      into v_starts
      from generate_series(0, p_n - 1) as w(i);
    return query
    select (p_n - width_bucket(i.occurred_at, v_starts))::int, i.area_id, i.kind,
           count(*)::int, false
    from pax_data.incident i
    where i.occurred_at >= v_starts[1] and i.occurred_at < p_end
      and i.kind = any (v_kinds)
      and (p_areas is null or i.area_id = any (p_areas))
    group by 1, 2, 3;
end $$;
revoke all on function pax_api.incident_window_counts(timestamptz, interval, int, text[], int[])
    from public;

create index incident_area_time_idx on pax_data.incident (area_id, occurred_at);
drop index pax_data.incident_area_idx;
"""


def upgrade() -> None:
    op.execute(SQL)


def downgrade() -> None:
    op.execute("create index incident_area_idx on pax_data.incident (area_id)")
    op.execute("drop index pax_data.incident_area_time_idx")
    op.execute(
        "drop function pax_api.incident_window_counts(timestamptz, interval, int, text[], int[])"
    )
