"""The lägesbild as a PDF handout (fpdf2), drawn from the same slides as every other form.

A4 landscape, one page per :class:`~pax_geo.board.model.Slide`, same content and order as the
PPTX. fpdf2 is pure Python (a pip wheel, no Pango/Cairo as WeasyPrint needs). Text is set in
DejaVu Sans from matplotlib's bundled fonts, embedded, so Swedish letters and typographic
characters (å ä ö – — ≥ · ±) work without any system font.

Every page is laid out before it is drawn: text heights are measured with fpdf2 (dry runs), the
tables get the largest font that fits (or split into side-by-side parts), images take what is
left; when that is too little, the body's fonts step down. Automatic page breaks are off, so a
slide is always exactly one page.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import MethodReturnValue

from pax_geo.board import layout
from pax_geo.board.model import Deck, Image, KeyFigure, Slide, Table

FONT = "DejaVu"
PAGE_W = 841.89  # A4 landscape in points
PAGE_H = 595.28
MARGIN = 36.0
TOP = 28.0
GAP = 10.0
CONTENT_W = PAGE_W - 2 * MARGIN
LINE = 1.25  # line height as a multiple of the font size
FOOTER_PT = 9.0
FOOTER_Y = PAGE_H - 26.0
BOX_PAD = 7.0
CELL_PAD_X = 4.0
CELL_PAD_Y = 2.0
MIN_IMAGE_H = 110.0
MIN_DRAWN_IMAGE = 30.0  # an overfull page leaves out images smaller than this
COMMENT_SIDE_W = 260.0
MAX_FIGURE_W = 260.0
TITLE_PT = 24.0
SUBTITLE_PT = 14.0
NOTE_PT = 9.5
TABLE_MAX_CHUNKS = 4

Color = tuple[int, int, int]
INK: Color = (0x1F, 0x29, 0x33)
MUTED: Color = (0x55, 0x60, 0x6E)
ACCENT: Color = (0x2F, 0x4A, 0x6D)
WHITE: Color = (0xFF, 0xFF, 0xFF)
BAND: Color = (0xF2, 0xF4, 0xF7)
RULE: Color = (0xC5, 0xCC, 0xD6)
COMMENT_FILL: Color = (0xFB, 0xF6, 0xE9)
COMMENT_EDGE: Color = (0xC9, 0xB9, 0x8A)
MARK_FILL: Color = (0xF8, 0xE6, 0xE3)
MARK_INK: Color = (0x8E, 0x2B, 0x22)

#: tone -> (fill, edge, value colour): more incidents ("up") is a muted red, fewer a muted green.
TONES: dict[str, tuple[Color, Color, Color]] = {
    "up": ((0xF5, 0xE1, 0xDE), (0xB0, 0x48, 0x3C), (0x9A, 0x3B, 0x30)),
    "down": ((0xDF, 0xEE, 0xE3), (0x3E, 0x7D, 0x55), (0x2F, 0x6B, 0x45)),
    "": ((0xEC, 0xEE, 0xF1), (0x8A, 0x94, 0xA0), (0x3A, 0x44, 0x50)),
}

FIXED_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Sizes:
    """Font sizes of a page's body; smaller tiers are tried when the content does not fit."""

    value: float
    label: float
    line: float
    bullet: float
    comment: float
    table: tuple[float, ...]


TIERS = (
    Sizes(value=30, label=13, line=11.5, bullet=14, comment=12.5, table=(12.5, 12, 11.5, 11, 10.5)),
    Sizes(value=26, label=12, line=10.5, bullet=12.5, comment=11.5, table=(10.5, 10, 9.5, 9)),
    Sizes(value=22, label=11, line=10, bullet=11, comment=10.5, table=(9, 8.5, 8)),
    Sizes(value=18, label=10, line=9, bullet=10, comment=9.5, table=(8.5, 8)),
)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def right(self) -> float:
        return self.x + self.w


@dataclass(frozen=True)
class TableFit:
    size: float
    chunks: tuple[Table, ...]
    widths: tuple[tuple[float, ...], ...]
    heights: tuple[tuple[float, ...], ...]

    @property
    def height(self) -> float:
        return max(sum(h) for h in self.heights)


@dataclass(frozen=True)
class Layout:
    """Where a page's body parts go (boxes are None for absent parts)."""

    sizes: Sizes
    fits: bool
    key_figures: Box | None = None
    bullets: Box | None = None
    comment: Box | None = None
    images: Box | None = None
    tables: Box | None = None
    table_fits: tuple[TableFit, ...] = ()
    #: what is drawn (an overfull page leaves out the last bullets and cuts the comment short)
    bullet_texts: tuple[str, ...] = ()
    comment_text: str = ""


# --- public -----------------------------------------------------------------------------------


def to_pdf(deck: Deck) -> bytes:
    """The deck as an A4 landscape PDF handout, one page per slide."""
    pdf = _new_pdf(deck)
    n = len(deck.slides)
    for i, slide in enumerate(deck.slides, start=1):
        pdf.add_page()
        _draw_page(pdf, deck, slide, i, n)
    return bytes(pdf.output())


# --- the document -----------------------------------------------------------------------------


@cache
def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _new_pdf(deck: Deck) -> FPDF:
    pdf = FPDF(orientation="L", unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, TOP, MARGIN)
    pdf.c_margin = 0
    pdf.add_font(FONT, "", str(_font_dir() / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(_font_dir() / "DejaVuSans-Bold.ttf"))
    pdf.set_title(deck.title)
    pdf.set_author(deck.presenter)
    pdf.set_subject(" · ".join(p for p in (deck.municipality, deck.period_label) if p))
    pdf.set_creator("Pax lägesbild")
    pdf.set_lang("en" if _english(deck) else "sv")
    pdf.set_creation_date(_stamp(deck.generated))
    return pdf


def _english(deck: Deck) -> bool:
    return deck.slide_label == "Slide"


def _stamp(generated: str) -> dt.datetime:
    """A fixed creation date from ``deck.generated`` (UTC), else a fixed epoch."""
    text = generated.strip().replace("kl.", "").replace("  ", " ")
    for candidate in (text, text[:16], text[:10]):
        try:
            when = dt.datetime.fromisoformat(candidate)
        except ValueError:
            continue
        when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
        if when.year >= 1980:
            return when.replace(microsecond=0)
    return FIXED_EPOCH


# --- text -------------------------------------------------------------------------------------


def _font(pdf: FPDF, size: float, bold: bool = False, color: Color = INK) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.set_text_color(*color)


def _wrap(pdf: FPDF, width: float, text: str, size: float, bold: bool = False) -> list[str]:
    """The lines ``text`` wraps into in ``width`` (never narrower than a wide glyph)."""
    _font(pdf, size, bold)
    lines = pdf.multi_cell(
        max(width, size * 1.5), size * LINE, text, dry_run=True, output=MethodReturnValue.LINES
    )
    return list(lines) if isinstance(lines, list) else [text]


def _text_h(pdf: FPDF, width: float, text: str, size: float, bold: bool = False) -> float:
    """The height ``text`` takes wrapped in ``width``."""
    return len(_wrap(pdf, width, text, size, bold)) * size * LINE


def _text(
    pdf: FPDF,
    box: Box,
    text: str,
    size: float,
    *,
    bold: bool = False,
    color: Color = INK,
    align: str = "L",
) -> float:
    """Wrapped text at the box's top left; returns the height used."""
    _font(pdf, size, bold, color)
    pdf.set_xy(box.x, box.y)
    before = pdf.get_y()
    pdf.multi_cell(box.w, size * LINE, text, align=align, new_x="LEFT", new_y="NEXT")
    return pdf.get_y() - before


def _rect(pdf: FPDF, box: Box, fill: Color | None, edge: Color | None) -> None:
    if fill is not None:
        pdf.set_fill_color(*fill)
    if edge is not None:
        pdf.set_draw_color(*edge)
        pdf.set_line_width(0.9)
    style = ("F" if fill is not None else "") + ("D" if edge is not None else "")
    if style:
        pdf.rect(box.x, box.y, box.w, box.h, style=style)


# --- one page ---------------------------------------------------------------------------------


def _draw_page(pdf: FPDF, deck: Deck, slide: Slide, i: int, n: int) -> None:
    bottom = _draw_footer(pdf, deck, i, n)
    bottom = _draw_note(pdf, slide.note, bottom)
    if slide.key == "title":
        top = _draw_title_page(pdf, deck, slide, bottom)
    else:
        top = _draw_heading(pdf, slide)
    body = Box(MARGIN, top, CONTENT_W, max(bottom - top, 0.0))
    _draw_body(pdf, slide, body, _comment_label(deck))


def _comment_label(deck: Deck) -> str:
    return "Comment" if _english(deck) else "Kommentar"


def _draw_footer(pdf: FPDF, deck: Deck, i: int, n: int) -> float:
    """Footer line and page counter; returns the lowest y the content may reach."""
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.6)
    pdf.line(MARGIN, FOOTER_Y - 5, PAGE_W - MARGIN, FOOTER_Y - 5)
    counter = f"{deck.slide_label} {i}/{n}"
    _font(pdf, FOOTER_PT, color=MUTED)
    counter_w = pdf.get_string_width(counter)
    size = FOOTER_PT
    while size > 6 and pdf.get_string_width(deck.footer) > CONTENT_W - counter_w - GAP:
        size -= 0.5
        _font(pdf, size, color=MUTED)
    pdf.set_xy(MARGIN, FOOTER_Y)
    pdf.cell(CONTENT_W - counter_w - GAP, FOOTER_PT * LINE, deck.footer)
    _font(pdf, FOOTER_PT, color=MUTED)
    pdf.set_xy(PAGE_W - MARGIN - counter_w, FOOTER_Y)
    pdf.cell(counter_w, FOOTER_PT * LINE, counter, align="R")
    return FOOTER_Y - 12.0


def _draw_note(pdf: FPDF, note: str, bottom: float) -> float:
    if not note:
        return bottom
    height = _text_h(pdf, CONTENT_W, note, NOTE_PT)
    _text(pdf, Box(MARGIN, bottom - height, CONTENT_W, height), note, NOTE_PT, color=MUTED)
    return bottom - height - GAP


def _draw_heading(pdf: FPDF, slide: Slide) -> float:
    y = TOP + _text(pdf, Box(MARGIN, TOP, CONTENT_W, 0), slide.title, TITLE_PT, bold=True)
    if slide.subtitle:
        sub = Box(MARGIN, y + 2, CONTENT_W, 0)
        y += 2 + _text(pdf, sub, slide.subtitle, SUBTITLE_PT, color=MUTED)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.line(MARGIN, y + 5, MARGIN + 60, y + 5)
    return y + 5 + GAP + 2


def _title_lines(deck: Deck, slide: Slide) -> list[tuple[str, float, bool, Color, float]]:
    """(text, size, bold, colour, space before) of the title page's lines under the title."""
    lines: list[tuple[str, float, bool, Color, float]] = []
    if deck.title and deck.title != slide.title:
        lines.append((deck.title, 20, True, INK, 4))
    if slide.subtitle:
        lines.append((slide.subtitle, 16, False, MUTED, 4))
    if deck.municipality:
        lines.append((deck.municipality, 20, True, INK, 14))
    if deck.period_label:
        lines.append((deck.period_label, 16, False, INK, 4))
    if deck.presenter:
        lines.append((deck.presenter, 14, False, INK, 12))
    if deck.generated:
        label = "Generated" if _english(deck) else "Skapad"
        lines.append((f"{label} {deck.generated}", 12, False, MUTED, 4))
    return lines


def _draw_title_page(pdf: FPDF, deck: Deck, slide: Slide, bottom: float) -> float:
    """The opening page: the deck's title big, who and what it covers, and the marking."""
    _rect(pdf, Box(0, 0, PAGE_W, 10), ACCENT, None)
    lines = _title_lines(deck, slide)
    title_h = _text_h(pdf, CONTENT_W, slide.title, 30, bold=True)
    total = title_h + sum(s + _text_h(pdf, CONTENT_W, t, z, b) for t, z, b, _, s in lines)
    total += 24 + 14 * LINE + 2 * BOX_PAD if deck.marking else 0
    has_body = bool(slide.key_figures or slide.bullets or slide.tables or slide.images)
    if slide.comment:
        total += 2 * GAP + _comment_h(pdf, slide.comment, CONTENT_W, TIERS[0].comment, "")
    y = 56.0 if has_body else max(56.0, (bottom - total) / 2)
    y += _text(pdf, Box(MARGIN, y, CONTENT_W, 0), slide.title, 30, bold=True, color=ACCENT)
    for text, size, bold, color, space in lines:
        y += space
        y += _text(pdf, Box(MARGIN, y, CONTENT_W, 0), text, size, bold=bold, color=color)
    if deck.marking:
        y += 20
        _font(pdf, 14, bold=True)
        width = min(CONTENT_W, pdf.get_string_width(deck.marking) + 2 * BOX_PAD + 2)
        height = _text_h(pdf, width - 2 * BOX_PAD, deck.marking, 14, bold=True) + 2 * BOX_PAD
        box = Box(MARGIN, y, width, height)
        _rect(pdf, box, MARK_FILL, MARK_INK)
        inner = Box(box.x + BOX_PAD, box.y + BOX_PAD, box.w - 2 * BOX_PAD, 0)
        _text(pdf, inner, deck.marking, 14, bold=True, color=MARK_INK)
        y = box.bottom
    return y + 2 * GAP


# --- the body ---------------------------------------------------------------------------------


def _draw_body(pdf: FPDF, slide: Slide, box: Box, label: str) -> None:
    for sizes in TIERS:
        layout = _layout(pdf, slide, box, sizes, label)
        if layout.fits:
            break
    else:
        layout = _squeezed(pdf, slide, box, TIERS[-1], label)
    sizes = layout.sizes
    if layout.key_figures:
        _draw_key_figures(pdf, slide.key_figures, layout.key_figures, sizes)
    if layout.bullets:
        _draw_bullets(pdf, layout.bullet_texts, layout.bullets, sizes.bullet)
    if layout.comment:
        _draw_comment(pdf, layout.comment_text, layout.comment, sizes.comment, label)
    if layout.images:
        _draw_images(pdf, slide.images, layout.images)
    if layout.tables:
        _draw_tables(pdf, layout.table_fits, layout.tables)


def _layout(pdf: FPDF, slide: Slide, box: Box, sizes: Sizes, label: str) -> Layout:
    """Key figures and bullets from the top; tables, images and the comment in what is left."""
    y = box.y
    kf_box = bullets_box = None
    if slide.key_figures:
        kf_box = Box(box.x, y, box.w, _key_figures_h(pdf, slide.key_figures, box.w, sizes))
        y = kf_box.bottom + GAP
    if slide.bullets:
        bullets_box = Box(box.x, y, box.w, _bullets_h(pdf, slide.bullets, box.w, sizes.bullet))
        y = bullets_box.bottom + GAP
    rest = Box(box.x, y, box.w, box.bottom - y)
    comment_box, media = _place_comment(pdf, slide, rest, sizes.comment, label)
    fits = media.h >= 0 and (comment_box is None or comment_box.bottom <= box.bottom + 0.5)
    table_box, table_fits, image_box = _media(pdf, slide, media, sizes, strict=True)
    fits = fits and (not slide.tables or len(table_fits) == len(slide.tables))
    fits = fits and (not slide.images or media.h >= MIN_IMAGE_H)
    comment_box = _under_media(comment_box, rest, media, table_fits, image_box, slide)
    return Layout(
        sizes,
        fits,
        kf_box,
        bullets_box,
        comment_box,
        image_box,
        table_box,
        table_fits,
        tuple(slide.bullets),
        slide.comment,
    )


def _media(
    pdf: FPDF, slide: Slide, media: Box, sizes: Sizes, *, strict: bool
) -> tuple[Box | None, tuple[TableFit, ...], Box | None]:
    """The tables' box (right) and fits, and the images' box (left)."""
    image_box = table_box = None
    table_fits: tuple[TableFit, ...] = ()
    if slide.tables and media.h > 0:
        table_w = _table_area_w(pdf, slide, media.w)
        table_box = Box(media.right - table_w, media.y, table_w, media.h)
        table_fits = tuple(_fit_tables(pdf, slide.tables, table_box, sizes, strict=strict) or ())
    if slide.images and media.h >= (MIN_DRAWN_IMAGE if not strict else 0):
        width = media.w - (table_box.w + GAP if table_box else 0)
        image_box = Box(media.x, media.y, width, max(media.h, 0))
    return table_box, table_fits, image_box


def _under_media(
    comment: Box | None,
    rest: Box,
    media: Box,
    table_fits: Sequence[TableFit],
    image_box: Box | None,
    slide: Slide,
) -> Box | None:
    """A comment below tables or images goes right under what is drawn."""
    if comment is None or comment.w != rest.w or not (slide.images or slide.tables):
        return comment
    used = sum(f.height for f in table_fits) + GAP * max(len(table_fits) - 1, 0)
    if image_box is not None:
        used = max(used, _images_h(slide.images, image_box))
    return replace(comment, y=media.y + used + GAP)


def _squeezed(pdf: FPDF, slide: Slide, box: Box, sizes: Sizes, label: str) -> Layout:
    """An overfull page at the smallest sizes: key figure rows that fit in 40 % of the body, the
    comment cut to 30 %, the bullets that fit, tables cut short, images only if not tiny."""
    y = box.y
    kf_box = bullets_box = None
    if slide.key_figures:
        kf_h = _key_figures_h(pdf, slide.key_figures, box.w, sizes, max_h=box.h * 0.4)
        kf_box = Box(box.x, y, box.w, kf_h) if kf_h > 0 else None
        y += kf_h + GAP if kf_h > 0 else 0
    comment_text, comment_h = "", 0.0
    if slide.comment:
        comment_text = _clip_comment(pdf, slide.comment, box.w, sizes.comment, label, box.h * 0.3)
        comment_h = _comment_h(pdf, comment_text, box.w, sizes.comment, label) + GAP
    texts: tuple[str, ...] = ()
    if slide.bullets:
        room = box.bottom - y - comment_h
        texts = _bullets_that_fit(pdf, slide.bullets, box.w, sizes.bullet, room)
        if texts:
            bullets_box = Box(box.x, y, box.w, _bullets_h(pdf, texts, box.w, sizes.bullet))
            y = bullets_box.bottom + GAP
    media = Box(box.x, y, box.w, max(box.bottom - y - comment_h, 0))
    table_box, table_fits, image_box = _media(pdf, slide, media, sizes, strict=False)
    comment_box = Box(box.x, media.bottom + GAP, box.w, comment_h - GAP) if comment_text else None
    rest = Box(box.x, y, box.w, box.bottom - y)
    comment_box = _under_media(comment_box, rest, media, table_fits, image_box, slide)
    return Layout(
        sizes,
        True,
        kf_box,
        bullets_box,
        comment_box,
        image_box,
        table_box,
        table_fits,
        texts,
        comment_text,
    )


def _bullets_that_fit(
    pdf: FPDF, bullets: Sequence[str], width: float, size: float, height: float
) -> tuple[str, ...]:
    """The bullets, or the first ones that fit and an ellipsis."""
    if _bullets_h(pdf, bullets, width, size) <= height:
        return tuple(bullets)
    for keep in range(len(bullets) - 1, 0, -1):
        texts = (*bullets[:keep], "…")
        if _bullets_h(pdf, texts, width, size) <= height:
            return texts
    return ()


def _clip_comment(
    pdf: FPDF, comment: str, width: float, size: float, label: str, height: float
) -> str:
    """The comment, or as many of its lines as fit and an ellipsis."""
    if _comment_h(pdf, comment, width, size, label) <= height:
        return comment
    lines = _wrap(pdf, width - 2 * BOX_PAD, comment, size)
    for keep in range(len(lines) - 1, 0, -1):
        text = " ".join(line.strip() for line in lines[:keep]) + " …"
        if _comment_h(pdf, text, width, size, label) <= height:
            return text
    return ""


def _place_comment(
    pdf: FPDF, slide: Slide, rest: Box, size: float, label: str
) -> tuple[Box | None, Box]:
    """The comment's box (beside images when it fits there, else under the media) and the area
    left for tables and images."""
    if not slide.comment:
        return None, rest
    if not slide.images and not slide.tables:
        height = _comment_h(pdf, slide.comment, rest.w, size, label)
        return Box(rest.x, rest.y, rest.w, height), Box(rest.x, rest.y, rest.w, 0)
    if slide.images and not slide.tables:
        side_h = _comment_h(pdf, slide.comment, COMMENT_SIDE_W, size, label)
        if side_h <= rest.h:
            side = Box(rest.right - COMMENT_SIDE_W, rest.y, COMMENT_SIDE_W, side_h)
            return side, Box(rest.x, rest.y, rest.w - COMMENT_SIDE_W - GAP, rest.h)
    height = _comment_h(pdf, slide.comment, rest.w, size, label)
    below = Box(rest.x, rest.bottom - height, rest.w, height)
    return below, Box(rest.x, rest.y, rest.w, rest.h - height - GAP)


# --- key figures ------------------------------------------------------------------------------


def _figure_grid(count: int, width: float) -> tuple[int, float]:
    rows = math.ceil(count / 4)
    per_row = math.ceil(count / rows)
    return per_row, min((width - (per_row - 1) * GAP) / per_row, MAX_FIGURE_W)


def _figure_h(pdf: FPDF, fig: KeyFigure, width: float, sizes: Sizes) -> float:
    inner = width - 2 * BOX_PAD
    height = _text_h(pdf, inner, fig.value, sizes.value, bold=True)
    height += 2 + _text_h(pdf, inner, fig.label, sizes.label, bold=True)
    for line in fig.lines:
        height += 2 + _text_h(pdf, inner, line, sizes.line)
    return height + 2 * BOX_PAD


def _key_figures_h(
    pdf: FPDF,
    figures: Sequence[KeyFigure],
    width: float,
    sizes: Sizes,
    max_h: float = math.inf,
) -> float:
    """Height of the rows of key figures (only the rows that fit in ``max_h``)."""
    per_row, fig_w = _figure_grid(len(figures), width)
    total = -GAP
    for start in range(0, len(figures), per_row):
        row = figures[start : start + per_row]
        row_h = max(_figure_h(pdf, f, fig_w, sizes) for f in row)
        if total + GAP + row_h > max_h:
            break
        total += GAP + row_h
    return max(total, 0.0)


def _draw_key_figures(pdf: FPDF, figures: Sequence[KeyFigure], box: Box, sizes: Sizes) -> None:
    per_row, fig_w = _figure_grid(len(figures), box.w)
    y = box.y
    for start in range(0, len(figures), per_row):
        row = figures[start : start + per_row]
        row_h = max(_figure_h(pdf, f, fig_w, sizes) for f in row)
        if y + row_h > box.bottom + 0.5:
            break
        for col, fig in enumerate(row):
            _draw_figure(pdf, fig, Box(box.x + col * (fig_w + GAP), y, fig_w, row_h), sizes)
        y += row_h + GAP


def _draw_figure(pdf: FPDF, fig: KeyFigure, box: Box, sizes: Sizes) -> None:
    fill, edge, value_color = TONES.get(fig.tone, TONES[""])
    _rect(pdf, box, fill, edge)
    inner_w = box.w - 2 * BOX_PAD
    x, y = box.x + BOX_PAD, box.y + BOX_PAD
    y += _text(pdf, Box(x, y, inner_w, 0), fig.value, sizes.value, bold=True, color=value_color)
    y += 2 + _text(pdf, Box(x, y + 2, inner_w, 0), fig.label, sizes.label, bold=True)
    for line in fig.lines:
        y += 2 + _text(pdf, Box(x, y + 2, inner_w, 0), line, sizes.line, color=MUTED)


# --- bullets and comment ----------------------------------------------------------------------


def _bullets_h(pdf: FPDF, bullets: Sequence[str], width: float, size: float) -> float:
    indent = size * 1.2
    heights = [_text_h(pdf, width - indent, b, size) for b in bullets]
    return sum(heights) + size * 0.4 * (len(bullets) - 1)


def _draw_bullets(pdf: FPDF, bullets: Sequence[str], box: Box, size: float) -> None:
    indent = size * 1.2
    y = box.y
    for bullet in bullets:
        _font(pdf, size, color=ACCENT)
        pdf.set_xy(box.x, y)
        pdf.cell(indent, size * LINE, "•")
        y += _text(pdf, Box(box.x + indent, y, box.w - indent, 0), bullet, size)
        y += size * 0.4


def _comment_h(pdf: FPDF, comment: str, width: float, size: float, label: str) -> float:
    inner = width - 2 * BOX_PAD
    head = _text_h(pdf, inner, label or "Kommentar", size, bold=True)
    return head + 3 + _text_h(pdf, inner, comment, size) + 2 * BOX_PAD


def _draw_comment(pdf: FPDF, comment: str, box: Box, size: float, label: str) -> None:
    _rect(pdf, box, COMMENT_FILL, COMMENT_EDGE)
    inner = Box(box.x + BOX_PAD, box.y + BOX_PAD, box.w - 2 * BOX_PAD, 0)
    y = inner.y + _text(pdf, inner, label, size, bold=True, color=ACCENT) + 3
    _text(pdf, replace(inner, y=y), comment, size)


# --- images -----------------------------------------------------------------------------------


def _draw_images(pdf: FPDF, images: Sequence[Image], box: Box) -> None:
    """Images side by side, each scaled to fit its share of the area, keeping its aspect."""
    if box.h < MIN_DRAWN_IMAGE or box.w < MIN_DRAWN_IMAGE:
        return
    slot_w = (box.w - GAP * (len(images) - 1)) / len(images)
    for index, image in enumerate(images):
        width, height = layout.fit(image, slot_w, box.h)
        x = box.x + index * (slot_w + GAP) + (slot_w - width) / 2
        pdf.image(io.BytesIO(image.png), x=x, y=box.y, w=width, h=height, alt_text=image.alt)


def _images_h(images: Sequence[Image], box: Box) -> float:
    slot_w = (box.w - GAP * (len(images) - 1)) / len(images)
    return max(layout.fit(image, slot_w, box.h)[1] for image in images)


# --- tables -----------------------------------------------------------------------------------


def _natural_widths(pdf: FPDF, table: Table, size: float) -> list[float]:
    _font(pdf, size, bold=True)
    widths = [pdf.get_string_width(h) + 2 * CELL_PAD_X + 1 for h in table.header]
    _font(pdf, size)
    for row in table.rows:
        for c, text in enumerate(row[: len(widths)]):
            widths[c] = max(widths[c], pdf.get_string_width(text) + 2 * CELL_PAD_X + 1)
    return widths


def _table_area_w(pdf: FPDF, slide: Slide, width: float) -> float:
    """All the width, or (beside images) what the tables need, between 35 and 55 %."""
    if not slide.images:
        return width
    natural = max(sum(_natural_widths(pdf, t, TIERS[0].table[0])) for t in slide.tables)
    return min(max(natural, width * 0.35), width * 0.55)


def _col_widths(pdf: FPDF, table: Table, size: float, width: float) -> tuple[float, ...]:
    natural = _natural_widths(pdf, table, size)
    total = sum(natural)
    if total <= width:  # some air, up to a fifth more, where there is room
        return tuple(w * min(1.2, width / total) for w in natural)
    return layout.share_out(natural, width)


def _row_heights(
    pdf: FPDF, table: Table, size: float, widths: Sequence[float]
) -> tuple[float, ...]:
    heights = []
    for r, row in enumerate((table.header, *table.rows)):
        tallest = max(
            _text_h(pdf, widths[c] - 2 * CELL_PAD_X, text or " ", size, bold=r == 0)
            for c, text in enumerate(row[: len(widths)])
        )
        heights.append(tallest + 2 * CELL_PAD_Y)
    return tuple(heights)


def _try_fit(pdf: FPDF, table: Table, width: float, size: float, chunks: int) -> TableFit | None:
    """The table at ``size`` in ``chunks`` side-by-side parts; None when the parts would have to
    wrap text that a single table would not."""
    parts = layout.split(table, chunks)
    part_w = (width - GAP * (len(parts) - 1)) / len(parts)
    if chunks > 1 and any(sum(_natural_widths(pdf, p, size)) > part_w for p in parts):
        return None
    widths = tuple(_col_widths(pdf, p, size, part_w) for p in parts)
    heights = tuple(_row_heights(pdf, p, size, w) for p, w in zip(parts, widths, strict=True))
    return TableFit(size, parts, widths, heights)


def _fit_table(
    pdf: FPDF, table: Table, width: float, height: float, sizes: Sizes, *, strict: bool
) -> TableFit | None:
    """The largest font and fewest side-by-side parts that fit; with strict=False a last resort
    that cuts the table short at the smallest font."""
    for chunks in range(1, TABLE_MAX_CHUNKS + 1):
        if chunks > 1 and len(table.rows) < 2 * chunks:
            break
        for size in sizes.table:
            fit = _try_fit(pdf, table, width, size, chunks)
            if fit is not None and fit.height <= height:
                return fit
    if strict:
        return None
    return _truncated_fit(pdf, table, width, height, sizes.table[-1])


def _truncated_fit(
    pdf: FPDF, table: Table, width: float, height: float, size: float
) -> TableFit | None:
    """As many rows as fit, the rest counted in a last "… +N" row (None: not even one fits)."""
    for keep in range(len(table.rows) - 1, 0, -1):
        filler = ("…", f"+{len(table.rows) - keep}") + ("",) * max(0, len(table.header) - 2)
        cut = replace(table, rows=(*table.rows[:keep], filler[: len(table.header)]))
        for chunks in range(TABLE_MAX_CHUNKS, 0, -1):
            fit = _try_fit(pdf, cut, width, size, chunks)
            if fit is not None and fit.height <= height:
                return fit
    return None


def _fit_tables(
    pdf: FPDF, tables: Sequence[Table], box: Box, sizes: Sizes, *, strict: bool
) -> list[TableFit] | None:
    """Tables stacked top to bottom, each given height in proportion to its rows (at least what
    it needs, leaving what the next ones need; what one does not use goes to the next). None
    when one does not fit (strict), else those that fit at all."""
    weights = [len(t.rows) + 1 for t in tables]
    needs = [_least_height(pdf, t, box.w, sizes.table[-1]) for t in tables]
    free = box.h - GAP * (len(tables) - 1)
    fits = []
    for i, table in enumerate(tables):
        share = max(free * weights[i] / sum(weights[i:]), needs[i])
        share = min(share, free - sum(needs[i + 1 :]))
        fit = _fit_table(pdf, table, box.w, share, sizes, strict=strict)
        if fit is None and strict:
            return None
        if fit is not None:
            fits.append(fit)
            free -= fit.height
    return fits


def _least_height(pdf: FPDF, table: Table, width: float, size: float) -> float:
    """The header and one row at the smallest font: what a table needs at least."""
    first = replace(table, rows=table.rows[:1])
    return sum(_row_heights(pdf, first, size, _col_widths(pdf, first, size, width)))


def _draw_tables(pdf: FPDF, fits: Sequence[TableFit], box: Box) -> None:
    y = box.y
    for fit in fits:
        x = box.x
        for part, widths in zip(fit.chunks, fit.widths, strict=True):
            _draw_table(pdf, part, x, y, fit.size, widths)
            x += sum(widths) + GAP
        y += fit.height + GAP


def _draw_table(
    pdf: FPDF, table: Table, x: float, y: float, size: float, widths: Sequence[float]
) -> None:
    _font(pdf, size)
    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(*WHITE)
    pdf.set_line_width(0.4)
    pdf.set_xy(x, y)
    align = tuple("RIGHT" if c in table.numeric else "LEFT" for c in range(len(table.header)))
    heading = FontFace(emphasis="BOLD", color=WHITE, fill_color=ACCENT)
    with pdf.table(
        width=sum(widths),
        col_widths=tuple(widths),
        align="LEFT",
        text_align=align,
        v_align="MIDDLE",
        line_height=size * LINE,
        padding=(CELL_PAD_Y, CELL_PAD_X),
        headings_style=heading,
        cell_fill_color=BAND,
        cell_fill_mode="ROWS",
        borders_layout="HORIZONTAL_LINES",
        repeat_headings=0,
    ) as grid:
        for row in (table.header, *table.rows):
            cells = [row[c] if c < len(row) else "" for c in range(len(table.header))]
            grid.row(cells)
