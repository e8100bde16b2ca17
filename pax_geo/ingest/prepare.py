"""Validate a read file against a layer and turn it into the rows to load (vectorised).

Every problem becomes an :class:`Issue` naming the row and field. The caller decides: refuse
the file (default) or drop the rows with issues (``--skip-invalid``).

The steps live in their own modules; this one runs them in order:

1. :mod:`~pax_geo.ingest.mapping`: which column holds which field;
2. :mod:`~pax_geo.ingest.convert`: each field's values in its type;
3. :mod:`~pax_geo.ingest.geometry_read` and :mod:`~pax_geo.ingest.geometry_checks`: the
   geometry, its CRS and its checks, as EWKB in EPSG:3006;
4. :mod:`~pax_geo.ingest.builders` (with :mod:`~pax_geo.ingest.references`): the table's
   columns;
5. here: each row's identity (``source``, ``source_id``) and duplicates within the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pax_geo.ingest import fields as F
from pax_geo.ingest.builders import BUILDERS, BuildInput
from pax_geo.ingest.context import Context
from pax_geo.ingest.convert import ColumnInput, convert, derived_ids, format_ids
from pax_geo.ingest.errors import IngestError, Issue
from pax_geo.ingest.geo import municipality_polygon
from pax_geo.ingest.geometry_checks import check_geometry
from pax_geo.ingest.geometry_read import GeometryRead, read_geometry
from pax_geo.ingest.issues import IssueCollector
from pax_geo.ingest.mapping import (
    check_defaults_known,
    check_required_mapped,
    no_geometry_error,
    resolve_mapping,
)
from pax_geo.ingest.options import ImportOptions
from pax_geo.ingest.readers import RawTable

Values = dict[str, pd.Series | None]


@dataclass
class Prepared:
    """The rows to load: ``frame`` has database column names; its index is the file row - 1."""

    target: F.Target
    frame: pd.DataFrame
    issues: list[Issue]
    rows_read: int
    mapping: dict[str, str | None]
    #: one flag per file row: the row has an issue
    bad_rows: np.ndarray
    crs: int | None = None
    crs_note: str = ""
    repaired: int = 0
    new_keys: list[dict] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return int(self.bad_rows.sum())


def prepare(
    raw: RawTable, tgt: F.Target, opts: ImportOptions, ctx: Context, source: str
) -> Prepared:
    n = len(raw)
    iss = IssueCollector(n)
    mapping = resolve_mapping(raw, tgt, opts)
    check_required_mapped(raw, tgt, mapping, opts)
    check_defaults_known(raw, tgt, opts)

    vals = _field_values(raw, tgt, opts, ctx, iss, mapping)
    geom = read_geometry(raw, tgt, opts, iss) if tgt.geometry else GeometryRead("none")
    if tgt.geometry and tgt.geom_required and geom.mode == "none":
        raise no_geometry_error(raw)
    go = check_geometry(geom, tgt, opts, ctx, iss, n)

    frame = pd.DataFrame(index=pd.RangeIndex(n))
    builder = BUILDERS.get(tgt.table)
    new_keys: list[dict] = []
    if builder:
        new_keys = builder(BuildInput(frame, vals, go, geom.crs, tgt, opts, ctx, iss, mapping))
    _identity(frame, raw, tgt, vals, iss, mapping, source)
    _flag_duplicates(frame, tgt, vals, iss, mapping)

    return Prepared(
        target=tgt,
        frame=frame,
        issues=sorted(iss.items, key=lambda i: (i.row or 0, i.field or "")),
        rows_read=n,
        mapping=mapping,
        bad_rows=iss.bad,
        crs=geom.crs,
        crs_note=geom.note,
        repaired=go.repaired,
        new_keys=new_keys or [],
    )


def _field_values(
    raw: RawTable,
    tgt: F.Target,
    opts: ImportOptions,
    ctx: Context,
    iss: IssueCollector,
    mapping: dict[str, str | None],
) -> Values:
    """Every field's converted values (from its column or its ``--set`` default), fallbacks
    filled in, and required fields that stay empty reported."""
    n = len(raw)
    vals: Values = {}
    for f in tgt.fields:
        col = mapping.get(f.name)
        if col is not None:
            s = raw.attrs[col].reset_index(drop=True)
        elif f.name in opts.defaults:
            s = pd.Series([opts.defaults[f.name]] * n, dtype=object)
            col = f"--set {f.name}"
        else:
            vals[f.name] = None
            continue
        vals[f.name] = convert(ColumnInput(f, s, col, iss, ctx.now, raw.file, opts))
    _apply_fallbacks(tgt, vals)
    for f in tgt.fields:
        v = vals.get(f.name)
        if f.required and v is not None:
            empty = v.isna().to_numpy()
            # the converters already reported values that are present but wrong
            already = iss.flagged({f.name}, n)
            iss.add(empty & ~already, "required_empty", f.name, mapping.get(f.name))
    return vals


def _apply_fallbacks(tgt: F.Target, vals: Values) -> None:
    """A field with a fallback (area code <- name) takes the fallback's value where empty."""
    for f in tgt.fields:
        fallback = vals.get(f.fallback) if f.fallback else None
        if fallback is None:
            continue
        own = vals[f.name]
        vals[f.name] = fallback.copy() if own is None else own.fillna(fallback)


def _identity(
    frame: pd.DataFrame,
    raw: RawTable,
    tgt: F.Target,
    vals: Values,
    iss: IssueCollector,
    mapping: dict[str, str | None],
    source: str,
) -> None:
    """source_id (the file's, a content hash, or a format over other columns) and source."""
    given = vals.get("source_id") if "source_id" in tgt.field_names else None
    if given is not None:
        sid = given
        iss.add(sid.isna().to_numpy(), "required_empty", "source_id", mapping.get("source_id"))
    elif tgt.derived_id == "hash":
        sid = derived_ids(raw)
    else:
        sid = format_ids(tgt.derived_id or "", frame)
    frame["source_id"] = sid.to_numpy()
    if "source" not in frame.columns:
        frame["source"] = source
    else:
        frame["source"] = frame["source"].fillna(source)


def _flag_duplicates(
    frame: pd.DataFrame,
    tgt: F.Target,
    vals: Values,
    iss: IssueCollector,
    mapping: dict[str, str | None],
) -> None:
    """Rows whose conflict key repeats an earlier row of the file (each names the first)."""
    key_cols = list(tgt.conflict)
    key_frame = (
        frame[key_cols] if all(c in frame.columns for c in key_cols) else frame[["source_id"]]
    )
    dup = key_frame.duplicated(keep="first").to_numpy() & key_frame.notna().all(axis=1).to_numpy()
    if not dup.any():
        return
    first = (
        key_frame.reset_index()
        .groupby(list(key_frame.columns), dropna=True)["index"]
        .transform("min")
    )
    dup_field = "source_id" if vals.get("source_id") is not None else tgt.conflict[-1]
    if tgt.table == "pax_data.area":
        dup_field = "code"
    sids = frame["source_id"].to_numpy(dtype=object)
    for i in np.flatnonzero(dup):
        iss.add_one(
            i,
            "duplicate_id",
            dup_field,
            mapping.get(dup_field),
            sids[i],
            first=int(first.iloc[i]) + 1,
        )


def reject_or_filter(prep: Prepared, skip_invalid: bool, unit: str, file: str) -> pd.DataFrame:
    """The frame to load: everything (no issues), the valid rows (skip), or refuse."""
    if prep.issues and not skip_invalid:
        raise IngestError(file, prep.issues, unit=unit, total_rows=prep.rows_read)
    return prep.frame[~prep.bad_rows]


# Re-exported for callers that only need the working municipality.
__all__ = ["Context", "Prepared", "prepare", "reject_or_filter", "municipality_polygon"]
