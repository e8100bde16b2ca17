"""User names, e-mail addresses and passwords: validation and argon2 hashing."""

from __future__ import annotations

import json
import re
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pax_geo.layers import ROLES

USERNAME_RE = re.compile(r"^[a-z0-9._-]{2,64}$")


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


MIN_PASSWORD_LENGTH = 10


MAX_PASSWORD_LENGTH = 1024


#: The documented password of every demo account (README). Demo databases only.
DEMO_PASSWORD = "pax-demo-2026"


_hasher = PasswordHasher()


class AuthError(ValueError):
    """Bad input for an account operation; the message names the field and the problem."""


def hash_password(password: str) -> str:
    validate_password(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(24))


def validate_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AuthError(f"password: must be at most {MAX_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise AuthError("password: must not start or end with white space")


def normalize_username(raw: str | None) -> str:
    """Lower case, trimmed, at most 128 characters, without NUL (which PostgreSQL refuses)."""
    return str(raw or "").replace("\x00", "").strip().lower()[:128]


def _no_control(value: str, what: str) -> str:
    if any(ord(ch) < 32 for ch in value):
        raise AuthError(f"{what}: must not contain control characters")
    return value


def _json(detail: dict | None) -> str:
    """JSON for a jsonb parameter (jsonb refuses the NUL escape)."""
    return json.dumps(detail or {}, default=str, ensure_ascii=False).replace("\\u0000", "")


def validate_username(username: str) -> str:
    name = normalize_username(username)
    if not USERNAME_RE.fullmatch(name):
        raise AuthError(
            f"username {username!r}: use 2-64 characters a-z, 0-9, dot, dash or underscore"
        )
    return name


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise AuthError(f"role {role!r}: must be one of {', '.join(ROLES)}")
    return role
