"""The append-only audit log (pax_data.audit_log), written through pax_api.audit()."""

from __future__ import annotations

import json

from sqlalchemy import text

from pax_geo.db import reader_engine

#: The actions the pax_auth login (no session yet, or no longer) may write; it writes them for
#: names that need not be accounts. Every other action needs a reader login's live session.
AUTH_ACTIONS: tuple[str, ...] = (
    "login",
    "login_failed",
    "lockout",
    "login_locked",
    "login_throttled",
    "login_throttled_start",
    "logout",
    "session_expired",
)

#: Every action the application writes to the audit log. This is the one list: it is copied into
#: pax_data.audit_action on every migrate (pax_geo.security.sync_privileges) and pax_api.audit()
#: refuses any other action from every non-superuser login. Add new actions here.
ACTIONS: tuple[str, ...] = (
    *AUTH_ACTIONS,  # sign-in and sessions
    # pages (written through the role's login, bound to the live session)
    "page_view",
    "page_refused",
    "open_record",
    "export",
    "import",
    # field mode (0013_field.py): written inside the definer functions, same transaction
    "observation_report",
    "observation_correct",
    "observation_withdraw",
    "observation_triage",
    "walk_log",
    # Lägesbild för styrelsen (0014_board.py): drafts, freezing; exports from the page
    "briefing_save",
    "briefing_comment",
    "briefing_present",
    "briefing_delete",
    "briefing_export",
    # Insatser (0015_operations.py): register entries, status, evaluations
    "operation_save",
    "operation_status",
    "operation_evaluate",
    # account administration (owner connection: admin page and the 'pax users' CLI)
    "user_add",
    "user_enable",
    "user_disable",
    "user_set_role",
    "user_reset_password",
    "user_unlock",
    "user_set_email",
    "user_set_areas",
    "demo_users",
)

#: Largest detail (as JSON text, bytes) pax_api.audit() accepts.
MAX_DETAIL_BYTES = 8192


def write(role: str, username: str | None, action: str, page: str | None, detail: dict) -> None:
    with reader_engine(role).begin() as conn:
        conn.execute(
            text("select pax_api.audit(:u, :r, :a, :p, cast(:d as jsonb))"),
            {
                "u": username,
                "r": role if role != "auth" else None,
                "a": action,
                "p": page,
                "d": json.dumps(detail, default=str, ensure_ascii=False),
            },
        )
