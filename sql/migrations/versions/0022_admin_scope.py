"""Administration limited to the administrator's municipalities.

With several municipalities in one installation, the account list and the audit log are
per municipality too: an administrator of A has no business reading the names, e-mail
addresses and sign-ins of B's staff.

* ``pax_api.app_user`` gives the accounts that share a municipality with the session's scope
  (``pax_api._scope()``, 0016), and the accounts that have none (unplaced: every administrator
  must be able to see and place them), now with each account's municipalities.
* ``pax_api.audit_log`` gives the rows of those accounts, and the rows that name no account
  (the system, and sign-in attempts with an unknown user name); a row about an account
  (``detail.username``: added, role changed, disabled …) follows that account too, so a
  change made on the command line or by an administrator of both is not shown to the other
  municipality's administrators.
* ``pax_data.account_outside_scope`` is the one rule both views use.

With one municipality every account has it, so both views give what they gave before. The
owner-side changes from the admin page are checked the same way in
``pax_geo.auth.accounts.check_actor_scope``.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

SQL = """
-- The accounts outside the session's scope: they belong to municipalities, none of them the
-- session's. One rule for both views below (readers cannot read it: pax_data; pax migrate
-- grants the definer select on pax_data, this view included, after the migrations).
create view pax_data.account_outside_scope as
    select u.id, u.username
    from pax_data.app_user u
    where exists (select 1 from pax_data.app_user_municipality m where m.user_id = u.id)
      and not exists (select 1 from pax_data.app_user_municipality m
                      where m.user_id = u.id
                        and m.municipality_code = any ((select pax_api._scope())::text[]));

create or replace view pax_api.app_user with (security_barrier) as
    select u.id, u.username, u.display_name, u.email, u.role, u.area_id, u.disabled,
           u.failed_attempts,
           case when u.locked_until > now() then u.locked_until end as locked_until,
           u.created_at, u.last_login_at, u.password_hash is not null as has_password,
           array(select m.municipality_code from pax_data.app_user_municipality m
                 where m.user_id = u.id order by 1) as municipalities
    from pax_data.app_user u
    where not exists (select 1 from pax_data.account_outside_scope o where o.id = u.id);

-- a row is hidden when the account that acted, or the account it names (detail.username: the
-- account an administrator added or changed), is outside the scope
create or replace view pax_api.audit_log with (security_barrier) as
    select a.id, a.at, a.username, a.role, a.action, a.page, a.detail, a.db_login
    from pax_data.audit_log a
    where not exists (select 1 from pax_data.account_outside_scope o
                      where o.username = a.username
                         or o.username = a.detail ->> 'username');
"""


def upgrade() -> None:
    op.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("0022 is not reversible")
