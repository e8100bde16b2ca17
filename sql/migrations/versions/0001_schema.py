"""Base schema: every layer in SWEREF 99 TM (EPSG:3006), users and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PROVENANCE = """
    source text not null,
    source_id text not null,
    verification text not null default 'unverified'
        check (verification in ('unverified', 'suspected', 'confirmed', 'rejected')),
    loaded_at timestamptz not null default now(),
    unique (source, source_id)
"""

SCHEMA = f"""
create extension if not exists postgis;
create schema if not exists pax_data;
create schema if not exists pax_api;
revoke all on schema pax_data from public;
revoke all on schema pax_api from public;

create table pax_data.setting (
    key text primary key,
    value text not null
);
insert into pax_data.setting(key, value) values ('grid_m', '250'), ('suppress_below', '3');

create table pax_data.role_precision (
    db_role text not null,
    layer text not null,
    precision text not null check (precision in ('exact', 'grid', 'area', 'own', 'none')),
    suppress_below int not null default 0,
    primary key (db_role, layer)
);

create table pax_data.area (
    id serial primary key,
    code text not null,
    name text not null,
    kind text not null check (kind in ('municipality', 'district', 'deso', 'vulnerable_area')),
    geom geometry(MultiPolygon, 3006) not null check (st_isvalid(geom) and not st_isempty(geom)),
    population int,
    {PROVENANCE},
    unique (kind, code)
);
create index area_geom_gix on pax_data.area using gist (geom);

create table pax_data.incident (
    id bigserial primary key,
    kind text not null check (kind in ('car_fire', 'shooting', 'explosion', 'cache')),
    subtype text check (subtype is null or subtype in ('drugs', 'weapons', 'mixed')),
    title text,
    description text,
    occurred_at timestamptz not null,
    occurred_from timestamptz,
    occurred_to timestamptz,
    reported_at timestamptz,
    location_precision text not null default 'exact'
        check (location_precision in ('exact', 'address', 'area', 'municipality')),
    geom geometry(Point, 3006),
    area_id int references pax_data.area (id) on delete set null,
    source_url text,
    {PROVENANCE},
    check (occurred_from is null or occurred_to is null or occurred_from <= occurred_to),
    check (geom is not null or location_precision in ('area', 'municipality'))
);
create index incident_geom_gix on pax_data.incident using gist (geom);
create index incident_kind_time_idx on pax_data.incident (kind, occurred_at);
create index incident_time_idx on pax_data.incident (occurred_at);
create index incident_area_idx on pax_data.incident (area_id);

create table pax_data.camera (
    id serial primary key,
    name text not null,
    owner text not null,
    status text not null default 'active' check (status in ('active', 'inactive', 'planned')),
    direction_deg double precision,
    geom geometry(Point, 3006) not null,
    coverage geometry(Polygon, 3006),
    {PROVENANCE}
);
create index camera_geom_gix on pax_data.camera using gist (geom);
create index camera_cov_gix on pax_data.camera using gist (coverage);

create table pax_data.night_walk_route (
    id serial primary key,
    name text not null,
    organisation text not null,
    schedule jsonb not null default '[]'::jsonb check (jsonb_typeof(schedule) = 'array'),
    geom geometry(MultiLineString, 3006) not null,
    {PROVENANCE}
);
create index route_geom_gix on pax_data.night_walk_route using gist (geom);

create table pax_data.night_walk (
    id bigserial primary key,
    route_id int not null references pax_data.night_walk_route (id) on delete cascade,
    walked_on date not null,
    participants int not null check (participants >= 0),
    note text,
    {PROVENANCE}
);
create index night_walk_date_idx on pax_data.night_walk (walked_on);

create table pax_data.observation (
    id bigserial primary key,
    observed_at timestamptz not null,
    category text not null,
    text text,
    reporter text not null,
    geom geometry(Point, 3006),
    area_id int references pax_data.area (id) on delete set null,
    {PROVENANCE}
);
create index observation_geom_gix on pax_data.observation using gist (geom);
create index observation_time_idx on pax_data.observation (observed_at);

create table pax_data.operation (
    id serial primary key,
    name text not null,
    description text,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    geom geometry(MultiPolygon, 3006) not null,
    {PROVENANCE},
    check (starts_at <= ends_at)
);
create index operation_geom_gix on pax_data.operation using gist (geom);

create table pax_data.indicator_key (
    key text primary key,
    label_sv text not null,
    label_en text not null,
    unit text not null,
    higher_is_better boolean not null default true,
    description_sv text
);

create table pax_data.indicator (
    id bigserial primary key,
    area_id int not null references pax_data.area (id) on delete cascade,
    period text not null,
    year int not null,
    key text not null,
    value double precision not null,
    unit text not null,
    {PROVENANCE},
    unique (area_id, key, period)
);
create index indicator_key_idx on pax_data.indicator (key, year);

create table pax_data.app_user (
    id serial primary key,
    username text not null unique check (username ~ '^[a-z0-9._-]{{2,64}}$'),
    display_name text not null,
    role text not null check (role in ('police_analyst', 'security_chief', 'municipal_staff',
                                       'field_worker', 'board_viewer', 'admin')),
    area_id int references pax_data.area (id) on delete set null,
    password_hash text,
    disabled boolean not null default false,
    failed_attempts int not null default 0,
    locked_until timestamptz,
    created_at timestamptz not null default now(),
    last_login_at timestamptz
);

create table pax_data.audit_log (
    id bigserial primary key,
    at timestamptz not null default now(),
    username text,
    role text,
    action text not null,
    page text,
    detail jsonb not null default '{{}}'::jsonb
);
create index audit_log_at_idx on pax_data.audit_log (at);

create function pax_data.audit_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only';
end $$;
create trigger audit_log_no_update before update or delete on pax_data.audit_log
    for each row execute function pax_data.audit_log_append_only();
create trigger audit_log_no_truncate before truncate on pax_data.audit_log
    for each statement execute function pax_data.audit_log_append_only();
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    op.execute("drop schema if exists pax_api cascade; drop schema if exists pax_data cascade;")
