"""Collecting the problems of one file: every one an :class:`Issue` naming the row and field,
plus a mask of the rows that have any (vectorised: checks add whole masks at once)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pax_geo.ingest.errors import Issue


def _as_message_value(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


class IssueCollector:
    """The issues found so far and the rows they make bad (``bad``, one flag per file row)."""

    def __init__(self, n: int) -> None:
        self.items: list[Issue] = []
        self.bad = np.zeros(n, bool)

    def add(
        self,
        mask: np.ndarray,
        code: str,
        field_name: str | None,
        column: str | None = None,
        values: pd.Series | np.ndarray | Callable[[np.ndarray], list] | None = None,
        **params: object,
    ) -> None:
        """One issue per row in ``mask``; ``values`` gives each row's offending value (a column,
        an array, or a function of the flagged row positions, called only for those rows)."""
        idx = np.flatnonzero(np.asarray(mask, bool))
        if len(idx) == 0:
            return
        self.bad[idx] = True
        if values is None:
            vals = [None] * len(idx)
        elif callable(values):
            vals = list(values(idx))
        else:
            arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
            vals = [arr[i] for i in idx]
        for i, v in zip(idx, vals, strict=True):
            self.items.append(
                Issue(code, int(i) + 1, field_name, column, _as_message_value(v), dict(params))
            )

    def add_one(
        self,
        i: int | np.integer,
        code: str,
        field_name: str | None,
        column: str | None,
        value: object = None,
        **params: object,
    ) -> None:
        self.bad[i] = True
        self.items.append(
            Issue(code, int(i) + 1, field_name, column, _as_message_value(value), dict(params))
        )

    def flagged(self, fields: set[str], n: int) -> np.ndarray:
        """Rows that already have an issue on one of ``fields``."""
        m = np.zeros(n, bool)
        for it in self.items:
            if it.field in fields and it.row is not None:
                m[it.row - 1] = True
        return m
