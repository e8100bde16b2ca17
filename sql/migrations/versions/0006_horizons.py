"""Horizon support: when and from where each role's data comes (the "Källa · data t.o.m." captions).

``pax_api.data_status()`` returns, for each incident kind and for observations that the calling
role may see at any precision, the source, the latest load time and the time of the latest
event. Roles whose small counts are suppressed get the event time truncated to the day
(Europe/Stockholm), so the function reveals no more than their daily counts do.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = """
create function pax_api.data_status()
returns table (layer text, source text, last_loaded_at timestamptz, data_until timestamptz)
language sql stable security definer
set search_path = pg_catalog, public, pax_data
as $$
    with perm as (
        select rp.layer, rp.suppress_below
        from pax_data.role_precision rp
        where rp.db_role = session_user and rp.precision <> 'none'
    )
    select i.kind, i.source, max(i.loaded_at),
           case when perm.suppress_below > 0
                then date_trunc('day', max(i.occurred_at), 'Europe/Stockholm')
                else max(i.occurred_at) end
    from pax_data.incident i
    join perm on perm.layer = i.kind
    group by i.kind, i.source, perm.suppress_below
    union all
    select 'observation', o.source, max(o.loaded_at),
           case when perm.suppress_below > 0
                then date_trunc('day', max(o.observed_at), 'Europe/Stockholm')
                else max(o.observed_at) end
    from pax_data.observation o
    join perm on perm.layer = 'observation'
    group by o.source, perm.suppress_below
$$;
revoke all on function pax_api.data_status() from public;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("drop function if exists pax_api.data_status();")
