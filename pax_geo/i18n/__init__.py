"""The string catalogue: Swedish by default, English available.

Strings live in ``pax_geo/i18n/*.toml`` (one file per feature, merged into one catalogue; a key
may be defined once only). Each entry is ``key = { sv = "…", en = "…" }``.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

LANGS = ("sv", "en")
DEFAULT_LANG = "sv"
_DIR = Path(__file__).parent


class CatalogueError(ValueError):
    pass


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(_DIR.glob("*.toml")):
        for key, entry in tomllib.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise CatalogueError(f"{path.name}: key {key!r} is defined twice")
            if not isinstance(entry, dict) or "sv" not in entry or "en" not in entry:
                raise CatalogueError(f"{path.name}: {key!r} needs both sv and en")
            merged[key] = entry
    return merged


def t(key: str, lang: str = DEFAULT_LANG, **fmt: object) -> str:
    """The text for key in lang; format placeholders with fmt. Unknown keys fail loudly."""
    try:
        entry = catalogue()[key]
    except KeyError as exc:
        raise CatalogueError(f"no string {key!r} in the catalogue") from exc
    s = entry.get(lang) or entry[DEFAULT_LANG]
    return s.format(**fmt) if fmt else s
