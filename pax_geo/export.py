"""CSV exports: one format and one audit record shape for every table that leaves the app.

* UTF-8 with a byte-order mark, so Excel opens Swedish letters correctly;
* text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
  return) is prefixed with an apostrophe (CSV/formula injection), and nested values
  (dicts, lists) are written as JSON text;
* :func:`export_detail` is the audit detail every export writes: what, file, rows, format and
  the filters that produced the table.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping

import pandas as pd

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: object) -> object:
    """A cell as it may be written to a CSV for spreadsheets."""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """The table as CSV bytes: UTF-8 with BOM, formula-looking text guarded."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(guard_cell)
    buf = io.StringIO()
    out.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")


def export_detail(
    what: str, file_name: str, rows: int, filters: Mapping[str, object] | None = None
) -> dict[str, object]:
    """The audit detail of one export (the same shape on every page)."""
    return {
        "what": what,
        "file": file_name,
        "rows": int(rows),
        "format": "csv",
        "filters": {k: v for k, v in (filters or {}).items()},
    }
