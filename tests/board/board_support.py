"""A sample lägesbild for the presentation tests: eight slides in Swedish, charts and maps
drawn with Pillow, a table of twelve rows, key figures and comments. No database."""

from __future__ import annotations

import io
import math

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from pax_geo.board.model import Deck, Image, KeyFigure, Slide, Table

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

#: Text that must reach the slides as text, never as markup.
HOSTILE = '<script>alert("x")</script><b>fet</b>'


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_BOLD if bold else FONT, size)


def _png(img: PILImage.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def bar_chart(
    key: str, title: str, labels: list[str], values: list[int], w: int = 1600, h: int = 900
) -> Image:
    """A plain bar chart: title, y grid, bars with their values, month labels."""
    img = PILImage.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.text((40, 20), title, font=_font(54, bold=True), fill="#111418")
    left, right, top, bottom = 150, w - 40, 150, h - 100
    top_value = max(values) * 1.15
    for k in range(5):
        v = top_value * k / 4
        y = bottom - (bottom - top) * k / 4
        d.line([(left, y), (right, y)], fill="#d0d6dd", width=2)
        d.text((left - 16, y), f"{v:.0f}", font=_font(34), fill="#3a4049", anchor="rm")
    step = (right - left) / len(values)
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        x0 = left + i * step + step * 0.18
        x1 = left + (i + 1) * step - step * 0.18
        y = bottom - (bottom - top) * v / top_value
        d.rectangle([(x0, y), (x1, bottom)], fill="#0b4a8b" if i < len(values) - 1 else "#a3261b")
        d.text(
            ((x0 + x1) / 2, y - 12), str(v), font=_font(40, bold=True), fill="#111418", anchor="md"
        )
        d.text(((x0 + x1) / 2, bottom + 18), lab, font=_font(38), fill="#111418", anchor="ma")
    d.line([(left, bottom), (right, bottom)], fill="#111418", width=3)
    return Image(
        key,
        _png(img),
        f"{title}: " + ", ".join(f"{a} {b}" for a, b in zip(labels, values, strict=True)),
        w,
        h,
    )


def district_map(key: str, title: str, levels: list[int], w: int = 1200, h: int = 900) -> Image:
    """Nine hexagonal 'districts' shaded by level, named, with a legend."""
    img = PILImage.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.text((30, 16), title, font=_font(46, bold=True), fill="#111418")
    shades = ["#eef3f9", "#bcd0e6", "#6f97c4", "#0b4a8b"]
    names = [
        "Centrum",
        "Hovsjö",
        "Ronna",
        "Geneta",
        "Fornhöjden",
        "Saltskog",
        "Järna",
        "Enhörna",
        "Mölnbo",
    ]
    r = 150
    for i, (name, lvl) in enumerate(zip(names, levels, strict=True)):
        cx = 230 + (i % 3) * 2 * r * 0.9 + (r * 0.9 if (i // 3) % 2 else 0)
        cy = 220 + (i // 3) * r * 1.55
        pts = [
            (
                cx + r * math.cos(math.radians(60 * k + 30)),
                cy + r * math.sin(math.radians(60 * k + 30)),
            )
            for k in range(6)
        ]
        d.polygon(pts, fill=shades[lvl], outline="#111418", width=3)
        d.text(
            (cx, cy),
            name,
            font=_font(33, bold=True),
            fill="#111418" if lvl < 2 else "white",
            anchor="mm",
        )
    for k, s in enumerate(shades):
        d.rectangle([(w - 260, 120 + k * 60), (w - 220, 160 + k * 60)], fill=s, outline="#111418")
        d.text(
            (w - 205, 140 + k * 60),
            ["Lågt", "Normalt", "Förhöjt", "Högt"][k],
            font=_font(32),
            fill="#111418",
            anchor="lm",
        )
    return Image(key, _png(img), f"{title}: karta över nio områden, skuggade efter nivå", w, h)


def sample_deck() -> Deck:
    months = ["okt", "nov", "dec", "jan", "feb", "mar"]
    walks = Table(
        header=("Område", "Pass", "Deltagare", "Timmar", "Kommentar"),
        rows=tuple(
            (name, str(p), str(d), f"{t:,.1f}".replace(",", " ").replace(".", ","), note)
            for name, p, d, t, note in [
                ("Centrum", 9, 61, 38.5, "Fredag och lördag"),
                ("Hovsjö", 7, 44, 29.0, "Nya volontärer"),
                ("Ronna", 6, 39, 25.5, ""),
                ("Geneta", 5, 31, 21.0, "Med fältassistenter"),
                ("Fornhöjden", 4, 22, 16.0, ""),
                ("Saltskog", 3, 18, 12.5, ""),
                ("Järna", 3, 17, 12.0, "Lördagar"),
                ("Enhörna", 2, 9, 8.0, ""),
                ("Mölnbo", 2, 8, 7.5, ""),
                ("Västergård", 2, 11, 8.5, "Skolavslutning"),
                ("Brunnsäng", 2, 12, 9.0, ""),
                ("Pershagen", 1, 6, 4.0, ""),
            ]
        ),
        numeric=(1, 2, 3),
    )
    here_now = Table(
        header=("Område", "Senaste 24 h", "Normalt", "Läge"),
        rows=(
            ("Centrum", "14", "9", "Förhöjt"),
            ("Hovsjö", "6", "5", "Normalt"),
            ("Ronna", "3", "4", "Normalt"),
            ("Geneta", "7", "3", "Högt"),
        ),
        numeric=(1, 2),
    )
    years = Table(
        header=("År", "Jan–mar", "Förändring"),
        rows=(
            ("2021", "1 061", ""),
            ("2022", "1 102", "+4 %"),
            ("2023", "1 139", "+3 %"),
            ("2024", "1 136", "0 %"),
            ("2025", "1 248", "+10 %"),
        ),
        numeric=(1, 2),
    )
    slides = (
        Slide("title", "Lägesbild för styrelsen", subtitle="Trygghet och ordningsstörningar"),
        Slide(
            "key_figures",
            "Nyckeltal för perioden",
            subtitle="Januari–mars 2025 jämfört med samma period 2024",
            key_figures=(
                KeyFigure("Anmälda händelser", "1 248", ("112 fler än i fjol (+10 %)",), "up"),
                KeyFigure("Skadegörelse", "386", ("41 färre än i fjol (−10 %)",), "down"),
                KeyFigure("Ordningsstörningar kvällstid", "274", ("Som i fjol",), "same"),
                KeyFigure("Nattvandringar", "46", ("312 deltagare",), ""),
            ),
            comment=(
                "Ökningen kommer främst från Centrum och Geneta under februari. "
                "Skadegörelsen minskar för tredje kvartalet i rad."
            ),
            note="Källa: Polisens händelser och kommunens felanmälningar, t.o.m. 31 mars 2025.",
        ),
        Slide(
            "maps",
            "Var händer det?",
            subtitle="Händelser per område, förra och denna period",
            images=(
                district_map("map_before", "Oktober–december", [1, 1, 0, 1, 0, 0, 0, 0, 0]),
                district_map("map_now", "Januari–mars", [3, 1, 0, 2, 1, 0, 0, 0, 0]),
            ),
            bullets=(
                "Centrum har gått från normalt till högt",
                "Geneta förhöjt sedan februari",
                "Övriga områden oförändrade",
            ),
            note="Områden med färre än 5 händelser visas som 'Lågt' (röjandeskydd).",
        ),
        Slide(
            "here_now",
            "Här och nu",
            subtitle="Det senaste dygnet, måndag 7 april kl. 08.00",
            tables=(here_now,),
            bullets=("Två händelser i Geneta i natt utreds", "Inga larm från skolorna"),
            comment="Polisen förstärker i Geneta under veckan.",
        ),
        Slide(
            "medium",
            "De senaste sex månaderna",
            images=(
                bar_chart("months", "Händelser per månad", months, [198, 187, 214, 201, 236, 212]),
            ),
            bullets=(
                "Februari högsta månaden på två år",
                "Mars tillbaka nära det normala",
                "Kvällar och helger står för 60 %",
            ),
            comment="Toppen i februari sammanföll med sportlovet och två större evenemang i Centrum.",
        ),
        Slide(
            "long",
            "Lång sikt: fem år",
            subtitle="Januari–mars varje år",
            images=(
                bar_chart(
                    "years",
                    "Händelser januari–mars",
                    ["2021", "2022", "2023", "2024", "2025"],
                    [1061, 1102, 1139, 1136, 1248],
                ),
            ),
            tables=(years,),
            comment="Trenden är svagt stigande, men 2025 ligger över det som trenden förklarar.",
            note=f"Testtext som ska visas som text: {HOSTILE}",
        ),
        Slide(
            "operations",
            "Nattvandringar och insatser",
            subtitle="Genomförda pass per område",
            tables=(walks,),
            bullets=("46 pass, 312 deltagare", "Flest pass i Centrum och Hovsjö"),
            comment="Föreningarna önskar stöd för fler pass i Geneta under våren.",
            note="Källa: nattvandrarnas egna rapporter i Pax.",
        ),
        Slide(
            "assessment",
            "Bedömning och förslag",
            bullets=(
                "Läget i kommunen är i stort stabilt",
                "Centrum och Geneta kräver fortsatt uppmärksamhet",
                "Skadegörelsen minskar – insatserna i skolorna verkar ge effekt",
                "Förslag: förlängd kameraövervakning vid Centrumgaraget",
            ),
            comment=(
                "Säkerhetsavdelningen föreslår att styrelsen ger förvaltningen i uppdrag att "
                "ta fram en plan för Geneta tillsammans med polisen och bostadsbolaget, "
                "och att återrapportera i juni."
            ),
        ),
    )
    return Deck(
        title="Lägesbild för styrelsen",
        municipality="Södertälje kommun",
        period_label="Januari–mars 2025",
        presenter="Anna Lindqvist, säkerhetschef",
        marking="Begränsad spridning",
        data_until="2025-03-31",
        generated="2025-04-07",
        slides=slides,
    )
