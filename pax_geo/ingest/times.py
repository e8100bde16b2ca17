"""Parse a column of times, vectorised.

* ISO 8601 with or without an offset (``2026-08-22 9:48:12 +02:00``: hours need not be
  zero-padded), or a date alone;
* ``YYYY/MM/DD``, ``DD.MM.YYYY``, and ``D/M/YYYY`` or ``M/D/YYYY`` (decided per column from the
  values: a first part above 12 means day first, a second part above 12 month first; both
  possible for every value is ambiguous and refused);
* values without an offset are local time (Europe/Stockholm); the result is UTC.

Local times that occur twice (the autumn fold, 2026-10-25 02:30) or never (the spring gap,
2026-03-29 02:30) are not guessed: they come back flagged (``ambiguous`` / ``nonexistent``) unless
the caller chose how to read them (:data:`AMBIGUOUS_CHOICES`, :data:`NONEXISTENT_CHOICES`).
Times with an explicit offset or ``Z`` are never affected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from pax_geo.clock import TZ
from pax_geo.config import TIMEZONE

#: An offset after a time of day (a bare date like 2024-05-01 has none). RE2 syntax.
_OFFSET = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_SLASH = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(.*)$")
_DOTTED = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(.*)$")
_YMD_SLASH = re.compile(r"^\s*(\d{4})/(\d{1,2})/(\d{1,2})(.*)$")


#: A local time in the autumn fold: 'earlier' = the first one (summer time, +02:00), 'later' =
#: the second one (winter time, +01:00).
AMBIGUOUS_CHOICES = ("earlier", "later")
#: A local time in the spring gap: 'shift-forward' reads it with the offset before the change
#: (02:30 -> 03:30 summer time, as if the clock had not been put forward yet), 'shift-backward'
#: with the offset after it (02:30 -> 01:30 winter time).
NONEXISTENT_CHOICES = ("shift-forward", "shift-backward")


class AmbiguousDates(ValueError):
    pass


@dataclass
class DstPolicy:
    """How to read local times in the fold / the gap; None = refuse (flag the row)."""

    ambiguous: str | None = None
    nonexistent: str | None = None

    def __post_init__(self) -> None:
        if self.ambiguous not in (None, *AMBIGUOUS_CHOICES):
            raise ValueError(f"ambiguous must be one of {', '.join(AMBIGUOUS_CHOICES)}")
        if self.nonexistent not in (None, *NONEXISTENT_CHOICES):
            raise ValueError(f"nonexistent must be one of {', '.join(NONEXISTENT_CHOICES)}")


@dataclass
class ParsedTimes:
    """UTC times; ``bad``: not a time; ``ambiguous`` / ``nonexistent``: local times in the DST
    fold / gap that the policy left unresolved (their time is NaT)."""

    times: pd.Series
    bad: np.ndarray
    ambiguous: np.ndarray
    nonexistent: np.ndarray


def _fold_utc(naive: pd.Series, fold: int) -> pd.Series:
    """Local wall times -> UTC with zoneinfo's fold rule (few rows: the fold and gap only).

    fold=0 takes the offset in force before the change, fold=1 the one after it: in the autumn
    fold 0 is the earlier instant; in the spring gap 0 reads 02:30 as 03:30 summer time."""
    tz = TZ
    out = []
    for v in naive:
        d = datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)
        out.append(pd.Timestamp(d.replace(tzinfo=tz, fold=fold)).tz_convert("UTC"))
    return pd.Series(out, index=naive.index, dtype="datetime64[us, UTC]")


def _localize(
    naive: pd.Series, policy: DstPolicy | None = None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Local (Europe/Stockholm) wall times -> (UTC, in the fold, in the gap), never a guess:
    rows in the fold or the gap are NaT and flagged unless ``policy`` says how to read them."""
    policy = policy or DstPolicy()
    naive = naive.astype("datetime64[us]")
    n = len(naive)
    dst = naive.dt.tz_localize(TIMEZONE, ambiguous=np.ones(n, bool), nonexistent="NaT")
    std = naive.dt.tz_localize(TIMEZONE, ambiguous=np.zeros(n, bool), nonexistent="NaT")
    present = naive.notna()
    gap = present & dst.isna()
    fold = present & ~gap & (dst != std)
    out = std.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    if fold.any():
        if policy.ambiguous is None:
            out[fold] = pd.NaT
        else:
            out[fold] = _fold_utc(naive[fold], 0 if policy.ambiguous == "earlier" else 1)
    if gap.any():
        if policy.nonexistent is None:
            out[gap] = pd.NaT
        else:
            out[gap] = _fold_utc(naive[gap], 0 if policy.nonexistent == "shift-forward" else 1)
    unresolved_fold = fold if policy.ambiguous is None else pd.Series(False, index=naive.index)
    unresolved_gap = gap if policy.nonexistent is None else pd.Series(False, index=naive.index)
    return out, unresolved_fold, unresolved_gap


class _Flags:
    """Index labels of values in the DST fold / gap, collected across the parsing passes."""

    def __init__(self, policy: DstPolicy | None) -> None:
        self.policy = policy
        self.fold: list = []
        self.gap: list = []

    def localize(self, naive: pd.Series) -> pd.Series:
        out, fold, gap = _localize(naive, self.policy)
        self.fold.extend(naive.index[fold.to_numpy(dtype=bool)])
        self.gap.extend(naive.index[gap.to_numpy(dtype=bool)])
        return out


def _parse_iso(s: pd.Series, flags: _Flags) -> pd.Series:
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
            parsed = flags.localize(parsed)
        out[naive] = parsed.astype("datetime64[us, UTC]")
    return out


def _reorder(s: pd.Series, pattern: re.Pattern, order: tuple[int, int, int]) -> pd.Series:
    parts = s.str.extract(pattern)
    y, m, d = (parts[i] for i in order)
    return y + "-" + m.str.zfill(2) + "-" + d.str.zfill(2) + parts[3].fillna("")


def parse_times(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(UTC times, bad) where bad marks non-empty values that are not a time, including local
    times in the DST fold or gap (see :func:`parse_times_checked` to tell them apart)."""
    r = parse_times_checked(values)
    return r.times, r.bad | r.ambiguous | r.nonexistent


def parse_times_checked(values: pd.Series, policy: DstPolicy | None = None) -> ParsedTimes:
    """Parse a column; local times in the DST fold or gap are flagged unless policy says how."""
    n = len(values)
    flags = _Flags(policy)

    def result(times: pd.Series, bad: np.ndarray) -> ParsedTimes:
        pos = pd.Series(np.arange(n), index=values.index)
        fold = np.zeros(n, bool)
        gap = np.zeros(n, bool)
        fold[pos.loc[flags.fold].to_numpy(dtype=int)] = True
        gap[pos.loc[flags.gap].to_numpy(dtype=int)] = True
        return ParsedTimes(times, bad & ~fold & ~gap, fold, gap)

    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return result(values.dt.tz_convert("UTC").astype("datetime64[us, UTC]"), np.zeros(n, bool))
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return result(flags.localize(values).astype("datetime64[us, UTC]"), np.zeros(n, bool))
    present = values.notna().to_numpy()
    s = values[present].astype("str").str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    if len(s) == 0:
        return result(out, np.zeros(n, bool))
    parsed = _parse_iso(s, flags)
    todo = parsed.isna()
    if todo.any():
        rest = s[todo]
        ymd = rest.str.match(_YMD_SLASH)
        if ymd.any():
            parsed[rest.index[ymd]] = _parse_iso(_reorder(rest[ymd], _YMD_SLASH, (0, 1, 2)), flags)
        dotted = rest.str.match(_DOTTED)
        if dotted.any():
            parsed[rest.index[dotted]] = _parse_iso(
                _reorder(rest[dotted], _DOTTED, (2, 1, 0)), flags
            )
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
                parsed[rest.index[slash]] = _parse_iso(_reorder(rest[slash], _SLASH, order), flags)
    if present.all():
        out = pd.Series(parsed.array, index=values.index)
    else:
        out.iloc[np.flatnonzero(present)] = parsed.array
    bad = np.zeros(n, bool)
    bad[present] = parsed.isna().to_numpy()
    return result(out, bad)
