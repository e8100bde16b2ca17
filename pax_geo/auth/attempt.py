"""One password sign-in attempt, as both login forms make it: the Streamlit form
(pax_geo.ui.login) and the plain HTML page that loads before Streamlit does
(pax_geo.ui.login_page). Core: no Streamlit.

A refused attempt is audited here with its reason (``login_failed``, ``lockout``,
``login_locked``, ``login_throttled``…) and comes back with the catalogue key of the message to
show; a successful one comes back with its :class:`LoginResult` and is audited by the caller,
through the new session's own login (it is the first row that session writes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from pax_geo.auth.auditlog import write_audit
from pax_geo.auth.credentials import normalize_username
from pax_geo.auth.sessions import LoginResult, authenticate


@dataclass(frozen=True)
class Attempt:
    """What became of one attempt: ``result.ok``, or the message key (and its minutes)."""

    result: LoginResult | None
    message: str | None = None
    minutes: int | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok


def minutes_left(until: datetime | None) -> int:
    """Whole minutes (at least one) until a lock ends, as the messages say them."""
    if until is None:
        return 1
    return max(1, math.ceil((until - datetime.now(UTC)).total_seconds() / 60))


def password_attempt(username: str, password: str, client: str | None) -> Attempt:
    """Check a user name and password (counting towards the name's and the client's lockout)
    and audit a refusal. Messages never tell an unknown name from a wrong password."""
    name = normalize_username(username)
    if not name or not password:
        return Attempt(None, "login_missing")
    result = authenticate(name, password, client=client)
    if result.ok:
        return Attempt(result)
    base = {"client": client} if client else {}
    who = name[:64]
    if result.status == "throttled":
        action = "login_throttled_start" if result.just_locked else "login_throttled"
        write_audit(action, None, {"method": "password", **base}, username=who)
        return Attempt(result, "login_throttled", minutes_left(result.locked_until))
    if result.status == "locked":
        action = "lockout" if result.just_locked else "login_locked"
        detail = {"method": "password", **base, "scope": result.scope}
        write_audit(action, None, detail, username=who)
        return Attempt(result, "login_locked", minutes_left(result.locked_until))
    if result.status == "disabled":
        write_audit("login_failed", None, {"reason": "disabled", **base}, username=who)
        return Attempt(result, "login_disabled")
    write_audit("login_failed", None, {"reason": "invalid", **base}, username=who)
    return Attempt(result, "login_invalid")
