"""Import bookkeeping: the import history and the Police events feed as context.

* pax_data.import_run: one row per committed import (who, what file, counts, the report);
  readable by the admin and police analyst logins through pax_api.import_run.
* pax_data.police_event: every kept event of the public Police feed, of any type (context for
  the mapped incidents; public information, so every role may read pax_api.police_event).

Grants are made in pax_geo.security.sync_privileges (block "ingest").

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = """
create table pax_data.import_run (
    id bigserial primary key,
    started_at timestamptz not null,
    finished_at timestamptz not null default now(),
    username text,
    layer text not null,
    file_name text not null,
    file_sha256 text,
    source text not null,
    status text not null check (status in ('imported', 'imported_with_skips')),
    rows_read int not null check (rows_read >= 0),
    inserted int not null check (inserted >= 0),
    updated int not null check (updated >= 0),
    unchanged int not null check (unchanged >= 0),
    skipped int not null check (skipped >= 0),
    report jsonb not null default '{}'::jsonb
);
create index import_run_finished_idx on pax_data.import_run (finished_at desc);

create table pax_data.police_event (
    id bigserial primary key,
    event_type text not null,
    title text,
    summary text,
    body text,
    occurred_at timestamptz not null,
    published_at timestamptz not null,
    location_name text not null,
    location_precision text not null check (location_precision in ('area', 'municipality')),
    area_id int references pax_data.area (id) on delete set null,
    incident_kind text check (incident_kind is null
                              or incident_kind in ('car_fire', 'shooting', 'explosion', 'cache')),
    source_url text,
    source text not null,
    source_id text not null,
    verification text not null default 'unverified'
        check (verification in ('unverified', 'suspected', 'confirmed', 'rejected')),
    loaded_at timestamptz not null default now(),
    unique (source, source_id)
);
create index police_event_time_idx on pax_data.police_event (occurred_at);
create index police_event_type_time_idx on pax_data.police_event (event_type, occurred_at);
create index police_event_area_idx on pax_data.police_event (area_id);

create view pax_api.police_event as
    select id, event_type, title, summary, body, occurred_at, published_at, location_name,
           location_precision, area_id, incident_kind, source_url, source, source_id,
           verification, loaded_at
    from pax_data.police_event;

create view pax_api.import_run as
    select id, started_at, finished_at, username, layer, file_name, file_sha256, source, status,
           rows_read, inserted, updated, unchanged, skipped, report
    from pax_data.import_run;
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    op.execute(
        "drop view if exists pax_api.import_run; drop view if exists pax_api.police_event; "
        "drop table if exists pax_data.police_event; drop table if exists pax_data.import_run;"
    )
