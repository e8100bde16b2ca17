"""``pax users add|list|disable|enable|set-role|reset-password|unlock|set-email``.

Runs with the owner connection (it administers accounts); every change is written to the audit
log as ``cli:<os user>`` in the same transaction. Passwords are asked for with getpass (twice),
or read from standard input with ``--password-stdin`` (first line) for scripts.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from pax_geo import auth, db, migrate
from pax_geo.layers import ROLES


def _actor() -> str:
    try:
        who = getpass.getuser()
    except Exception:  # no user name in this environment
        who = str(os.getuid())
    return f"cli:{who}"


def _password(args: argparse.Namespace, required: bool = True) -> str | None:
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline()
        pw = line.rstrip("\r\n")
        if not pw:
            raise auth.AuthError("password: standard input gave an empty first line")
        return pw
    if getattr(args, "no_password", False):
        return None
    if not sys.stdin.isatty():
        raise auth.AuthError(
            "password: no terminal to ask on; pass --password-stdin and pipe the password in"
        )
    first = getpass.getpass("Password: ")
    auth.validate_password(first)
    if getpass.getpass("Repeat password: ") != first:
        raise auth.AuthError("password: the two entries differ")
    return first


def cmd_users(args: argparse.Namespace) -> int:
    migrate.check_current()
    action = args.users_action
    if action == "list":
        with db.owner_engine().connect() as conn:
            rows = auth.list_users(conn)
        if args.json:
            print(json.dumps(rows, default=str, ensure_ascii=False, indent=1))
            return 0
        print(f"{'username':<20} {'role':<16} {'state':<22} {'last login':<20} name")
        for r in rows:
            state = "disabled" if r["disabled"] else "active"
            if r["locked_until"]:
                state = f"locked to {r['locked_until']:%Y-%m-%d %H:%M}"
            last = f"{r['last_login_at']:%Y-%m-%d %H:%M}" if r["last_login_at"] else "-"
            print(f"{r['username']:<20} {r['role']:<16} {state:<22} {last:<20} {r['display_name']}")
        return 0

    actor = _actor()
    if action == "add":
        auth.validate_username(args.username)
        auth.validate_role(args.role)
        password = _password(args)
        with db.owner_engine().begin() as conn:
            acc = auth.add_user(
                conn,
                args.username,
                args.role,
                password=password,
                display_name=args.name,
                email=args.email,
                area=args.area,
                actor=actor,
                municipalities=args.municipality,
            )
        print(f"added {acc.username} ({acc.role})")
        return 0
    if action == "reset-password":
        password = _password(args)
        if password is None:
            raise auth.AuthError("a new password is needed (type it, or use --password-stdin)")
        with db.owner_engine().begin() as conn:
            auth.reset_password(conn, args.username, password, actor=actor)
        print(f"password reset for {auth.normalize_username(args.username)}; lockout lifted")
        return 0
    with db.owner_engine().begin() as conn:
        if action == "disable":
            auth.set_disabled(conn, args.username, True, actor=actor)
        elif action == "enable":
            auth.set_disabled(conn, args.username, False, actor=actor)
        elif action == "set-role":
            auth.set_role(conn, args.username, args.role, actor=actor)
        elif action == "unlock":
            auth.unlock(conn, args.username, actor=actor)
        elif action == "set-email":
            auth.set_email(conn, args.username, args.email, actor=actor)
        elif action == "set-areas":
            auth.set_areas(conn, args.username, args.areas, actor=actor)
    print(f"{action}: {auth.normalize_username(args.username)} done")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("users", help="user accounts: add, list, disable, set-role, reset-password")
    p.set_defaults(func=cmd_users)
    us = p.add_subparsers(dest="users_action", required=True)

    s = us.add_parser("add", help="create an account")
    s.add_argument("username")
    s.add_argument("--role", required=True, choices=ROLES)
    s.add_argument("--name", help="display name (default: the user name)")
    s.add_argument("--email", help="e-mail, used to match single sign-on identities")
    s.add_argument(
        "--area",
        action="append",
        help="an area the account works in: id, code or district name; repeat for several "
        "(field workers' 'Mitt område'; the first is the home area)",
    )
    s.add_argument(
        "--municipality",
        action="append",
        help="a municipality code the account may see (e.g. 0181); repeat for several. "
        "Default: its areas' municipalities, or the installation's own",
    )
    g = s.add_mutually_exclusive_group()
    g.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    g.add_argument(
        "--no-password", action="store_true", help="no local password (single sign-on only)"
    )

    s = us.add_parser("list", help="list accounts")
    s.add_argument("--json", action="store_true")

    for name, text in (
        ("disable", "disable an account and end its sessions"),
        ("enable", "enable a disabled account"),
        ("unlock", "lift a lockout after failed logins"),
    ):
        s = us.add_parser(name, help=text)
        s.add_argument("username")

    s = us.add_parser("set-role", help="change an account's role (ends its sessions)")
    s.add_argument("username")
    s.add_argument("role", choices=ROLES)

    s = us.add_parser("reset-password", help="set a new password and lift any lockout")
    s.add_argument("username")
    s.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    s = us.add_parser("set-areas", help="assign an account to areas (none clears them)")
    s.add_argument("username")
    s.add_argument("areas", nargs="*", help="ids, codes or district names; the first is home")

    s = us.add_parser("set-email", help="set (or with '' clear) the e-mail used for SSO")
    s.add_argument("username")
    s.add_argument("email")
