"""Login, users, lockout, application sessions and a harder audit function.

* ``pax_data.login_throttle``: failed-login counters for names that are not accounts, so that a
  lockout looks the same whether the account exists or not;
* ``pax_data.app_session``: one row per signed-in browser session (only a SHA-256 of the random
  token is stored). A reader connection proves which application user it serves by setting
  ``pax.app_session`` to the token; ``pax_api.app_username()`` resolves it, so 'own'
  observations cannot be widened by ``set_config('pax.app_user', …)``;
* SECURITY DEFINER functions for the ``pax_auth`` login (lookup, failed attempt, success,
  single sign-on, session touch/end): the web app authenticates without owner credentials and
  verifies the argon2 hash in Python;
* ``pax_api.audit`` now records the database login that wrote the row and, for a reader
  login, takes the role from that login and the user name from the bound session;
* ``pax_api.app_user``: the account list without password hashes, for the admin page.

Grants to these objects are made in :func:`pax_geo.security.sync_privileges`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

AUTH = r"""
alter table pax_data.app_user add column email text
    check (email is null or email ~ '^[^@\s]+@[^@\s]+$');
create unique index app_user_email_key on pax_data.app_user (lower(email)) where email is not null;

create table pax_data.login_throttle (
    username text primary key,
    failed_attempts int not null default 0,
    locked_until timestamptz,
    updated_at timestamptz not null default now()
);

create table pax_data.app_session (
    token_hash text primary key check (token_hash ~ '^[0-9a-f]{64}$'),
    user_id int not null references pax_data.app_user (id) on delete cascade,
    db_role text not null,
    method text not null check (method in ('password', 'sso')),
    idle_minutes int not null check (idle_minutes > 0),
    created_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    ended_at timestamptz,
    end_reason text
);
create index app_session_user_idx on pax_data.app_session (user_id);

alter table pax_data.audit_log add column db_login text not null default session_user;
create index audit_log_user_idx on pax_data.audit_log (username, at);
create index audit_log_action_idx on pax_data.audit_log (action, at);

create function pax_api._token_hash(p_token text) returns text
language sql immutable
set search_path = pg_catalog
as $$ select encode(sha256(convert_to(coalesce(p_token, ''), 'UTF8')), 'hex') $$;

-- The account behind a login name, for verifying the password in the application.
-- Unknown names give one row with known = false and the lock state of that name.
create function pax_api.auth_lookup(p_username text)
returns table (known boolean, username text, display_name text, role text, area_id int,
               password_hash text, disabled boolean, locked_until timestamptz)
language plpgsql stable security definer
set search_path = pg_catalog, pax_data
as $$
begin
    return query
    select true, u.username, u.display_name, u.role, u.area_id, u.password_hash, u.disabled,
           case when u.locked_until > now() then u.locked_until end
    from pax_data.app_user u where u.username = p_username;
    if not found then
        return query
        select false, null::text, null::text, null::text, null::int, null::text, null::boolean,
               (select case when t.locked_until > now() then t.locked_until end
                from pax_data.login_throttle t where t.username = left(p_username, 128));
    end if;
end $$;

-- One failed attempt. Returns the lock expiry when the name is (now) locked, else null.
-- Names that are not accounts are counted the same way in login_throttle.
create function pax_api.auth_fail(p_username text, p_attempts int, p_minutes int)
returns timestamptz
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data
as $$
declare
    v_name text := left(coalesce(p_username, ''), 128);
    v_cnt int;
    v_lock timestamptz;
    v_known boolean;
begin
    if p_attempts is null or p_attempts < 1 or p_minutes is null or p_minutes < 1 then
        raise exception 'lockout attempts and minutes must be at least 1';
    end if;
    select u.failed_attempts, u.locked_until into v_cnt, v_lock
      from pax_data.app_user u where u.username = v_name for update;
    v_known := found;
    if not v_known then
        insert into pax_data.login_throttle (username) values (v_name) on conflict do nothing;
        select t.failed_attempts, t.locked_until into v_cnt, v_lock
          from pax_data.login_throttle t where t.username = v_name for update;
    end if;
    if v_lock > now() then
        return v_lock;  -- already locked: attempts while locked neither count nor extend
    end if;
    -- a lock that has run out starts a fresh count
    v_cnt := case when v_lock is not null then 1 else v_cnt + 1 end;
    v_lock := case when v_cnt >= p_attempts then now() + make_interval(mins => p_minutes) end;
    if v_known then
        update pax_data.app_user set failed_attempts = v_cnt, locked_until = v_lock
         where username = v_name;
    else
        update pax_data.login_throttle
           set failed_attempts = v_cnt, locked_until = v_lock, updated_at = now()
         where username = v_name;
        delete from pax_data.login_throttle
         where updated_at < now() - interval '1 day'
           and (locked_until is null or locked_until < now());
    end if;
    return v_lock;
end $$;

create function pax_api._start_session(p_user_id int, p_token text, p_idle_minutes int,
                                       p_method text)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data
as $$
begin
    if p_idle_minutes is null or p_idle_minutes < 1 then
        raise exception 'session idle minutes must be at least 1';
    end if;
    if p_token is null or length(p_token) < 32 then
        raise exception 'session token too short';
    end if;
    update pax_data.app_user
       set failed_attempts = 0, locked_until = null, last_login_at = now()
     where id = p_user_id;
    insert into pax_data.app_session (token_hash, user_id, db_role, method, idle_minutes)
    select pax_api._token_hash(p_token), u.id, 'pax_' || u.role, p_method, p_idle_minutes
      from pax_data.app_user u where u.id = p_user_id;
    -- old sessions are kept a while for the record, then removed
    delete from pax_data.app_session
     where coalesce(ended_at, last_seen_at + make_interval(mins => idle_minutes))
           < now() - interval '30 days';
end $$;

-- A verified password: open a session for the account unless it is disabled or locked.
create function pax_api.auth_success(p_username text, p_token text, p_idle_minutes int)
returns table (username text, display_name text, role text, area_id int)
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data
as $$
declare
    v_id int;
begin
    select u.id into v_id from pax_data.app_user u
     where u.username = p_username and not u.disabled
       and (u.locked_until is null or u.locked_until <= now())
       for update;
    if not found then
        return;
    end if;
    perform pax_api._start_session(v_id, p_token, p_idle_minutes, 'password');
    return query select u.username, u.display_name, u.role, u.area_id
                   from pax_data.app_user u where u.id = v_id;
end $$;

-- Single sign-on: the identity provider has authenticated the person; map the identity to an
-- account by e-mail first, then by user name. Disabled or locked accounts get nothing.
create function pax_api.auth_sso(p_email text, p_username text, p_token text,
                                 p_idle_minutes int)
returns table (username text, display_name text, role text, area_id int)
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data
as $$
declare
    v_id int;
begin
    select u.id into v_id from pax_data.app_user u
     where p_email is not null and lower(u.email) = lower(p_email);
    if not found then
        select u.id into v_id from pax_data.app_user u where u.username = lower(p_username);
    end if;
    if v_id is null or exists (select 1 from pax_data.app_user u where u.id = v_id
                               and (u.disabled or u.locked_until > now())) then
        return;
    end if;
    perform pax_api._start_session(v_id, p_token, p_idle_minutes, 'sso');
    return query select u.username, u.display_name, u.role, u.area_id
                   from pax_data.app_user u where u.id = v_id;
end $$;

-- Called on every run of a signed-in browser session. status: ok (and last_seen_at moves
-- on), expired (idle too long), ended (logged out or ended by an administrator), changed
-- (account disabled, or its role changed since sign-in), unknown.
create function pax_api.session_touch(p_token text)
returns table (status text, username text, display_name text, role text, area_id int)
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data
as $$
declare
    s pax_data.app_session%rowtype;
    u pax_data.app_user%rowtype;
    v_status text;
begin
    select * into s from pax_data.app_session
     where token_hash = pax_api._token_hash(p_token) for update;
    if not found then
        return query select 'unknown'::text, null::text, null::text, null::text, null::int;
        return;
    end if;
    select * into u from pax_data.app_user where id = s.user_id;
    v_status := case
        when s.ended_at is not null then 'ended'
        when s.last_seen_at + make_interval(mins => s.idle_minutes) <= now() then 'expired'
        when u.disabled or 'pax_' || u.role <> s.db_role then 'changed'
        else 'ok' end;
    if v_status = 'ok' then
        update pax_data.app_session set last_seen_at = now() where token_hash = s.token_hash;
    elsif s.ended_at is null then
        update pax_data.app_session set ended_at = now(), end_reason = v_status
         where token_hash = s.token_hash;
    end if;
    return query select v_status, u.username, u.display_name, u.role, u.area_id;
end $$;

create function pax_api.session_end(p_token text, p_reason text default 'logout')
returns void
language sql volatile security definer
set search_path = pg_catalog, pax_data
as $$
    update pax_data.app_session set ended_at = now(), end_reason = left(p_reason, 40)
     where token_hash = pax_api._token_hash(p_token) and ended_at is null;
$$;

-- The application user a reader connection serves: the live session whose token the
-- connection set in pax.app_session, for the same database login. Null otherwise.
create function pax_api.app_username() returns text
language sql stable security definer
set search_path = pg_catalog, pax_data
as $$
    select u.username
      from pax_data.app_session s join pax_data.app_user u on u.id = s.user_id
     where s.token_hash = pax_api._token_hash(current_setting('pax.app_session', true))
       and s.db_role = session_user
       and s.ended_at is null
       and s.last_seen_at + make_interval(mins => s.idle_minutes) > now()
       and not u.disabled
$$;

create or replace view pax_api.observation with (security_barrier) as
    select o.id, o.observed_at, o.category, o.text, o.reporter, o.geom, o.area_id,
           o.source, o.verification, o.loaded_at
    from pax_data.observation o
    where exists (select 1 from pax_data.role_precision rp
                  where rp.db_role = current_user and rp.layer = 'observation'
                    and (rp.precision = 'exact'
                         or (rp.precision = 'own'
                             and o.reporter = (select pax_api.app_username()))));

create or replace function pax_api.audit(p_username text, p_role text, p_action text,
                                         p_page text, p_detail jsonb default '{}'::jsonb)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data
as $$
declare
    v_user text := left(p_username, 128);
    v_role text := p_role;
    v_detail jsonb := coalesce(p_detail, '{}'::jsonb);
    v_bound text;
begin
    if p_action is null or p_action !~ '^[a-z][a-z0-9_.:-]{0,63}$' then
        raise exception 'audit action must be a short lower-case word';
    end if;
    if jsonb_typeof(v_detail) <> 'object' then
        v_detail := jsonb_build_object('value', v_detail);
    end if;
    -- A reader login cannot claim another role, nor another user than its bound session's.
    if exists (select 1 from pax_data.role_precision rp where rp.db_role = session_user) then
        v_role := substr(session_user, 5);
        v_bound := pax_api.app_username();
        if v_bound is not null then
            v_user := v_bound;
        else
            v_detail := v_detail || jsonb_build_object('unverified_user', true);
        end if;
    end if;
    insert into pax_data.audit_log (username, role, action, page, detail, db_login)
    values (v_user, v_role, p_action, left(p_page, 64), v_detail, session_user);
end $$;

create or replace view pax_api.audit_log as
    select id, at, username, role, action, page, detail, db_login from pax_data.audit_log;

create view pax_api.app_user as
    select u.id, u.username, u.display_name, u.email, u.role, u.area_id, u.disabled,
           u.failed_attempts,
           case when u.locked_until > now() then u.locked_until end as locked_until,
           u.created_at, u.last_login_at, u.password_hash is not null as has_password
    from pax_data.app_user u;

revoke all on all functions in schema pax_api from public;
"""


def upgrade() -> None:
    op.execute(AUTH)


def downgrade() -> None:
    raise NotImplementedError(
        "0003 replaces pax_api.observation and pax_api.audit and adds user/session tables; "
        "it is not reversible in place: restore the database from a backup instead."
    )
