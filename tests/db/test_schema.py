"""The migrated schema: SRID 3006, GiST indexes, provenance, time zones, head revision."""

from sqlalchemy import text

from pax_geo import migrate

LAYER_TABLES = (
    "area",
    "incident",
    "camera",
    "night_walk_route",
    "night_walk",
    "observation",
    "operation",
    "indicator",
)


def test_database_is_at_head(owner_engine):
    assert migrate.current_revision(owner_engine) == migrate.head_revision()


def test_all_geometry_is_sweref99tm_with_gist_index(conn):
    rows = conn.execute(
        text(
            "select f_table_name, f_geometry_column, srid from geometry_columns "
            "where f_table_schema = 'pax_data'"
        )
    ).all()
    assert {r[0] for r in rows} >= {
        "area",
        "incident",
        "camera",
        "night_walk_route",
        "observation",
        "operation",
    }
    for table, column, srid in rows:
        assert srid == 3006, (table, column)
        indexed = conn.execute(
            text(
                # the geometry alone, or first (incident: location and time, 0015)
                "select count(*) from pg_indexes where schemaname = 'pax_data' "
                "and tablename = :t and (indexdef ilike '%using gist (' || :c || ')%' "
                "or indexdef ilike '%using gist (' || :c || ', %')"
            ),
            {"t": table, "c": column},
        ).scalar()
        assert indexed == 1, f"{table}.{column} lacks a GiST index"


def test_every_layer_keeps_source_id_status_and_load_time(conn):
    for table in LAYER_TABLES:
        cols = dict(
            conn.execute(
                text(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'pax_data' and table_name = :t"
                ),
                {"t": table},
            ).all()
        )
        for col in ("source", "source_id", "verification", "loaded_at"):
            assert col in cols, f"{table} lacks {col}"
        assert cols["loaded_at"] == "timestamp with time zone"
        unique = conn.execute(
            text(
                "select count(*) from pg_indexes where schemaname = 'pax_data' and tablename = :t "
                "and indexdef ilike 'create unique index%(municipality_code, source, source_id)'"
            ),
            {"t": table},
        ).scalar()
        # unique within the municipality (the distribution keys, 0019_distribution_keys.py)
        assert unique == 1, f"{table}: (source, source_id) is not unique per municipality"


def test_all_times_are_timestamptz(conn):
    naive = (
        conn.execute(
            text(
                "select table_name || '.' || column_name from information_schema.columns "
                "where table_schema = 'pax_data' and data_type = 'timestamp without time zone'"
            )
        )
        .scalars()
        .all()
    )
    assert naive == []


def test_reimporting_the_same_source_id_is_refused_by_the_database(conn, demo_loaded):
    from sqlalchemy.exc import IntegrityError

    row = conn.execute(text("select source, source_id from pax_data.incident limit 1")).one()
    nested = conn.begin_nested()
    try:
        conn.execute(
            text(
                "insert into pax_data.incident (kind, occurred_at, geom, source, source_id) "
                "values ('car_fire', now(), st_setsrid(st_makepoint(674000, 6563000), 3006), "
                ":s, :i)"
            ),
            {"s": row.source, "i": row.source_id},
        )
        raised = False
    except IntegrityError:
        raised = True
    nested.rollback()
    assert raised
