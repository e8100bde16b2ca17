"""Keys that lead with the municipality: the schema a distributed PostgreSQL (Citus) can shard.

Past one machine the engine is Citus with ``municipality_code`` as the distribution column
(README, "Past one machine"). Citus enforces a primary or unique key, and a foreign key
between two distributed tables, only when it contains the distribution column. This revision
makes that true now, on one node:

* the **distributed** tables (``DISTRIBUTED``): their primary key becomes
  ``(municipality_code, id)`` and every unique key gains ``municipality_code`` in front;
* foreign keys between them become composite, ``(municipality_code, x_id)`` to
  ``(municipality_code, id)``, so a row can only point at a row of its own municipality and
  every join between them is co-located; ``on delete set null`` clears only the reference
  (PostgreSQL 15's column list), never the municipality;
* ``area`` (a few thousand rows for forty municipalities) will be a **reference** table: its
  primary key stays ``id`` (accounts point at areas), and its unique keys lead with
  ``municipality_code``, so two municipalities may both have a district coded "D01";
* ``briefing_comment_save`` writes with the new key.

The time and location indexes are left as they are: with one municipality a
``(municipality_code, occurred_at)`` index cannot serve a range scan that names no municipality
(PostgreSQL 15 has no skip scan); the 40-municipality benchmark decides them.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from alembic import op
from sqlalchemy import text

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

DISTRIBUTED = (
    "incident",
    "observation",
    "observation_history",
    "camera",
    "night_walk_route",
    "night_walk",
    "operation",
    "indicator",
    "place",
    "police_event",
    "import_run",
    "briefing",
    "briefing_comment",
)

SQL = r"""
-- the foreign keys between distributed tables go first (they depend on the primary keys)
alter table pax_data.observation drop constraint observation_incident_id_fkey;
alter table pax_data.observation drop constraint observation_operation_id_fkey;
alter table pax_data.night_walk drop constraint night_walk_route_id_fkey;
alter table pax_data.briefing_comment drop constraint briefing_comment_briefing_id_fkey;

-- primary keys
alter table pax_data.incident drop constraint incident_pkey,
    add primary key (municipality_code, id);
alter table pax_data.observation drop constraint observation_pkey,
    add primary key (municipality_code, id);
alter table pax_data.observation_history drop constraint observation_history_pkey,
    add primary key (municipality_code, id);
alter table pax_data.camera drop constraint camera_pkey,
    add primary key (municipality_code, id);
alter table pax_data.night_walk_route drop constraint night_walk_route_pkey,
    add primary key (municipality_code, id);
alter table pax_data.night_walk drop constraint night_walk_pkey,
    add primary key (municipality_code, id);
alter table pax_data.operation drop constraint operation_pkey,
    add primary key (municipality_code, id);
alter table pax_data.indicator drop constraint indicator_pkey,
    add primary key (municipality_code, id);
alter table pax_data.place drop constraint place_pkey,
    add primary key (municipality_code, id);
alter table pax_data.police_event drop constraint police_event_pkey,
    add primary key (municipality_code, id);
alter table pax_data.import_run drop constraint import_run_pkey,
    add primary key (municipality_code, id);
alter table pax_data.briefing drop constraint briefing_pkey,
    add primary key (municipality_code, id);
alter table pax_data.briefing_comment drop constraint briefing_comment_pkey,
    add primary key (municipality_code, briefing_id, section);

-- unique keys
alter table pax_data.incident drop constraint incident_source_source_id_key,
    add constraint incident_source_key unique (municipality_code, source, source_id);
alter table pax_data.observation drop constraint observation_source_source_id_key,
    add constraint observation_source_key unique (municipality_code, source, source_id);
alter table pax_data.camera drop constraint camera_source_source_id_key,
    add constraint camera_source_key unique (municipality_code, source, source_id);
alter table pax_data.night_walk_route drop constraint night_walk_route_source_source_id_key,
    add constraint night_walk_route_source_key unique (municipality_code, source, source_id);
alter table pax_data.night_walk drop constraint night_walk_source_source_id_key,
    add constraint night_walk_source_key unique (municipality_code, source, source_id);
alter table pax_data.operation drop constraint operation_source_source_id_key,
    add constraint operation_source_key unique (municipality_code, source, source_id);
alter table pax_data.operation drop constraint operation_client_key_key,
    add constraint operation_client_key unique (municipality_code, client_key);
alter table pax_data.indicator drop constraint indicator_source_source_id_key,
    add constraint indicator_source_key unique (municipality_code, source, source_id);
alter table pax_data.indicator drop constraint indicator_area_id_key_period_key,
    add constraint indicator_area_key_period_key unique (municipality_code, area_id, key, period);
alter table pax_data.place drop constraint place_name_key,
    add constraint place_name_key unique (municipality_code, name);
alter table pax_data.police_event drop constraint police_event_source_source_id_key,
    add constraint police_event_source_key unique (municipality_code, source, source_id);
alter table pax_data.area drop constraint area_kind_code_key,
    add constraint area_kind_code_key unique (municipality_code, kind, code);
alter table pax_data.area drop constraint area_source_source_id_key,
    add constraint area_source_key unique (municipality_code, source, source_id);

-- the foreign keys again, co-located
alter table pax_data.observation
    add constraint observation_incident_fkey foreign key (municipality_code, incident_id)
        references pax_data.incident (municipality_code, id) on delete set null (incident_id),
    add constraint observation_operation_fkey foreign key (municipality_code, operation_id)
        references pax_data.operation (municipality_code, id) on delete set null (operation_id);
alter table pax_data.night_walk
    add constraint night_walk_route_fkey foreign key (municipality_code, route_id)
        references pax_data.night_walk_route (municipality_code, id) on delete cascade;
alter table pax_data.briefing_comment
    add constraint briefing_comment_briefing_fkey foreign key (municipality_code, briefing_id)
        references pax_data.briefing (municipality_code, id) on delete cascade;
"""

COMMENT_FN = "pax_api.briefing_comment_save(int4, text, text)"
COMMENT_OLD = "on conflict (briefing_id, section) do update"
COMMENT_NEW = "on conflict (municipality_code, briefing_id, section) do update"


def upgrade() -> None:
    op.execute(SQL)
    bind = op.get_bind()
    ddl = bind.execute(
        text("select pg_get_functiondef(cast(:s as regprocedure))"), {"s": COMMENT_FN}
    ).scalar_one()
    if ddl.count(COMMENT_NEW) != 1:
        if ddl.count(COMMENT_OLD) != 1:
            raise RuntimeError(f"0019: {COMMENT_FN} is not the 0014 version; not patched")
        # through the driver without parameters: the body is sent as it is
        with bind.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.execute(ddl.replace(COMMENT_OLD, COMMENT_NEW))


def downgrade() -> None:
    raise NotImplementedError("0019 is not reversible")
