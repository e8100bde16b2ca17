"""Accounts, password login, lockout, sessions and single sign-on (pax_geo.auth) against the
real test database. Login goes through the pax_auth login exactly as the web app does."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from sqlalchemy import text

from pax_geo import auth, config
from pax_geo.cli import main as pax_main
from pax_geo.layers import ROLES
from tests.auth_support import PASSWORD, cfg, token_hash, user_row  # noqa: F401

# --- passwords ------------------------------------------------------------------------------


def test_password_hash_is_argon2id_and_salted():
    h1, h2 = auth.hash_password(PASSWORD), auth.hash_password(PASSWORD)
    assert h1.startswith("$argon2id$") and h1 != h2
    assert auth.verify_password(h1, PASSWORD)
    assert not auth.verify_password(h1, PASSWORD + "x")
    assert not auth.verify_password("not a hash", PASSWORD)


@pytest.mark.parametrize("bad", ["short", " leading space pw", "x" * 1025, ""])
def test_password_policy_rejects(bad):
    with pytest.raises(auth.AuthError, match="password"):
        auth.hash_password(bad)


def test_stored_hash_never_plain(owner_engine, make_user):
    name = make_user()
    row = user_row(owner_engine, name)
    assert PASSWORD not in row["password_hash"]
    assert row["password_hash"].startswith("$argon2id$")


# --- login ----------------------------------------------------------------------------------


def test_login_ok_opens_session(owner_engine, make_user):
    name = make_user("security_chief")
    res = auth.authenticate(name.upper() + "  ", PASSWORD)  # names are case-insensitive
    assert res.ok and res.account.username == name and res.account.role == "security_chief"
    assert len(res.token) >= 40
    with owner_engine.connect() as c:
        s = c.execute(
            text(
                "select db_role, method, ended_at from pax_data.app_session where token_hash = :h"
            ),
            {"h": token_hash(res.token)},
        ).one()
        stored_plain = c.execute(
            text("select count(*) from pax_data.app_session where token_hash = :t"),
            {"t": res.token},
        ).scalar()
    assert s.db_role == "pax_security_chief" and s.method == "password" and s.ended_at is None
    assert stored_plain == 0
    assert user_row(owner_engine, name)["last_login_at"] is not None


def test_unknown_user_and_wrong_password_look_the_same(make_user):
    name = make_user()
    wrong = auth.authenticate(name, "wrong password!!")
    unknown = auth.authenticate(f"nobody_{uuid.uuid4().hex[:6]}", "wrong password!!")
    assert wrong.status == unknown.status == "invalid"
    assert wrong.account is unknown.account is None
    assert wrong.token is unknown.token is None


def test_disabled_account_refused_only_with_right_password(owner_engine, make_user):
    name = make_user()
    with owner_engine.begin() as c:
        auth.set_disabled(c, name, True)
    assert auth.authenticate(name, "wrong password!!").status == "invalid"
    assert auth.authenticate(name, PASSWORD).status == "disabled"
    with owner_engine.begin() as c:
        auth.set_disabled(c, name, False)
    assert auth.authenticate(name, PASSWORD).ok


def test_sso_only_account_cannot_use_a_password(make_user):
    name = make_user(password=None)
    assert auth.authenticate(name, "").status == "invalid"
    assert auth.authenticate(name, PASSWORD).status == "invalid"


# --- lockout --------------------------------------------------------------------------------


def test_lockout_after_repeated_wrong_passwords(owner_engine, make_user):
    name = make_user()
    c3 = cfg(lockout_attempts=3, lockout_minutes=7)
    assert [auth.authenticate(name, "wrong password!!", c3).status for _ in range(2)] == [
        "invalid",
        "invalid",
    ]
    assert user_row(owner_engine, name)["failed_attempts"] == 2
    third = auth.authenticate(name, "wrong password!!", c3)
    assert third.status == "locked" and third.just_locked
    row = user_row(owner_engine, name)
    with owner_engine.connect() as c:
        minutes = c.execute(
            text("select extract(epoch from (:t - now())) / 60"), {"t": row["locked_until"]}
        ).scalar()
    assert 6 < float(minutes) <= 7
    # while locked even the right password is refused, and attempts do not extend the lock
    right = auth.authenticate(name, PASSWORD, c3)
    assert right.status == "locked" and not right.just_locked and right.token is None
    assert user_row(owner_engine, name)["locked_until"] == row["locked_until"]
    # when the lock has run out the right password works and resets the counter
    with owner_engine.begin() as c:
        c.execute(
            text(
                "update pax_data.app_user set locked_until = now() - interval '1 second' "
                "where username = :u"
            ),
            {"u": name},
        )
    assert auth.authenticate(name, PASSWORD, c3).ok
    row = user_row(owner_engine, name)
    assert row["failed_attempts"] == 0 and row["locked_until"] is None


def test_success_resets_the_failure_count(owner_engine, make_user):
    name = make_user()
    c3 = cfg(lockout_attempts=3)
    auth.authenticate(name, "wrong password!!", c3)
    auth.authenticate(name, "wrong password!!", c3)
    assert auth.authenticate(name, PASSWORD, c3).ok
    assert auth.authenticate(name, "wrong password!!", c3).status == "invalid"
    assert user_row(owner_engine, name)["failed_attempts"] == 1


def test_unknown_names_lock_like_real_ones(owner_engine):
    ghost = f"ghost_{uuid.uuid4().hex[:8]}"
    c2 = cfg(lockout_attempts=2, lockout_minutes=5)
    statuses = [auth.authenticate(ghost, "whatever password", c2).status for _ in range(3)]
    assert statuses == ["invalid", "locked", "locked"]
    with owner_engine.connect() as c:
        n = c.execute(
            text("select count(*) from pax_data.app_user where username = :u"), {"u": ghost}
        ).scalar()
    assert n == 0  # no account was created by trying


def test_reset_password_lifts_lock_and_ends_sessions(owner_engine, make_user):
    name = make_user()
    first = auth.authenticate(name, PASSWORD)
    for _ in range(2):
        auth.authenticate(name, "wrong password!!", cfg(lockout_attempts=2))
    assert auth.authenticate(name, PASSWORD).status == "locked"
    with owner_engine.begin() as c:
        auth.reset_password(c, name, "a brand new secret")
    assert auth.touch_session(first.token).status == "ended"
    assert auth.authenticate(name, PASSWORD).status == "invalid"
    assert auth.authenticate(name, "a brand new secret").ok


# --- sessions -------------------------------------------------------------------------------


def test_session_touch_and_logout(make_user):
    name = make_user()
    res = auth.authenticate(name, PASSWORD)
    check = auth.touch_session(res.token)
    assert check.status == "ok" and check.account.username == name
    auth.end_session(res.token)
    assert auth.touch_session(res.token).status == "ended"
    assert auth.touch_session("made-up-token" * 4).status == "unknown"


def test_session_expires_after_idle_minutes(owner_engine, make_user):
    name = make_user()
    res = auth.authenticate(name, PASSWORD, cfg(session_idle_minutes=5))
    with owner_engine.begin() as c:
        c.execute(
            text(
                "update pax_data.app_session set last_seen_at = now() - interval '4 minutes' "
                "where token_hash = :h"
            ),
            {"h": token_hash(res.token)},
        )
    assert auth.touch_session(res.token).status == "ok"  # 4 of 5 minutes: alive, and touched
    with owner_engine.begin() as c:
        c.execute(
            text(
                "update pax_data.app_session set last_seen_at = now() - interval '6 minutes' "
                "where token_hash = :h"
            ),
            {"h": token_hash(res.token)},
        )
    assert auth.touch_session(res.token).status == "expired"
    # once expired it stays ended even if someone moves the clock back
    with owner_engine.begin() as c:
        c.execute(
            text("update pax_data.app_session set last_seen_at = now() where token_hash = :h"),
            {"h": token_hash(res.token)},
        )
    assert auth.touch_session(res.token).status == "ended"


def test_role_change_or_disable_ends_sessions(owner_engine, make_user):
    name = make_user("municipal_staff")
    a = auth.authenticate(name, PASSWORD)
    with owner_engine.begin() as c:
        auth.set_role(c, name, "field_worker")
    assert auth.touch_session(a.token).status == "ended"
    b = auth.authenticate(name, PASSWORD)
    assert b.account.role == "field_worker"
    with owner_engine.begin() as c:
        auth.set_disabled(c, name, True)
    assert auth.touch_session(b.token).status == "ended"


def test_changed_role_detected_even_without_admin_code(owner_engine, make_user):
    """A role changed directly in the table (not via set_role) still ends the session."""
    name = make_user("police_analyst")
    a = auth.authenticate(name, PASSWORD)
    with owner_engine.begin() as c:
        c.execute(
            text("update pax_data.app_user set role = 'board_viewer' where username = :u"),
            {"u": name},
        )
    assert auth.touch_session(a.token).status == "changed"


# --- single sign-on -------------------------------------------------------------------------


def test_sso_maps_by_email_then_username(owner_engine, make_user):
    by_mail = make_user("security_chief", password=None, email="Chief.Person@Sodertalje.se")
    res = auth.sso_sign_in("chief.person@sodertalje.se", "someone-else", True)
    assert res.ok and res.account.username == by_mail
    with owner_engine.connect() as c:
        method = c.execute(
            text("select method from pax_data.app_session where token_hash = :h"),
            {"h": token_hash(res.token)},
        ).scalar()
    assert method == "sso"
    by_name = make_user("field_worker", password=None)
    assert auth.sso_sign_in("unknown@example.org", by_name.upper()).account.username == by_name


def test_sso_refuses_unknown_unverified_and_disabled(owner_engine, make_user):
    assert auth.sso_sign_in("nobody@example.org", "nobody-here").status == "invalid"
    name = make_user("police_analyst", password=None, email="p.analyst@polisen.se")
    # an e-mail the provider has not verified is not used for matching
    assert auth.sso_sign_in("p.analyst@polisen.se", None, email_verified=False).status == "invalid"
    with owner_engine.begin() as c:
        auth.set_disabled(c, name, True)
    assert auth.sso_sign_in("p.analyst@polisen.se", None, True).status == "invalid"


# --- administration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"username": "Bad Name!", "role": "admin"}, "username"),
        ({"username": "x", "role": "admin"}, "username"),
        ({"username": "okname", "role": "superuser"}, "role"),
        ({"username": "okname", "role": "admin", "email": "not-an-email"}, "email"),
        ({"username": "okname", "role": "admin", "area": "Atlantis"}, "area"),
        ({"username": "okname", "role": "admin", "password": "short"}, "password"),
    ],
)
def test_add_user_validation_names_the_field(conn, demo_loaded, kw, field):
    with pytest.raises(auth.AuthError, match=field):
        auth.add_user(conn, password=kw.pop("password", PASSWORD), **kw)


def test_add_user_duplicate_and_area_lookup(conn, demo_loaded):
    acc = auth.add_user(conn, "dup.user", "field_worker", password=PASSWORD, area="Ronna")
    ronna = conn.execute(
        text("select id from pax_data.area where kind = 'district' and name = 'Ronna'")
    ).scalar()
    assert acc.area_id == ronna
    with pytest.raises(auth.AuthError, match="already exists"):
        auth.add_user(conn, "DUP.USER", "admin", password=PASSWORD)


def test_admin_cannot_lock_themselves_out(conn, demo_loaded):
    with pytest.raises(auth.AuthError, match="own"):
        auth.apply_admin_change(conn, "admin", "admin", "disable")
    with pytest.raises(auth.AuthError, match="own"):
        auth.apply_admin_change(conn, "admin", "admin", "set_role", role="field_worker")
    with pytest.raises(auth.AuthError, match="action"):
        auth.apply_admin_change(conn, "admin", "falt", "drop_table")


def test_demo_users_one_per_role(owner_engine, demo_loaded):
    with owner_engine.connect() as c:
        rows = c.execute(text("select username, role, area_id from pax_data.app_user")).all()
    by_name = {r.username: r for r in rows}
    for username, _display, role, district in auth.DEMO_USERS:
        assert by_name[username].role == role
        assert (by_name[username].area_id is not None) == (district is not None)
    assert {role for _u, _d, role, _a in auth.DEMO_USERS} == set(ROLES)
    # the demo reporters of the demo observations can sign in
    for reporter in ("falt1", "falt2", "kommun1"):
        assert reporter in by_name
    assert auth.authenticate("polis", auth.DEMO_PASSWORD).ok


def test_no_migration_creates_accounts():
    versions = config.PROJECT_ROOT / "sql" / "migrations" / "versions"
    creates = re.compile(r"insert\s+into\s+pax_data\.app_user\s*\(")  # not app_user_area
    for path in versions.glob("*.py"):
        assert not creates.search(path.read_text().lower()), path.name


# --- the pax users command ------------------------------------------------------------------


def run_cli(monkeypatch, capsys, argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = pax_main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_add_list_set_role_disable_reset(monkeypatch, capsys, owner_engine, demo_loaded):
    name = f"cli_{uuid.uuid4().hex[:8]}"
    code, out, err = run_cli(
        monkeypatch,
        capsys,
        ["users", "add", name, "--role", "field_worker", "--area", "Ronna", "--password-stdin"],
        PASSWORD + "\n",
    )
    assert code == 0, err
    assert auth.authenticate(name, PASSWORD).ok
    code, out, _ = run_cli(monkeypatch, capsys, ["users", "list"])
    assert code == 0 and name in out and "field_worker" in out
    assert run_cli(monkeypatch, capsys, ["users", "set-role", name, "municipal_staff"])[0] == 0
    assert user_row(owner_engine, name)["role"] == "municipal_staff"
    assert run_cli(monkeypatch, capsys, ["users", "disable", name])[0] == 0
    assert auth.authenticate(name, PASSWORD).status == "disabled"
    assert run_cli(monkeypatch, capsys, ["users", "enable", name])[0] == 0
    code, _, err = run_cli(
        monkeypatch,
        capsys,
        ["users", "reset-password", name, "--password-stdin"],
        "another secret 1\n",
    )
    assert code == 0, err
    assert auth.authenticate(name, "another secret 1").ok
    with owner_engine.connect() as c:
        actions = (
            c.execute(
                text(
                    "select action from pax_data.audit_log where detail->>'username' = :u "
                    "and username like 'cli:%' order by id"
                ),
                {"u": name},
            )
            .scalars()
            .all()
        )
    assert actions == [
        "user_add",
        "user_set_role",
        "user_disable",
        "user_enable",
        "user_reset_password",
    ]


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["users", "add", "Bad Name", "--role", "admin", "--password-stdin"], "x" * 12, "username"),
        (["users", "add", "okname2", "--role", "admin", "--password-stdin"], "short\n", "password"),
        (["users", "add", "okname3", "--role", "admin", "--password-stdin"], "\n", "empty"),
        (["users", "disable", "no-such-user"], "", "no such account"),
        (["users", "reset-password", "no-such-user", "--password-stdin"], PASSWORD, "no such"),
    ],
)
def test_cli_errors_are_one_clear_line(monkeypatch, capsys, demo_loaded, argv, stdin, message):
    code, out, err = run_cli(monkeypatch, capsys, argv, stdin)
    assert code == 2
    assert err.startswith("pax: ") and message in err and "Traceback" not in err


def test_cli_rejects_unknown_role(monkeypatch, capsys, demo_loaded):
    with pytest.raises(SystemExit) as exc:
        run_cli(monkeypatch, capsys, ["users", "set-role", "falt", "superuser"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
