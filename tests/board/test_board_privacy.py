"""Privacy of what leaves the building: on a database where one area has exactly 1 car fire and
another exactly 2 shootings in the period, neither the figures, the PPTX (every XML part's
text), the PDF text nor the presentation's HTML gives those exact counts for those areas, and
none of them carries a coordinate or an address. Built as a police analyst, whose own login
sees exact points elsewhere: the lägesbild must still be the board's release."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, timedelta

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import Engine, text

from pax_geo.board import figures, periods, slides
from pax_geo.board.html import slides_html
from pax_geo.board.pdf_export import to_pdf
from pax_geo.board.pptx_export import to_pptx
from pax_geo.horizons.periods import local_midnight
from tests.auth_support import Signed

#: a period the demo data does not reach
FIRST, LAST = date(2015, 3, 1), date(2015, 5, 31)
ONE, TWO, MANY = "Ronna", "Geneta", "Hovsjö"
ADDRESS = "Storgatan 12"
SOURCE = "test_board_privacy"


@pytest.fixture
def planted(owner_engine: Engine, demo_loaded) -> dict:
    """1 car fire in ONE, 2 shootings in TWO, 30 car fires in MANY, each with an address.

    MANY is far above the threshold so that the noise (random key per test database) cannot
    take it below: with 9 it did, about once in a few hundred databases."""
    plan = [("car_fire", ONE)] + [("shooting", TWO)] * 2 + [("car_fire", MANY)] * 30
    points = []
    with owner_engine.begin() as c:
        for i, (kind, area) in enumerate(plan):
            row = c.execute(
                text(
                    "select a.id, st_x(p) as x, st_y(p) as y, "
                    "st_x(st_transform(p, 4326)) as lon, st_y(st_transform(p, 4326)) as lat, "
                    "p from (select id, st_pointonsurface(geom) as p from pax_data.area "
                    "where name = :n and kind = 'district') a"
                ),
                {"n": area},
            ).one()
            # spread over the period's three months
            at = local_midnight(FIRST) + timedelta(days=2 + 85 * i // len(plan), hours=21)
            c.execute(
                text(
                    "insert into pax_data.incident (kind, title, description, occurred_at, geom, "
                    "area_id, source, source_id, verification) values (:k, :title, :d, :t, :g, "
                    ":a, :s, :sid, 'confirmed')"
                ),
                {
                    "k": kind,
                    "title": f"{kind} {ADDRESS}",
                    "d": f"Brand i bil på {ADDRESS}, Södertälje",
                    "t": at,
                    "g": row.p,
                    "a": row.id,
                    "s": SOURCE,
                    "sid": f"p{i}",
                },
            )
            points.append((row.x, row.y, row.lon, row.lat))
    yield {"points": points}
    with owner_engine.begin() as c:
        c.execute(text("delete from pax_data.incident where source = :s"), {"s": SOURCE})


def pptx_texts(data: bytes) -> list[str]:
    """The text nodes of every XML part (slides, notes, layouts, properties): not attributes."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                root = etree.fromstring(z.read(name))
                out.extend(t for t in root.itertext() if t.strip())
    return out


def coordinate_like(s: str, points: list[tuple[float, float, float, float]]) -> list[str]:
    # SWEREF 99 TM metres; not the decimals of a smaller number (a p-value 0.0078125 is not one)
    found = re.findall(r"(?<![.,\d])\d{6,7}(?:[.,]\d+)?\b", s)
    found += re.findall(r"\b(?:1[5-9]|5[6-9])[.,]\d{4,}\b", s)  # WGS84 degrees (Sweden)
    for x, y, lon, lat in points:
        for v in (f"{x:.0f}", f"{y:.0f}", f"{lon:.4f}", f"{lat:.4f}"):
            if v in s:
                found.append(v)
    return found


def test_exports_never_give_a_suppressed_count_a_coordinate_or_an_address(signed, planted):
    police: Signed = signed["police_analyst"]
    ps = periods.of_days(FIRST, LAST)
    with police.connect() as c:
        fig = figures.build(c, ps, local_midnight(LAST + timedelta(days=1)))
    # the release itself: the planted 1 and 2 are never given back as exact counts
    one = fig["by_area"]["car_fire"][ONE]["cur"]
    two = fig["by_area"]["shooting"][TWO]["cur"]
    assert one != [1, 1] and two != [2, 2]
    assert one in ([0, 0], [1, 2]) or one[0] >= 3
    assert fig["by_area"]["car_fire"][MANY]["cur"][0] >= 3, "the larger count is released"
    assert "geom" not in json.dumps(fig["operations"])

    deck = slides.compose(
        fig,
        {"maps": "Fler bilbränder i Hovsjö.", "assessment": "Läget är lugnt."},
        title="Lägesbild våren 2015",
        presenter="Polis Analytiker",
        marking="Arbetsmaterial – ej för vidare spridning",
    )
    forms = {
        "figures": [json.dumps({k: v for k, v in fig.items() if k != "areas"}, ensure_ascii=False)],
        "pptx": pptx_texts(to_pptx(deck)),
        "pdf": [p.extract_text() for p in PdfReader(io.BytesIO(to_pdf(deck))).pages],
        "html": [re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", slides_html(deck))],
    }
    kinds = slides.kind_titles("sv")
    for form, texts in forms.items():
        joined = "\n".join(texts)
        flat = re.sub(r"<[^>]+>", " ", joined) if form == "html" else joined
        flat = re.sub(r"\s+", " ", flat)
        assert "Hovsjö" in flat or form == "figures", form  # the release does reach the page
        assert not re.search(rf"{ONE} {kinds['car_fire']} 1\b", flat), form
        assert not re.search(rf"{TWO} {kinds['shooting']} 2\b", flat), form
        assert not re.search(rf"{ONE}\W+1\b", flat), form
        assert not re.search(rf"{TWO}\W+2\b", flat), form
        assert ADDRESS not in flat and "Storgatan" not in flat, form
        assert coordinate_like(flat, planted["points"]) == [], form
    # the PPTX tables: the row of each planted area never holds its exact count "now"
    from pptx import Presentation

    prs = Presentation(io.BytesIO(to_pptx(deck)))
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_table:
                for row in shape.table.rows:
                    cells = [c.text for c in row.cells]
                    if cells[:2] == [ONE, kinds["car_fire"]]:
                        assert cells[2] != "1"
                    if cells[:2] == [TWO, kinds["shooting"]]:
                        assert cells[2] != "2"


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s)


def test_the_three_forms_show_the_same_figures_and_every_export_is_audited(signed, owner_engine):
    from pax_geo.board import exports
    from pax_geo.clock import now, today

    chief: Signed = signed["security_chief"]
    ps = periods.of_days(today() - timedelta(days=90), today() - timedelta(days=1))
    with chief.connect() as c:
        fig = figures.build(c, ps, now())
    deck = slides.compose(
        fig, {"medium": "Fler trasiga lampor."}, title="Lägesbild", presenter="Chef", marking="AM"
    )
    files = {
        fmt: exports.export(
            deck, fmt, 4242, "draft", role=chief.role, token=chief.token, username=chief.name
        )
        for fmt in exports.FORMATS
    }
    forms = {
        "pptx": _norm(" ".join(pptx_texts(files["pptx"]))),
        "pdf": _norm(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(files["pdf"])).pages)),
        "html": _norm(re.sub(r"<[^>]+>", " ", slides_html(deck)).replace("&lt;", "<")),
    }
    expected = []
    for s in deck.slides:
        expected.append(s.title)
        for kf in s.key_figures:
            expected += [kf.value, kf.label]
        for tb in s.tables:
            for row in tb.rows:
                expected += [cell for cell in row if cell]
        expected += list(s.bullets)
    assert len(expected) > 60
    for form, shown in forms.items():
        missing = [e for e in expected if _norm(e) not in shown]
        assert missing == [], (form, missing[:10])
    with owner_engine.connect() as c:
        rows = c.execute(
            text(
                "select username, detail->>'format' from pax_data.audit_log "
                "where action = 'briefing_export' and (detail->>'id')::int = 4242"
            )
        ).all()
    assert sorted(rows) == [(chief.name, "pdf"), (chief.name, "pptx")]
