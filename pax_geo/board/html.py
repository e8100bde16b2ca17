"""The lägesbild as full-screen HTML slides for presentation mode (a board room's projector).

:func:`slides_html` draws every :class:`~pax_geo.board.model.Slide` of a deck as one
``<section class="pax-slide">`` inside a ``<div class="pax-deck">``; :data:`SLIDES_CSS` lays
them out to fill the viewport and :data:`SLIDES_JS` moves between them with the keyboard, a
presenter's clicker or clicks. No Streamlit here: :mod:`pax_geo.ui.presentation` mounts the
three as a component, and any other page could show them as they are.

Every text of the deck is HTML-escaped; images are inline ``data:`` URIs with their alt text.

Design for a projector: white background, near-black text (contrast about 18:1), one accent
colour (deep blue), type sized in viewport units (``--u`` is 1 % of the viewport height on a
16:9 screen and shrinks with the width on a narrower one), so a slide looks the same at
1920x1080 and 1280x720 and always fits in one screen without scrolling. :func:`plan` puts a
slide's images, tables and text where the images come out largest (beside the text, or above
it); should a slide's text still not fit (a long comment), the script shrinks that column's
text a little at a time (``--fitc``, then the whole body's ``--fit``), never the title, and lets a
table set small for its many rows grow back while its column has room.

Keys: next = ArrowRight, ArrowDown, PageDown, Space, Enter; previous = ArrowLeft, ArrowUp,
PageUp, Backspace (a presenter's clicker sends PageUp/PageDown); Home/End; "f" fullscreen;
"b" or "." a black screen (a clicker's blank button); Escape leaves (first leaving fullscreen).
A click on the right third of the screen moves on, on the left third back. The deck element
records the slide shown in ``data-current``.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, replace

from pax_geo.board.model import Deck, Image, KeyFigure, Slide, Table

#: The few words the slides themselves say, by the deck's language (told by its slide label).
LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "comment": "Kommentar",
        "presenter": "Föredragande",
        "generated": "Framtagen",
        "exit": "Avsluta",
        "exit_title": "Avsluta presentationen (Esc)",
        "of": "av",
        "deck": "Presentation",
    },
    "en": {
        "comment": "Comment",
        "presenter": "Presented by",
        "generated": "Generated",
        "exit": "Exit",
        "exit_title": "Leave the presentation (Esc)",
        "of": "of",
        "deck": "Presentation",
    },
}

#: The marker before a key figure's change lines: more incidents (up) is worse.
_TONE_MARK = {"up": "▲", "down": "▼", "same": "●"}


def deck_lang(deck: Deck) -> str:
    """ "en" for a deck whose slides are called "Slide", else "sv"."""
    return "en" if deck.slide_label.strip().lower() == "slide" else "sv"


def labels(deck: Deck) -> dict[str, str]:
    return LABELS[deck_lang(deck)]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _text(value: str) -> str:
    """Escaped text with its paragraphs (blank lines) and line breaks kept."""
    paras = [p.strip() for p in value.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join("<p>" + "<br>".join(_e(line) for line in p.split("\n")) + "</p>" for p in paras)


def _image(img: Image) -> str:
    data = base64.b64encode(img.png).decode("ascii")
    return (
        f'<figure class="pax-figure" data-key="{_e(img.key)}">'
        f'<img src="data:image/png;base64,{data}" alt="{_e(img.alt)}" '
        f'width="{int(img.width_px)}" height="{int(img.height_px)}" decoding="async"></figure>'
    )


def table_font(rows: int, shared: bool) -> float:
    """A table's font size in ``--u`` (1 % of the screen height): 3 for a few rows, smaller
    as rows are added so the whole table fits in the height it has (less beside images or
    above text)."""
    budget = 38.0 if shared else 60.0  # --u of height the table may take
    size = budget / ((rows + 1) * _ROW_EM)
    return round(min(3.0, max(1.7, size)), 2)


def _table(tab: Table, size: float) -> str:
    numeric = set(tab.numeric)

    def cls(i: int) -> str:
        return ' class="pax-num"' if i in numeric else ""

    head = "".join(f'<th scope="col"{cls(i)}>{_e(h)}</th>' for i, h in enumerate(tab.header))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{_e(c)}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in tab.rows
    )
    return (
        f'<div class="pax-table-wrap"><table class="pax-table" style="--tfs: {size}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _key_figure(kf: KeyFigure) -> str:
    tone = kf.tone if kf.tone in _TONE_MARK else ""
    mark = (
        f'<span class="pax-kf-mark" aria-hidden="true">{_TONE_MARK[tone]}</span> ' if tone else ""
    )
    lines = "".join(f'<p class="pax-kf-line">{mark}{_e(line)}</p>' for line in kf.lines)
    return (
        f'<div class="pax-kf pax-tone-{tone or "none"}">'
        f'<p class="pax-kf-label">{_e(kf.label)}</p>'
        f'<p class="pax-kf-value">{_e(kf.value)}</p><div class="pax-kf-lines">{lines}</div></div>'
    )


def _kf_cols(n: int) -> int:
    return n if n <= 4 else (3 if n in (5, 6) else 4)


def _key_figures(kfs: tuple[KeyFigure, ...]) -> str:
    cols = _kf_cols(len(kfs))
    cards = "".join(_key_figure(kf) for kf in kfs)
    vlen = max(1, *(len(kf.value) for kf in kfs))  # one size for all values: the longest fits
    return f'<div class="pax-kfs" style="--cols: {cols}; --vlen: {vlen}">{cards}</div>'


def _bullets(items: tuple[str, ...]) -> str:
    return '<ul class="pax-bullets">' + "".join(f"<li>{_e(b)}</li>" for b in items) + "</ul>"


def _comment(text: str, lab: dict[str, str]) -> str:
    return (
        f'<aside class="pax-comment"><p class="pax-comment-label">{_e(lab["comment"])}</p>'
        f'<div class="pax-comment-text">{_text(text)}</div></aside>'
    )


def _note(text: str) -> str:
    return f'<div class="pax-note">{_text(text)}</div>' if text.strip() else ""


def _footer(deck: Deck, n: int, total: int, lab: dict[str, str]) -> str:
    return (
        f'<footer class="pax-footer"><span class="pax-footer-text">{_e(deck.footer)}</span>'
        f'<span class="pax-counter" aria-label="{_e(deck.slide_label)} {n} {lab["of"]} {total}">'
        f"{n} / {total}</span></footer>"
    )


# --- layout ---------------------------------------------------------------------------------
# The slide's geometry in --u (1 % of the screen height) on a 16:9 screen, mirrored from
# SLIDES_CSS, to choose where images, tables and text go so the images come out largest. The
# text estimates are rough (an average glyph width); the script's --fit catches the rest.

_BODY_W = 100 * 16 / 9 - 2 * 5.5  # between the slide's side paddings
_COL_GAP = 4.0  # between the body's columns
_GAP = 2.4  # between the parts of a column
_CHAR_EM = 0.52  # average glyph width (Source Sans / Arial, a little generous)
_ROW_EM = 1.62  # a table row: line height 1.18 + padding 2 x 0.22 em
_BULLET_FONT, _COMMENT_FONT = 3.1, 2.8


def _lines(text: str, font: float, width: float) -> int:
    per_line = max(6, int(width / (font * _CHAR_EM)))
    parts = [p for p in text.split("\n") if p.strip()]
    return sum(max(1, math.ceil(len(p) / per_line)) for p in parts) or 1


def _bullets_h(items: tuple[str, ...], width: float) -> float:
    if not items:
        return 0.0
    f = _BULLET_FONT
    lines = sum(_lines(b, f, width - 1.25 * f) for b in items)
    return lines * f * 1.28 + (len(items) - 1) * 0.6 * f


def _comment_h(text: str, width: float) -> float:
    if not text.strip():
        return 0.0
    f = _COMMENT_FONT
    return 2.0 * 1.3 + 0.8 + 3.6 + _lines(text, f, width - 0.9 - 5.2) * f * 1.32


def _table_h(tab: Table, size: float) -> float:
    return (len(tab.rows) + 1) * _ROW_EM * size


def _table_w(tab: Table, size: float) -> float:
    """The width a table needs without wrapping its cells."""
    rows = (tab.header, *tab.rows)
    chars = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(len(tab.header))]
    return sum(c * size * _CHAR_EM + 1.2 * size for c in chars)


def _stack_h(parts: list[float]) -> float:
    parts = [p for p in parts if p > 0]
    return sum(parts) + _GAP * max(0, len(parts) - 1)


def _key_figures_h(kfs: tuple[KeyFigure, ...]) -> float:
    if not kfs:
        return 0.0
    cols = _kf_cols(len(kfs))
    width = (_BODY_W - (cols - 1) * 2.6) / cols - 5.3
    rows = [kfs[i : i + cols] for i in range(0, len(kfs), cols)]
    total = 0.0
    for row in rows:
        total += max(
            3.8
            + 1.35
            + 13.6
            + _lines(k.label, 2.9, width) * 2.9 * 1.2
            + sum(_lines(line, 2.6, width) * 2.6 * 1.25 + 0.6 for line in k.lines)
            for k in row
        )
    return total + 2.6 * (len(rows) - 1)


def _body_h(slide: Slide) -> float:
    """The height left for the body (below the heading and key figures, above the foot)."""
    h = 100 - 4.2 - 7.2  # top padding, footer
    h -= _lines(slide.title, 5.6, _BODY_W) * 5.6 * 1.08 + 2.4
    if slide.subtitle:
        h -= 0.9 + _lines(slide.subtitle, 2.9, _BODY_W) * 2.9 * 1.25
    if slide.note.strip():
        h -= 1.6 + _lines(slide.note, 1.9, _BODY_W) * 1.9 * 1.3
    if slide.key_figures:
        h -= _key_figures_h(slide.key_figures) + 2.6
    return h


@dataclass(frozen=True)
class Plan:
    """Where a slide's parts go. kind: "split" (media | text), "stack" (media above the
    text), "media" (images and tables only), "words" (text only), "pair" (bullets | comment),
    "empty". media: the media column's share of the width (split). side_tables: the tables
    stand in the text column (beside the images) rather than under the images. halves: the
    one long table is shown as two halves side by side. table_fonts: each table's font (--u)."""

    kind: str
    media: float = 0.6
    side_tables: bool = False
    table_fonts: tuple[float, ...] = ()
    halves: bool = False


#: A table longer than this may be shown as two halves side by side.
HALVES_FROM_ROWS = 12
_MAX_TABLE_FONT, _MIN_TABLE_FONT = 3.0, 1.5


def _tables_font(tables: tuple[Table, ...], width: float, height: float, halves: bool) -> float:
    """The largest font (--u, at most 3) at which the tables, one under the other (or the one
    table in two halves), fit in width x height."""
    if halves:
        rows = math.ceil(len(tables[0].rows) / 2) + 1
        per_font_w = 2 * _table_w(tables[0], 1.0)
        width -= 3.0  # between the halves
    else:
        rows = sum(len(t.rows) + 1 for t in tables)
        per_font_w = max(_table_w(t, 1.0) for t in tables)
        height -= _GAP * (len(tables) - 1)
    f = min(_MAX_TABLE_FONT, height / (rows * _ROW_EM), width / per_font_w)
    return round(max(_MIN_TABLE_FONT, f), 2)


def _tables_plan(slide: Slide, comment: str) -> Plan:
    """Tables (no images), perhaps with text: the arrangement with the largest table font."""
    height = _body_h(slide)
    has_text = bool(slide.bullets or comment)
    halves_options = (
        (False, True)
        if (len(slide.tables) == 1 and len(slide.tables[0].rows) > HALVES_FROM_ROWS)
        else (False,)
    )
    # (font, order of preference, plan)
    options: list[tuple[float, int, Plan]] = []
    for halves in halves_options:
        if not has_text:
            f = _tables_font(slide.tables, _BODY_W, height, halves)
            options.append((f, int(halves), Plan("media", halves=halves, table_fonts=(f,))))
            continue
        for share in (0.55, 0.62, 0.7, 0.78):
            media_w = share * (_BODY_W - _COL_GAP)
            text_w = _BODY_W - _COL_GAP - media_w
            if _bullets_h(slide.bullets, text_w) + _comment_h(comment, text_w) > height:
                continue
            f = _tables_font(slide.tables, media_w, height, halves)
            options.append((f, int(halves), Plan("split", share, halves=halves, table_fonts=(f,))))
        if slide.bullets and comment:
            half = (_BODY_W - _COL_GAP) / 2
            text_h = max(_bullets_h(slide.bullets, half), _comment_h(comment, half))
        else:
            text_h = _bullets_h(slide.bullets, _BODY_W) + _comment_h(comment, _BODY_W)
        f = _tables_font(slide.tables, _BODY_W, height - text_h - 2.6, halves)
        options.append((f, 2 + int(halves), Plan("stack", halves=halves, table_fonts=(f,))))
    if not options:
        f = _tables_font(slide.tables, 0.55 * _BODY_W, height, False)
        return Plan("split", 0.55, table_fonts=(f,))
    best = max(options, key=lambda o: (round(o[0], 1), -o[1]))[2]
    # one font for every table of the slide; the narrowest share that still allows it
    if best.kind == "split":
        f = best.table_fonts[0]
        for o in sorted(options, key=lambda o: o[2].media):
            if o[2].kind == "split" and o[2].halves == best.halves and o[0] >= f:
                best = o[2]
                break
    return Plan(
        best.kind,
        best.media,
        table_fonts=tuple(best.table_fonts[0] for _ in slide.tables),
        halves=best.halves,
    )


def plan(slide: Slide) -> Plan:
    """Choose the layout that shows the slide's images (or tables) largest while its text
    still fits."""
    has_img, has_tab = bool(slide.images), bool(slide.tables)
    comment = slide.comment.strip()
    has_text = bool(slide.bullets or comment)
    if not (has_img or has_tab):
        kind = "pair" if slide.bullets and comment else ("words" if has_text else "empty")
        return Plan(kind)
    if not has_img:
        return _tables_plan(slide, comment)
    shared_fonts = tuple(table_font(len(t.rows), True) for t in slide.tables)

    height = _body_h(slide)
    aspect = sum(i.width_px / max(1, i.height_px) for i in slide.images)
    img_gap = _GAP * (len(slide.images) - 1)
    tables_h = _stack_h([_table_h(t, f) for t, f in zip(slide.tables, shared_fonts, strict=True)])
    # (image height, order of preference, plan)
    options: list[tuple[float, int, Plan]] = []
    if not has_text:
        img_h = min(height - tables_h - (_GAP if has_tab else 0), (_BODY_W - img_gap) / aspect)
        options.append((img_h, 0, Plan("media", table_fonts=shared_fonts)))
    for share in (0.5, 0.58, 0.65, 0.72):
        media_w = share * (_BODY_W - _COL_GAP)
        text_w = _BODY_W - _COL_GAP - media_w
        for side in (True, False) if has_tab else (False,):
            if side and any(
                _table_w(t, f) > text_w for t, f in zip(slide.tables, shared_fonts, strict=True)
            ):
                continue
            if not side and not has_text:
                continue  # that is the "media" option
            text_h = _stack_h(
                [
                    tables_h if side else 0,
                    _bullets_h(slide.bullets, text_w),
                    _comment_h(comment, text_w),
                ]
            )
            if text_h > height:
                continue
            below = 0.0 if side or not has_tab else tables_h + _GAP
            img_h = min(height - below, (media_w - img_gap) / aspect)
            options.append((img_h, 1, Plan("split", share, side, shared_fonts)))
    if has_text and not has_tab:  # images above, the text in a row below
        if slide.bullets and comment:
            half = (_BODY_W - _COL_GAP) / 2
            text_h = max(_bullets_h(slide.bullets, half), _comment_h(comment, half))
        else:
            text_h = _bullets_h(slide.bullets, _BODY_W) + _comment_h(comment, _BODY_W)
        img_h = min(height - text_h - 2.6, (_BODY_W - img_gap) / aspect)
        # a clear gain only: beside the images the text reads better
        options.append((img_h / 1.08, 2, Plan("stack")))
    if not options:
        return Plan("split", 0.5, False, shared_fonts)
    return max(options, key=lambda o: (round(o[0], 1), -o[1]))[2]


def _body(slide: Slide, lab: dict[str, str]) -> str:
    """Key figures on top; below them the images, tables and text as :func:`plan` says."""
    p = plan(slide)
    comment = slide.comment.strip()
    figures = (
        '<div class="pax-figures">' + "".join(_image(i) for i in slide.images) + "</div>"
        if slide.images
        else ""
    )
    if p.halves:
        t, f = slide.tables[0], p.table_fonts[0]
        cut = math.ceil(len(t.rows) / 2)
        tables = (
            '<div class="pax-table-halves">'
            + _table(replace(t, rows=t.rows[:cut]), f)
            + _table(replace(t, rows=t.rows[cut:]), f)
            + "</div>"
        )
    else:
        tables = "".join(_table(t, f) for t, f in zip(slide.tables, p.table_fonts, strict=False))
    bullets = _bullets(slide.bullets) if slide.bullets else ""
    comment_box = _comment(slide.comment, lab) if comment else ""

    def col(cls: str, *parts: str) -> str:
        return f'<div class="{cls}">{"".join(parts)}</div>'

    style = ""
    if p.kind == "split":
        media = col("pax-media", figures, "" if p.side_tables else tables)
        text = col("pax-text", tables if p.side_tables else "", bullets, comment_box)
        inner = media + text
        style = (
            f' style="--media: {round(p.media * 100)}fr; --text: {round(100 - p.media * 100)}fr"'
        )
    elif p.kind == "stack":
        below = (
            col("pax-below pax-below--pair", bullets, comment_box)
            if bullets and comment_box
            else col("pax-below", bullets, comment_box)
        )
        inner = col("pax-media", figures, tables) + below
    elif p.kind == "media":
        inner = col("pax-media", figures, tables)
    elif p.kind == "pair":
        inner = col("pax-text pax-text--bullets", bullets) + col("pax-text", comment_box)
    elif p.kind == "words":
        inner = col("pax-text", bullets, comment_box)
    else:
        inner = ""
    kfs = _key_figures(slide.key_figures) if slide.key_figures else ""
    kind = p.kind + (" pax-body--tables" if slide.tables and not slide.images else "")
    body = f'<div class="pax-body pax-body--{kind}"{style}>{inner}</div>' if inner else ""
    only_figures = (
        " pax-main--figures" if kfs and not (slide.images or slide.tables or bullets) else ""
    )
    return f'<div class="pax-main{only_figures}">{kfs}{body}</div>'


def _title_slide(deck: Deck, slide: Slide, lab: dict[str, str]) -> str:
    parts = []
    if deck.marking:
        parts.append(f'<p class="pax-marking">{_e(deck.marking)}</p>')
    parts.append(f'<h1 class="pax-title">{_e(deck.title or slide.title)}</h1>')
    if slide.title and deck.title and slide.title != deck.title:
        parts.append(f'<p class="pax-subtitle">{_e(slide.title)}</p>')
    if slide.subtitle:
        parts.append(f'<p class="pax-subtitle">{_e(slide.subtitle)}</p>')
    parts.append(f'<p class="pax-tp-muni">{_e(deck.municipality)}</p>')
    parts.append(f'<p class="pax-tp-period">{_e(deck.period_label)}</p>')
    if deck.presenter:
        parts.append(f'<p class="pax-tp-meta">{_e(lab["presenter"])}: {_e(deck.presenter)}</p>')
    parts.append(
        f'<p class="pax-tp-meta">{_e(lab["generated"])} {_e(deck.generated)} · '
        f"{_e(deck.data_label)} {_e(deck.data_until)}</p>"
    )
    extra = ""
    if slide.key_figures or slide.bullets or slide.images or slide.tables or slide.comment:
        extra = _body(slide, lab)
    return f'<div class="pax-title-page">{"".join(parts)}{extra}</div>'


def _slide(deck: Deck, slide: Slide, n: int, total: int, lab: dict[str, str]) -> str:
    current = n == 1
    classes = "pax-slide" + (" pax-slide--title" if slide.key == "title" else "")
    classes += " is-current" if current else ""
    if slide.key == "title":
        content = _title_slide(deck, slide, lab)
    else:
        sub = f'<p class="pax-subtitle">{_e(slide.subtitle)}</p>' if slide.subtitle else ""
        content = (
            f'<header class="pax-head"><h2 class="pax-title">{_e(slide.title)}</h2>{sub}</header>'
            + _body(slide, lab)
        )
    return (
        f'<section class="{classes}" data-key="{_e(slide.key)}" data-index="{n}" '
        f'aria-label="{_e(deck.slide_label)} {n} {lab["of"]} {total}: {_e(slide.title)}"'
        f"{'' if current else ' aria-hidden=' + chr(34) + 'true' + chr(34)}>"
        f"{content}{_note(slide.note)}{_footer(deck, n, total, lab)}</section>"
    )


def slides_html(deck: Deck) -> str:
    """All slides of the deck, the first one showing, in one ``<div class="pax-deck">``;
    with an unobtrusive exit button (shown while the mouse moves) for presentation mode."""
    lab = labels(deck)
    total = len(deck.slides)
    slides = "".join(_slide(deck, s, i, total, lab) for i, s in enumerate(deck.slides, start=1))
    return (
        f'<div class="pax-deck" lang="{deck_lang(deck)}" data-current="1" data-total="{total}" '
        f'role="region" aria-roledescription="{_e(lab["deck"])}" aria-label="{_e(deck.title)}">'
        f"{slides}"
        f'<button type="button" class="pax-exit" title="{_e(lab["exit_title"])}">'
        f"{_e(lab['exit'])}</button></div>"
    )


SLIDES_CSS = """
.pax-deck {
  --u: min(1vh, 0.5625vw);
  --fit: 1;
  --ink: #111418;
  --ink-2: #3a4049;
  --accent: #0b4a8b;
  --accent-soft: #e8eff7;
  --rule: #c5ced8;
  --zebra: #f1f4f7;
  --up: #a3261b;
  --down: #24693a;
  --same: #4a5058;
  --bg: #ffffff;
  position: fixed; inset: 0; z-index: 999990;
  background: var(--bg); color: var(--ink);
  font-family: "Source Sans", "Source Sans Pro", "Segoe UI", "Helvetica Neue", Arial,
    "DejaVu Sans", sans-serif;
  font-size: calc(var(--u) * 2.8); line-height: 1.3; font-weight: 400;
  text-align: left; overflow: hidden;
  -webkit-font-smoothing: antialiased; text-rendering: optimizeLegibility;
}
.pax-deck *, .pax-deck *::before, .pax-deck *::after { box-sizing: border-box; }
.pax-deck :where(h1, h2, h3, p, ul, li, figure, table, th, td, aside, header, footer, section) {
  margin: 0; padding: 0; font-family: inherit; color: inherit; letter-spacing: normal;
  line-height: inherit; font-size: inherit; font-weight: inherit; border: 0; background: none;
}
.pax-deck :where(p, li, h1, h2) { text-wrap: pretty; }
.pax-deck :where(h1, h2) { text-wrap: balance; }
.pax-deck.pax-idle, .pax-deck.pax-idle * { cursor: none; }

/* One slide: fixed over the whole viewport; only the current one is visible. */
.pax-deck .pax-slide {
  position: fixed; inset: 0;
  display: flex; flex-direction: column;
  padding: calc(var(--u) * 4.2) calc(var(--u) * 5.5) 0;
  background: var(--bg);
  overflow: hidden; visibility: hidden;
}
.pax-deck .pax-slide.is-current { visibility: visible; }
.pax-deck .pax-slide::before {
  content: ""; position: absolute; left: 0; right: 0; top: 0;
  height: calc(var(--u) * 0.9); background: var(--accent);
}

/* Heading */
.pax-deck .pax-head {
  flex: 0 0 auto; margin-bottom: calc(var(--u) * 2.4);
}
.pax-deck .pax-title {
  font-size: calc(var(--u) * 5.6); line-height: 1.08; font-weight: 700; color: var(--ink);
  letter-spacing: -0.005em; overflow-wrap: anywhere;
}
.pax-deck .pax-subtitle {
  margin-top: calc(var(--u) * 0.9); font-size: calc(var(--u) * 2.9); line-height: 1.25;
  color: var(--ink-2);
}

/* Body: key figures on top, then media | text */
.pax-deck .pax-main {
  flex: 1 1 auto; min-height: 0; display: flex; flex-direction: column;
  gap: calc(var(--u) * 2.6);
}
.pax-deck .pax-body {
  flex: 1 1 0; min-height: 0; display: grid; gap: calc(var(--u) * 4);
  grid-template-columns: minmax(0, 1fr); grid-template-rows: minmax(0, 1fr);
}
.pax-deck .pax-body--split {
  grid-template-columns: minmax(0, var(--media, 3fr)) minmax(0, var(--text, 2fr));
}
.pax-deck .pax-body--pair { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
.pax-deck .pax-body--stack {
  grid-template-rows: minmax(0, 1fr) auto; gap: calc(var(--u) * 2.6);
}
.pax-deck .pax-media, .pax-deck .pax-text, .pax-deck .pax-below {
  min-height: 0; min-width: 0; display: flex; flex-direction: column; gap: calc(var(--u) * 2.4);
}
.pax-deck .pax-body--stack.pax-body--tables { grid-template-rows: auto auto; align-content: start; }
.pax-deck .pax-table-halves {
  display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); align-items: start;
  column-gap: calc(var(--u) * 3);
}
.pax-deck .pax-below--pair {
  display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); align-items: start;
  column-gap: calc(var(--u) * 4);
}

/* Key figures: big cards */
.pax-deck .pax-kfs {
  container-type: inline-size;
  --card: calc((100cqi - (var(--cols, 3) - 1) * var(--u) * 2.6) / var(--cols, 3));
  flex: 0 0 auto; display: grid; gap: calc(var(--u) * 2.6);
  grid-template-columns: repeat(var(--cols, 3), minmax(0, 1fr));
}
.pax-deck .pax-kf {
  min-width: 0; font-size: calc(var(--u) * 2.8); font-weight: 400; line-height: 1.3;
  /* the value's size at which its --vlen characters fill the card's inner width */
  --fits-card: calc((var(--card) - var(--u) * 6.5) / (var(--vlen, 5) * 0.56 + 0.2));
  /* label, value, lines on rows shared by the cards side by side: the values line up (a
     subgrid cannot be a size container, so the row is the container for --card) */
  display: grid; grid-row: span 3; grid-template-rows: subgrid; row-gap: 0; align-content: start;
  border: calc(var(--u) * 0.25) solid var(--rule);
  border-top: calc(var(--u) * 1.1) solid var(--tone, var(--accent));
  border-radius: calc(var(--u) * 1);
  padding: calc(var(--u) * 1.8) calc(var(--u) * 2.4) calc(var(--u) * 2);
  background: #fff;
}
.pax-deck .pax-tone-up { --tone: var(--up); }
.pax-deck .pax-tone-down { --tone: var(--down); }
.pax-deck .pax-tone-same { --tone: var(--same); }
.pax-deck .pax-kf-label {
  font-size: calc(var(--u) * 2.9 * var(--fit) * var(--fitc, 1)); font-weight: 600; line-height: 1.2;
  color: var(--ink);
}
.pax-deck .pax-kf-value {
  margin: calc(var(--u) * 0.6) 0 calc(var(--u) * 1);
  font-size: min(calc(var(--u) * 12 * var(--fit) * var(--fitc, 1)), var(--fits-card)); line-height: 1; font-weight: 700;
  color: var(--ink); font-variant-numeric: tabular-nums; white-space: nowrap;
  letter-spacing: -0.02em;
}
.pax-deck .pax-kf-line {
  font-size: calc(var(--u) * 2.6 * var(--fit) * var(--fitc, 1)); line-height: 1.25; font-weight: 600;
  color: var(--tone, var(--ink-2));
}
.pax-deck .pax-main--figures { justify-content: center; padding-bottom: calc(var(--u) * 3); }
.pax-deck .pax-main--figures .pax-body { flex: 0 1 auto; }
.pax-deck .pax-main--figures .pax-kf {
  padding: calc(var(--u) * 2.6) calc(var(--u) * 3) calc(var(--u) * 3);
}
.pax-deck .pax-main--figures .pax-kf-value {
  margin: calc(var(--u) * 1) 0 calc(var(--u) * 1.6);
  font-size: min(calc(var(--u) * 14 * var(--fit) * var(--fitc, 1)), var(--fits-card));
}
.pax-deck .pax-kf-line + .pax-kf-line { margin-top: calc(var(--u) * 0.6); }
.pax-deck .pax-kf-mark { font-size: 0.8em; }

/* Bullets */
.pax-deck .pax-bullets {
  list-style: none; font-size: calc(var(--u) * 3.1 * var(--fit) * var(--fitc, 1)); line-height: 1.28;
}
/* Text alone on a slide: larger */
.pax-deck .pax-body--words .pax-bullets, .pax-deck .pax-body--pair .pax-bullets {
  font-size: calc(var(--u) * 3.7 * var(--fit) * var(--fitc, 1));
}
.pax-deck .pax-body--words .pax-comment, .pax-deck .pax-body--pair .pax-comment {
  font-size: calc(var(--u) * 3.1 * var(--fit) * var(--fitc, 1));
}
.pax-deck .pax-bullets li { position: relative; padding-left: 1.25em; }
.pax-deck .pax-bullets li + li { margin-top: 0.6em; }
.pax-deck .pax-bullets li::before {
  content: ""; position: absolute; left: 0.15em; top: 0.42em; width: 0.45em; height: 0.45em;
  border-radius: 0.08em; background: var(--accent);
}

/* The presenter's comment */
.pax-deck .pax-comment {
  flex: 0 0 auto;
  background: var(--accent-soft); border-left: calc(var(--u) * 0.9) solid var(--accent);
  border-radius: 0 calc(var(--u) * 1) calc(var(--u) * 1) 0;
  padding: calc(var(--u) * 1.8) calc(var(--u) * 2.6);
  font-size: calc(var(--u) * 2.8 * var(--fit) * var(--fitc, 1)); line-height: 1.32;
}
.pax-deck .pax-comment-label {
  margin-bottom: calc(var(--u) * 0.8); font-size: calc(var(--u) * 2 * var(--fit) * var(--fitc, 1));
  font-weight: 700; letter-spacing: 0.08em; text-transform: uppercase; color: var(--accent);
}
.pax-deck .pax-comment-text p + p { margin-top: 0.5em; }

/* Images: as large as the space allows, never cropped */
.pax-deck .pax-figures {
  flex: 1 1 0; min-height: calc(var(--u) * 20); display: flex; gap: calc(var(--u) * 2.4);
}
.pax-deck .pax-figure { position: relative; flex: 1 1 0; min-width: 0; min-height: 0; }
.pax-deck .pax-figure img {
  position: absolute; inset: 0; width: 100%; height: 100%; max-width: 100%; max-height: 100%;
  object-fit: contain; object-position: center top; display: block;
}
.pax-deck .pax-body--media .pax-figure img, .pax-deck .pax-body--stack .pax-figure img {
  object-position: center center;
}

/* Tables: dark header, zebra rows, numbers right-aligned in even digits */
.pax-deck .pax-table-wrap { flex: 0 0 auto; min-width: 0; }
.pax-deck .pax-table {
  width: 100%; border-collapse: collapse;
  font-size: calc(var(--u) * var(--tfs, 2.6) * var(--tg, 1) * var(--fit) * var(--fitc, 1)); line-height: 1.18;
  font-variant-numeric: tabular-nums;
}
.pax-deck .pax-table th {
  background: var(--accent); color: #fff; font-weight: 700; text-align: left;
  padding: 0.3em 0.6em; vertical-align: bottom;
}
.pax-deck .pax-table td {
  padding: 0.22em 0.6em; border-bottom: calc(var(--u) * 0.12) solid var(--rule);
  vertical-align: top; overflow-wrap: anywhere;
}
.pax-deck .pax-table tbody tr:nth-child(even) td { background: var(--zebra); }
.pax-deck .pax-table .pax-num { text-align: right; white-space: nowrap; }

/* Foot of the slide: note, footer line, counter */
.pax-deck .pax-note {
  flex: 0 0 auto; margin-top: calc(var(--u) * 1.6);
  font-size: calc(var(--u) * 1.9); line-height: 1.3; color: var(--ink-2);
}
.pax-deck .pax-note p + p { margin-top: 0.3em; }
.pax-deck .pax-footer {
  flex: 0 0 auto; display: flex; align-items: center; justify-content: space-between;
  gap: calc(var(--u) * 3);
  margin-top: calc(var(--u) * 1.4); padding: calc(var(--u) * 1.2) 0 calc(var(--u) * 1.6);
  border-top: calc(var(--u) * 0.2) solid var(--rule);
  font-size: calc(var(--u) * 1.9); line-height: 1.25; color: var(--ink-2);
}
.pax-deck .pax-footer-text { min-width: 0; overflow-wrap: anywhere; }
.pax-deck .pax-counter {
  flex: 0 0 auto; font-weight: 700; color: var(--ink); font-variant-numeric: tabular-nums;
  white-space: nowrap; font-size: calc(var(--u) * 2.2);
}

/* Title slide */
.pax-deck .pax-slide--title { padding-left: calc(var(--u) * 9); }
.pax-deck .pax-slide--title::before {
  right: auto; bottom: 0; width: calc(var(--u) * 2.4); height: auto;
}
.pax-deck .pax-title-page {
  flex: 1 1 auto; min-height: 0; display: flex; flex-direction: column;
  justify-content: safe center; gap: calc(var(--u) * 1.2);
}
.pax-deck .pax-slide--title .pax-title {
  font-size: calc(var(--u) * 7.4); line-height: 1.05; max-width: 22em;
  margin-bottom: calc(var(--u) * 1.6);
}
.pax-deck .pax-slide--title .pax-subtitle { font-size: calc(var(--u) * 3.4); margin: 0; }
.pax-deck .pax-marking {
  align-self: flex-start; margin-bottom: calc(var(--u) * 3.4);
  padding: calc(var(--u) * 0.7) calc(var(--u) * 1.8);
  border: calc(var(--u) * 0.35) solid var(--up); border-radius: calc(var(--u) * 0.6);
  color: var(--up); font-size: calc(var(--u) * 2.7); font-weight: 700;
  letter-spacing: 0.06em; text-transform: uppercase;
}
.pax-deck .pax-tp-muni {
  margin-top: calc(var(--u) * 1.6); font-size: calc(var(--u) * 4); font-weight: 700;
  color: var(--accent);
}
.pax-deck .pax-tp-period { font-size: calc(var(--u) * 3.6); font-weight: 600; }
.pax-deck .pax-tp-meta { font-size: calc(var(--u) * 2.7); color: var(--ink-2); }
.pax-deck .pax-title-page .pax-main {
  flex: 0 0 auto; max-width: 75%; margin-top: calc(var(--u) * 3);
}
.pax-deck .pax-title-page .pax-body { flex: 0 0 auto; grid-template-rows: auto; }

/* A clicker's "blank screen" */
.pax-deck.pax-blank::after {
  content: ""; position: fixed; inset: 0; z-index: 3; background: #000;
}

/* The exit button: out of sight until the mouse moves (or it has keyboard focus). */
.pax-deck .pax-exit {
  position: fixed; top: calc(var(--u) * 1.8); right: calc(var(--u) * 1.8); z-index: 2;
  margin: 0; font: inherit; font-size: calc(var(--u) * 2); font-weight: 600; line-height: 1.2;
  padding: calc(var(--u) * 0.7) calc(var(--u) * 1.8);
  color: var(--ink); background: #fff;
  border: calc(var(--u) * 0.2) solid var(--ink-2); border-radius: calc(var(--u) * 0.8);
  cursor: pointer; opacity: 0; transition: opacity 0.25s;
}
.pax-deck.pax-pointer .pax-exit, .pax-deck .pax-exit:hover, .pax-deck .pax-exit:focus-visible {
  opacity: 1;
}
.pax-deck .pax-exit:hover { background: var(--accent); color: #fff; border-color: var(--accent); }
.pax-deck .pax-exit:focus-visible { outline: calc(var(--u) * 0.4) solid var(--accent);
  outline-offset: calc(var(--u) * 0.3); }
"""

SLIDES_JS = """
// Presentation mode: keyboard (and clicker) navigation, clicks on the left/right third, the
// counter, fullscreen ("f"), a black screen ("b" or "."), exit (Escape or the exit button ->
// setTriggerValue('exit', true)), and a slide's body text shrunk a little while it does not
// fit (--fit, --fitc).
//
// Streamlit may call this function again on a rerun without calling the cleanup it returned
// before (it keeps only the last one, for unmount), so the previous run's listeners are removed
// here first, through a handle kept on globalThis.
const NEXT = new Set(['ArrowRight', 'ArrowDown', 'PageDown', ' ', 'Spacebar', 'Enter']);
const PREV = new Set(['ArrowLeft', 'ArrowUp', 'PageUp', 'Backspace']);
const HANDLE = '__paxPresentTeardown';

function typingIn(el) {
  if (!el || !(el instanceof Element)) return false;
  return !!el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]');
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component || {};
  if (typeof globalThis[HANDLE] === 'function') {
    try { globalThis[HANDLE](); } catch (e) { /* already gone */ }
  }
  let root = parentElement && parentElement.querySelector('.pax-present-root');
  if (root && data && typeof data.html === 'string' && root.dataset.fp !== String(data.fp)) {
    // new slides (figures drawn again on a rerun): stay on the slide being shown
    const before = root.querySelector('.pax-deck');
    const at = before ? before.dataset.current : null;
    root.innerHTML = data.html;
    root.dataset.fp = String(data.fp);
    const after = root.querySelector('.pax-deck');
    if (after && at) after.dataset.current = at;
  }
  const scope = root || parentElement || document;
  const deck = scope.querySelector('.pax-deck');
  if (!deck) return undefined;
  const slides = Array.from(deck.querySelectorAll('.pax-slide'));
  const total = slides.length;
  if (!total) return undefined;
  let current = Math.min(Math.max(parseInt(deck.dataset.current || '1', 10) || 1, 1), total);
  let fsLeftAt = 0;
  let pointerTimer = 0;
  let resizeFrame = 0;
  let gone = false;

  function overflowing(box) {
    return box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1;
  }

  function shrink(el, prop, test) {
    let f = 1;
    el.style.setProperty(prop, '1');
    while (f > 0.62 && test()) {
      f = Math.round((f - 0.04) * 100) / 100;
      el.style.setProperty(prop, String(f));
    }
    return f;
  }

  // A table set small for its many rows grows back (up to 3 --u) while its column has room
  // (a 4:3 screen, or no subtitle or note): never beside images, which would shrink.
  function growTables(col) {
    for (const t of col.querySelectorAll('.pax-table')) {
      const tfs = parseFloat(t.style.getPropertyValue('--tfs')) || 3;
      const most = Math.min(3 / tfs, 1.6);
      let g = 1;
      t.style.setProperty('--tg', '1');
      while (g + 0.05 <= most) {
        t.style.setProperty('--tg', String(g + 0.05));
        if (overflowing(col)) { t.style.setProperty('--tg', String(g)); break; }
        g = Math.round((g + 0.05) * 100) / 100;
      }
    }
  }

  // First each column on its own (--fitc: a long comment does not shrink the table beside
  // it), then the whole slide body (--fit) should the key figures and columns together not fit.
  function fit(slide) {
    const cols = Array.from(slide.querySelectorAll('.pax-media, .pax-text, .pax-below'));
    cols.forEach((c) => c.style.setProperty('--fitc', '1'));
    slide.style.setProperty('--fit', '1');
    let least = 1;
    for (const c of cols) {
      const f = shrink(c, '--fitc', () => overflowing(c));
      least = Math.min(least, f);
      if (f === 1 && !c.querySelector('.pax-figure')) growTables(c);
    }
    const boxes = Array.from(slide.querySelectorAll('.pax-main, .pax-body, .pax-title-page'));
    const f = shrink(slide, '--fit', () => boxes.some(overflowing) || cols.some(overflowing));
    slide.dataset.fit = String(Math.round(f * least * 100) / 100);
  }

  function fitAll() { slides.forEach(fit); }

  function show(n) {
    current = Math.min(Math.max(n, 1), total);
    slides.forEach((s, i) => {
      const on = i + 1 === current;
      s.classList.toggle('is-current', on);
      if (on) s.removeAttribute('aria-hidden'); else s.setAttribute('aria-hidden', 'true');
    });
    const counter = slides[current - 1].querySelector('.pax-counter');
    if (counter) counter.textContent = current + ' / ' + total;
    deck.dataset.current = String(current);
  }

  function exitRequested() {
    if (document.fullscreenElement && document.exitFullscreen) {
      document.exitFullscreen().catch(() => {});
    }
    if (typeof setTriggerValue === 'function') setTriggerValue('exit', true);
  }

  function toggleFullscreen() {
    const el = document.documentElement;
    if (document.fullscreenElement) {
      if (document.exitFullscreen) document.exitFullscreen().catch(() => {});
    } else if (el.requestFullscreen) {
      el.requestFullscreen().catch(() => {});
    }
  }

  function onKey(e) {
    if (gone) return;
    if (!deck.isConnected) { teardown(); return; }
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const target = e.composedPath ? e.composedPath()[0] : e.target;
    if (typingIn(target)) return;
    const onButton = target instanceof Element && target.closest('button, a');
    const key = e.key;
    if (onButton && (key === 'Enter' || key === ' ')) return;
    if (NEXT.has(key)) { e.preventDefault(); show(current + 1); }
    else if (PREV.has(key)) { e.preventDefault(); show(current - 1); }
    else if (key === 'Home') { e.preventDefault(); show(1); }
    else if (key === 'End') { e.preventDefault(); show(total); }
    else if (key === 'f' || key === 'F') { e.preventDefault(); toggleFullscreen(); }
    else if (key === 'b' || key === 'B' || key === '.') {
      // a clicker's "blank screen" button: black until pressed again
      e.preventDefault();
      deck.classList.toggle('pax-blank');
    }
    else if (key === 'Escape') {
      e.preventDefault();
      if (document.fullscreenElement) { document.exitFullscreen().catch(() => {}); return; }
      // The browser's own Escape just left fullscreen: that one press is not an exit.
      if (Date.now() - fsLeftAt < 700) return;
      exitRequested();
    }
  }

  function onClick(e) {
    const target = e.composedPath ? e.composedPath()[0] : e.target;
    if (target instanceof Element && target.closest('button, a')) return;
    const w = window.innerWidth || 1;
    if (e.clientX >= (w * 2) / 3) show(current + 1);
    else if (e.clientX <= w / 3) show(current - 1);
  }

  function onPointer() {
    deck.classList.add('pax-pointer');
    deck.classList.remove('pax-idle');
    clearTimeout(pointerTimer);
    pointerTimer = setTimeout(() => {
      deck.classList.remove('pax-pointer');
      deck.classList.add('pax-idle');
    }, 2500);
  }

  function onResize() {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(fitAll);
  }

  function onFullscreen() { if (!document.fullscreenElement) fsLeftAt = Date.now(); }

  const exitButton = deck.querySelector('.pax-exit');
  function onExitClick(e) { e.stopPropagation(); exitRequested(); }

  document.addEventListener('keydown', onKey);
  document.addEventListener('fullscreenchange', onFullscreen);
  window.addEventListener('resize', onResize);
  deck.addEventListener('click', onClick);
  deck.addEventListener('mousemove', onPointer);
  if (exitButton) exitButton.addEventListener('click', onExitClick);

  function teardown() {
    if (gone) return;
    gone = true;
    document.removeEventListener('keydown', onKey);
    document.removeEventListener('fullscreenchange', onFullscreen);
    window.removeEventListener('resize', onResize);
    deck.removeEventListener('click', onClick);
    deck.removeEventListener('mousemove', onPointer);
    if (exitButton) exitButton.removeEventListener('click', onExitClick);
    clearTimeout(pointerTimer);
    cancelAnimationFrame(resizeFrame);
    if (globalThis[HANDLE] === teardown) delete globalThis[HANDLE];
  }
  globalThis[HANDLE] = teardown;

  show(current);
  fitAll();
  const ready = () => { if (!gone) { fitAll(); deck.dataset.ready = '1'; } };
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(ready, ready);
  else ready();
  return teardown;
}
"""
