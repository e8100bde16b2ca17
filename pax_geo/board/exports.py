"""A lägesbild as a file: PPTX or PDF, built from the deck and audited in one step, so no file
leaves without its audit row (who, which lägesbild, which format)."""

from __future__ import annotations

from collections.abc import Callable

from pax_geo import auth
from pax_geo.board.model import Deck
from pax_geo.board.pdf_export import to_pdf
from pax_geo.board.pptx_export import to_pptx

FORMATS: dict[str, tuple[Callable[[Deck], bytes], str]] = {
    "pptx": (
        to_pptx,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "pdf": (to_pdf, "application/pdf"),
}


def export(
    deck: Deck,
    fmt: str,
    briefing_id: int,
    status: str,
    *,
    role: str,
    token: str | None,
    username: str,
    page: str = "styrelse",
) -> bytes:
    """The file, after its 'briefing_export' audit row is written through the user's own bound
    login (if the audit cannot be written, no file is returned)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    data = FORMATS[fmt][0](deck)
    auth.write_audit(
        "briefing_export",
        page,
        {"id": briefing_id, "format": fmt, "status": status, "bytes": len(data)},
        role=role,
        token=token,
        username=username,
    )
    return data
