"""Pure layout arithmetic shared by the PPTX and the PDF renderers (any unit)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from pax_geo.board.model import Image, Table


def share_out(natural: Sequence[float], width: float) -> tuple[float, ...]:
    """Too little width: columns narrower than an equal share keep their width, the wider ones
    split what is left equally (and wrap)."""
    fixed: set[int] = set()
    while True:
        rest = [i for i in range(len(natural)) if i not in fixed]
        share = (width - sum(natural[i] for i in fixed)) / max(len(rest), 1)
        narrow = {i for i in rest if natural[i] <= share}
        if not narrow or len(fixed | narrow) == len(natural):
            break
        fixed |= narrow
    return tuple(natural[i] if i in fixed else share for i in range(len(natural)))


def split(table: Table, chunks: int) -> tuple[Table, ...]:
    per = max(1, math.ceil(len(table.rows) / chunks))
    parts = [table.rows[i : i + per] for i in range(0, len(table.rows), per)] or [()]
    return tuple(replace(table, rows=part) for part in parts)


def fit(image: Image, width: float, height: float) -> tuple[float, float]:
    aspect = image.width_px / image.height_px if image.width_px and image.height_px else 1.6
    if width / aspect <= height:
        return width, width / aspect
    return height * aspect, height
