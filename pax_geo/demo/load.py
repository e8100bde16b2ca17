"""Load generated demo data into PostGIS in one transaction (bulk COPY for the large tables)."""

from __future__ import annotations

import io
import json
import time
from datetime import datetime

import pandas as pd
import psycopg
from sqlalchemy import Connection, text

from pax_geo.config import settings
from pax_geo.demo import geography as geo
from pax_geo.demo.generate import INDICATOR_KEYS, TITLES, DemoData, generate
from pax_geo.ewkb import ewkb_points_hex
from pax_geo.sqlident import ident, qualified

LAYER_TABLES = (
    "pax_data.night_walk",
    "pax_data.night_walk_route",
    "pax_data.incident",
    "pax_data.camera",
    "pax_data.observation",
    "pax_data.observation_history",
    "pax_data.place",
    "pax_data.operation",
    "pax_data.indicator",
)

COPY_CHUNK = 200_000


#: the data set's large tables: vacuumed once it has committed (pax demo, db.vacuum_analyze)
LARGE_TABLES = ("pax_data.incident", "pax_data.observation", "pax_data.night_walk")


def copy_frame(conn: Connection, table: str, columns: list[str], frame: pd.DataFrame) -> None:
    """COPY a DataFrame (already in column order) into table, in chunks."""
    raw = conn.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):  # COPY FROM STDIN needs psycopg 3's API
        raise TypeError(f"COPY needs a psycopg connection, not {type(raw).__name__}")
    cols = ", ".join(ident(c) for c in columns)
    with raw.cursor() as cur:
        with cur.copy(f"COPY {qualified(table)} ({cols}) FROM STDIN WITH (FORMAT csv)") as cp:
            for start in range(0, len(frame), COPY_CHUNK):
                buf = io.StringIO()
                frame.iloc[start : start + COPY_CHUNK].to_csv(buf, header=False, index=False)
                cp.write(buf.getvalue())


def is_empty(conn: Connection) -> bool:
    return not conn.execute(text("select exists (select 1 from pax_data.area)")).scalar()


def reset(conn: Connection) -> None:
    conn.execute(text(f"truncate {', '.join(map(qualified, LAYER_TABLES))} restart identity"))
    # other municipalities (pax demo --municipalities) go with their data
    home = {"h": settings().municipality_code}
    conn.execute(
        text("delete from pax_data.app_user_municipality where municipality_code <> :h"), home
    )
    conn.execute(text("delete from pax_data.area"))
    conn.execute(text("alter sequence pax_data.area_id_seq restart"))
    conn.execute(text("delete from pax_data.indicator_key"))
    conn.execute(text("delete from pax_data.municipality where code <> :h"), home)


def _insert_areas(conn: Connection, data: DemoData) -> dict[str, int]:
    ids: dict[str, int] = {}
    stmt = text(
        "insert into pax_data.area (code, name, kind, geom, population, source, source_id, "
        "verification) values (:code, :name, :kind, st_multi(st_geomfromwkb(:wkb, 3006)), "
        ":pop, 'demo', :sid, 'confirmed') returning id"
    )
    outline = geo.municipality_outline()
    conn.execute(
        stmt,
        {
            "code": geo.MUNICIPALITY_CODE,
            "name": geo.MUNICIPALITY_NAME,
            "kind": "municipality",
            "wkb": outline.wkb,
            "pop": int(data.districts["population"].sum()),
            "sid": "kommun-0181",
        },
    )
    for _, d in data.districts.iterrows():
        ids[d["code"]] = conn.execute(
            stmt,
            {
                "code": d["code"],
                "name": d["name"],
                "kind": "district",
                "wkb": d.geometry.wkb,
                "pop": int(d["population"]),
                "sid": f"district-{d['code']}",
            },
        ).scalar_one()
    for _, v in geo.vulnerable_areas().iterrows():
        conn.execute(
            stmt,
            {
                "code": v["code"],
                "name": v["name"],
                "kind": "vulnerable_area",
                "wkb": v.geometry.wkb,
                "pop": None,
                "sid": f"vulnerable-{v['code']}",
            },
        )
    return ids


def _load_incidents(conn: Connection, data: DemoData, area_ids: dict[str, int]) -> None:
    inc = data.incidents
    names = dict(zip(data.districts["code"], data.districts["name"], strict=True))
    title = inc.kind.map(TITLES) + ", " + inc.district_code.map(names)
    frame = pd.DataFrame(
        {
            "kind": inc.kind,
            "subtype": inc.subtype,
            "title": title,
            "occurred_at": inc.occurred_at,
            "occurred_from": inc.occurred_from,
            "occurred_to": inc.occurred_to,
            "reported_at": inc.reported_at,
            "location_precision": "exact",
            "geom": ewkb_points_hex(inc.x.to_numpy(), inc.y.to_numpy()),
            "area_id": inc.district_code.map(area_ids).astype("Int64"),
            "verification": inc.verification,
            "source": "demo",
            "source_id": inc.source_id,
            # the demo is the installation's own municipality: no per-row lookup at 1M rows
            "municipality_code": settings().municipality_code,
        }
    )
    copy_frame(conn, "pax_data.incident", list(frame.columns), frame)


def _load_rest(conn: Connection, data: DemoData, area_ids: dict[str, int]) -> None:
    conn.execute(
        text(
            "insert into pax_data.camera (name, owner, status, direction_deg, geom, coverage, "
            "source, source_id, verification) values (:name, :owner, :status, :dir, "
            "st_geomfromwkb(:g, 3006), st_geomfromwkb(:c, 3006), 'demo', :sid, 'confirmed')"
        ),
        [
            {
                "name": c["name"],
                "owner": c["owner"],
                "status": c["status"],
                "dir": c["direction_deg"],
                "g": c["geom"].wkb,
                "c": c["coverage"].wkb,
                "sid": c["source_id"],
            }
            for c in data.cameras
        ],
    )
    route_ids = [
        conn.execute(
            text(
                "insert into pax_data.night_walk_route (name, organisation, schedule, geom, "
                "source, source_id, verification) values (:name, :org, cast(:sched as jsonb), "
                "st_multi(st_geomfromwkb(:g, 3006)), 'demo', :sid, 'confirmed') returning id"
            ),
            {
                "name": r["name"],
                "org": r["organisation"],
                "sched": json.dumps(r["schedule"]),
                "g": r["geom"].wkb,
                "sid": r["source_id"],
            },
        ).scalar_one()
        for r in data.routes
    ]
    walks = data.walks
    if len(walks):
        frame = pd.DataFrame(
            {
                "route_id": walks.route_index.map(lambda i: route_ids[i]),
                "walked_on": walks.walked_on,
                "participants": walks.participants,
                "source": "demo",
                "source_id": walks.source_id,
                "verification": "confirmed",
            }
        )
        copy_frame(conn, "pax_data.night_walk", list(frame.columns), frame)
    obs = data.observations
    if len(obs):
        frame = pd.DataFrame(
            {
                "observed_at": obs.observed_at,
                "category": obs.category,
                "text": obs.text,
                "reporter": obs.reporter,
                "geom": ewkb_points_hex(obs.x.to_numpy(), obs.y.to_numpy()),
                "area_id": obs.district_code.map(area_ids).astype("Int64"),
                "source": "demo",
                "source_id": obs.source_id,
                "verification": "unverified",
                "municipality_code": settings().municipality_code,
            }
        )
        copy_frame(conn, "pax_data.observation", list(frame.columns), frame)
    conn.execute(
        text(
            "insert into pax_data.operation (name, description, starts_at, ends_at, geom, source, "
            "source_id, verification, kind, owner_org, is_police, group_key, created_by) "
            "values (:name, :d, :s, :e, st_multi(st_geomfromwkb(:g, 3006)), 'demo', :sid, "
            "'confirmed', :kind, :owner, :police, :grp, 'demo')"
        ),
        [
            {
                "name": o["name"],
                "d": o["description"],
                "s": o["starts_at"],
                "e": o["ends_at"],
                "g": o["geom"].wkb,
                "sid": o["source_id"],
                "kind": o["kind"],
                "owner": o["owner_org"],
                "police": o["is_police"],
                "grp": o["group_key"],
            }
            for o in data.operations
        ],
    )
    conn.execute(
        text(
            "insert into pax_data.indicator_key (key, label_sv, label_en, unit, higher_is_better) "
            "values (:k, :sv, :en, :u, :b) on conflict (key) do nothing"
        ),
        [
            {"k": k, "sv": sv, "en": en, "u": u, "b": b}
            for k, sv, en, u, b, _lo, _hi in INDICATOR_KEYS
        ],
    )
    ind = data.indicators
    frame = pd.DataFrame(
        {
            "area_id": ind.district_code.map(area_ids),
            "period": ind.period,
            "year": ind.year,
            "key": ind.key,
            "value": ind.value,
            "unit": ind.unit,
            "source": "demo",
            "source_id": ind.source_id,
            "verification": "confirmed",
        }
    )
    copy_frame(conn, "pax_data.indicator", list(frame.columns), frame)


def _insert_places(conn: Connection) -> None:
    """Named places for the report form: each district's centre (a point inside it)."""
    conn.execute(
        text(
            "insert into pax_data.place (name, geom, area_id) "
            "select a.name || ' centrum', st_pointonsurface(a.geom), a.id "
            "from pax_data.area a where a.kind = 'district' "
            "on conflict (municipality_code, name) do nothing"
        )
    )


def load_demo(
    conn: Connection,
    incidents: int = 4000,
    seed: int = 42,
    reset_first: bool = False,
    end: datetime | None = None,
) -> dict:
    """Generate and load demo data on conn (the caller owns the transaction)."""
    t0 = time.perf_counter()
    data = generate(incidents=incidents, seed=seed, end=end)
    t_gen = time.perf_counter() - t0
    if reset_first or not is_empty(conn):
        reset(conn)
    area_ids = _insert_areas(conn, data)
    t1 = time.perf_counter()
    _load_incidents(conn, data, area_ids)
    t_inc = time.perf_counter() - t1
    _load_rest(conn, data, area_ids)
    _insert_places(conn)
    try:  # demo accounts, one per role, once login exists (pax_geo.auth)
        from pax_geo.auth import ensure_demo_users
    except ImportError:
        pass
    else:
        ensure_demo_users(conn)
    conn.execute(text("analyze pax_data.incident"))
    return {
        "incidents": len(data.incidents),
        "by_kind": data.incidents.kind.value_counts().to_dict(),
        "cameras": len(data.cameras),
        "routes": len(data.routes),
        "walks": len(data.walks),
        "observations": len(data.observations),
        "operations": len(data.operations),
        "indicators": len(data.indicators),
        "districts": len(data.districts),
        "end": data.end.isoformat(),
        "seconds_generate": round(t_gen, 2),
        "seconds_copy_incidents": round(t_inc, 2),
        "seconds_total": round(time.perf_counter() - t0, 2),
    }
