"""The schema is ready for a distributed PostgreSQL (Citus) with municipality_code as the
distribution column: the rules Citus enforces, asserted on the live schema, and the README's
create_distributed_table / create_reference_table calls naming exactly these tables."""

from __future__ import annotations

import re

from sqlalchemy import text

from pax_geo import tenancy
from tests.conftest import ROOT

DIST = set(tenancy.DISTRIBUTED_TABLES)
REF = set(tenancy.REFERENCE_TABLES)
LOCAL = set(tenancy.LOCAL_TABLES)


def _keys(c, contypes: tuple[str, ...]) -> list[tuple[str, str, list[str]]]:
    """(table, constraint, columns) of pax_data's constraints of these types."""
    rows = c.execute(
        text(
            "select t.relname, k.conname, array_agg(a.attname order by u.ord) "
            "from pg_constraint k join pg_class t on t.oid = k.conrelid "
            "cross join lateral unnest(k.conkey) with ordinality as u(attnum, ord) "
            "join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum "
            "where t.relnamespace = 'pax_data'::regnamespace and k.contype = any(:ty) "
            "group by 1, 2 order by 1, 2"
        ),
        {"ty": list(contypes)},
    ).all()
    return [(r[0], r[1], list(r[2])) for r in rows]


def test_every_table_has_one_place_in_a_distributed_installation(owner_engine, demo_loaded):
    with owner_engine.connect() as c:
        tables = set(
            c.execute(
                text(
                    "select relname from pg_class where relnamespace = 'pax_data'::regnamespace "
                    "and relkind in ('r', 'p')"
                )
            ).scalars()
        )
    assert not (DIST & REF or DIST & LOCAL or REF & LOCAL)
    assert tables == DIST | REF | LOCAL, (
        tables - (DIST | REF | LOCAL),
        (DIST | REF | LOCAL) - tables,
    )


def test_keys_of_distributed_tables_contain_the_distribution_column(owner_engine, demo_loaded):
    with owner_engine.connect() as c:
        for table, name, cols in _keys(c, ("p", "u", "x")):
            if table in DIST:
                assert "municipality_code" in cols, f"{table}.{name} {cols}"
            if table in tenancy.TENANT_TABLES and not (table in REF and name.endswith("_pkey")):
                assert cols[0] == "municipality_code", f"{table}.{name} must lead with it: {cols}"
        # unique indexes without a constraint as well
        idx = c.execute(
            text(
                "select t.relname, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "from pg_index i join pg_class t on t.oid = i.indrelid "
                "where t.relnamespace = 'pax_data'::regnamespace and i.indisunique"
            )
        ).all()
        for table, name, ddl in idx:
            if table in DIST:
                assert "municipality_code" in ddl, f"{name}: {ddl}"
        # and the column is there, not null, on every distributed table
        for table in DIST:
            nullable = c.execute(
                text(
                    "select is_nullable from information_schema.columns where table_schema = "
                    "'pax_data' and table_name = :t and column_name = 'municipality_code'"
                ),
                {"t": table},
            ).scalar()
            assert nullable == "NO", table


def test_foreign_keys_are_co_located_or_point_at_reference_tables(owner_engine, demo_loaded):
    with owner_engine.connect() as c:
        fks = c.execute(
            text(
                "select s.relname, d.relname, k.conname, "
                "array(select a.attname from unnest(k.conkey) with ordinality u(n, o) "
                "      join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n "
                "      order by u.o), "
                "array(select a.attname from unnest(k.confkey) with ordinality u(n, o) "
                "      join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n "
                "      order by u.o) "
                "from pg_constraint k join pg_class s on s.oid = k.conrelid "
                "join pg_class d on d.oid = k.confrelid "
                "where k.contype = 'f' and s.relnamespace = 'pax_data'::regnamespace"
            )
        ).all()
    assert fks
    between = 0
    for src, dst, name, cols, refcols in fks:
        if dst in DIST:
            # only a distributed table may point at one, through the distribution column
            assert src in DIST, f"{name}: {src} -> {dst}"
            i = cols.index("municipality_code")
            assert refcols[i] == "municipality_code", f"{name}: not co-located {cols} {refcols}"
            between += 1
        elif dst in LOCAL:
            raise AssertionError(f"{name}: {src} -> local table {dst}")
        else:
            assert dst in REF, f"{name}: {src} -> {dst}"
    assert between >= 4  # observation -> incident and operation, walk -> route, comment -> briefing


def test_the_readme_names_each_table_in_its_citus_call():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    dist = set(re.findall(r"create_distributed_table\('pax_data\.(\w+)'", readme))
    ref = set(re.findall(r"create_reference_table\('pax_data\.(\w+)'", readme))
    local = set(re.findall(r"citus_add_local_table_to_metadata\('pax_data\.(\w+)'", readme))
    assert (dist, ref, local) == (DIST, REF, LOCAL)
