"""Administration limited to the administrator's municipalities.

With several municipalities in one installation, the account list and the audit log are
per municipality too: an administrator of A has no business reading the names, e-mail
addresses and sign-ins of B's staff.

* ``pax_api.app_user`` gives the accounts that share a municipality with the session's scope
  (``pax_api._scope()``, 0016), and the accounts that have none (unplaced: every administrator
  must be able to see and place them), now with each account's municipalities.
* ``pax_api.audit_log`` gives the rows of those accounts, and the rows that name no account
  (the system, and sign-in attempts with an unknown user name).

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
create or replace view pax_api.app_user with (security_barrier) as
    select u.id, u.username, u.display_name, u.email, u.role, u.area_id, u.disabled,
           u.failed_attempts,
           case when u.locked_until > now() then u.locked_until end as locked_until,
           u.created_at, u.last_login_at, u.password_hash is not null as has_password,
           array(select m.municipality_code from pax_data.app_user_municipality m
                 where m.user_id = u.id order by 1) as municipalities
    from pax_data.app_user u
    where not exists (select 1 from pax_data.app_user_municipality m where m.user_id = u.id)
       or exists (select 1 from pax_data.app_user_municipality m
                  where m.user_id = u.id
                    and m.municipality_code = any ((select pax_api._scope())::text[]));

create or replace view pax_api.audit_log with (security_barrier) as
    select a.id, a.at, a.username, a.role, a.action, a.page, a.detail, a.db_login
    from pax_data.audit_log a
    where not exists (
              select 1 from pax_data.app_user u
              join pax_data.app_user_municipality m on m.user_id = u.id
              where u.username = a.username)
       or exists (
              select 1 from pax_data.app_user u
              join pax_data.app_user_municipality m on m.user_id = u.id
              where u.username = a.username
                and m.municipality_code = any ((select pax_api._scope())::text[]));
"""


def upgrade() -> None:
    op.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("0022 is not reversible")
