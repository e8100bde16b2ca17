"""Helpers for the import tests: a fingerprint of every data table, CSV files, incident rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, text

#: Points inside Södertälje (lon, lat) that the test rows cycle through.
PLACES = [(17.595, 59.212), (17.573, 59.207), (17.579, 59.188), (17.626, 59.196), (17.656, 59.185)]


def fingerprint(conn: Connection) -> tuple:
    """Everything an import could touch, as one comparable value."""
    parts = []
    for table in (
        "incident",
        "area",
        "camera",
        "night_walk_route",
        "night_walk",
        "operation",
        "observation",
        "indicator",
        "police_event",
        "import_run",
    ):
        parts.append(
            conn.execute(
                text(
                    f"select count(*)::text || ':' || coalesce(md5(string_agg("
                    f"t::text, ',' order by t.id)), '') from pax_data.{table} t"
                )
            ).scalar()
        )
    parts.append(conn.execute(text("select count(*) from pax_data.indicator_key")).scalar())
    parts.append(
        conn.execute(
            text(
                "select string_agg(indexname, ',' order by indexname) from pg_indexes "
                "where schemaname = 'pax_data'"
            )
        ).scalar()
    )
    parts.append(
        conn.execute(
            text(
                "select string_agg(conname, ',' order by conname) from pg_constraint c "
                "join pg_namespace n on n.oid = c.connamespace where n.nspname = 'pax_data'"
            )
        ).scalar()
    )
    return tuple(parts)


def write_csv(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def incident_rows(n: int = 5, prefix: str = "T") -> list[dict]:
    return [
        {
            "id": f"{prefix}{i}",
            "kind": ["car_fire", "shooting", "explosion", "cache", "car_fire"][i % 5],
            "occurred_at": f"2026-0{1 + i % 9}-1{i % 10} 2{i % 4}:15:00",
            "lon": PLACES[i % len(PLACES)][0],
            "lat": PLACES[i % len(PLACES)][1],
            "title": f"Test {i}",
        }
        for i in range(n)
    ]
