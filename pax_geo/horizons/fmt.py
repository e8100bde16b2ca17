"""Number and date formatting for the interface languages (no Streamlit)."""

from __future__ import annotations

from datetime import date, datetime

from pax_geo.clock import TZ


def num(value: float | int | None, lang: str = "sv", decimals: int = 1) -> str:
    """12,3 (sv) / 12.3 (en); thousands with a thin space (sv) or comma (en); '–' for None."""
    if value is None or value != value:  # None or NaN
        return "–"
    s = f"{value:,.{decimals}f}"
    if lang == "sv":
        s = s.replace(",", "\u202f").replace(".", ",")
    return s.replace("-", "−")


def signed(value: float, lang: str = "sv", decimals: int = 1) -> str:
    text = num(abs(value), lang, decimals)
    if round(value, decimals) == 0:
        return "±" + text
    return ("+" if value > 0 else "−") + text


def local_time(ts: datetime | None) -> str:
    """2026-11-23 19:05 in Europe/Stockholm."""
    if ts is None:
        return "–"
    if ts.tzinfo is None:
        raise ValueError("local_time needs a timezone-aware datetime")
    return ts.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def local_date(d: date | datetime | None) -> str:
    if d is None:
        return "–"
    if isinstance(d, datetime):
        if d.tzinfo is None:
            raise ValueError("local_date needs a timezone-aware datetime")
        d = d.astimezone(TZ).date()
    return d.isoformat()
