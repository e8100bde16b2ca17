"""pax_data.personal_data_kind (pax_geo.pii.PLPGSQL) agrees with pax_geo.pii.find_personal_data:
on a fixed list of notes with known answers and on 300 seeded random strings built to sit near
every rule's edges. The function is created inside the test transaction (rolled back)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from pax_geo import pii
from tests.core.test_pii import FORMS, identity, with_check, write

NBSP, EN_DASH = "\u00a0", "\u2013"
PNR = with_check("850709123")  # 8507091232
SAMNR = with_check("850769123")

FIXED: list[tuple[str, str | None]] = [
    # identity numbers, every form, valid and wrong check digits
    (f"{PNR[:6]}-{PNR[6:]}", "personnummer"),
    (f"{PNR[:6]}+{PNR[6:]}", "personnummer"),
    (f"{PNR[:6]} {PNR[6:]}", "personnummer"),
    (PNR, "personnummer"),
    (f"19{PNR}", "personnummer"),
    (f"19{PNR[:6]}-{PNR[6:]}", "personnummer"),
    (f"19{PNR[:6]} {PNR[6:]}", "personnummer"),
    ("19850709-1234", None),
    ("850709-1234", None),
    ("8507091234", None),
    ("198507091234", None),
    (f"{SAMNR[:6]}-{SAMNR[6:]}", "samordningsnummer"),
    (f"19{SAMNR}", "samordningsnummer"),
    (f"{SAMNR[:6]}-{SAMNR[6:9]}{(int(SAMNR[9]) + 1) % 10}", None),
    ("19121212-1212", "personnummer"),
    ("121272-1219", "samordningsnummer"),
    (f"17{PNR}", None),
    (f"21{PNR}", None),
    (f"{PNR[:6]}.{PNR[6:]}", None),
    (f"19{PNR[:6]}+{PNR[6:]}", None),
    # impossible dates with valid check digits
    (with_check("851301123"), None),
    (with_check("850700123"), None),
    (with_check("850431123"), None),
    (with_check("850229123"), None),
    (with_check("840229123"), "personnummer"),
    ("19" + with_check("000229123"), None),
    ("20" + with_check("000229123"), "personnummer"),
    (with_check("850792123"), None),
    (with_check("850760123"), None),
    # phone numbers
    ("070-123 45 67", "phone"),
    ("0701234567", "phone"),
    ("070 123 45 67", "phone"),
    ("070.123.45.67", "phone"),
    ("+46 70 123 45 67", "phone"),
    ("+4681234567", "phone"),
    ("+46 070-123 45 67", "phone"),
    ("0046 8 123 456 78", "phone"),
    ("08-123 456 78", "phone"),
    ("016-12 34 56", "phone"),
    ("0155-123 45", "phone"),
    (f"070{EN_DASH}123{NBSP}45{NBSP}67", "phone"),
    ("07012345678", None),
    ("070-0123456", None),
    ("07-123 45 67", None),
    ("08-123 45-67", None),
    ("+47 70 123 45 67", None),
    ("070 - 123 45 67", None),
    # never findings
    ("Grupp ungdomar vid torget, ca 10 pers", None),
    ("2026-12-03", None),
    ("3/12 21:30", None),
    ("kl 21.30–23.00", None),
    ("kl 07.30-08.15, 10 pers", None),
    ("08.12.2026", None),
    ("2026-12-08 12 34 56", None),
    ("3 bilar", None),
    ("ABC 123", None),
    ("ABC 12A", None),
    ("sedan 2019", None),
    ("151 73 Södertälje", None),
    ("1 500 kr", None),
    ("", None),
    # inside sentences; the first finding decides
    (f"Mannen uppgav pnr {PNR[:6]}-{PNR[6:]}, nås på 070-123 45 67", "personnummer"),
    (f"Nås på 070-123 45 67, pnr {PNR[:6]}-{PNR[6:]}", "phone"),
    ("Ca 10 070 123 45 67 ringde", "phone"),
    ("Tel:0046701234567.", "phone"),
    ("pnr850709-1232 sa han", "personnummer"),
    ("Sam.nr 121272-1219 enl. Migrationsverket", "samordningsnummer"),
]


def random_phone(rng: random.Random) -> str:
    """A phone-like number near the rules' edges: various area codes, lengths and groupings."""
    area = rng.choice(["070", "073", "076", "08", "016", "031", "0155", "0", "07", "00", "01234"])
    length = rng.randint(4, 9)
    sub = str(rng.randint(0, 9)) + "".join(rng.choice("0123456789") for _ in range(length - 1))
    if rng.random() < 0.5:
        sizes = []
        left = len(sub)
        while left:
            size = min(left, rng.choice([1, 2, 2, 3, 3, 4]))
            sizes.append(size)
            left -= size
        parts, k = [], 0
        for size in sizes:
            parts.append(sub[k : k + size])
            k += size
        sep = rng.choice([" ", " ", "-", ".", NBSP])
        sub = (
            sep.join(parts)
            if rng.random() < 0.8
            else "".join(p + rng.choice(" -.") for p in parts)[:-1]
        )
    number = area + rng.choice(["", "-", " ", ".", EN_DASH, "/"]) + sub
    prefix = rng.random()
    if prefix < 0.2:
        number = (
            "+46" + rng.choice(["", " "]) + number.lstrip("0") if number.startswith("0") else number
        )
    elif prefix < 0.3:
        number = "0046 " + number[1:]
    return number


def random_identity(rng: random.Random) -> str:
    """A valid or (half the time) wrong-check-digit identity number in a random form; sometimes
    with an impossible date."""
    day = date(1890, 1, 1) + timedelta(days=rng.randrange(50_000))
    ten = identity(day, rng.randrange(1000), coordination=rng.random() < 0.3)
    if rng.random() < 0.15:  # impossible day or month, valid check digit
        ten = with_check(
            ten[:2]
            + rng.choice(["00", "13", ten[2:4]])
            + rng.choice(["00", "32", "60", "92", "31", "30", "29"])
            + ten[6:9]
        )
    if rng.random() < 0.5:
        ten = ten[:9] + str((int(ten[9]) + rng.randrange(1, 10)) % 10)
    return write(f"{day.year // 100}", ten, rng.choice(FORMS))


def random_soup(rng: random.Random) -> str:
    """Digits, separators, letters, dashes and odd spaces thrown together."""
    pieces = []
    for _ in range(rng.randint(1, 8)):
        roll = rng.random()
        if roll < 0.5:
            pieces.append("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 12))))
        elif roll < 0.8:
            pieces.append(rng.choice([" ", "-", ".", "+", " ", "+46", "0046", NBSP, EN_DASH]))
        else:
            pieces.append(rng.choice(["kl ", "ca ", "pers", "ABC", "/", ":", ", ", "  ", "å"]))
    return "".join(pieces)


CONTEXTS = [
    "{}",
    "Tel {} ikväll",
    "Pnr {}, ca 10 pers",
    "{} 21:30",
    "Såg ABC 123 och {}.",
    "2026-12-03 {}",
    "{} 151 73 Södertälje",
    "ca 10 {} 3 bilar",
    "x{}y",
]


def random_notes(n: int, seed: int = 20261203) -> list[str]:
    rng = random.Random(seed)
    notes = []
    for _ in range(n):
        maker = rng.choice([random_phone, random_identity, random_soup])
        note = rng.choice(CONTEXTS).format(maker(rng))
        if rng.random() < 0.2:
            note = note + " " + rng.choice([random_phone, random_identity, random_soup])(rng)
        notes.append(note)
    return notes


def first_kind(note: str) -> str | None:
    found = pii.find_personal_data(note)
    return found[0].kind if found else None


@pytest.fixture
def sql_kind(conn: Connection):
    conn.execute(text(pii.PLPGSQL))

    def kinds(notes: list[str]) -> list[str | None]:
        rows = conn.execute(
            text(
                "select pax_data.personal_data_kind(t) from unnest(cast(:notes as text[]))"
                " with ordinality as u(t, n) order by n"
            ),
            {"notes": notes},
        ).scalars()
        return list(rows)

    return kinds


def test_fixed_notes_agree_with_python_and_the_expected_answer(sql_kind):
    notes = [note for note, _ in FIXED]
    expected = [kind for _, kind in FIXED]
    assert len(FIXED) >= 60
    assert [first_kind(n) for n in notes] == expected
    assert sql_kind(notes) == expected


def test_random_notes_agree(sql_kind):
    notes = random_notes(300)
    python = [first_kind(n) for n in notes]
    sql = sql_kind(notes)
    disagree = [(n, p, s) for n, p, s in zip(notes, python, sql, strict=True) if p != s]
    assert disagree == []
    # The sample reaches every outcome often enough to mean something.
    for kind in ("personnummer", "samordningsnummer", "phone", None):
        assert python.count(kind) >= 15, (kind, python.count(kind))


def test_null_and_properties(conn: Connection, sql_kind):
    assert sql_kind([None]) == [None]
    volatile, config, language = conn.execute(
        text(
            "select p.provolatile, p.proconfig, l.lanname from pg_proc p"
            " join pg_language l on l.oid = p.prolang"
            " where p.oid = 'pax_data.personal_data_kind(text)'::regprocedure"
        )
    ).one()
    assert (volatile, language) == ("i", "plpgsql")
    assert config == ["search_path=pg_catalog, pg_temp"]


def test_usable_in_a_check_constraint(conn: Connection, sql_kind):
    conn.execute(
        text(
            "create temp table note_probe (body text check"
            " (pax_data.personal_data_kind(body) is null))"
        )
    )
    conn.execute(text("insert into note_probe values ('Grupp ungdomar vid torget, ca 10 pers')"))
    with pytest.raises(IntegrityError, match="note_probe_body_check"), conn.begin_nested():
        conn.execute(text("insert into note_probe values ('Ring 070-123 45 67')"))
