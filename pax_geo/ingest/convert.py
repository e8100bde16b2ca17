"""Type conversion of the file's columns to the layer's field types (vectorised), each bad value
an issue; and the ids of rows that have none (content hash, or a format over other fields)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from pax_geo.ingest import fields as F
from pax_geo.ingest.errors import file_error
from pax_geo.ingest.issues import IssueCollector
from pax_geo.ingest.options import ImportOptions
from pax_geo.ingest.readers import RawTable
from pax_geo.ingest.times import AmbiguousDates, DstPolicy, parse_times_checked

#: Clock skew tolerated before a time counts as "in the future".
FUTURE_TOLERANCE = pd.Timedelta(minutes=5)
#: The largest value an integer field takes (PostgreSQL's integer is 32-bit).
INT_LIMIT = 2_000_000_000


def as_text(s: pd.Series) -> pd.Series:
    """Stripped text, None for empty; whole floats without ``.0`` (``12.0`` -> ``"12"``)."""
    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        integral = np.isfinite(vals) & (vals == np.round(vals))
        out = s.astype("str")
        if integral.any():
            out[integral] = [str(int(v)) for v in vals[integral]]
        out = out.mask(s.isna())
    elif s.dtype == object:
        out = s.map(lambda v: v if v is None or isinstance(v, str) else str(v)).astype("str")
    else:
        out = s.astype("str")
    out = out.str.strip()
    return out.mask(out == "")


def as_number(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Floats (decimal comma and digit-group spaces accepted) and the mask of unreadable ones."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = s.astype(float)
        return num, np.zeros(len(s), bool)
    t = as_text(s)
    cleaned = t.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    cleaned = cleaned.str.replace(",", ".", regex=False)
    num = pd.to_numeric(cleaned, errors="coerce").astype(float)
    bad = (t.notna() & (num.isna() | ~np.isfinite(num.fillna(0)))).to_numpy()
    return num, bad


def _enum(f: F.Field, s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    t = as_text(s).str.lower()
    if f.synonyms:
        t = t.replace(F.SYNONYMS[f.synonyms])
    bad = (t.notna() & ~t.isin(f.choices)).to_numpy()
    return t, bad


@dataclass(frozen=True)
class ColumnInput:
    """One field's values as read (``values``), where they came from and where issues go."""

    field: F.Field
    values: pd.Series
    #: the file's column, or ``--set <field>`` for a default given on the command line
    column: str | None
    issues: IssueCollector
    #: "now" of the import, for times in the future
    now: pd.Timestamp
    file: str
    options: ImportOptions | None = None

    def flag(self, mask: np.ndarray, code: str, values: object = None, **params: object) -> None:
        """An issue on this field for the rows in mask (values default to the raw ones)."""
        shown = self.values if values is None else values
        self.issues.add(mask, code, self.field.name, self.column, shown, **params)


def _convert_text(c: ColumnInput) -> pd.Series:
    t = as_text(c.values)
    nul = t.str.contains("\x00", regex=False).fillna(False).to_numpy(dtype=bool)
    c.flag(nul, "nul_character", t.str.replace("\x00", "\\0", regex=False))
    return t.where(~nul)


def _convert_number(c: ColumnInput) -> pd.Series:
    num, bad = as_number(c.values)
    c.flag(bad, "not_a_number")
    if c.field.type != "int":
        return num.where(~bad)
    frac = num.notna().to_numpy() & (num.fillna(0) % 1 != 0).to_numpy()
    c.flag(frac, "not_an_integer")
    big = num.notna().to_numpy() & (num.abs().fillna(0) > INT_LIMIT).to_numpy()
    c.flag(big, "out_of_range", low=0, high=INT_LIMIT)
    num = num.where(~(frac | big))
    return num.round().astype("Int64")


def _convert_time(c: ColumnInput) -> pd.Series:
    opts = c.options
    policy = DstPolicy(
        opts.ambiguous_time if opts else None, opts.nonexistent_time if opts else None
    )
    try:
        parsed = parse_times_checked(c.values, policy)
    except AmbiguousDates as exc:
        raise file_error(
            c.file, "ambiguous_dates", field=c.field.name, column=c.column, value=str(exc)
        ) from exc
    t = parsed.times
    c.flag(parsed.bad, "bad_time")
    # local times in the DST fold / gap are refused unless the caller chose how to read them
    c.flag(parsed.ambiguous, "ambiguous_local_time")
    c.flag(parsed.nonexistent, "nonexistent_local_time")
    if c.field.no_future:
        future = (t > c.now + FUTURE_TOLERANCE).fillna(False).to_numpy(dtype=bool)
        c.flag(future, "future_time")
    return t


def _convert_enum(c: ColumnInput) -> pd.Series:
    t, bad = _enum(c.field, c.values)
    c.flag(bad, "bad_choice", choices=", ".join(c.field.choices))
    return t.where(~bad)


def _is_blank(v: object) -> bool:
    return (
        v is None
        or (isinstance(v, float) and np.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def _json_list(v: object) -> str | None:
    """A JSON list as canonical text, or None when the value is no list (or no JSON)."""
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except json.JSONDecodeError:
            return None
    elif isinstance(v, np.ndarray):
        v = v.tolist()
    if not isinstance(v, list):
        return None
    return json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)


def _convert_json(c: ColumnInput) -> pd.Series:
    n = len(c.values)
    out = pd.Series([None] * n, dtype=object)
    bad = np.zeros(n, bool)
    for i, v in enumerate(c.values.to_numpy(dtype=object)):
        if _is_blank(v):
            continue
        text = _json_list(v)
        if text is None:
            bad[i] = True
        else:
            out[i] = text
    c.flag(bad, "bad_json")
    return out


def _convert_as_text(c: ColumnInput) -> pd.Series:
    # references are resolved by the builders (against the database's areas / routes); WKT
    # columns by the geometry reader
    return as_text(c.values)


_CONVERTERS: dict[str, Callable[[ColumnInput], pd.Series]] = {
    "text": _convert_text,
    "int": _convert_number,
    "float": _convert_number,
    "time": _convert_time,
    "enum": _convert_enum,
    "json": _convert_json,
    "area_ref": _convert_as_text,
    "route_ref": _convert_as_text,
    "wkt": _convert_as_text,
}


def convert(c: ColumnInput) -> pd.Series:
    """The field's values in its type; values that do not convert become issues (and null)."""
    converter = _CONVERTERS.get(c.field.type)
    if converter is None:  # pragma: no cover
        raise ValueError(f"unknown field type {c.field.type}")
    return converter(c)


# --- ids for rows that have none ----------------------------------------------------------------


def _content_hash(raw: RawTable) -> np.ndarray:
    attrs = raw.attrs.astype("str")
    h = pd.util.hash_pandas_object(attrs, index=False).to_numpy()
    if raw.geoms is not None:
        wkb = shapely.to_wkb(raw.geoms, hex=True)
        hg = pd.util.hash_array(np.asarray(wkb, dtype=object))
        h = h ^ (hg * np.uint64(0x9E3779B97F4A7C15))
    return h


def derived_ids(raw: RawTable) -> pd.Series:
    """Ids for files without an id column: content hash + occurrence among identical rows, so
    re-importing the same file (in any row order) gives the same ids."""
    h = pd.Series(_content_hash(raw))
    occ = h.groupby(h).cumcount().to_numpy()
    hexes = np.char.mod("%016x", h.to_numpy())
    return pd.Series(np.char.add(np.char.add("h", hexes), np.char.add("-", occ.astype(str))))


def format_ids(fmt: str, frame: pd.DataFrame) -> pd.Series:
    """Ids from a format over the frame's columns (``"{key}:{period}"``), null where one is."""
    names = [p.split("}")[0] for p in fmt.split("{")[1:]]
    result = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    rest = fmt
    for name in names:
        before, rest = rest.split("{" + name + "}", 1)
        col = frame[name].astype("str")
        result = result + before + col.fillna("")
    result = result + rest
    out = result.where(frame[names].notna().all(axis=1))
    return out
