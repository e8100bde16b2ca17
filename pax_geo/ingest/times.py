"""Parse a column of times, vectorised.

* ISO 8601 with or without an offset (``2026-08-22 9:48:12 +02:00``: hours need not be
  zero-padded), or a date alone;
* ``YYYY/MM/DD``, ``DD.MM.YYYY``, and ``D/M/YYYY`` or ``M/D/YYYY`` (decided per column from the
  values: a first part above 12 means day first, a second part above 12 month first; both
  possible for every value is ambiguous and refused);
* values without an offset are local time (Europe/Stockholm); the result is UTC.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pax_geo.config import TIMEZONE

#: An offset after a time of day (a bare date like 2024-05-01 has none). RE2 syntax.
_OFFSET = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_SLASH = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(.*)$")
_DOTTED = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(.*)$")
_YMD_SLASH = re.compile(r"^\s*(\d{4})/(\d{1,2})/(\d{1,2})(.*)$")


class AmbiguousDates(ValueError):
    pass


def _localize(naive: pd.Series) -> pd.Series:
    return naive.dt.tz_localize(
        TIMEZONE, ambiguous=False, nonexistent="shift_forward"
    ).dt.tz_convert("UTC")


def _parse_iso(s: pd.Series) -> pd.Series:
    """s: non-null strings. Returns UTC times, NaT where not ISO 8601."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s.to_numpy(dtype=object), type=pa.large_string())
    has_offset = pd.Series(
        pc.match_substring_regex(arr, _OFFSET).to_numpy(zero_copy_only=False),
        index=s.index,
        dtype=bool,
    )
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us, UTC]")
    if has_offset.any():
        out[has_offset] = pd.to_datetime(
            s[has_offset], format="ISO8601", errors="coerce", utc=True
        ).astype("datetime64[us, UTC]")
    naive = ~has_offset
    if naive.any():
        parsed = pd.to_datetime(s[naive], format="ISO8601", errors="coerce")
        if parsed.dt.tz is not None:  # pragma: no cover - offsets were split off above
            parsed = parsed.dt.tz_convert("UTC")
        else:
            parsed = _localize(parsed)
        out[naive] = parsed.astype("datetime64[us, UTC]")
    return out


def _reorder(s: pd.Series, pattern: re.Pattern, order: tuple[int, int, int]) -> pd.Series:
    parts = s.str.extract(pattern)
    y, m, d = (parts[i] for i in order)
    return y + "-" + m.str.zfill(2) + "-" + d.str.zfill(2) + parts[3].fillna("")


def parse_times(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(UTC times, bad) where bad marks non-empty values that are not a time."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype("datetime64[us, UTC]"), np.zeros(
            len(values), bool
        )
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _localize(values).astype("datetime64[us, UTC]"), np.zeros(len(values), bool)
    present = values.notna().to_numpy()
    s = values[present].astype("str").str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    if len(s) == 0:
        return out, np.zeros(len(values), bool)
    parsed = _parse_iso(s)
    todo = parsed.isna()
    if todo.any():
        rest = s[todo]
        ymd = rest.str.match(_YMD_SLASH)
        if ymd.any():
            parsed[rest.index[ymd]] = _parse_iso(_reorder(rest[ymd], _YMD_SLASH, (0, 1, 2)))
        dotted = rest.str.match(_DOTTED)
        if dotted.any():
            parsed[rest.index[dotted]] = _parse_iso(_reorder(rest[dotted], _DOTTED, (2, 1, 0)))
        slash = rest.str.match(_SLASH)
        if slash.any():
            parts = rest[slash].str.extract(_SLASH)
            a = parts[0].astype(int)
            b = parts[1].astype(int)
            if (a > 12).any() and (b > 12).any():
                order = None
            elif (a > 12).any():
                order = (2, 1, 0)  # day/month/year
            elif (b > 12).any():
                order = (2, 0, 1)  # month/day/year
            elif (a == b).all():
                order = (2, 1, 0)
            else:
                raise AmbiguousDates(str(rest[slash].iloc[0]))
            if order is not None:
                parsed[rest.index[slash]] = _parse_iso(_reorder(rest[slash], _SLASH, order))
    if present.all():
        out = pd.Series(parsed.array, index=values.index)
    else:
        out.iloc[np.flatnonzero(present)] = parsed.array
    bad = np.zeros(len(values), bool)
    bad[present] = parsed.isna().to_numpy()
    return out, bad
