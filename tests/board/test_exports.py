"""PPTX and PDF exports of a lägesbild: one slide/page per Slide, titles, notes, images, footer
and marking on every page, nothing outside the slide, Swedish text intact, deterministic bytes.

The deck is synthetic (no database); the PDF pages are rendered with poppler's pdftoppm into
artifacts/board/ and checked for ink and for the test images' colours.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import pytest
from PIL import Image as PILImage
from PIL import ImageDraw
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu
from pypdf import PdfReader

from pax_geo.board.model import Deck, Image, KeyFigure, Slide, Table
from pax_geo.board.pdf_export import to_pdf
from pax_geo.board.pptx_export import to_pptx

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "board"

MARKING = "Arbetsmaterial – ej för vidare spridning"
ORANGE = (230, 120, 20)
TEAL = (20, 140, 160)


# --- the deck ---------------------------------------------------------------------------------


def _png(main: tuple[int, int, int], other: tuple[int, int, int]) -> bytes:
    """A 1600x1000 chart-like picture: a big block of ``main`` colour and some shapes."""
    picture = PILImage.new("RGB", (1600, 1000), (250, 250, 247))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((80, 80, 900, 900), fill=main)
    draw.ellipse((1000, 120, 1500, 620), fill=other)
    for i in range(8):
        draw.rectangle((1000 + i * 60, 950 - i * 40, 1040 + i * 60, 950), fill=(60, 60, 60))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def _image(key: str, main: tuple[int, int, int], other: tuple[int, int, int]) -> Image:
    return Image(key, _png(main, other), f"Karta över {key}", 1600, 1000)


def _district_rows(count: int) -> tuple[tuple[str, ...], ...]:
    names = ["Centrum", "Öster", "Väster", "Norr", "Söder", "Hamnen", "Ängslyckan", "Åby"]
    rows = []
    for i in range(count):
        name = f"{names[i % len(names)]} {i // len(names) + 1}"
        rows.append((name, str(40 + 7 * i), str(35 + 5 * i), f"{(i % 7) - 3:+d} %"))
    return tuple(rows)


def make_deck() -> Deck:
    map_image = _image("karta", ORANGE, (90, 60, 160))
    chart_image = _image("diagram", TEAL, (200, 200, 40))
    district = Table(
        ("Område", "Händelser", "Förra året", "Förändring"), _district_rows(6), numeric=(1, 2, 3)
    )
    long_table = Table(
        ("Område", "Händelser", "Förra året", "Förändring"), _district_rows(25), numeric=(1, 2, 3)
    )
    kinds = Table(
        ("Typ av händelse", "Antal", "Andel"),
        (
            ("Skadegörelse", "128", "34 %"),
            ("Ordningsstörning", "97", "26 %"),
            ("Stöld ur bil", "61", "16 %"),
            ("Klotter", "44", "12 %"),
            ("Övrigt", "45", "12 %"),
        ),
        numeric=(1, 2),
    )
    slides = (
        Slide(
            "title",
            "Lägesbild för styrelsen",
            subtitle="Trygghet och säkerhet i offentlig miljö",
            comment="Välkomna. Genomgången tar ungefär tjugo minuter; frågor tar vi efter "
            "varje avsnitt.",
        ),
        Slide(
            "key_figures",
            "Nyckeltal",
            subtitle="Vecka 10–13 jämfört med samma veckor i fjol",
            key_figures=(
                KeyFigure(
                    "Händelser totalt",
                    "375",
                    ("+12 % jämfört med i fjol", "≥ 30 fler än snittet för perioden"),
                    "up",
                ),
                KeyFigure("Skadegörelse", "128", ("−8 % jämfört med i fjol",), "down"),
                KeyFigure("Ordningsstörningar", "97", ("± 0 – oförändrat",), "same"),
                KeyFigure("Nattvandringar", "42", ("Åtta fler pass än förra perioden",)),
            ),
            bullets=(
                "Ökningen drivs främst av skadegörelse i centrum under helgnätter.",
                "Färre anmälningar om stöld ur bil i Öster och Söder.",
            ),
            comment="Nyckeltalen är preliminära; polisens siffror för mars kommer först i april.",
            note="Källa: kommunens händelserapportering och polisens öppna data. "
            "Värden under 5 redovisas inte.",
        ),
        Slide(
            "maps",
            "Var händer det?",
            subtitle="Händelser per område, vecka 10–13",
            images=(map_image,),
            comment="Kartan visar en tydlig koncentration kring resecentrum och Storgatan. "
            "Ängslyckan har gått ned sedan belysningen byttes i januari.",
            note="Områden med färre än fem händelser är sammanslagna.",
        ),
        Slide(
            "here_now",
            "Här och nu",
            subtitle="De senaste fyra veckorna",
            bullets=(
                "Oroligt kring skolavslutningen i Åby – extra nattvandring planeras.",
                "Två bränder i soprum i Öster; räddningstjänsten följer upp.",
                "Lugnare i Hamnen efter att kameran sattes upp.",
            ),
            tables=(district,),
            comment="Bilden för Åby bygger på få händelser — tolka med försiktighet.",
        ),
        Slide(
            "medium",
            "Utveckling på medellång sikt",
            subtitle="Tolv månader, per typ av händelse",
            images=(chart_image,),
            tables=(kinds,),
            comment="Skadegörelsen följer samma säsongsmönster som tidigare år.",
            note="Andelar avrundade till hela procent.",
        ),
        Slide(
            "long",
            "Lång sikt: alla områden",
            subtitle="Fem år, händelser per område",
            tables=(long_table,),
            comment="Tabellen visar samtliga 25 områden; de fem största står för hälften.",
            note="Förändring = senaste året jämfört med snittet för de fyra åren före.",
        ),
        Slide(
            "operations",
            "Insatser och samverkan",
            key_figures=(
                KeyFigure("Trygghetsvandringar", "6", ("Två med polisen",)),
                KeyFigure("Åtgärdade platser", "14", ("Belysning, klotter, buskage",), "down"),
            ),
            bullets=(
                "Samverkan med fastighetsägare i Öster är igång.",
                "Föreningarna i Åby har fått stöd till nattvandring.",
            ),
            tables=(
                Table(
                    ("Insats", "Ansvarig", "Klar"),
                    (
                        ("Ny belysning Storgatan", "Tekniska förvaltningen", "Maj"),
                        ("Kamera vid resecentrum", "Säkerhetsenheten", "Klar"),
                        ("Städning av gångtunnel", "Fastighetsbolaget", "Juni"),
                    ),
                ),
            ),
            comment="Insatserna i Öster redovisas separat i maj.",
        ),
        Slide(
            "assessment",
            "Samlad bedömning",
            bullets=(
                "Läget är i stort sett stabilt men skadegörelsen i centrum ökar.",
                "Åtgärderna i Ängslyckan ser ut att ge effekt och bör fortsätta.",
                "Vi föreslår att styrelsen följer upp centrum särskilt till nästa möte, "
                "med fokus på helgnätter och samarbetet med krögarna kring stängningstid.",
            ),
            comment="Bedömningen är gjord av trygghetssamordnaren tillsammans med polisen. "
            "Den bygger på händelser t.o.m. 30 mars och på samtal med föreningar, "
            "fastighetsägare och skolor i de berörda områdena.",
        ),
    )
    return Deck(
        title="Lägesbild för styrelsen",
        municipality="Älvsåkers kommun",
        period_label="Vecka 10–13 2025",
        presenter="Åsa Öberg, trygghetssamordnare",
        marking=MARKING,
        data_until="2025-03-30",
        generated="2025-04-02 09:15",
        slides=slides,
    )


@pytest.fixture(scope="module")
def deck() -> Deck:
    return make_deck()


@pytest.fixture(scope="module")
def pptx_bytes(deck: Deck) -> bytes:
    data = to_pptx(deck)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "export.pptx").write_bytes(data)
    return data


@pytest.fixture(scope="module")
def pdf_bytes(deck: Deck) -> bytes:
    data = to_pdf(deck)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "export.pdf").write_bytes(data)
    return data


# --- PPTX -------------------------------------------------------------------------------------


def _texts(slide) -> Iterator[str]:
    for shape in slide.shapes:
        if shape.has_text_frame:
            yield shape.text_frame.text


def test_pptx_slides_titles_and_size(deck: Deck, pptx_bytes: bytes) -> None:
    prs = Presentation(io.BytesIO(pptx_bytes))
    assert len(prs.slides) == len(deck.slides)
    assert (prs.slide_width, prs.slide_height) == (Emu(12192000), Emu(6858000))
    for slide, data in zip(prs.slides, deck.slides, strict=True):
        assert slide.shapes.title is not None
        assert slide.shapes.title.text == data.title
    assert prs.core_properties.title == deck.title
    assert prs.core_properties.author == deck.presenter


def test_pptx_notes_pictures_footer(deck: Deck, pptx_bytes: bytes) -> None:
    prs = Presentation(io.BytesIO(pptx_bytes))
    n = len(deck.slides)
    for i, (slide, data) in enumerate(zip(prs.slides, deck.slides, strict=True), start=1):
        if data.comment:
            assert data.comment in slide.notes_slide.notes_text_frame.text
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == len(data.images), data.key
        texts = list(_texts(slide))
        assert any(deck.footer in t for t in texts), data.key
        assert any(t == f"Bild {i}/{n}" for t in texts), data.key
        assert any(MARKING in t for t in texts)
        tables = [s for s in slide.shapes if s.has_table]
        assert len(tables) >= len(data.tables)


def test_pptx_title_slide_and_key_figures(deck: Deck, pptx_bytes: bytes) -> None:
    prs = Presentation(io.BytesIO(pptx_bytes))
    first = "\n".join(_texts(prs.slides[0]))
    for part in (deck.municipality, deck.period_label, deck.presenter, deck.generated, MARKING):
        assert part in first
    figures = "\n".join(_texts(prs.slides[1]))
    for fig in deck.slides[1].key_figures:
        assert fig.value in figures and fig.label in figures
        assert all(line in figures for line in fig.lines)


def test_pptx_tables_and_fonts(deck: Deck, pptx_bytes: bytes) -> None:
    prs = Presentation(io.BytesIO(pptx_bytes))
    long_slide = prs.slides[[s.key for s in deck.slides].index("long")]
    cells = [
        cell.text_frame.text
        for shape in long_slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]
    for row in deck.slides[5].tables[0].rows:  # all 25 rows, none dropped
        assert row[0] in cells
    for slide, data in zip(prs.slides, deck.slides, strict=True):
        assert slide.shapes.title.text_frame.paragraphs[0].runs[0].font.size.pt >= 32
        by_header = {t.header: t for t in data.tables}
        for shape in slide.shapes:
            if shape.has_table:
                grid = shape.table
                header = tuple(c.text_frame.text for c in grid.rows[0].cells)
                table = by_header[header]
                font = grid.cell(0, 0).text_frame.paragraphs[0].runs[0].font
                assert font.bold and font.size.pt >= 11
                for c in range(len(header)):
                    align = grid.cell(1, c).text_frame.paragraphs[0].alignment
                    want = PP_ALIGN.RIGHT if c in table.numeric else PP_ALIGN.LEFT
                    assert align == want, (data.key, header[c])
                    size = grid.cell(1, c).text_frame.paragraphs[0].runs[0].font.size.pt
                    assert size >= (14 if len(table.rows) <= 8 else 11), data.key
            elif shape.has_text_frame and shape.name.startswith(("Bullets", "Comment", "Key")):
                sizes = [r.font.size.pt for p in shape.text_frame.paragraphs for r in p.runs]
                assert min(sizes) >= 16, shape.name


def test_pptx_shapes_inside_slide_and_apart(pptx_bytes: bytes) -> None:
    assert_inside_and_apart(Presentation(io.BytesIO(pptx_bytes)))


def assert_inside_and_apart(prs) -> None:
    """Every shape lies on the slide and no two shapes' boxes overlap."""
    width, height = prs.slide_width, prs.slide_height
    for number, slide in enumerate(prs.slides, start=1):
        boxes = []
        for shape in slide.shapes:
            left, top = shape.left, shape.top
            assert left >= 0 and top >= 0, (number, shape.name)
            assert left + shape.width <= width, (number, shape.name)
            assert top + shape.height <= height, (number, shape.name)
            if shape.width and shape.height:
                boxes.append((shape.name, left, top, left + shape.width, top + shape.height))
        for a, b in combinations(boxes, 2):
            apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]
            assert apart, (number, a[0], b[0])


def test_pptx_is_deterministic(deck: Deck, pptx_bytes: bytes) -> None:
    assert to_pptx(make_deck()) == pptx_bytes


# --- PDF --------------------------------------------------------------------------------------


def test_pdf_pages_text_and_metadata(deck: Deck, pdf_bytes: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    assert len(reader.pages) == len(deck.slides)
    for page in reader.pages:
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(w - 842) <= 1 and abs(h - 595) <= 1
    texts = [page.extract_text() for page in reader.pages]
    for i, (text, data) in enumerate(zip(texts, deck.slides, strict=True), start=1):
        flat = " ".join(text.split())
        assert " ".join(data.title.split()) in flat
        assert f"Bild {i}/{len(deck.slides)}" in flat
        assert MARKING in flat
        if data.comment:
            assert "Kommentar" in flat
            assert " ".join(data.comment.split()) in flat, data.key
    assert "Bild 3/8" in texts[2]
    assert "Älvsåkers kommun" in texts[0] and "Åsa Öberg" in texts[0]
    assert "≥ 30" in texts[1] and "±" in texts[1] and "−8 %" in texts[1]
    assert reader.metadata is not None
    assert reader.metadata.title == deck.title
    assert reader.metadata.author == deck.presenter


def test_pdf_text_stays_on_page(deck: Deck, pdf_bytes: bytes) -> None:
    assert_text_on_page(PdfReader(io.BytesIO(pdf_bytes)), deck)


def assert_text_on_page(reader: PdfReader, deck: Deck) -> None:
    """All text starts inside the page margins; only the footer lies below the footer rule."""
    n = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        points: list[tuple[str, float, float]] = []

        def visit(text, cm, tm, font, size, points=points) -> None:
            if text.strip():
                points.append((text.strip(), tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]))

        page.extract_text(visitor_text=visit)
        assert points, number
        footer = {deck.footer, f"{deck.slide_label} {number}/{n}"}
        for text, x, y in points:
            assert 20 <= x <= 842 - 20, (number, text, x)
            assert 10 <= y <= 595 - 10, (number, text, y)
            # the footer rule is 31 pt above the page's lower edge
            assert y > 32 or text in footer, (number, text, y)


def test_pdf_is_deterministic(pdf_bytes: bytes) -> None:
    assert to_pdf(make_deck()) == pdf_bytes


@pytest.fixture(scope="module")
def rendered(pdf_bytes: bytes) -> list[PILImage.Image]:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("export-page-*.png"):
        old.unlink()
    source = ARTIFACTS / "export.pdf"
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(source), str(ARTIFACTS / "export-page")],
        check=True,
        timeout=120,
    )
    files = sorted(ARTIFACTS.glob("export-page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [PILImage.open(f).convert("RGB") for f in files]


def _has_colour(picture: PILImage.Image, colour: tuple[int, int, int], minimum: int) -> bool:
    near = 0
    for count, (r, g, b) in picture.getcolors(maxcolors=1 << 20) or []:
        if abs(r - colour[0]) + abs(g - colour[1]) + abs(b - colour[2]) <= 24:
            near += count
    return near >= minimum


def test_pdf_pages_render_with_ink_and_images(deck: Deck, rendered) -> None:
    assert len(rendered) == len(deck.slides)
    for picture, data in zip(rendered, deck.slides, strict=True):
        colours = picture.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 20, data.key
        grey = picture.convert("L")
        dark = sum(grey.histogram()[:200]) / (grey.width * grey.height)
        assert dark > 0.01, data.key
        keys = {i.key for i in data.images}
        # 60 dpi: a page is ~700x495 px; the picture's main block covers thousands of pixels.
        assert _has_colour(picture, ORANGE, 2000) == ("karta" in keys), data.key
        assert _has_colour(picture, TEAL, 2000) == ("diagram" in keys), data.key


# --- overfull slides --------------------------------------------------------------------------

LONG = "Detta är en mycket lång mening om läget i kommunen som fortsätter och fortsätter. " * 4


def make_crowded_deck() -> Deck:
    """Slides with far too much on them, in English: the exports must still fit every slide."""
    rows = tuple(
        (f"Area with a rather long name {i}", str(i * 13), str(i * 7), f"{i % 9 - 4:+d} %")
        for i in range(60)
    )
    big = Table(("Area", "Now", "Before", "Change"), rows, numeric=(1, 2, 3))
    figures = tuple(
        KeyFigure(f"Key figure {i} with a long label", f"{i * 111}", ("+12 % on last year",))
        for i in range(7)
    )
    images = (_image("a", ORANGE, TEAL), _image("b", TEAL, ORANGE), _image("c", ORANGE, ORANGE))
    slides = (
        Slide("title", "Situation picture", bullets=("One bullet",), comment=LONG * 3),
        Slide(
            "everything",
            "A very long title that cannot fit on one line and has to wrap onto a second line",
            subtitle=LONG[:150],
            key_figures=figures,
            bullets=(LONG, LONG, LONG),
            tables=(big,),
            images=images,
            comment=LONG * 2,
            note=LONG,
        ),
        Slide("tables", "Two tables", tables=(big, Table(("X", "Y"), (("a", "1"),), (1,)))),
        Slide("empty", "Empty table", tables=(Table(("Area", "Now"), ()),), comment="Short."),
        Slide("image", "Image, no size", images=(replace(images[0], width_px=0, height_px=0),)),
    )
    return replace(make_deck(), slides=slides, slide_label="Slide", data_label="Data up to")


def test_crowded_slides_fit() -> None:
    deck = make_crowded_deck()
    prs = Presentation(io.BytesIO(to_pptx(deck)))
    assert len(prs.slides) == len(deck.slides)
    assert_inside_and_apart(prs)
    for slide, data in zip(prs.slides, deck.slides, strict=True):
        assert slide.shapes.title.text == data.title
        if data.comment:
            assert data.comment in slide.notes_slide.notes_text_frame.text
    two_tables = [s for s in prs.slides[2].shapes if s.has_table]
    assert {s.table.cell(0, 0).text_frame.text for s in two_tables} == {"Area", "X"}

    reader = PdfReader(io.BytesIO(to_pdf(deck)))
    assert len(reader.pages) == len(deck.slides)
    assert_text_on_page(reader, deck)
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert "Slide 2/5" in texts[1] and "Comment" in texts[1] and "Data up to" in texts[1]
    assert "Kommentar" not in " ".join(texts)
    assert "X Y" in texts[2]  # the small table after the big one is there too
