"""Tenancy: every data row belongs to a municipality, and the database limits every read to
the signed-in session's municipalities.

* ``pax_data.municipality`` (a small reference table: code, name, population) and
  ``pax_data.app_user_municipality`` (an account belongs to one or more municipalities; a
  police analyst of the lokalpolisområde may have two). Existing accounts and rows belong to the
  installation's municipality (``PAX_MUNICIPALITY_CODE``).
* ``municipality_code`` on every table that holds data (``TENANT_TABLES``), not null, a foreign
  key to the reference table. A ``before insert`` trigger fills it when the writer leaves it out:
  from the geometry (the municipality outline that covers it), else from the row it belongs to
  (a walk's route, an indicator's area, a comment's lägesbild), else the one municipality the
  bound session or the installation has. A row it cannot place is refused with a message that
  says so; nothing is guessed.
* **Row-level security** on those tables, switched on whenever the installation has two or
  more municipalities (``pax_data.apply_tenancy``, run by a trigger on the reference table).
  ``pax_api._scope()`` is the bound session's
  municipalities (``pax.app_session``, checked as in ``app_username()``), and, on a connection
  with no session, the installation's municipality when it has exactly one (the same set any of
  its accounts would have), otherwise none. The policies apply to every role that is not the
  tables' owner: the definer that runs the ``pax_api`` functions and, once
  ``security.sync_privileges`` hands them to it, the ``pax_api`` views. The client sends no
  municipality filter; the database derives it from the session.
* A write through a definer function (a field report, a walk, an operation, a lägesbild) must
  land in the session's municipalities (the policies' ``with check``): a field worker of one
  municipality cannot report a point in another.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from alembic import op
from sqlalchemy import text

from pax_geo.config import settings

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: table -> how a missing municipality is derived: (geometry column, parent table, parent key)
TENANT_TABLES: dict[str, tuple[str, str, str]] = {
    "area": ("geom", "-", "-"),
    "incident": ("geom", "area", "area_id"),
    "camera": ("geom", "-", "-"),
    "night_walk_route": ("geom", "-", "-"),
    "night_walk": ("-", "night_walk_route", "route_id"),
    "observation": ("geom", "area", "area_id"),
    "observation_history": ("-", "observation", "observation_id"),
    "operation": ("geom", "-", "-"),
    "indicator": ("-", "area", "area_id"),
    "place": ("geom", "area", "area_id"),
    "briefing": ("-", "-", "-"),
    "briefing_comment": ("-", "briefing", "briefing_id"),
    "police_event": ("-", "area", "area_id"),
    "import_run": ("-", "-", "-"),
}

SQL = r"""
create table pax_data.municipality (
    code text primary key check (code ~ '^[0-9]{4}$'),
    name text not null check (pg_catalog.length(name) between 1 and 120),
    population int check (population is null or population >= 0)
);

create table pax_data.app_user_municipality (
    user_id int not null references pax_data.app_user (id) on delete cascade,
    municipality_code text not null references pax_data.municipality (code),
    primary key (user_id, municipality_code)
);

-- The municipalities this connection may see: the bound session's, or, with no session, the
-- installation's own when it has exactly one. Never a value the client sends.
create function pax_api._scope() returns pg_catalog.text[]
language sql stable security definer
set search_path = pg_catalog, pax_data, pg_temp
as $$
    select coalesce(
        (select pg_catalog.array_agg(m.municipality_code order by m.municipality_code)
           from pax_data.app_user u
           join pax_data.app_user_municipality m on m.user_id = u.id
          where u.username = pax_api.app_username()),
        (select pg_catalog.array_agg(c.code) from pax_data.municipality c
         having pg_catalog.count(*) = 1),
        '{}'::pg_catalog.text[])
$$;

-- Fills municipality_code when the writer left it out (see the module docstring). Arguments:
-- the geometry column, the parent table and the parent key column ('-' for none).
create function pax_data.assign_municipality() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_code pg_catalog.text;
    v_geom public.geometry;
    v_ref pg_catalog.text;
    v_scope pg_catalog.text[];
begin
    if new.municipality_code is not null then
        return new;
    end if;
    if tg_table_name = 'area' then
        -- a municipality's own outline belongs to it, when it is configured
        select c.code into v_code from pax_data.municipality c
         where c.code = new.code and new.kind = 'municipality';
    end if;
    if v_code is null and tg_argv[0] <> '-' then
        execute pg_catalog.format('select ($1).%I', tg_argv[0]) into v_geom using new;
        if v_geom is not null then
            v_code := pax_data.municipality_at(v_geom);
        end if;
    end if;
    if v_code is null and tg_argv[1] <> '-' then
        execute pg_catalog.format('select ($1).%I::text', tg_argv[2]) into v_ref using new;
        if v_ref is not null then
            execute pg_catalog.format(
                'select municipality_code from pax_data.%I where id = $1::pg_catalog.int8',
                tg_argv[1])
               into v_code using v_ref;
        end if;
    end if;
    if v_code is null then
        v_scope := pax_api._scope();
        if pg_catalog.cardinality(v_scope) = 1 then
            v_code := v_scope[1];
        end if;
    end if;
    if v_code is null then
        raise exception 'pax_data.%: cannot tell which municipality this row belongs to: it lies '
                        'outside every configured municipality''s outline and names no area; '
                        'give municipality_code', tg_table_name
              using errcode = '23502';
    end if;
    new.municipality_code := v_code;
    return new;
end $$;
"""

AFTER_SQL = r"""
-- Row security is on exactly when the installation has two or more municipalities. With one,
-- every row and every account's scope is that municipality, so the policies would filter
-- nothing, and at a million incidents they made the counts 2 to 15 times slower (README,
-- "Municipalities"). Adding or removing a municipality switches it in the same transaction.
create function pax_data.apply_tenancy() returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_on pg_catalog.bool := (select pg_catalog.count(*) > 1 from pax_data.municipality);
    v_table pg_catalog.text;
begin
    for v_table in
        select p.tablename from pg_catalog.pg_policies p
         where p.schemaname = 'pax_data' and p.policyname = p.tablename || '_tenant'
    loop
        execute pg_catalog.format('alter table pax_data.%I %s row level security', v_table,
                                  case when v_on then 'enable' else 'disable' end);
    end loop;
end $$;

create function pax_data.municipality_changed() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    perform pax_data.apply_tenancy();
    return null;
end $$;
create trigger municipality_tenancy after insert or delete on pax_data.municipality
    for each statement execute function pax_data.municipality_changed();

-- The municipality whose outline covers a geometry (its point on the surface), if any.
create function pax_data.municipality_at(p_geom public.geometry) returns pg_catalog.text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select a.municipality_code
      from pax_data.area a
     where a.kind = 'municipality'
       and public.st_covers(a.geom, public.st_pointonsurface(p_geom))
     order by a.municipality_code
     limit 1
$$;
"""

TABLE_SQL = """
alter table pax_data.{t} add column municipality_code text
    references pax_data.municipality (code);
update pax_data.{t} set municipality_code = :home;
alter table pax_data.{t} alter column municipality_code set not null;
create index {t}_municipality_idx on pax_data.{t} (municipality_code);
create trigger {t}_municipality before insert on pax_data.{t}
    for each row execute function pax_data.assign_municipality('{g}', '{p}', '{k}');
create policy {t}_tenant on pax_data.{t}
    using (municipality_code = any ((select pax_api._scope())::text[]))
    with check (municipality_code = any ((select pax_api._scope())::text[]));
"""


def upgrade() -> None:
    cfg = settings()
    op.execute(SQL)
    bind = op.get_bind()
    bind.execute(
        text("insert into pax_data.municipality (code, name) values (:c, :n)"),
        {"c": cfg.municipality_code, "n": cfg.municipality_name},
    )
    bind.execute(
        text(
            "insert into pax_data.app_user_municipality (user_id, municipality_code) "
            "select id, :c from pax_data.app_user"
        ),
        {"c": cfg.municipality_code},
    )
    for table, (geom, parent, key) in TENANT_TABLES.items():
        for stmt in TABLE_SQL.format(t=table, g=geom, p=parent, k=key).split(";"):
            if stmt.strip():
                bind.execute(text(stmt), {"home": cfg.municipality_code})
    op.execute(AFTER_SQL)
    op.execute("select pax_data.apply_tenancy()")
    op.execute("revoke all on function pax_api._scope() from public")
    op.execute("revoke all on function pax_data.apply_tenancy() from public")
    op.execute("revoke all on function pax_data.municipality_at(public.geometry) from public")


def downgrade() -> None:
    raise NotImplementedError("0016 is not reversible: rows of other municipalities would mix")
