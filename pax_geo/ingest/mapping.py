"""Which column of the file holds which field of the layer (explicit ``--map`` first, then the
field's aliases), and the file-level refusals when a required field has no column."""

from __future__ import annotations

from pax_geo.ingest import fields as F
from pax_geo.ingest.errors import IngestError, file_error
from pax_geo.ingest.options import ImportOptions
from pax_geo.ingest.readers import RawTable


def _column_list(raw: RawTable) -> str:
    """The file's columns for a message (cut at 400 characters)."""
    return ", ".join(map(str, raw.attrs.columns))[:400]


def _explicit_mapping(
    raw: RawTable, tgt: F.Target, opts: ImportOptions
) -> tuple[dict[str, str | None], set[str]]:
    """The fields mapped with ``--map`` (an empty column maps a field to nothing)."""
    out: dict[str, str | None] = {}
    used: set[str] = set()
    for f in tgt.fields:
        if f.name not in opts.mapping:
            continue
        col = opts.mapping[f.name]
        if col in ("", None):
            out[f.name] = None
            continue
        if col not in raw.attrs.columns:
            raise file_error(
                raw.file,
                "mapped_column_missing",
                field=f.name,
                column=col,
                columns=_column_list(raw),
            )
        out[f.name] = col
        used.add(col)
    return out, used


def _alias_column(f: F.Field, by_norm: dict[str, str], used: set[str]) -> str | None:
    """The first unused column whose normalised name is the field's name or one of its aliases."""
    for alias in (f.name, *f.aliases):
        col = by_norm.get(F.norm(alias))
        if col is not None and col not in used:
            return col
    return None


def resolve_mapping(raw: RawTable, tgt: F.Target, opts: ImportOptions) -> dict[str, str | None]:
    """field -> column of the file (explicit --map first, then the aliases)."""
    by_norm: dict[str, str] = {}
    for c in raw.attrs.columns:
        by_norm.setdefault(F.norm(c), str(c))
    out, used = _explicit_mapping(raw, tgt, opts)
    for f in tgt.fields:
        if f.name in out:
            continue
        out[f.name] = None
        if f.name in opts.defaults:
            continue
        col = _alias_column(f, by_norm, used)
        if col is not None:
            out[f.name] = col
            used.add(col)
    return out


def check_required_mapped(
    raw: RawTable, tgt: F.Target, mapping: dict[str, str | None], opts: ImportOptions
) -> None:
    """Refuse the file when a required field has no column, no default and no fallback."""
    for f in tgt.fields:
        if not f.required or mapping.get(f.name) or f.name in opts.defaults:
            continue
        if f.fallback and (mapping.get(f.fallback) or f.fallback in opts.defaults):
            continue
        raise file_error(
            raw.file,
            "missing_field",
            field=f.name,
            aliases=", ".join(dict.fromkeys((f.name, *f.aliases)).keys()),
            columns=_column_list(raw),
        )


def check_defaults_known(raw: RawTable, tgt: F.Target, opts: ImportOptions) -> None:
    """Refuse a ``--set`` of a field the layer does not have."""
    unknown_defaults = sorted(set(opts.defaults) - set(tgt.field_names))
    if unknown_defaults:
        raise file_error(
            raw.file, "unknown_field", field=unknown_defaults[0], fields=", ".join(tgt.field_names)
        )


def find_column(raw: RawTable, aliases: tuple[str, ...], override: str | None) -> str | None:
    """A geometry column: the one given with ``--map`` (which must exist), else the first alias."""
    if override:
        if override not in raw.attrs.columns:
            raise file_error(
                raw.file,
                "mapped_column_missing",
                field="geometry",
                column=override,
                columns=_column_list(raw),
            )
        return override
    by_norm = {F.norm(c): str(c) for c in raw.attrs.columns}
    for a in aliases:
        if F.norm(a) in by_norm:
            return by_norm[F.norm(a)]
    return None


def no_geometry_error(raw: RawTable) -> IngestError:
    """The refusal for a layer that needs a geometry when the file has none."""
    return file_error(raw.file, "no_geometry", columns=_column_list(raw))
