"""The slides every form of a lägesbild is drawn from (page, presentation, PPTX, PDF).

Plain data, no rendering: a renderer that draws these faithfully cannot show other figures
than another renderer does.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Image:
    """A PNG (charts and maps, drawn once from the figures) and its alternative text."""

    key: str
    png: bytes
    alt: str
    width_px: int
    height_px: int


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: column indexes that hold numbers (right-aligned)
    numeric: tuple[int, ...] = ()


@dataclass(frozen=True)
class KeyFigure:
    """One big number with its label and the plain-language change lines under it."""

    label: str
    value: str
    lines: tuple[str, ...]
    #: "up", "down", "same" or "" (for colour: more incidents is worse)
    tone: str = ""


@dataclass(frozen=True)
class Slide:
    key: str  # title, key_figures, maps, here_now, medium, long, operations, assessment
    title: str
    subtitle: str = ""
    key_figures: tuple[KeyFigure, ...] = ()
    bullets: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    images: tuple[Image, ...] = ()
    #: the presenter's comment for this section (also the PPTX speaker notes)
    comment: str = ""
    #: shown small at the foot of the slide: source, suppression, method notes
    note: str = ""
    #: the section whose comment this slide carries ("maps" for every map slide); "" = key
    section: str = ""


@dataclass(frozen=True)
class Deck:
    """A whole lägesbild as slides plus what every page's footer says."""

    title: str
    municipality: str
    period_label: str
    presenter: str
    marking: str
    data_until: str
    generated: str
    #: "Data t.o.m." / "Data up to", in the deck's language
    data_label: str = "Data t.o.m."
    #: "Bild" / "Slide" for counters and page numbers
    slide_label: str = "Bild"
    slides: tuple[Slide, ...] = field(default_factory=tuple)

    @property
    def footer(self) -> str:
        parts = [self.municipality, self.period_label, f"{self.data_label} {self.data_until}"]
        if self.marking:
            parts.append(self.marking)
        return " · ".join(parts)
