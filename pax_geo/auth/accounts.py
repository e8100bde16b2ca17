"""Account administration on the owner connection (``pax users``, the admin page, demo
accounts); every change is audited."""

from __future__ import annotations

import typing
from collections.abc import Sequence

from sqlalchemy import Connection, text

from pax_geo.auth.auditlog import owner_audit
from pax_geo.auth.credentials import (
    DEMO_PASSWORD,
    EMAIL_RE,
    AuthError,
    _hasher,
    _no_control,
    hash_password,
    normalize_username,
    validate_role,
    validate_username,
)
from pax_geo.auth.sessions import Account
from pax_geo.config import settings

#: Demo accounts, created by demo loading only: (user name, display name, role, district).
DEMO_USERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("polis", "Demo Polis (analytiker)", "police_analyst", None),
    ("sakerhetschef", "Demo Säkerhetschef", "security_chief", None),
    ("kommun", "Demo Kommunal tjänsteperson", "municipal_staff", None),
    ("falt", "Demo Fältarbetare", "field_worker", "Ronna"),
    ("styrelse", "Demo Kommunstyrelsen", "board_viewer", None),
    ("admin", "Demo Administratör", "admin", None),
    ("falt1", "Demo Fältarbetare 1", "field_worker", "Geneta"),
    ("falt2", "Demo Fältarbetare 2", "field_worker", "Hovsjö"),
    ("kommun1", "Demo Kommunal tjänsteperson 1", "municipal_staff", None),
    ("natt", "Demo Nattvandrare", "night_walker", "Ronna"),
    # the collaboration's coordinator: every configured municipality (pax demo --municipalities)
    ("region", "Demo Regional samordnare", "regional_analyst", None),
)

#: The first demo account of each role (role -> user name): docs, tests and benches use it.
DEMO_ACCOUNTS: dict[str, str] = {role: user for user, _name, role, _area in reversed(DEMO_USERS)}


def resolve_area(conn: Connection, area: str | int | None) -> int | None:
    """An area id from an id, a code or a district name; None for None or ''. On the owner
    connection (every municipality's areas); a district is preferred over another kind of area,
    and a code or name that several municipalities use is refused."""
    if area is None or area == "":
        return None
    raw = _no_control(str(area).strip(), "area")
    if raw.isdigit():
        rows = conn.execute(
            text("select id, municipality_code, true from pax_data.area where id = :i"),
            {"i": int(raw)},
        ).all()
    else:
        rows = conn.execute(
            text(
                "select id, municipality_code, kind = 'district' from pax_data.area "
                "where code = :v or lower(name) = lower(:v) order by 3 desc, id"
            ),
            {"v": raw},
        ).all()
    if not rows:
        raise AuthError(f"area {raw!r}: no such area id, code or name")
    rows = [r for r in rows if r[2] == rows[0][2]]  # districts, when any matches
    codes = sorted({r[1] for r in rows})
    if len(codes) > 1:
        raise AuthError(
            f"area {raw!r}: areas of several municipalities ({', '.join(codes)}) have this code "
            "or name; give the area's id"
        )
    return int(rows[0][0])


def _require_user(conn: Connection, username: str) -> str:
    name = normalize_username(username)
    found = conn.execute(
        text("select 1 from pax_data.app_user where username = :u"), {"u": name}
    ).scalar()
    if not found:
        raise AuthError(f"username {username!r}: no such account")
    return name


def municipalities_of(conn: Connection, username: str) -> list[str]:
    """The municipalities an account belongs to (none for an unplaced or unknown account)."""
    return list(
        conn.execute(
            text(
                "select m.municipality_code from pax_data.app_user_municipality m "
                "join pax_data.app_user u on u.id = m.user_id where u.username = :u order by 1"
            ),
            {"u": normalize_username(username)},
        ).scalars()
    )


def _actor_scope(conn: Connection, actor: str) -> list[str] | None:
    """The municipalities an acting account may administer; None when the actor is no account
    (the command line, demo loading), which may administer every municipality."""
    name = normalize_username(actor)
    if not conn.execute(
        text("select 1 from pax_data.app_user where username = :u"), {"u": name}
    ).scalar():
        return None
    return municipalities_of(conn, name)


def check_actor_scope(conn: Connection, actor: str, target: str) -> None:
    """An administrator changes only accounts that share one of its municipalities, or have none
    (the same rule as pax_api.app_user, 0022_admin_scope.py). Another municipality's account
    is refused as if it did not exist."""
    scope = _actor_scope(conn, actor)
    if scope is None:
        return
    theirs = municipalities_of(conn, target)
    if theirs and not set(theirs) & set(scope):
        raise AuthError(f"username {target!r}: no such account")


def end_user_sessions(conn: Connection, username: str, reason: str) -> int:
    return conn.execute(
        text(
            "update pax_data.app_session s set ended_at = now(), end_reason = :r "
            "from pax_data.app_user u where u.id = s.user_id and u.username = :u "
            "and s.ended_at is null"
        ),
        {"u": normalize_username(username), "r": reason},
    ).rowcount


def _municipalities_for_actor(
    conn: Connection, actor: str, codes: Sequence[str] | None, area_ids: Sequence[int]
) -> Sequence[str] | None:
    """The new account's municipalities when an administrator creates it: within the
    administrator's own, by default its areas' or, for an administrator of one, that one."""
    scope = _actor_scope(conn, actor)
    if scope is None:
        return codes
    of_areas = list(
        conn.execute(
            text("select distinct municipality_code from pax_data.area where id = any(:a)"),
            {"a": list(area_ids)},
        ).scalars()
    )
    wanted = list(codes) if codes else of_areas or (scope if len(scope) == 1 else [])
    if not wanted:
        raise AuthError("choose the municipality or municipalities the account belongs to")
    for code in [*wanted, *of_areas]:
        if code not in scope:
            raise AuthError(f"municipality {code!r}: not one of the municipalities you administer")
    return wanted


def add_user(
    conn: Connection,
    username: str,
    role: str,
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    area: str | int | None | Sequence[str | int] = None,
    actor: str = "system",
    actor_role: str | None = None,
    municipalities: Sequence[str] | None = None,
) -> Account:
    """Create an account. Without a password it can only sign in through single sign-on.

    `area` is one area (id, code or district name) or several: the account is assigned to all
    of them (field workers' "Mitt område"), the first being its home area. `municipalities`
    (codes) are what the database lets the account see (0016_tenancy.py); by default its areas'
    municipalities, or the installation's own."""
    name = validate_username(username)
    validate_role(role)
    display = _no_control((display_name or name).strip(), "display name")
    if not display or len(display) > 200:
        raise AuthError("display name: must be 1-200 characters")
    mail = _no_control((email or "").strip(), "email") or None
    if mail and not EMAIL_RE.fullmatch(mail):
        raise AuthError(f"email {email!r}: not an e-mail address")
    area_ids = resolve_areas(conn, area)
    area_id = area_ids[0] if area_ids else None
    municipalities = _municipalities_for_actor(conn, actor, municipalities, area_ids)
    exists = conn.execute(
        text("select 1 from pax_data.app_user where username = :u"), {"u": name}
    ).scalar()
    if exists:
        raise AuthError(f"username {name!r}: already exists")
    if (
        mail
        and conn.execute(
            text("select 1 from pax_data.app_user where lower(email) = lower(:e)"), {"e": mail}
        ).scalar()
    ):
        raise AuthError(f"email {mail!r}: already used by another account")
    pw_hash = hash_password(password) if password is not None else None
    conn.execute(
        text(
            "insert into pax_data.app_user (username, display_name, role, area_id, password_hash, "
            "email) values (:u, :d, :r, :a, :h, :e)"
        ),
        {"u": name, "d": display, "r": role, "a": area_id, "h": pw_hash, "e": mail},
    )
    _write_areas(conn, name, area_ids)
    codes = set_municipalities(conn, name, municipalities, area_ids)
    owner_audit(
        conn,
        actor,
        "user_add",
        {
            "username": name,
            "role": role,
            "area_id": area_id,
            "area_ids": area_ids,
            "municipalities": codes,
        },
        actor_role,
    )
    return Account(name, display, role, area_id)


def resolve_areas(conn: Connection, areas: str | int | None | Sequence[str | int]) -> list[int]:
    """Area ids (in the given order, without repeats) from one or several ids, codes or names."""
    if areas is None or isinstance(areas, str | int):
        items: list[str | int] = [] if areas is None or areas == "" else [areas]
    else:
        items = list(areas)
    out: list[int] = []
    for item in items:
        area_id = resolve_area(conn, item)
        if area_id is not None and area_id not in out:
            out.append(area_id)
    return out


def set_municipalities(
    conn: Connection,
    username: str,
    codes: Sequence[str] | None = None,
    area_ids: Sequence[int] = (),
) -> list[str]:
    """Replace the account's municipalities (codes, each configured in pax_data.municipality).
    Without codes: the municipalities of its areas, or else the installation's own."""
    if codes is None:
        codes = (
            conn.execute(
                text(
                    "select distinct municipality_code from pax_data.area where id = any(:a) "
                    "order by 1"
                ),
                {"a": list(area_ids)},
            )
            .scalars()
            .all()
            if area_ids
            else []
        ) or [settings().municipality_code]
    wanted = list(dict.fromkeys(str(c).strip() for c in codes))
    if not wanted:
        raise AuthError(f"user {username!r}: needs at least one municipality")
    known = set(
        conn.execute(
            text("select code from pax_data.municipality where code = any(:c)"), {"c": wanted}
        ).scalars()
    )
    for code in wanted:
        if code not in known:
            raise AuthError(f"municipality {code!r}: not configured in this installation")
    conn.execute(
        text(
            "delete from pax_data.app_user_municipality m using pax_data.app_user u "
            "where u.id = m.user_id and u.username = :u"
        ),
        {"u": username},
    )
    conn.execute(
        text(
            "insert into pax_data.app_user_municipality (user_id, municipality_code) "
            "select u.id, :c from pax_data.app_user u where u.username = :u"
        ),
        [{"u": username, "c": c} for c in wanted],
    )
    return wanted


def _write_areas(conn: Connection, username: str, area_ids: Sequence[int]) -> None:
    conn.execute(
        text(
            "delete from pax_data.app_user_area ua using pax_data.app_user u "
            "where u.id = ua.user_id and u.username = :u"
        ),
        {"u": username},
    )
    if area_ids:
        conn.execute(
            text(
                "insert into pax_data.app_user_area (user_id, area_id) "
                "select u.id, :a from pax_data.app_user u where u.username = :u"
            ),
            [{"u": username, "a": a} for a in area_ids],
        )
    conn.execute(
        text("update pax_data.app_user set area_id = :a where username = :u"),
        {"u": username, "a": area_ids[0] if area_ids else None},
    )


def set_areas(
    conn: Connection,
    username: str,
    areas: Sequence[str | int],
    actor: str = "system",
    actor_role: str | None = None,
) -> list[int]:
    """Assign an account to these areas (replacing its earlier ones; none clears them)."""
    name = _require_user(conn, username)
    area_ids = resolve_areas(conn, areas)
    _write_areas(conn, name, area_ids)
    owner_audit(conn, actor, "user_set_areas", {"username": name, "area_ids": area_ids}, actor_role)
    return area_ids


def list_users(conn: Connection) -> list[dict]:
    """All accounts without password hashes (owner, or the admin role's login)."""
    rows = conn.execute(
        text(
            "select username, display_name, email, role, area_id, disabled, failed_attempts, "
            "locked_until, created_at, last_login_at, has_password, municipalities "
            "from pax_api.app_user order by username"
        )
    ).mappings()
    return [dict(r) for r in rows]


def set_disabled(
    conn: Connection,
    username: str,
    disabled: bool,
    actor: str = "system",
    actor_role: str | None = None,
) -> None:
    name = _require_user(conn, username)
    conn.execute(
        text("update pax_data.app_user set disabled = :d where username = :u"),
        {"u": name, "d": disabled},
    )
    if disabled:
        end_user_sessions(conn, name, "disabled")
    owner_audit(
        conn, actor, "user_disable" if disabled else "user_enable", {"username": name}, actor_role
    )


def set_role(
    conn: Connection, username: str, role: str, actor: str = "system", actor_role: str | None = None
) -> None:
    name = _require_user(conn, username)
    validate_role(role)
    old = conn.execute(
        text("select role from pax_data.app_user where username = :u"), {"u": name}
    ).scalar()
    conn.execute(
        text("update pax_data.app_user set role = :r where username = :u"), {"u": name, "r": role}
    )
    if old != role:
        end_user_sessions(conn, name, "role_changed")
    owner_audit(
        conn, actor, "user_set_role", {"username": name, "from": old, "to": role}, actor_role
    )


def reset_password(
    conn: Connection,
    username: str,
    password: str,
    actor: str = "system",
    actor_role: str | None = None,
) -> None:
    """Set a new password, lift any lockout and end the account's open sessions."""
    name = _require_user(conn, username)
    pw_hash = hash_password(password)
    conn.execute(
        text(
            "update pax_data.app_user set password_hash = :h, failed_attempts = 0, "
            "locked_until = null where username = :u"
        ),
        {"u": name, "h": pw_hash},
    )
    end_user_sessions(conn, name, "password_reset")
    owner_audit(conn, actor, "user_reset_password", {"username": name}, actor_role)


def unlock(
    conn: Connection, username: str, actor: str = "system", actor_role: str | None = None
) -> None:
    name = _require_user(conn, username)
    conn.execute(
        text(
            "update pax_data.app_user set failed_attempts = 0, locked_until = null "
            "where username = :u"
        ),
        {"u": name},
    )
    # also the per-client locks and shares of this name (migration 0011)
    cleared = conn.execute(
        text("delete from pax_data.login_client_name where username = :u"), {"u": name}
    ).rowcount
    owner_audit(
        conn, actor, "user_unlock", {"username": name, "client_locks_cleared": cleared}, actor_role
    )


def set_email(
    conn: Connection,
    username: str,
    email: str | None,
    actor: str = "system",
    actor_role: str | None = None,
) -> None:
    name = _require_user(conn, username)
    mail = _no_control((email or "").strip(), "email") or None
    if mail and not EMAIL_RE.fullmatch(mail):
        raise AuthError(f"email {email!r}: not an e-mail address")
    if (
        mail
        and conn.execute(
            text(
                "select 1 from pax_data.app_user where lower(email) = lower(:e) and username <> :u"
            ),
            {"e": mail, "u": name},
        ).scalar()
    ):
        raise AuthError(f"email {mail!r}: already used by another account")
    conn.execute(
        text("update pax_data.app_user set email = :e where username = :u"), {"u": name, "e": mail}
    )
    owner_audit(conn, actor, "user_set_email", {"username": name, "email": mail}, actor_role)


ADMIN_ACTIONS = ("set_role", "disable", "enable", "unlock", "reset_password", "set_email")


def check_admin_change(actor: str, target: str, action: str, role: str | None = None) -> None:
    """Refuse changes that would lock the acting administrator out of administration."""
    if action not in ADMIN_ACTIONS:
        raise AuthError(f"action {action!r}: must be one of {', '.join(ADMIN_ACTIONS)}")
    if normalize_username(actor) != normalize_username(target):
        return
    if action == "disable" or (action == "set_role" and role != "admin"):
        raise AuthError("you cannot disable your own account or remove your own admin role")


def apply_admin_change(
    conn: Connection,
    actor: str,
    target: str,
    action: str,
    *,
    role: str | None = None,
    password: str | None = None,
    email: str | None = None,
    actor_role: str | None = "admin",
) -> None:
    """One change from the admin page (owner connection; the caller commits)."""
    check_admin_change(actor, target, action, role)
    check_actor_scope(conn, actor, target)
    kw: dict[str, typing.Any] = {"actor": actor, "actor_role": actor_role}
    if action == "set_role":
        set_role(conn, target, validate_role(role or ""), **kw)
    elif action == "disable":
        set_disabled(conn, target, True, **kw)
    elif action == "enable":
        set_disabled(conn, target, False, **kw)
    elif action == "unlock":
        unlock(conn, target, **kw)
    elif action == "reset_password":
        reset_password(conn, target, password or "", **kw)
    elif action == "set_email":
        set_email(conn, target, email, **kw)


def ensure_demo_users(conn: Connection) -> list[str]:
    """Create (or restore) one demo account per role plus the demo reporters, all with
    :data:`DEMO_PASSWORD`. Called by demo loading only, never by migrations."""
    names = []
    for username, display, role, district in DEMO_USERS:
        area_id = conn.execute(
            text("select id from pax_data.area where kind = 'district' and name = :n"),
            {"n": district},
        ).scalar()
        conn.execute(
            text(
                "insert into pax_data.app_user (username, display_name, role, area_id, "
                "password_hash) values (:u, :d, :r, :a, :h) "
                "on conflict (username) do update set display_name = excluded.display_name, "
                "role = excluded.role, area_id = excluded.area_id, "
                "password_hash = excluded.password_hash, disabled = false, "
                "failed_attempts = 0, locked_until = null"
            ),
            {
                "u": username,
                "d": display,
                "r": role,
                "a": area_id,
                "h": _hasher.hash(DEMO_PASSWORD),
            },
        )
        _write_areas(conn, username, [area_id] if area_id is not None else [])
        every = (
            list(
                conn.execute(text("select code from pax_data.municipality order by code")).scalars()
            )
            if role == "regional_analyst"
            else None
        )
        set_municipalities(conn, username, every, [area_id] if area_id is not None else [])
        names.append(username)
    owner_audit(conn, "demo", "demo_users", {"usernames": names})
    return names
