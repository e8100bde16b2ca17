"""Per-client login limits, unlock paths and the database sweep of idle sessions (issue 13,
migration 0011), against the real test database through the pax_auth login."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from pax_geo import auth
from tests.auth_support import PASSWORD, cfg, token_hash, user_row

WRONG = "wrong password!!"


def client() -> str:
    return f"198.51.100.{uuid.uuid4().int % 250 + 1}-{uuid.uuid4().hex[:6]}"


def test_one_client_cannot_lock_someone_elses_account(owner_engine, make_user):
    victim = make_user("admin")
    c5 = cfg(lockout_attempts=5, lockout_minutes=10, lockout_client_attempts=50)
    attacker = client()
    results = [auth.authenticate(victim, WRONG, c5, client=attacker) for _ in range(12)]
    assert [r.status for r in results[:4]] == ["invalid"] * 4
    # the fifth failure locks the name for this client only ...
    assert results[4].status == "locked" and results[4].scope == "name" and results[4].just_locked
    assert all(r.status == "locked" for r in results[5:])
    # ... even the right password, from that client
    assert auth.authenticate(victim, PASSWORD, c5, client=attacker).status == "locked"
    # the account's own counter got at most attempts - 1 of them, so it is not locked
    row = user_row(owner_engine, victim)
    assert row["failed_attempts"] == 4 and row["locked_until"] is None
    # the owner signs in from elsewhere, and that resets every client's share
    ok = auth.authenticate(victim, PASSWORD, c5, client=client())
    assert ok.ok
    with owner_engine.connect() as c:
        n = c.execute(
            text("select count(*) from pax_data.login_client_name where username = :u"),
            {"u": victim},
        ).scalar()
    assert n == 0


def test_unknown_names_behave_the_same_per_client(make_user):
    real, ghost = make_user(), f"ghost_{uuid.uuid4().hex[:8]}"
    c3 = cfg(lockout_attempts=3, lockout_minutes=10, lockout_client_attempts=50)
    seen = {}
    for name in (real, ghost):
        who = client()
        seen[name] = [
            (r.status, r.scope)
            for r in (auth.authenticate(name, WRONG, c3, client=who) for _ in range(4))
        ]
    assert (
        seen[real]
        == seen[ghost]
        == [
            ("invalid", None),
            ("invalid", None),
            ("locked", "name"),
            ("locked", "name"),
        ]
    )


def test_client_hammering_names_is_throttled_before_it_locks_accounts(owner_engine, make_user):
    names = [make_user() for _ in range(4)]
    c = cfg(lockout_attempts=5, lockout_minutes=10, lockout_client_attempts=6)
    hammer = client()
    statuses = []
    for name in names:
        for _ in range(2):
            statuses.append(auth.authenticate(name, WRONG, c, client=hammer).status)
    # six failures over three names, then refused for every name
    assert statuses[:5] == ["invalid"] * 5
    assert statuses[5] == "throttled" and statuses[6:] == ["throttled", "throttled"]
    # throttled attempts count against no account, and not one account is locked
    assert user_row(owner_engine, names[3])["failed_attempts"] == 0
    assert all(user_row(owner_engine, n)["locked_until"] is None for n in names)
    # even the right password is refused from that client; another client is unaffected
    blocked = auth.authenticate(names[3], PASSWORD, c, client=hammer)
    assert blocked.status == "throttled" and blocked.scope == "client" and blocked.token is None
    assert auth.authenticate(names[3], PASSWORD, c, client=client()).ok


def test_admin_lock_lifted_by_another_admin_and_by_the_cli(owner_engine, make_user):
    admin1, admin2 = make_user("admin"), make_user("admin")
    c2 = cfg(lockout_attempts=2, lockout_minutes=10)
    for _ in range(2):
        auth.authenticate(admin1, WRONG, c2)  # no client: the account itself locks
    assert auth.authenticate(admin1, PASSWORD, c2).status == "locked"
    with owner_engine.begin() as conn:  # the Användare page's unlock, by the second admin
        auth.apply_admin_change(conn, admin2, admin1, "unlock")
    assert auth.authenticate(admin1, PASSWORD, c2).ok
    # per-client locks of a name are lifted by the CLI unlock as well
    who = client()
    c2c = cfg(lockout_attempts=2, lockout_minutes=10, lockout_client_attempts=50)
    for _ in range(2):
        auth.authenticate(admin2, WRONG, c2c, client=who)
    assert auth.authenticate(admin2, PASSWORD, c2c, client=who).status == "locked"
    from pax_geo.cli import main as pax_main

    assert pax_main(["users", "unlock", admin2]) == 0
    assert auth.authenticate(admin2, PASSWORD, c2c, client=who).ok
    with owner_engine.connect() as conn:
        rows = conn.execute(
            text(
                "select actor, detail from (select username as actor, detail, action from "
                "pax_data.audit_log where action = 'user_unlock' order by id desc limit 5) x"
            )
        ).all()
    details = [r.detail for r in rows]
    assert any(d.get("username") == admin1 for d in details)
    assert any(d.get("username") == admin2 and d.get("client_locks_cleared") == 1 for d in details)


def test_sessions_of_closed_browsers_are_ended_and_audited(owner_engine, make_user):
    name = make_user()
    closed = auth.authenticate(name, PASSWORD, cfg(session_idle_minutes=30))
    alive = auth.authenticate(name, PASSWORD, cfg(session_idle_minutes=30))
    assert closed.ok and alive.ok
    with owner_engine.begin() as c:  # the first browser was closed 45 minutes ago
        c.execute(
            text(
                "update pax_data.app_session set last_seen_at = now() - interval '45 minutes', "
                "created_at = now() - interval '50 minutes' where token_hash = :h"
            ),
            {"h": token_hash(closed.token)},
        )
        start = c.execute(text("select coalesce(max(id), 0) from pax_data.audit_log")).scalar()
    # any other session's activity sweeps it
    assert auth.touch_session(alive.token).status == "ok"
    with owner_engine.connect() as c:
        s = (
            c.execute(
                text(
                    "select ended_at, end_reason, last_seen_at + make_interval(mins => idle_minutes)"
                    " as expiry from pax_data.app_session where token_hash = :h"
                ),
                {"h": token_hash(closed.token)},
            )
            .mappings()
            .one()
        )
        live = c.execute(
            text("select ended_at from pax_data.app_session where token_hash = :h"),
            {"h": token_hash(alive.token)},
        ).scalar()
        rows = (
            c.execute(
                text(
                    "select username, role, action, detail from pax_data.audit_log "
                    "where id > :s and action = 'session_expired' and username = :u"
                ),
                {"s": start, "u": name},
            )
            .mappings()
            .all()
        )
    assert s["end_reason"] == "expired" and s["ended_at"] == s["expiry"]
    assert live is None
    assert len(rows) == 1 and rows[0]["role"] == "field_worker"
    assert rows[0]["detail"]["swept"] is True and rows[0]["detail"]["reason"] == "expired"
    # a second sweep writes nothing more; the closed session stays ended
    auth.touch_session(alive.token)
    with owner_engine.connect() as c:
        again = c.execute(
            text(
                "select count(*) from pax_data.audit_log where id > :s "
                "and action = 'session_expired' and username = :u"
            ),
            {"s": start, "u": name},
        ).scalar()
    assert again == 1
    assert auth.touch_session(closed.token).status == "ended"
