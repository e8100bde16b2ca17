"""Hex-encoded EWKB (PostGIS's extended well-known binary), written without shapely objects.

Used by every bulk loader (the demo data and file imports): COPY takes a point as hex EWKB
text, and building it with numpy is far faster than one shapely geometry per row.
"""

from __future__ import annotations

import numpy as np

#: Little-endian WKB point type with the EWKB "has SRID" flag.
_POINT_WITH_SRID = 0x20000001
#: Hex characters per point: byte order (1) + type (4) + SRID (4) + x (8) + y (8) bytes.
_POINT_HEX_WIDTH = 50


def ewkb_points_hex(x: np.ndarray, y: np.ndarray, srid: int = 3006) -> np.ndarray:
    """Hex EWKB for many points at once (little endian, with SRID), as an object array."""
    n = len(x)
    buf = np.zeros(
        n, dtype=[("bo", "u1"), ("t", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")]
    )
    buf["bo"] = 1
    buf["t"] = _POINT_WITH_SRID
    buf["srid"] = srid
    buf["x"] = x
    buf["y"] = y
    h = buf.tobytes().hex()
    width = _POINT_HEX_WIDTH
    return np.array([h[i * width : (i + 1) * width] for i in range(n)], dtype=object)
