"""Stored x/y (EPSG:3006 metres) beside incident.geom, for fast aggregation.

Binning 1M points into hexagons or grid cells spent most of its time deserialising geometries
for st_x/st_y; generated columns keep plain floats next to the geometry (always in step with it).
The role views expose them at the role's precision.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SQL = """
alter table pax_data.incident
    add column x double precision generated always as (st_x(geom)) stored,
    add column y double precision generated always as (st_y(geom)) stored;

create or replace view pax_api.incident_exact with (security_barrier) as
    select i.id, i.kind, i.subtype, i.title, i.description, i.occurred_at, i.occurred_from,
           i.occurred_to, i.reported_at, i.verification, i.location_precision, i.area_id, i.geom,
           i.source, i.source_id, i.source_url, i.loaded_at, i.x, i.y
    from pax_data.incident i
    where i.kind in (select rp.layer from pax_data.role_precision rp
                     where rp.db_role = current_user and rp.precision = 'exact');

create or replace view pax_api.incident_grid with (security_barrier) as
    select i.id, i.kind, i.subtype, i.occurred_at, i.occurred_from, i.occurred_to,
           i.verification, i.area_id,
           case when i.geom is null then null else
               st_setsrid(st_makepoint(floor(i.x / g.m) * g.m + g.m / 2,
                                       floor(i.y / g.m) * g.m + g.m / 2), 3006)
           end::geometry(Point, 3006) as geom,
           floor(i.x / g.m) * g.m + g.m / 2 as x,
           floor(i.y / g.m) * g.m + g.m / 2 as y
    from pax_data.incident i
    cross join (select coalesce((select value::double precision from pax_data.setting
                                 where key = 'grid_m'), 250) as m) g
    where i.kind in (select rp.layer from pax_data.role_precision rp
                     where rp.db_role = current_user and rp.precision in ('exact', 'grid'));
"""


def upgrade() -> None:
    op.execute(SQL)


def downgrade() -> None:
    op.execute("alter table pax_data.incident drop column x cascade, drop column y cascade")
