"""Per-client login limits and a database sweep of sessions that went idle.

* ``pax_data.login_client``: failed sign-ins per client (the browser connection's IP address):
  a client with ``p_client_attempts`` failures within ``p_minutes`` is refused for
  ``p_minutes``, whatever names it tries, and its refused attempts count against no account.
* ``pax_data.login_client_name``: failures per (client, name). One client adds at most
  ``p_attempts - 1`` failures to a name's own lockout counter (``pax_api.auth_fail``), so no
  single client can lock somebody else's account; at ``p_attempts`` failures that name is
  locked *for that client only*. Known and unknown names are treated alike. A successful
  sign-in or an administrator's unlock clears the name's rows.
* ``pax_api.session_sweep()``: sessions idle past their limit that nobody ended (the browser was
  closed) get ``ended_at`` (the moment they expired) and ``end_reason = 'expired'``, and one
  ``session_expired`` audit row each. The app calls it on every session touch and sign-in.

Grants: pax_geo.security (the "issue 13: client limits" block).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SQL = r"""
create table pax_data.login_client (
    client text primary key,
    failures int not null default 0,
    window_start timestamptz not null default now(),
    blocked_until timestamptz,
    updated_at timestamptz not null default now()
);

create table pax_data.login_client_name (
    client text not null,
    username text not null,
    failures int not null default 0,
    contributed int not null default 0,
    locked_until timestamptz,
    updated_at timestamptz not null default now(),
    primary key (client, username)
);
create index login_client_name_user_idx on pax_data.login_client_name (username);

create index app_session_open_idx on pax_data.app_session (last_seen_at) where ended_at is null;

-- Is this client refused right now? scope 'client' (too many failures from it, any names) or
-- 'name' (this name is locked for this client); null when it may try.
create function pax_api.auth_client_state(p_client text, p_username text)
returns table (locked_until timestamptz, scope text)
language plpgsql stable security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_client text := left(coalesce(p_client, ''), 128);
    v_until pg_catalog.timestamptz;
begin
    select c.blocked_until into v_until from pax_data.login_client c
     where c.client = v_client and c.blocked_until > pg_catalog.now();
    if v_until is not null then
        return query select v_until, 'client'::pg_catalog.text;
        return;
    end if;
    select n.locked_until into v_until from pax_data.login_client_name n
     where n.client = v_client and n.username = left(coalesce(p_username, ''), 128)
       and n.locked_until > pg_catalog.now();
    if v_until is not null then
        return query select v_until, 'name'::pg_catalog.text;
        return;
    end if;
    return query select null::pg_catalog.timestamptz, null::pg_catalog.text;
end $$;

-- One failed attempt from a client. Returns the lock that now applies to this client and name
-- (scope 'account': the name's own lockout; 'name': this name for this client; 'client': this
-- client for every name), or nulls.
create function pax_api.auth_client_fail(p_client text, p_username text, p_attempts int,
                                         p_minutes int, p_client_attempts int)
returns table (locked_until timestamptz, scope text)
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_client text := left(coalesce(p_client, ''), 128);
    v_name text := left(coalesce(p_username, ''), 128);
    v_win pg_catalog.interval;
    c pax_data.login_client%rowtype;
    n pax_data.login_client_name%rowtype;
    v_account pg_catalog.timestamptz;
begin
    if p_attempts is null or p_attempts < 1 or p_minutes is null or p_minutes < 1
       or p_client_attempts is null or p_client_attempts < 1 then
        raise exception 'lockout attempts, minutes and client attempts must be at least 1';
    end if;
    v_win := pg_catalog.make_interval(mins => p_minutes);
    insert into pax_data.login_client (client) values (v_client) on conflict do nothing;
    select * into c from pax_data.login_client o where o.client = v_client for update;
    if c.blocked_until > pg_catalog.now() then
        return query select c.blocked_until, 'client'::pg_catalog.text;
        return;
    end if;
    if c.window_start <= pg_catalog.now() - v_win or c.blocked_until is not null then
        c.failures := 0;
        c.window_start := pg_catalog.now();
    end if;
    c.failures := c.failures + 1;
    c.blocked_until := case when c.failures >= p_client_attempts
                            then pg_catalog.now() + v_win end;
    update pax_data.login_client o
       set failures = c.failures, window_start = c.window_start,
           blocked_until = c.blocked_until, updated_at = pg_catalog.now()
     where o.client = v_client;

    insert into pax_data.login_client_name (client, username) values (v_client, v_name)
        on conflict do nothing;
    select * into n from pax_data.login_client_name o
     where o.client = v_client and o.username = v_name for update;
    if n.locked_until is not null and n.locked_until <= pg_catalog.now() then
        n.failures := 0;  -- a per-client lock that ran out starts a fresh count
    end if;
    n.failures := n.failures + 1;
    if n.contributed < p_attempts - 1 then
        n.contributed := n.contributed + 1;
        v_account := pax_api.auth_fail(v_name, p_attempts, p_minutes);
    else
        -- this client has had its share of the name's own counter: count it here only
        select l.locked_until into v_account from pax_api.auth_lookup(v_name) l;
    end if;
    n.locked_until := case when n.failures >= p_attempts then pg_catalog.now() + v_win end;
    update pax_data.login_client_name o
       set failures = n.failures, contributed = n.contributed, locked_until = n.locked_until,
           updated_at = pg_catalog.now()
     where o.client = v_client and o.username = v_name;

    delete from pax_data.login_client o
     where o.updated_at < pg_catalog.now() - interval '1 day'
       and (o.blocked_until is null or o.blocked_until < pg_catalog.now());
    delete from pax_data.login_client_name o
     where o.updated_at < pg_catalog.now() - interval '1 day'
       and (o.locked_until is null or o.locked_until < pg_catalog.now());

    if v_account is not null then
        return query select v_account, 'account'::pg_catalog.text;
    elsif c.blocked_until is not null then
        return query select c.blocked_until, 'client'::pg_catalog.text;
    elsif n.locked_until is not null then
        return query select n.locked_until, 'name'::pg_catalog.text;
    else
        return query select null::pg_catalog.timestamptz, null::pg_catalog.text;
    end if;
end $$;

-- A successful sign-in resets the name's own counter (auth_success): reset the clients' shares.
create function pax_api.auth_client_success(p_username text)
returns void
language sql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
    delete from pax_data.login_client_name where username = left(coalesce(p_username, ''), 128);
$$;

-- End and audit sessions idle past their limit that nobody ended (closed browsers).
create function pax_api.session_sweep()
returns int
language plpgsql volatile security definer
set search_path = pg_catalog, pax_data, public, pg_temp
as $$
declare
    v_n int;
begin
    with ended as (
        update pax_data.app_session s
           set ended_at = s.last_seen_at + pg_catalog.make_interval(mins => s.idle_minutes),
               end_reason = 'expired'
         where s.ended_at is null
           and s.last_seen_at + pg_catalog.make_interval(mins => s.idle_minutes)
               <= pg_catalog.now()
        returning s.user_id, s.db_role, s.method, s.created_at, s.last_seen_at, s.ended_at
    )
    insert into pax_data.audit_log (username, role, action, page, detail)
    select u.username, pg_catalog.substr(e.db_role, 5), 'session_expired', null,
           pg_catalog.jsonb_build_object('reason', 'expired', 'method', e.method,
                                         'swept', true, 'started_at', e.created_at,
                                         'last_seen_at', e.last_seen_at,
                                         'ended_at', e.ended_at)
      from ended e join pax_data.app_user u on u.id = e.user_id;
    get diagnostics v_n = row_count;
    return v_n;
end $$;

revoke all on function pax_api.auth_client_state(text, text) from public;
revoke all on function pax_api.auth_client_fail(text, text, int, int, int) from public;
revoke all on function pax_api.auth_client_success(text) from public;
revoke all on function pax_api.session_sweep() from public;
"""

DOWN = r"""
drop function if exists pax_api.session_sweep();
drop function if exists pax_api.auth_client_success(text);
drop function if exists pax_api.auth_client_fail(text, text, int, int, int);
drop function if exists pax_api.auth_client_state(text, text);
drop index if exists pax_data.app_session_open_idx;
drop table if exists pax_data.login_client_name;
drop table if exists pax_data.login_client;
"""


def upgrade() -> None:
    op.execute(SQL)


def downgrade() -> None:
    op.execute(DOWN)
