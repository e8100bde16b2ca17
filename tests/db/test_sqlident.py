"""The one helper for identifiers in SQL text (pax_geo.sqlident)."""

from __future__ import annotations

import pytest

from pax_geo.sqlident import ident, qualified


def test_plain_names_stay_bare() -> None:
    assert ident("pax_definer") == "pax_definer"
    assert ident("pax_data", "incident") == "pax_data.incident"
    assert qualified("pax_data.night_walk") == "pax_data.night_walk"


def test_names_that_need_it_are_quoted() -> None:
    assert ident("user") == '"user"'  # a reserved word
    assert ident("Pax") == '"Pax"'  # upper case would fold without quotes
    assert ident("incident_2024-01") == '"incident_2024-01"'


@pytest.mark.parametrize(
    "hostile",
    ['x"; drop table pax_data.area; --', 'a"b', "a; drop role pax_definer", 'x" cascade --'],
)
def test_a_hostile_name_cannot_leave_its_quotes(hostile: str) -> None:
    quoted = ident(hostile)
    assert quoted.startswith('"') and quoted.endswith('"')
    inner = quoted[1:-1]
    # every double quote inside is doubled, so none ends the identifier
    assert inner.replace('""', "").count('"') == 0
    assert inner.replace('""', '"') == hostile


@pytest.mark.parametrize("bad", ["", "a\x00b"])
def test_names_postgres_cannot_hold_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="unsafe identifier"):
        ident(bad)


@pytest.mark.parametrize("name", ['x"; drop role y; --', "Pax", "pg temp", "$user"])
def test_plain_refuses_instead_of_quoting(name: str) -> None:
    with pytest.raises(ValueError, match="unsafe identifier"):
        ident(name, plain=True)
    assert ident("pax_reader", plain=True) == "pax_reader"


def test_no_parts_is_an_error() -> None:
    with pytest.raises(ValueError):
        ident()
