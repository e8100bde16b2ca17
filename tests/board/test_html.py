"""The presentation slides' HTML (pax_geo.board.html): one section per slide, every text
escaped, images as data URIs with alt text, a footer and a counter on every slide."""

from __future__ import annotations

import base64
from dataclasses import replace
from html.parser import HTMLParser

from pax_geo.board import html as board_html
from pax_geo.board.html import SLIDES_CSS, SLIDES_JS, plan, slides_html, table_font
from pax_geo.board.model import Deck, Image, KeyFigure, Slide, Table
from tests.board.board_support import HOSTILE, sample_deck

PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class Tree(HTMLParser):
    """The elements of a fragment as (tag, attrs, text inside) with their nesting checked."""

    VOID = {"img", "br", "meta", "input", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.elements: list[tuple[str, dict[str, str | None], str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            self.elements.append((tag, dict(attrs), ""))
            return
        self.stack.append((tag, dict(attrs), []))

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1][0] == tag, f"unbalanced </{tag}>"
        t, attrs, text = self.stack.pop()
        body = "".join(text)
        self.elements.append((t, attrs, body))
        if self.stack:
            self.stack[-1][2].append(body)

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2].append(data)

    def find(self, cls: str) -> list[tuple[str, dict[str, str | None], str]]:
        return [e for e in self.elements if cls in (e[1].get("class") or "").split()]


def parse(markup: str) -> Tree:
    tree = Tree()
    tree.feed(markup)
    tree.close()
    assert not tree.stack, "unclosed elements"
    return tree


def small_deck(**slide_kw) -> Deck:
    return Deck(
        title="Lägesbild",
        municipality="Södertälje kommun",
        period_label="Mars 2025",
        presenter="A. Andersson",
        marking="Begränsad spridning",
        data_until="2025-03-31",
        generated="2025-04-01",
        slides=(Slide("title", "Lägesbild"), Slide("assessment", "Bedömning", **slide_kw)),
    )


def test_script_in_a_comment_is_text() -> None:
    deck = small_deck(comment="Se <script>alert('x')</script> & <b>fet</b>")
    out = slides_html(deck)
    assert "<script" not in out.lower()
    assert "<b>" not in out
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;fet&lt;/b&gt;" in out
    comment = parse(out).find("pax-comment-text")
    assert comment[0][2] == "Se <script>alert('x')</script> & <b>fet</b>"


def test_every_text_of_the_deck_is_escaped() -> None:
    evil = '"><img src=x onerror=alert(1)>'
    deck = Deck(
        title=evil,
        municipality=evil,
        period_label=evil,
        presenter=evil,
        marking=evil,
        data_until=evil,
        generated=evil,
        data_label=evil,
        slide_label=evil,
        slides=(
            Slide("title", evil, subtitle=evil, comment=evil, note=evil),
            Slide(
                evil,
                evil,
                subtitle=evil,
                key_figures=(KeyFigure(evil, evil, (evil,), evil),),
                bullets=(evil,),
                tables=(Table((evil,), ((evil,),), numeric=(0,)),),
                images=(Image(evil, PNG_1X1, evil, 1, 1),),
                comment=evil,
                note=evil,
            ),
        ),
    )
    out = slides_html(deck)
    tree = parse(out)
    # the only <img> elements are the deck's own image; no attribute was broken out of
    imgs = [e for e in tree.elements if e[0] == "img"]
    assert len(imgs) == 1 and imgs[0][1]["alt"] == evil
    assert imgs[0][1]["src"].startswith("data:image/png;base64,")
    assert not any("onerror" in attrs for _, attrs, _ in tree.elements)
    assert out.count(evil) == 0


def test_one_section_per_slide_the_first_visible() -> None:
    deck = sample_deck()
    tree = parse(slides_html(deck))
    sections = [e for e in tree.elements if e[0] == "section"]
    assert len(sections) == len(deck.slides) == 8
    assert [s[1]["data-key"] for s in sections] == [s.key for s in deck.slides]
    assert all("pax-slide" in (s[1]["class"] or "") for s in sections)
    current = [s for s in sections if "is-current" in (s[1]["class"] or "").split()]
    assert len(current) == 1 and current[0][1]["data-key"] == "title"
    assert "aria-hidden" not in current[0][1]
    assert all(s[1].get("aria-hidden") == "true" for s in sections[1:])
    deck_div = tree.find("pax-deck")[0]
    assert deck_div[1]["data-current"] == "1" and deck_div[1]["data-total"] == "8"


def test_images_are_data_uris_with_alt_text() -> None:
    deck = sample_deck()
    tree = parse(slides_html(deck))
    imgs = [e for e in tree.elements if e[0] == "img"]
    expected = [i for s in deck.slides for i in s.images]
    assert len(imgs) == len(expected) == 4
    for (_, attrs, _), img in zip(imgs, expected, strict=True):
        assert attrs["alt"] == img.alt and img.alt
        src = attrs["src"] or ""
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) == img.png
        assert attrs["width"] == str(img.width_px) and attrs["height"] == str(img.height_px)


def test_counter_and_footer_on_every_slide() -> None:
    deck = sample_deck()
    tree = parse(slides_html(deck))
    counters = tree.find("pax-counter")
    assert [c[2] for c in counters] == [f"{n} / 8" for n in range(1, 9)]
    footers = tree.find("pax-footer-text")
    assert len(footers) == 8
    assert all(f[2] == deck.footer for f in footers)
    assert "Södertälje kommun · Januari–mars 2025 · Data t.o.m. 2025-03-31" in deck.footer
    # each section holds exactly one footer and one counter
    markup = slides_html(deck)
    for part in markup.split("<section")[1:]:
        assert part.count('class="pax-footer"') == 1 and part.count('class="pax-counter"') == 1


def test_title_slide_shows_the_deck() -> None:
    deck = sample_deck()
    tree = parse(slides_html(deck))
    first = slides_html(deck).split("<section")[1].split("</section>")[0]
    assert "pax-slide--title" in first
    for text in (deck.title, deck.municipality, deck.period_label, deck.presenter, deck.generated):
        assert text in first
    assert tree.find("pax-marking")[0][2] == deck.marking
    assert tree.find("pax-title")[0][0] == "h1"


def test_key_figures_tables_comment_and_note() -> None:
    deck = sample_deck()
    tree = parse(slides_html(deck))
    values = [e[2] for e in tree.find("pax-kf-value")]
    assert values == ["1 248", "386", "274", "46"]
    tones = [e[1]["class"] for e in tree.find("pax-kf")]
    assert tones[0] and "pax-tone-up" in tones[0] and tones[1] and "pax-tone-down" in tones[1]
    assert len(tree.find("pax-comment")) == sum(1 for s in deck.slides if s.comment)
    assert all(e[2] == "Kommentar" for e in tree.find("pax-comment-label"))
    # numeric columns right-aligned (class), the others not
    walks = next(t for s in deck.slides for t in s.tables if len(t.rows) == 12)
    markup = slides_html(deck)
    row = markup.split("<td>Centrum</td>")[-1].split("</tr>")[0]
    assert row.count('<td class="pax-num">') == len(walks.numeric)
    assert "<td>Fredag och lördag</td>" in row
    # the hostile note arrives as text
    note = [e[2] for e in tree.find("pax-note") if "Testtext" in e[2]]
    assert note and HOSTILE in note[0]


def test_twelve_rows_get_a_smaller_font_than_three() -> None:
    assert table_font(12, shared=False) < table_font(3, shared=False) <= 3.0
    assert table_font(12, shared=True) < table_font(12, shared=False)
    assert table_font(200, shared=True) >= 1.7
    # two tables of 15 rows one under the other (no halves): smaller than 3, never below 1.5
    rows = tuple((f"Område {n}", str(n)) for n in range(15))
    two = Slide("long", "Två tabeller", tables=(Table(("Område", "Antal"), rows, (1,)),) * 2)
    fonts = plan(two).table_fonts
    assert len(fonts) == 2 and fonts[0] == fonts[1] and 1.5 <= fonts[0] < 3.0
    out = slides_html(replace(small_deck(), slides=(Slide("title", "T"), two)))
    assert out.count(f'--tfs: {fonts[0]}"') == 2


def test_english_deck_says_comment() -> None:
    deck = replace(small_deck(comment="Fine."), slide_label="Slide", data_label="Data up to")
    out = slides_html(deck)
    assert ">Comment<" in out and ">Exit<" in out and 'lang="en"' in out
    assert board_html.deck_lang(small_deck()) == "sv"


def test_css_and_js_cover_the_keys_and_the_viewport() -> None:
    for key in ("ArrowRight", "ArrowDown", "PageDown", "' '", "Enter"):
        assert key in SLIDES_JS
    for key in ("ArrowLeft", "ArrowUp", "PageUp", "Backspace", "Home", "End", "Escape"):
        assert key in SLIDES_JS
    assert "setTriggerValue('exit', true)" in SLIDES_JS
    assert "requestFullscreen" in SLIDES_JS and "removeEventListener('keydown'" in SLIDES_JS
    assert "dataset.current" in SLIDES_JS
    assert "position: fixed; inset: 0" in SLIDES_CSS and "object-fit: contain" in SLIDES_CSS


def test_layout_puts_images_and_tables_where_they_come_out_largest() -> None:
    slides = {s.key: s for s in sample_deck().slides}
    # two 4:3 maps are wide: above the bullets, not beside them
    assert plan(slides["maps"]).kind == "stack"
    # one chart beside its bullets and comment, the chart taking most of the width
    medium = plan(slides["medium"])
    assert medium.kind == "split" and medium.media >= 0.65
    # a chart and a small table: the table beside the chart
    assert plan(slides["long"]).side_tables
    # text only: bullets | comment
    assert plan(slides["assessment"]).kind == "pair"


def test_a_long_table_is_shown_in_two_halves() -> None:
    rows = tuple((f"Område {n}", str(n), f"{n} %") for n in range(1, 26))
    slide = Slide(
        "long",
        "Alla områden",
        tables=(Table(("Område", "Antal", "Andel"), rows, (1, 2)),),
        comment="Kort kommentar.",
    )
    p = plan(slide)
    assert p.halves and p.table_fonts[0] >= 2.4
    out = slides_html(replace(small_deck(), slides=(Slide("title", "T"), slide)))
    tree = parse(out)
    halves = tree.find("pax-table-halves")
    assert len(halves) == 1
    tables = [e for e in tree.elements if e[0] == "table"]
    assert len(tables) == 2
    assert "Område 1<" in out and "Område 13<" in out and "Område 25<" in out
    first, second = out.split("<table")[1:]
    assert "Område 13<" in first and "Område 14<" in second and "Område 14<" not in first
    # a short table stays whole
    short = replace(slide, tables=(Table(("Område", "Antal"), rows[:6], (1,)),))
    assert not plan(short).halves
