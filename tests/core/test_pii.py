"""Personal data in free-text notes (pax_geo.pii): personnummer, samordningsnummer and phone
numbers are found in every documented form; wrong check digits, impossible dates, dates, times,
counts, car registrations, years, postcodes and amounts are not.

Check digits here come from ``luhn_digit``, written independently of pax_geo.pii (digit sum of
the concatenated products), so a shared mistake cannot make both agree."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pax_geo.pii import Finding, find_personal_data

IDENTITY = ("personnummer", "samordningsnummer")


def luhn_digit(nine: str) -> int:
    """The check digit of YYMMDDNNN: write the products (2, 1, 2, ... weights) side by side and
    sum every digit of that string."""
    products = "".join(str(int(d) * (1 + (k + 1) % 2)) for k, d in enumerate(nine))
    return -sum(map(int, products)) % 10


def with_check(nine: str, wrong: bool = False) -> str:
    """``nine`` + its check digit (or, if ``wrong``, a different digit)."""
    c = luhn_digit(nine)
    return nine + str((c + 1 + (c % 7)) % 10 if wrong else c)


FORMS = (
    "YYMMDD-NNNN",
    "YYMMDD+NNNN",
    "YYMMDD NNNN",
    "YYMMDDNNNN",
    "YYYYMMDDNNNN",
    "YYYYMMDD-NNNN",
    "YYYYMMDD NNNN",
)


def write(century: str, ten: str, form: str) -> str:
    """The 10 digits YYMMDDNNNC written in ``form`` (``century`` is used by the 12-digit ones)."""
    head, tail = ten[:6], ten[6:]
    return {
        "YYMMDD-NNNN": f"{head}-{tail}",
        "YYMMDD+NNNN": f"{head}+{tail}",
        "YYMMDD NNNN": f"{head} {tail}",
        "YYMMDDNNNN": ten,
        "YYYYMMDDNNNN": f"{century}{ten}",
        "YYYYMMDD-NNNN": f"{century}{head}-{tail}",
        "YYYYMMDD NNNN": f"{century}{head} {tail}",
    }[form]


def identity(day: date, serial: int, *, coordination: bool = False, wrong: bool = False) -> str:
    """The 10-digit YYMMDDNNNC of ``day`` (+60 on the day for a samordningsnummer)."""
    dd = day.day + (60 if coordination else 0)
    return with_check(f"{day:%y%m}{dd:02d}{serial:03d}", wrong)


def kinds(text: str) -> list[str]:
    return [f.kind for f in find_personal_data(text)]


# --- identity numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    ("kind", "coordination"), [("personnummer", False), ("samordningsnummer", True)]
)
def test_valid_check_digit_is_found_in_every_form(form, kind, coordination):
    for day, serial in ((date(1985, 7, 9), 123), (date(2004, 2, 29), 998), (date(1912, 12, 31), 0)):
        text = write(f"{day.year // 100}", identity(day, serial, coordination=coordination), form)
        assert find_personal_data(text) == [Finding(kind, 0, len(text), text[:-4] + "****")], text


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("coordination", [False, True])
def test_wrong_check_digit_is_not_a_finding(form, coordination):
    for day, serial in ((date(1985, 7, 9), 123), (date(2004, 2, 29), 998), (date(1912, 12, 31), 0)):
        for wrong in range(10):
            nine = identity(day, serial, coordination=coordination)[:9]
            if wrong == luhn_digit(nine):
                continue
            text = write(f"{day.year // 100}", nine + str(wrong), form)
            assert [k for k in kinds(text) if k in IDENTITY] == [], text
            if not text.startswith("0"):  # 0402299980 is a phone number by shape
                assert kinds(text) == [], text


def test_the_brief_example_depends_on_its_check_digit():
    # 850709-123C has check digit 2; "19850709-1234" is therefore not a personnummer.
    assert luhn_digit("850709123") == 2
    assert kinds("19850709-1234") == []
    assert kinds("850709-1234") == []
    assert kinds("19850709-1232") == ["personnummer"]
    assert kinds("850709-1232") == ["personnummer"]


def test_known_real_format_examples():
    # The widely used example 19121212-1212 and a samordningsnummer built on it.
    assert kinds("19121212-1212") == ["personnummer"]
    assert kinds("121212-1212") == ["personnummer"]
    assert luhn_digit("121272121") == 9
    assert kinds("121272-1219") == ["samordningsnummer"]


@pytest.mark.parametrize(
    "nine",
    [
        "851301123",  # month 13
        "850001123",  # month 00
        "850700123",  # day 00
        "850732123",  # day 32
        "850431123",  # 31 April
        "850230123",  # 30 February
        "850229123",  # 29 February, 1985 and 2085 are not leap years
        "850792123",  # samordningsnummer day 92 (32 + 60)
        "850760123",  # day 60: neither a day nor a samordningsnummer day
        "850491123",  # samordningsnummer 31 April (31 + 60)
        "850290123",  # samordningsnummer 30 February
    ],
)
def test_impossible_dates_are_not_findings_even_with_a_valid_check_digit(nine):
    for form in FORMS:
        text = write("19", with_check(nine), form)
        assert kinds(text) == [], text


def test_leap_days():
    # 10 digits: either century may be meant, so 29 February is valid whenever YY % 4 == 0.
    assert kinds(with_check("840229123")) == ["personnummer"]
    assert kinds(with_check("000229123")[:6] + "-" + with_check("000229123")[6:]) == [
        "personnummer"
    ]
    assert kinds(with_check("000289123")[:6] + "-" + with_check("000289123")[6:]) == [
        "samordningsnummer"
    ]
    # 12 digits: the century decides. 1900 was not a leap year, 2000 was.
    assert kinds("19" + with_check("000229123")) == []
    assert kinds("20" + with_check("000229123")) == ["personnummer"]
    assert kinds("18" + with_check("960229123")) == ["personnummer"]
    assert kinds("19" + with_check("970229123")) == []
    assert kinds("19" + with_check("850791123")) == ["samordningsnummer"]


def test_twelve_digits_need_a_plausible_century():
    ten = with_check("850709123")
    for century in ("18", "19", "20"):
        assert kinds(century + ten) == ["personnummer"]
    for century in ("00", "17", "21", "99"):
        assert kinds(century + ten) == []
        assert kinds(f"{century}{ten[:6]}-{ten[6:]}") == []


def test_wrong_separators_and_group_sizes_are_not_identity_numbers():
    ten = with_check("850709123")
    for text in (
        f"{ten[:6]}.{ten[6:]}",  # dot
        f"{ten[:6]}/{ten[6:]}",
        f"19{ten[:6]}+{ten[6:]}",  # '+' only in the 10-digit form
        f"{ten[:6]}-{ten[6:8]} {ten[8:]}",
        f"{ten[:4]}-{ten[4:]}",
        f"1{ten}",  # 11 digits
        f"{ten}1",
        f"{ten[:6]} - {ten[6:]}",  # documented limit: spaces around the dash
    ):
        assert [k for k in kinds(text) if k in IDENTITY] == [], text


# --- phone numbers ---------------------------------------------------------------------------

PHONES = [
    "070-123 45 67",
    "0701234567",
    "070 123 45 67",
    "070-1234567",
    "070.123.45.67",
    "070-123-45-67",
    "073 712 34 56",
    "+46 70 123 45 67",
    "+4670-123 45 67",
    "+46701234567",
    "+4681234567",
    "+46 8 123 456 78",
    "+46 070-123 45 67",
    "0046 70 123 45 67",
    "004681234567",
    "08-123 456 78",
    "08-12 34 56",
    "08 123 45 67",
    "0812345678",
    "016-12 34 56",
    "016-123456",
    "0155-123 45",
    "0155-12 34 56",
    "031-711 22 33",
    "08‑123 456 78",  # no-break hyphen
    "070–123 45 67",  # en dash
    "070 123 45 67",  # no-break spaces
]


@pytest.mark.parametrize("text", PHONES)
def test_phone_numbers_are_found(text):
    assert find_personal_data(text) == [Finding("phone", 0, len(text), mask_phone(text))], text


def mask_phone(text: str) -> str:
    if text.startswith("+"):
        keep = 3
    elif text.startswith("0046"):
        keep = 4
    else:
        keep = next((k for k, ch in enumerate(text) if not ch.isdigit()), 3)
        keep = keep if 2 <= keep <= 4 else 3
    return text[:keep] + "".join("*" if ch.isdigit() else ch for ch in text[keep:])


NOT_PHONES = [
    "0701234",  # 7 digits
    "07012345678",  # 11 digits
    "00701234567",  # 00 is not a national start
    "070-0123456",  # subscriber number starting with 0
    "07-123 45 67",  # 07 is no area code (only 08 has one digit)
    "03.12.2026",  # a date: 03 is no area code
    "08.12.2026",  # a date: 2026 is no 2-3 digit subscriber group
    "08-123 45-67",  # mixed separators in the subscriber number
    "08-1 23 45 67",  # one-digit subscriber group
    "01234-567 89",  # area code of five digits
    "+47 70 123 45 67",  # not +46
    "+46 70 12",  # too short
    "070/123 45 67",  # documented limit
    "070 - 123 45 67",
]


@pytest.mark.parametrize("text", NOT_PHONES)
def test_not_phone_numbers(text):
    assert kinds(text) == [], text


# --- what must never be flagged ---------------------------------------------------------------

NON_FINDINGS = [
    "Grupp ungdomar vid torget, ca 10 pers",
    "2026-12-03",
    "2026-12-03 kl 21:30",
    "3/12 21:30",
    "kl 21.30–23.00",
    "kl 21.30-23.00",
    "kl 07.30-08.15, 10 pers",
    "07.30 08.15",
    "ca 10 pers",
    "3 bilar",
    "ABC 123",
    "ABC 12A",
    "Bil ABC 123 och XYZ 98B stod vid 2 pumpar",
    "sedan 2019",
    "151 73 Södertälje",
    "Storgatan 12, 151 73 Södertälje",
    "1 500 kr",
    "ca 12 000 kr i skador",
    "3.5 km",
    "1-2 pers, 3-4 bilar",
    "20261203",
    "2026-12-08 12 34 56",
    "v. 49 2026",
    "Larm 21:04, polis på plats 21:12, klart 23:00",
    "",
    "inga siffror alls",
    "+",
    "++46",
    "- - -",
]


@pytest.mark.parametrize("text", NON_FINDINGS)
def test_non_findings(text):
    assert find_personal_data(text) == [], text


# --- inside sentences, several findings, masking ------------------------------------------------


def test_findings_inside_swedish_sentences():
    pnr = with_check("850709123")
    text = f"Mannen uppgav pnr {pnr[:6]}-{pnr[6:]}, nås på 070-123 45 67 efter kl 18.00."
    found = find_personal_data(text)
    assert [f.kind for f in found] == ["personnummer", "phone"]
    assert text[found[0].start : found[0].end] == f"{pnr[:6]}-{pnr[6:]}"
    assert found[0].masked == "850709-****"
    assert text[found[1].start : found[1].end] == "070-123 45 67"
    assert found[1].masked == "070-*** ** **"


@pytest.mark.parametrize(
    ("text", "found", "kind"),
    [
        ("Ring mamman på 08-123 456 78 ikväll", "08-123 456 78", "phone"),
        ("Ca 10 070 123 45 67 ringde", "070 123 45 67", "phone"),
        ("Tel 070 123 45 67 10 pers", "070 123 45 67", "phone"),
        ("tel:0701234567.", "0701234567", "phone"),
        ("nr+46 70 123 45 67!", "+46 70 123 45 67", "phone"),
        ("(016-12 34 56)", "016-12 34 56", "phone"),
        ("pnr850709-1232 sa han", "850709-1232", "personnummer"),
        ("Sam.nr 121272-1219 enl. Migrationsverket", "121272-1219", "samordningsnummer"),
        ("Född 19121212-1212, bor i Ronna", "19121212-1212", "personnummer"),
        ("2026-12-03: 19121212 1212 anträffad", "19121212 1212", "personnummer"),
    ],
)
def test_finding_positions(text, found, kind):
    (finding,) = find_personal_data(text)
    assert (finding.kind, text[finding.start : finding.end]) == (kind, found)


def test_several_findings_left_to_right():
    text = "Kontakt 070-123 45 67 och 070-765 43 21 samt 08 123 456 78; pnr 121212-1212."
    found = find_personal_data(text)
    assert [text[f.start : f.end] for f in found] == [
        "070-123 45 67",
        "070-765 43 21",
        "08 123 456 78",
        "121212-1212",
    ]
    assert [f.masked for f in found] == [
        "070-*** ** **",
        "070-*** ** **",
        "08 *** *** **",
        "121212-****",
    ]
    # Numbers in one run without other separators are still split into their own findings.
    assert kinds("070 123 45 67 070 765 43 21") == ["phone", "phone"]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("850709-1232", "850709-****"),
        ("850709+1232", "850709+****"),
        ("8507091232", "850709****"),
        ("198507091232", "19850709****"),
        ("19850709 1232", "19850709 ****"),
        ("+46 70 123 45 67", "+46 ** *** ** **"),
        ("0046 8 123 456 78", "0046 * *** *** **"),
        ("0701234567", "070*******"),
        ("016-12 34 56", "016-** ** **"),
    ],
)
def test_masking(text, masked):
    (finding,) = find_personal_data(text)
    assert finding.masked == masked
    assert sum(ch.isdigit() for ch in finding.masked) <= 8


def test_findings_are_frozen():
    (finding,) = find_personal_data("070-123 45 67")
    with pytest.raises(AttributeError):
        finding.start = 1


# --- property: random valid numbers are always found, a changed check digit never is -----------

DAYS = st.dates(min_value=date(1890, 1, 1), max_value=date(2026, 12, 31))


@settings(max_examples=400, deadline=None, database=None)
@given(
    day=DAYS,
    serial=st.integers(0, 999),
    coordination=st.booleans(),
    form=st.sampled_from(FORMS),
    delta=st.integers(1, 9),
    context=st.sampled_from(["{}", "Pnr {} uppgavs", "{}, ca 10 pers", "Såg {} vid torget 21:30"]),
)
def test_random_valid_identity_numbers_are_found(day, serial, coordination, form, delta, context):
    ten = identity(day, serial, coordination=coordination)
    number = write(f"{day.year // 100}", ten, form)
    text = context.format(number)
    found = find_personal_data(text)
    kind = "samordningsnummer" if coordination else "personnummer"
    assert [(f.kind, text[f.start : f.end]) for f in found] == [(kind, number)]

    changed = ten[:9] + str((int(ten[9]) + delta) % 10)
    number = write(f"{day.year // 100}", changed, form)
    found = find_personal_data(context.format(number))
    assert [f.kind for f in found if f.kind in IDENTITY] == []
    if not number.startswith("0"):
        assert found == []  # only a 10-digit 0XXXXXXXXX can also be a phone number


def test_luhn_helper_matches_known_numbers():
    # Independent of pax_geo.pii: numbers published as valid examples.
    assert luhn_digit("811218987") == 6  # 811218-9876 (Wikipedia's example)
    assert luhn_digit("121212121") == 2  # 19121212-1212 (the widely used example)
