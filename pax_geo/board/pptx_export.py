"""The lägesbild as a PowerPoint file (python-pptx), drawn from the same slides as every other form.

16:9, one PowerPoint slide per :class:`~pax_geo.board.model.Slide`, in order. Every slide has its
title in a real title placeholder (the default template's "Title Only" layout), the rest in text
boxes, native tables and pictures laid out top to bottom with computed heights, so nothing runs
off the slide: all text is set in Arial and wrapped with Arial's glyph widths, smaller body
font tiers are tried when a slide is full, tables split into side-by-side parts (header
repeated) before their font goes below 14 pt and never go below 11 pt, images get what is left.
The presenter's comment always goes into the speaker notes, and onto the slide where there is
room (beside images, or under tables). An overfull slide leaves out what does not fit (last
bullets, table rows counted in a "… +N" row, tiny images) rather than run off the slide.

Equal decks give equal bytes: the core properties' dates come from ``deck.generated`` (or a
fixed epoch) and the zip is rewritten with fixed member timestamps.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from fpdf.fonts import CORE_FONTS_CHARWIDTHS
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt

from pax_geo.board import layout
from pax_geo.board.model import Deck, Image, KeyFigure, Slide, Table

# Geometry in points (1 pt = 12 700 EMU); the slide is 13.333 x 7.5 in.
SLIDE_W = 960.0
SLIDE_H = 540.0
MARGIN = 36.0
GAP = 12.0
TOP = 22.0
FOOTER_H = 18.0
FOOTER_Y = SLIDE_H - FOOTER_H - 10.0
CONTENT_W = SLIDE_W - 2 * MARGIN

#: Every run is set in Arial (on every PowerPoint; LibreOffice maps it to the metric-compatible
#: Liberation Sans), so text widths can be computed from Helvetica's metrics, which fpdf2 ships.
FONT_NAME = "Arial"
_WIDTHS = {False: CORE_FONTS_CHARWIDTHS["helvetica"], True: CORE_FONTS_CHARWIDTHS["helveticaB"]}
SAFETY = 1.04
LINE = 1.2  # PowerPoint's single line spacing for Arial is ~1.15 x the size

TITLE_PT = 36.0
TITLE_MIN_PT = 32.0
SUBTITLE_PT = 20.0
FOOTER_PT = 12.0
NOTE_PT = 12.0
BOX_PAD = 9.0
TABLE_SIZES = (16.0, 15.0, 14.0, 13.0, 12.0, 11.0)
TABLE_MAX_CHUNKS = 4
CELL_PAD_X = 5.0
CELL_PAD_Y = 2.5
MIN_IMAGE_H = 150.0
MIN_DRAWN_IMAGE = 40.0  # an overfull slide leaves out images smaller than this
COMMENT_SIDE_W = 300.0
MAX_FIGURE_W = 300.0


@dataclass(frozen=True)
class Sizes:
    """Font sizes of the slide body; smaller tiers are tried when the content does not fit."""

    value: float
    label: float
    line: float
    bullet: float
    comment: float


TIERS = (
    Sizes(value=40, label=18, line=16, bullet=22, comment=18),
    Sizes(value=36, label=17, line=16, bullet=20, comment=16),
    Sizes(value=32, label=16, line=16, bullet=18, comment=16),
    Sizes(value=28, label=16, line=16, bullet=16, comment=16),
)

INK = RGBColor(0x1F, 0x29, 0x33)
MUTED = RGBColor(0x55, 0x60, 0x6E)
ACCENT = RGBColor(0x2F, 0x4A, 0x6D)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
BAND = RGBColor(0xF2, 0xF4, 0xF7)
RULE = RGBColor(0xC5, 0xCC, 0xD6)
COMMENT_FILL = RGBColor(0xFB, 0xF6, 0xE9)
COMMENT_EDGE = RGBColor(0xC9, 0xB9, 0x8A)
MARK_FILL = RGBColor(0xF8, 0xE6, 0xE3)
MARK_INK = RGBColor(0x8E, 0x2B, 0x22)

#: tone -> (fill, edge, value colour): more incidents ("up") is a muted red, fewer a muted green.
TONES: dict[str, tuple[RGBColor, RGBColor, RGBColor]] = {
    "up": (RGBColor(0xF5, 0xE1, 0xDE), RGBColor(0xB0, 0x48, 0x3C), RGBColor(0x9A, 0x3B, 0x30)),
    "down": (RGBColor(0xDF, 0xEE, 0xE3), RGBColor(0x3E, 0x7D, 0x55), RGBColor(0x2F, 0x6B, 0x45)),
    "": (RGBColor(0xEC, 0xEE, 0xF1), RGBColor(0x8A, 0x94, 0xA0), RGBColor(0x3A, 0x44, 0x50)),
}

FIXED_EPOCH = dt.datetime(2000, 1, 1)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(frozen=True)
class Para:
    text: str
    size: float
    bold: bool = False
    italic: bool = False
    color: RGBColor = INK
    align: PP_ALIGN = PP_ALIGN.LEFT
    bullet: bool = False
    space_before: float = 0.0


@dataclass(frozen=True)
class TableFit:
    size: float
    chunks: tuple[Table, ...]
    widths: tuple[tuple[float, ...], ...]
    heights: tuple[tuple[float, ...], ...]

    @property
    def height(self) -> float:
        return max(sum(h) for h in self.heights)


# --- public -----------------------------------------------------------------------------------


def to_pptx(deck: Deck) -> bytes:
    """The deck as a .pptx file: one 16:9 slide per Slide, comments in the speaker notes."""
    prs = Presentation()
    _widen_template(prs, SLIDE_W / (prs.slide_width / 12700))
    prs.slide_width = _emu(SLIDE_W)
    prs.slide_height = _emu(SLIDE_H)
    layout = _title_only_layout(prs)
    n = len(deck.slides)
    for i, data in enumerate(deck.slides, start=1):
        slide = prs.slides.add_slide(layout)
        _draw_slide(slide, deck, data, i, n)
    stamp = _stamp(deck.generated)
    _set_core_properties(prs, deck, stamp)
    buf = io.BytesIO()
    prs.save(buf)
    return _normalise_zip(buf.getvalue(), stamp)


# --- the presentation -------------------------------------------------------------------------


def _emu(pt: float) -> Emu:
    return Emu(int(pt * 12700))


def _title_only_layout(prs: Any) -> Any:
    for slide_layout in prs.slide_layouts:
        if slide_layout.name == "Title Only":
            return slide_layout
    return prs.slide_layouts[5]


def _widen_template(prs: Any, factor: float) -> None:
    """Stretch the 4:3 template's master and layouts to 16:9, so slides added later fit too."""
    # Layouts first: an unpositioned layout placeholder reads its master's (not yet widened) box.
    holders = [*prs.slide_layouts, prs.slide_master]
    for holder in holders:
        for shape in holder.shapes:
            if shape.left is not None and shape.width is not None:
                shape.left = Emu(int(shape.left * factor))
                shape.width = Emu(int(shape.width * factor))


def _stamp(generated: str) -> dt.datetime:
    """A fixed timestamp for the file from ``deck.generated`` (naive UTC), else a fixed epoch."""
    text = generated.strip().replace("kl.", "").replace("  ", " ")
    for candidate in (text, text[:16], text[:10]):
        try:
            when = dt.datetime.fromisoformat(candidate)
        except ValueError:
            continue
        if when.tzinfo is not None:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
        if when.year >= 1980:
            return when.replace(microsecond=0)
    return FIXED_EPOCH


def _set_core_properties(prs: Any, deck: Deck, stamp: dt.datetime) -> None:
    props = prs.core_properties
    props.title = deck.title
    props.author = deck.presenter
    props.last_modified_by = deck.presenter
    props.subject = " · ".join(p for p in (deck.municipality, deck.period_label) if p)
    props.revision = 1
    props.created = stamp
    props.modified = stamp
    props.last_printed = stamp


def _normalise_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite the package with fixed member timestamps (python-pptx stamps them with now)."""
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


# --- text estimates ---------------------------------------------------------------------------


def _text_w(text: str, size: float, bold: bool = False) -> float:
    """Width of one line of ``text`` in Arial (Helvetica's metrics), a little generous."""
    table = _WIDTHS[bold]
    return sum(table.get(ch, 600) for ch in text) * size / 1000 * SAFETY


def _line_count(text: str, width: float, size: float, bold: bool = False) -> int:
    """Lines a text needs when wrapped at word boundaries in ``width`` points."""
    space = _text_w(" ", size, bold)
    total = 0
    for para in text.split("\n"):
        lines, used = 1, 0.0
        for word in para.split():
            word_w = _text_w(word, size, bold)
            need = word_w if used == 0 else used + space + word_w
            if need <= width:
                used = need
                continue
            if used:
                lines += 1
            broken = int(word_w // width) if word_w > width else 0  # a too long word breaks
            lines += broken
            used = word_w - broken * width
        total += lines
    return max(total, 1)


def _paras_h(paras: Sequence[Para], width: float) -> float:
    height = 0.0
    for p in paras:
        text_w = width - (_bullet_indent(p.size) if p.bullet else 0.0)
        height += p.space_before + _line_count(p.text, text_w, p.size, p.bold) * p.size * LINE
    return height


def _bullet_indent(size: float) -> float:
    return size * 1.1


# --- drawing primitives -----------------------------------------------------------------------


def _text_box(
    slide: Any,
    box: Box,
    paras: Sequence[Para],
    *,
    name: str,
    pad: float = 0.0,
    fill: RGBColor | None = None,
    edge: RGBColor | None = None,
    anchor: MSO_ANCHOR = MSO_ANCHOR.TOP,
) -> Any:
    if fill is None and edge is None:
        shape = slide.shapes.add_textbox(_emu(box.x), _emu(box.y), _emu(box.w), _emu(box.h))
    else:
        shape = slide.shapes.add_shape(
            MSO_SHAPE.RECTANGLE, _emu(box.x), _emu(box.y), _emu(box.w), _emu(box.h)
        )
        shape.shadow.inherit = False
        _style_fill(shape, fill, edge)
    shape.name = name
    frame = shape.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = anchor
    for side in ("margin_left", "margin_right", "margin_top", "margin_bottom"):
        setattr(frame, side, _emu(pad))
    _fill_paragraphs(frame, paras)
    return shape


def _style_fill(shape: Any, fill: RGBColor | None, edge: RGBColor | None) -> None:
    if fill is None:
        shape.fill.background()
    else:
        shape.fill.solid()
        shape.fill.fore_color.rgb = fill
    if edge is None:
        shape.line.fill.background()
    else:
        shape.line.color.rgb = edge
        shape.line.width = Pt(1.25)


def _fill_paragraphs(frame: Any, paras: Sequence[Para]) -> None:
    for index, p in enumerate(paras):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.alignment = p.align
        if p.space_before:
            paragraph.space_before = Pt(p.space_before)
        if p.bullet:
            _make_bullet(paragraph, _bullet_indent(p.size))
        run = paragraph.add_run()
        run.text = p.text
        font = run.font
        font.name = FONT_NAME
        font.size = Pt(p.size)
        font.bold = p.bold
        font.italic = p.italic
        font.color.rgb = p.color


def _make_bullet(paragraph: Any, indent: float) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    ppr.set("marL", str(int(_emu(indent))))
    ppr.set("indent", str(-int(_emu(indent))))
    ppr.append(ppr.makeelement(qn("a:buFont"), {"typeface": "Arial"}))
    ppr.append(ppr.makeelement(qn("a:buChar"), {"char": "•"}))


# --- one slide --------------------------------------------------------------------------------


def _draw_slide(slide: Any, deck: Deck, data: Slide, i: int, n: int) -> None:
    bottom = _draw_footer(slide, deck, i, n)
    bottom = _draw_note(slide, data.note, bottom)
    if data.key == "title":
        top = _draw_title_slide(slide, deck, data)
    else:
        top = _draw_heading(slide, data)
    if top < bottom:
        body = Box(MARGIN, top, CONTENT_W, bottom - top)
        _draw_body(slide, data, body, _comment_label(deck))
    _set_notes(slide, data.comment)


def _draw_footer(slide: Any, deck: Deck, i: int, n: int) -> float:
    """The footer line (municipality, period, data date, marking) and the counter; returns the
    top of the footer, the lowest y the content may reach."""
    counter_w = 110.0
    rule = slide.shapes.add_connector(
        MSO_CONNECTOR.STRAIGHT,
        _emu(MARGIN),
        _emu(FOOTER_Y - 4),
        _emu(SLIDE_W - MARGIN),
        _emu(FOOTER_Y - 4),
    )
    rule.name = "Footer rule"
    rule.line.color.rgb = RULE
    rule.line.width = Pt(0.75)
    footer = Para(deck.footer, FOOTER_PT, color=MUTED)
    text_w = CONTENT_W - counter_w - GAP
    _text_box(slide, Box(MARGIN, FOOTER_Y, text_w, FOOTER_H), [footer], name="Footer")
    counter = Para(f"{deck.slide_label} {i}/{n}", FOOTER_PT, color=MUTED, align=PP_ALIGN.RIGHT)
    box = Box(SLIDE_W - MARGIN - counter_w, FOOTER_Y, counter_w, FOOTER_H)
    _text_box(slide, box, [counter], name="Slide counter")
    return FOOTER_Y - 10.0


def _draw_note(slide: Any, note: str, bottom: float) -> float:
    if not note:
        return bottom
    paras = [Para(note, NOTE_PT, italic=True, color=MUTED)]
    height = _paras_h(paras, CONTENT_W)
    box = Box(MARGIN, bottom - height, CONTENT_W, height)
    _text_box(slide, box, paras, name="Note")
    return box.y - GAP


def _draw_heading(slide: Any, data: Slide) -> float:
    """The title placeholder and the subtitle under it; returns where the body starts."""
    size = TITLE_PT
    if _line_count(data.title, CONTENT_W, size, bold=True) > 1:
        size = TITLE_MIN_PT
    height = _line_count(data.title, CONTENT_W, size, bold=True) * size * LINE + 4
    _set_title(slide, data.title, Box(MARGIN, TOP, CONTENT_W, height), size)
    y = TOP + height
    if data.subtitle:
        paras = [Para(data.subtitle, SUBTITLE_PT, color=MUTED)]
        sub_h = _paras_h(paras, CONTENT_W)
        _text_box(slide, Box(MARGIN, y + 2, CONTENT_W, sub_h), paras, name="Subtitle")
        y += sub_h + 2
    return y + GAP + 4


def _set_title(slide: Any, text: str, box: Box, size: float, color: RGBColor = INK) -> None:
    title = slide.shapes.title
    title.left, title.top = _emu(box.x), _emu(box.y)
    title.width, title.height = _emu(box.w), _emu(box.h)
    frame = title.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = MSO_ANCHOR.TOP
    for side in ("margin_left", "margin_right", "margin_top", "margin_bottom"):
        setattr(frame, side, Emu(0))
    frame.text = text
    paragraph = frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.LEFT
    for run in paragraph.runs:
        run.font.name = FONT_NAME
        run.font.size = Pt(size)
        run.font.bold = True
        run.font.color.rgb = color


def _generated_label(deck: Deck) -> str:
    return "Generated" if deck.slide_label == "Slide" else "Skapad"


def _comment_label(deck: Deck) -> str:
    return "Comment" if deck.slide_label == "Slide" else "Kommentar"


def _draw_title_slide(slide: Any, deck: Deck, data: Slide) -> float:
    """The opening slide: the deck's title big, who and what it covers, and the marking."""
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, _emu(SLIDE_W), _emu(14))
    band.name = "Title band"
    band.shadow.inherit = False
    _style_fill(band, ACCENT, None)
    title_lines = _line_count(data.title, CONTENT_W, 44, bold=True)
    title_size = 44.0 if title_lines == 1 else 36.0
    title_h = _line_count(data.title, CONTENT_W, title_size, bold=True) * title_size * LINE + 4
    paras = _title_slide_paras(deck, data)
    info_h = _paras_h(paras, CONTENT_W)
    mark_w = min(CONTENT_W, _text_w(deck.marking, 20, bold=True) + 2 * BOX_PAD + 8)
    mark_para = Para(deck.marking, 20, bold=True, color=MARK_INK)
    mark_h = _paras_h([mark_para], mark_w - 2 * BOX_PAD) + 2 * BOX_PAD if deck.marking else 0.0
    total = title_h + 10 + info_h + (GAP * 2 + mark_h if deck.marking else 0.0)
    if data.comment:
        total += 2 * GAP + _comment_h(data.comment, CONTENT_W, TIERS[0].comment, "")
    has_body = bool(data.key_figures or data.bullets or data.tables or data.images)
    y = 48.0 if has_body else max(48.0, (FOOTER_Y - 20 - total) / 2)
    _set_title(slide, data.title, Box(MARGIN, y, CONTENT_W, title_h), title_size, ACCENT)
    y += title_h + 10
    _text_box(slide, Box(MARGIN, y, CONTENT_W, info_h), paras, name="Title details")
    y += info_h
    if deck.marking:
        box = Box(MARGIN, y + 2 * GAP, mark_w, mark_h)
        _text_box(
            slide,
            box,
            [mark_para],
            name="Marking",
            pad=BOX_PAD,
            fill=MARK_FILL,
            edge=MARK_INK,
            anchor=MSO_ANCHOR.MIDDLE,
        )
        y = box.bottom
    return y + 2 * GAP


def _title_slide_paras(deck: Deck, data: Slide) -> list[Para]:
    paras: list[Para] = []
    if deck.title and deck.title != data.title:
        paras.append(Para(deck.title, 28, bold=True))
    if data.subtitle:
        paras.append(Para(data.subtitle, 24, color=MUTED))
    if deck.municipality:
        paras.append(Para(deck.municipality, 28, bold=True, space_before=8))
    if deck.period_label:
        paras.append(Para(deck.period_label, 24, space_before=4))
    if deck.presenter:
        paras.append(Para(deck.presenter, 20, space_before=10))
    if deck.generated:
        generated = f"{_generated_label(deck)} {deck.generated}"
        paras.append(Para(generated, 18, color=MUTED, space_before=4))
    return paras


def _set_notes(slide: Any, comment: str) -> None:
    if not comment:
        return
    frame = slide.notes_slide.notes_text_frame
    if frame is not None:
        frame.text = comment


# --- the body: key figures, bullets, tables and images, comment -----------------------------


def _draw_body(slide: Any, data: Slide, box: Box, label: str) -> None:
    sizes = _body_sizes(data, box)
    y = box.y
    if data.key_figures:
        kf_box = Box(box.x, y, box.w, box.h)
        y += _draw_key_figures(slide, data.key_figures, kf_box, sizes) + GAP
    if data.bullets:
        paras = _bullets_that_fit(data.bullets, sizes.bullet, box.w, box.bottom - y)
        if paras:
            height = _paras_h(paras, box.w)
            _text_box(slide, Box(box.x, y, box.w, height), paras, name="Bullets")
            y += height + GAP
    rest = Box(box.x, y, box.w, max(box.bottom - y, 0))
    _draw_media_and_comment(slide, data, rest, sizes, label)


def _body_sizes(data: Slide, box: Box) -> Sizes:
    """The largest tier whose text leaves room for tables at 14 pt or more; failing that, the
    largest that leaves room for tables at all; failing that, the smallest."""
    for preferred in (True, False):
        for sizes in TIERS:
            if _body_fits(data, box, sizes, preferred=preferred):
                return sizes
    return TIERS[-1]


def _body_fits(data: Slide, box: Box, sizes: Sizes, *, preferred: bool) -> bool:
    """Whether key figures and bullets leave enough room for the slide's tables and images."""
    used = 0.0
    if data.key_figures:
        used += _key_figures_h(data.key_figures, box.w, sizes) + GAP
    if data.bullets:
        used += _paras_h(_bullet_paras(data.bullets, sizes.bullet), box.w) + GAP
    rest = box.h - used
    if data.tables:
        width = _table_area_w(data, box.w)
        fits = _fit_tables(data.tables, width, rest, strict=True, preferred=preferred)
        return fits is not None and (not data.images or rest >= MIN_IMAGE_H)
    if data.images:
        return rest >= MIN_IMAGE_H
    return rest >= 0


def _bullets_that_fit(
    bullets: Sequence[str], size: float, width: float, height: float
) -> list[Para]:
    """The bullets, or (on an overfull slide) the first ones that fit and an ellipsis."""
    paras = _bullet_paras(bullets, size)
    if _paras_h(paras, width) <= height:
        return paras
    for keep in range(len(bullets) - 1, 0, -1):
        paras = _bullet_paras([*bullets[:keep], "…"], size)
        if _paras_h(paras, width) <= height:
            return paras
    return []


def _bullet_paras(bullets: Sequence[str], size: float) -> list[Para]:
    return [
        Para(b, size, bullet=True, space_before=0 if i == 0 else size * 0.35)
        for i, b in enumerate(bullets)
    ]


def _figure_paras(fig: KeyFigure, sizes: Sizes) -> list[Para]:
    value_color = TONES.get(fig.tone, TONES[""])[2]
    paras = [
        Para(fig.value, sizes.value, bold=True, color=value_color),
        Para(fig.label, sizes.label, bold=True),
    ]
    paras += [Para(line, sizes.line, color=MUTED, space_before=2) for line in fig.lines]
    return paras


def _figure_grid(count: int, width: float) -> tuple[int, float]:
    rows = math.ceil(count / 4)
    per_row = math.ceil(count / rows)
    return per_row, min((width - (per_row - 1) * GAP) / per_row, MAX_FIGURE_W)


def _key_figures_h(figures: Sequence[KeyFigure], width: float, sizes: Sizes) -> float:
    per_row, fig_w = _figure_grid(len(figures), width)
    total = 0.0
    for start in range(0, len(figures), per_row):
        row = figures[start : start + per_row]
        total += _figure_row_h(row, fig_w, sizes) + (GAP if start else 0.0)
    return total


def _figure_row_h(row: Sequence[KeyFigure], fig_w: float, sizes: Sizes) -> float:
    inner = fig_w - 2 * BOX_PAD
    return max(_paras_h(_figure_paras(f, sizes), inner) for f in row) + 2 * BOX_PAD


def _draw_key_figures(slide: Any, figures: Sequence[KeyFigure], box: Box, sizes: Sizes) -> float:
    """Key figure boxes in rows of up to four; rows that would not fit in the box are left out.
    Returns the height used."""
    per_row, fig_w = _figure_grid(len(figures), box.w)
    y = box.y
    for start in range(0, len(figures), per_row):
        row = figures[start : start + per_row]
        row_h = _figure_row_h(row, fig_w, sizes)
        if y + row_h > box.bottom:
            break
        for col, fig in enumerate(row):
            fill, edge, _ = TONES.get(fig.tone, TONES[""])
            cell = Box(box.x + col * (fig_w + GAP), y, fig_w, row_h)
            _text_box(
                slide,
                cell,
                _figure_paras(fig, sizes),
                name=f"Key figure {start + col + 1}",
                pad=BOX_PAD,
                fill=fill,
                edge=edge,
            )
        y += row_h + GAP
    return max(y - GAP - box.y, 0.0)


def _comment_paras(comment: str, size: float, label: str) -> list[Para]:
    head = Para(label, size, bold=True, color=ACCENT)
    return [head] + [Para(line, size, space_before=3) for line in comment.split("\n") if line]


def _draw_comment(slide: Any, comment: str, box: Box, size: float, label: str) -> None:
    _text_box(
        slide,
        box,
        _comment_paras(comment, size, label),
        name="Comment",
        pad=BOX_PAD,
        fill=COMMENT_FILL,
        edge=COMMENT_EDGE,
    )


def _comment_h(comment: str, width: float, size: float, label: str) -> float:
    return _paras_h(_comment_paras(comment, size, label), width - 2 * BOX_PAD) + 2 * BOX_PAD


def _draw_media_and_comment(slide: Any, data: Slide, box: Box, sizes: Sizes, label: str) -> None:
    """Tables and images in the remaining area; the comment under them, beside images, or (when
    there is no room) only in the speaker notes."""
    comment, media = _place_comment(data, box, sizes.comment, label)
    used = 0.0
    if data.images and data.tables:
        table_w = _table_area_w(data, media.w)
        image_box = Box(media.x, media.y, media.w - table_w - GAP, media.h)
        table_box = Box(image_box.x + image_box.w + GAP, media.y, table_w, media.h)
        used = max(
            _draw_images(slide, data.images, image_box), _draw_tables(slide, data.tables, table_box)
        )
    elif data.images:
        used = _draw_images(slide, data.images, media)
    elif data.tables:
        used = _draw_tables(slide, data.tables, media)
    if comment is None:
        return
    if comment.w == box.w and (data.images or data.tables):
        comment = replace(comment, y=media.y + used + GAP)  # right under what is drawn
    _draw_comment(slide, data.comment, comment, sizes.comment, label)


def _place_comment(data: Slide, box: Box, size: float, label: str) -> tuple[Box | None, Box]:
    """Where the comment fits (None: only in the notes) and the area left for the media."""
    if not data.comment:
        return None, box
    below_h = _comment_h(data.comment, box.w, size, label)
    below = Box(box.x, box.bottom - below_h, box.w, below_h)
    rest = Box(box.x, box.y, box.w, box.h - below_h - GAP)
    if not data.images and not data.tables:
        return (Box(box.x, box.y, box.w, below_h) if below_h <= box.h else None), box
    if data.images and not data.tables:
        side_h = _comment_h(data.comment, COMMENT_SIDE_W, size, label)
        if side_h <= box.h:
            side = Box(box.x + box.w - COMMENT_SIDE_W, box.y, COMMENT_SIDE_W, side_h)
            return side, Box(box.x, box.y, box.w - COMMENT_SIDE_W - GAP, box.h)
        return (below, rest) if rest.h >= MIN_IMAGE_H else (None, box)
    width = _table_area_w(data, box.w)
    fits = _fit_tables(data.tables, width, rest.h, strict=True, preferred=True) is not None
    if fits and (not data.images or rest.h >= MIN_IMAGE_H):
        return below, rest
    return None, box


# --- images -----------------------------------------------------------------------------------


def _draw_images(slide: Any, images: Sequence[Image], box: Box) -> float:
    """Images side by side, each scaled to fit its share of the area, keeping its aspect;
    returns the height used."""
    if box.h < MIN_DRAWN_IMAGE or box.w < MIN_DRAWN_IMAGE:
        return 0.0
    used = 0.0
    slot_w = (box.w - GAP * (len(images) - 1)) / len(images)
    for index, image in enumerate(images):
        width, height = layout.fit(image, slot_w, box.h)
        x = box.x + index * (slot_w + GAP) + (slot_w - width) / 2
        picture = slide.shapes.add_picture(
            io.BytesIO(image.png), _emu(x), _emu(box.y), _emu(width), _emu(height)
        )
        picture.name = f"Image {image.key}"
        picture._element.nvPicPr.cNvPr.set("descr", image.alt)
        used = max(used, height)
    return used


# --- tables -----------------------------------------------------------------------------------


def _cell_w(text: str, size: float, bold: bool) -> float:
    return _text_w(text, size, bold) + 2 * CELL_PAD_X + 2


def _natural_widths(table: Table, size: float) -> list[float]:
    widths = [_cell_w(h, size, True) for h in table.header]
    for row in table.rows:
        for c, text in enumerate(row[: len(widths)]):
            widths[c] = max(widths[c], _cell_w(text, size, False))
    return widths


def _table_area_w(data: Slide, width: float) -> float:
    """The width tables get: all of it, or (beside images) what they need up to 55 %."""
    if not data.images:
        return width
    natural = max(sum(_natural_widths(t, 14.0)) for t in data.tables)
    return min(max(natural, width * 0.35), width * 0.55)


def _col_widths(table: Table, size: float, width: float) -> tuple[float, ...]:
    natural = _natural_widths(table, size)
    total = sum(natural)
    if total <= width:  # some air, up to a fifth more, where there is room
        return tuple(w * min(1.2, width / total) for w in natural)
    return layout.share_out(natural, width)


def _row_heights(table: Table, size: float, widths: Sequence[float]) -> tuple[float, ...]:
    heights = []
    for r, row in enumerate((table.header, *table.rows)):
        lines = max(
            _line_count(text, widths[c] - 2 * CELL_PAD_X - 2, size, bold=r == 0)
            for c, text in enumerate(row[: len(widths)])
        )
        heights.append(lines * size * LINE + 2 * CELL_PAD_Y + 2)
    return tuple(heights)


def _fit_table(
    table: Table, width: float, height: float, *, strict: bool, preferred: bool = False
) -> TableFit | None:
    """The largest font and fewest side-by-side parts that fit: 16..14 pt in up to four parts
    first, then (unless ``preferred``) down to 11 pt. With strict=False a last resort drops the
    rows that do not fit at 11 pt."""
    big = tuple(s for s in TABLE_SIZES if s >= 14.0)
    small = tuple(s for s in TABLE_SIZES if s < 14.0)
    for sizes in (big,) if preferred else (big, small):
        for chunks in range(1, TABLE_MAX_CHUNKS + 1):
            if chunks > 1 and len(table.rows) < 2 * chunks:
                break
            for size in sizes:
                fit = _try_fit(table, width, size, chunks)
                if fit is not None and fit.height <= height:
                    return fit
    if strict:
        return None
    return _truncated_fit(table, width, height)


def _try_fit(table: Table, width: float, size: float, chunks: int) -> TableFit | None:
    """The table at ``size`` in ``chunks`` side-by-side parts; None when the parts would have to
    wrap text that a single table would not."""
    parts = layout.split(table, chunks)
    part_w = (width - GAP * (len(parts) - 1)) / len(parts)
    if chunks > 1 and any(sum(_natural_widths(p, size)) > part_w for p in parts):
        return None
    widths = tuple(_col_widths(p, size, part_w) for p in parts)
    heights = tuple(_row_heights(p, size, w) for p, w in zip(parts, widths, strict=True))
    return TableFit(size, parts, widths, heights)


def _truncated_fit(table: Table, width: float, height: float) -> TableFit | None:
    """As many rows as fit at the smallest font, the rest counted in a last "… +N" row (None
    when not even one row fits)."""
    size = TABLE_SIZES[-1]
    for keep in range(len(table.rows) - 1, 0, -1):
        filler = ("…", f"+{len(table.rows) - keep}") + ("",) * max(0, len(table.header) - 2)
        cut = replace(table, rows=(*table.rows[:keep], filler[: len(table.header)]))
        for chunks in range(TABLE_MAX_CHUNKS, 0, -1):
            fit = _try_fit(cut, width, size, chunks)
            if fit is not None and fit.height <= height:
                return fit
    return None


def _fit_tables(
    tables: Sequence[Table], width: float, height: float, *, strict: bool, preferred: bool = False
) -> list[TableFit] | None:
    """Tables stacked top to bottom, each given height in proportion to its rows (at least what
    it needs, leaving what the next ones need; what one does not use goes to the next). None
    when one does not fit (strict), else those that fit at all."""
    weights = [len(t.rows) + 1 for t in tables]
    needs = [_least_height(t, width) for t in tables]
    free = height - GAP * (len(tables) - 1)
    fits = []
    for i, table in enumerate(tables):
        share = max(free * weights[i] / sum(weights[i:]), needs[i])
        share = min(share, free - sum(needs[i + 1 :]))
        fit = _fit_table(table, width, share, strict=strict, preferred=preferred)
        if fit is None and strict:
            return None
        if fit is not None:
            fits.append(fit)
            free -= fit.height
    return fits


def _least_height(table: Table, width: float) -> float:
    """The header and one row at the smallest font: what a table needs at least."""
    first = replace(table, rows=table.rows[:1])
    size = TABLE_SIZES[-1]
    return sum(_row_heights(first, size, _col_widths(first, size, width)))


def _draw_tables(slide: Any, tables: Sequence[Table], box: Box) -> float:
    """Draw the tables stacked in the box; returns the height used."""
    fits = _fit_tables(tables, box.w, box.h, strict=False) or []
    y = box.y
    for index, fit in enumerate(fits, start=1):
        x = box.x
        for part, widths, heights in zip(fit.chunks, fit.widths, fit.heights, strict=True):
            _draw_table(
                slide,
                part,
                Box(x, y, sum(widths), sum(heights)),
                fit.size,
                widths,
                heights,
                name=f"Table {index}",
            )
            x += sum(widths) + GAP
        y += fit.height + GAP
    return max(y - GAP - box.y, 0.0)


def _draw_table(
    slide: Any,
    table: Table,
    box: Box,
    size: float,
    widths: Sequence[float],
    heights: Sequence[float],
    *,
    name: str,
) -> None:
    rows = (table.header, *table.rows)
    frame = slide.shapes.add_table(
        len(rows), len(table.header), _emu(box.x), _emu(box.y), _emu(box.w), _emu(box.h)
    )
    frame.name = name
    grid = frame.table
    grid.first_row = True
    grid.horz_banding = False
    for c, width in enumerate(widths):
        grid.columns[c].width = _emu(width)
    for r, (row, height) in enumerate(zip(rows, heights, strict=True)):
        grid.rows[r].height = _emu(height)
        for c in range(len(table.header)):
            text = row[c] if c < len(row) else ""
            _style_cell(
                grid.cell(r, c),
                text,
                size,
                header=r == 0,
                numeric=c in table.numeric,
                banded=r % 2 == 0,
            )


def _style_cell(
    cell: Any, text: str, size: float, *, header: bool, numeric: bool, banded: bool
) -> None:
    cell.fill.solid()
    cell.fill.fore_color.rgb = ACCENT if header else (BAND if banded else WHITE)
    cell.margin_left = cell.margin_right = _emu(CELL_PAD_X)
    cell.margin_top = cell.margin_bottom = _emu(CELL_PAD_Y)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame = cell.text_frame
    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.RIGHT if numeric else PP_ALIGN.LEFT
    run = paragraph.add_run()
    run.text = text
    run.font.name = FONT_NAME
    run.font.size = Pt(size)
    run.font.bold = header
    run.font.color.rgb = WHITE if header else INK
