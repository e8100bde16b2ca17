"""SQL identifiers (table, column, role, database and constraint names) put into SQL text.

Values are always bound parameters; identifiers cannot be, so every one that is interpolated
goes through :func:`ident`. It uses SQLAlchemy's PostgreSQL identifier preparer, which follows
PostgreSQL's own ``quote_ident``: a plain lower-case name that is not a reserved word stays
bare (so the SQL we generate for our own names is unchanged), anything else is double-quoted
with inner double quotes doubled, so no name can end the identifier and inject SQL.
"""

from __future__ import annotations

import re

from sqlalchemy.dialects import postgresql

_PREPARER = postgresql.dialect().identifier_preparer
#: A name PostgreSQL reads back unchanged without quotes (lower case, no special characters).
_PLAIN = re.compile(r"[a-z_][a-z0-9_]*")


def ident(*parts: str, plain: bool = False) -> str:
    """One identifier, schema-qualified when given several parts (``ident("pax_data", "area")``).

    Refuses empty names and NUL characters (PostgreSQL cannot store them). ``plain=True``
    refuses, instead of quoting, anything but a plain lower-case name: for names that are also
    compared or bound as values (role names, search_path entries), where a quoted form would
    not match.
    """
    if not parts:
        raise ValueError("no identifier given")
    quoted = []
    for name in parts:
        if not isinstance(name, str) or not name or "\x00" in name:
            raise ValueError(f"unsafe identifier {name!r}")
        if plain and not _PLAIN.fullmatch(name):
            raise ValueError(f"unsafe identifier {name!r}")
        quoted.append(_PREPARER.quote(name))
    return ".".join(quoted)


def qualified(name: str) -> str:
    """A dotted name of our own (``"pax_data.area"``), each part quoted as needed."""
    return ident(*name.split("."))
