"""Imports against the real PostGIS test database: formats, CRS, validation (every refusal names
file, row and field and leaves the database unchanged), --skip-invalid, idempotency, interrupted
imports, indicators and the other layers. Each test runs in a rolled-back transaction."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon
from sqlalchemy import text

from pax_geo.ingest import ImportOptions, IngestError, import_file
from pax_geo.ingest.geo import transformer
from tests.ingest_support import PLACES, fingerprint, incident_rows, write_csv  # noqa: F401

# Points well inside Södertälje (lon, lat) and their district-free neighbours.


def imp(conn, path, layer, **kw):
    return import_file(path, layer, ImportOptions(**kw), conn=conn)


def refused(conn, path, layer, **kw) -> IngestError:
    before = fingerprint(conn)
    with pytest.raises(IngestError) as ei:
        imp(conn, path, layer, **kw)
    assert fingerprint(conn) == before, "a refused import changed the database"
    return ei.value


# --- formats and coordinate systems --------------------------------------------------------------


def test_csv_import_then_reimport_changes_nothing_not_even_loaded_at(conn, demo_loaded, tmp_path):
    p = write_csv(tmp_path / "inc.csv", incident_rows(5))
    r = imp(conn, p, "incident", source="t_idem")
    assert (r.inserted, r.updated, r.unchanged, r.rows_read) == (5, 0, 0, 5)
    q = "select source_id, loaded_at, xmin::text from pax_data.incident where source = 't_idem' order by 1"
    first = conn.execute(text(q)).all()
    r2 = imp(conn, p, "incident", source="t_idem")
    assert (r2.inserted, r2.updated, r2.unchanged) == (0, 0, 5)
    assert conn.execute(text(q)).all() == first  # same row versions: nothing was rewritten
    rows = incident_rows(5)
    rows[2]["title"] = "Ändrad"
    write_csv(p, rows)
    r3 = imp(conn, p, "incident", source="t_idem")
    assert (r3.inserted, r3.updated, r3.unchanged) == (0, 1, 4)
    # (loaded_at is now(), constant inside this test's transaction; the row version shows the
    # rewrite here, and test_ingest_cli checks loaded_at across committed imports)
    after = {a: c for a, _b, c in conn.execute(text(q)).all()}
    changed = [k for k, _b, c in first if after[k] != c]
    assert changed == ["T2"]


def test_sweref_tm_sweref_1800_and_wgs84_land_on_the_same_spot(conn, demo_loaded, tmp_path):
    lon = np.array([p[0] for p in PLACES])
    lat = np.array([p[1] for p in PLACES])
    base = {"kind": "shooting", "occurred_at": "2026-05-01 22:00"}
    for epsg, cols in ((4326, ("lon", "lat")), (3006, ("x", "y")), (3011, ("x", "y"))):
        xs, ys = (lon, lat) if epsg == 4326 else transformer(4326, epsg).transform(lon, lat)
        rows = [
            {**base, "id": f"{epsg}-{i}", cols[0]: float(xs[i]), cols[1]: float(ys[i])}
            for i in range(len(PLACES))
        ]
        r = imp(conn, write_csv(tmp_path / f"p{epsg}.csv", rows), "incident", source=f"crs{epsg}")
        assert r.crs == epsg and r.inserted == len(PLACES)
    far = conn.execute(
        text(
            "select max(st_distance(a.geom, b.geom)) from pax_data.incident a "
            "join pax_data.incident b on split_part(a.source_id, '-', 2) = split_part(b.source_id, '-', 2) "
            "where a.source = 'crs4326' and b.source in ('crs3006', 'crs3011')"
        )
    ).scalar()
    assert far < 0.01
    # area_id is the district that covers the point (checked by PostGIS itself)
    wrong = conn.execute(
        text(
            "select count(*) from pax_data.incident i where i.source like 'crs%' and i.area_id "
            "is distinct from (select a.id from pax_data.area a where a.kind = 'district' "
            "and st_covers(a.geom, i.geom) order by a.id limit 1)"
        )
    ).scalar()
    assert wrong == 0
    assert (
        conn.execute(
            text(
                "select count(*) from pax_data.incident where source like 'crs%' and area_id is null"
            )
        ).scalar()
        < len(PLACES) * 3
    )


def test_swapped_swedish_axes_are_detected(conn, demo_loaded, tmp_path):
    x, y = transformer(4326, 3006).transform(17.6, 59.2)
    p = write_csv(
        tmp_path / "swap.csv",
        [{"id": "s1", "kind": "car_fire", "occurred_at": "2026-01-01", "x": y, "y": x}],
    )
    r = imp(conn, p, "incident", source="swap")
    assert "swapped" in r.crs_note
    got = conn.execute(
        text("select st_x(geom), st_y(geom) from pax_data.incident where source = 'swap'")
    ).one()
    assert abs(got[0] - x) < 0.01 and abs(got[1] - y) < 0.01


def test_coordinates_without_a_decidable_crs_need_crs(conn, demo_loaded, tmp_path):
    p = write_csv(
        tmp_path / "odd.csv",
        [{"id": "o1", "kind": "car_fire", "occurred_at": "2026-01-01", "x": 1500.0, "y": 1800.0}],
    )
    err = refused(conn, p, "incident")
    assert err.issues[0].code == "crs_undecidable" and "--crs" in err.summary("en")
    # with --crs the file is read in that CRS and the next check speaks
    err2 = refused(conn, p, "incident", crs=3006)
    assert err2.issues[0].code == "outside_sweden"


def _districts_gdf() -> gpd.GeoDataFrame:
    polys = [
        Polygon([(17.60, 59.19), (17.62, 59.19), (17.62, 59.20), (17.60, 59.20)]),
        Polygon([(17.62, 59.19), (17.64, 59.19), (17.64, 59.20), (17.62, 59.20)]),
    ]
    return gpd.GeoDataFrame({"kod": ["X1", "X2"], "namn": ["Ett", "Två"]}, geometry=polys, crs=4326)


@pytest.mark.parametrize("fmt", ["gpkg", "shapezip", "geoparquet", "geojson3011"])
def test_vector_formats_import_areas(conn, demo_loaded, tmp_path, fmt):
    gdf = _districts_gdf()
    if fmt == "gpkg":
        path = tmp_path / "d.gpkg"
        gdf.to_crs(3011).to_file(path, layer="stadsdelar")
    elif fmt == "shapezip":
        d = tmp_path / "shp"
        d.mkdir()
        gdf.to_crs(3006).to_file(d / "stadsdelar.shp")
        path = tmp_path / "stadsdelar.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for f in d.iterdir():
                zf.write(f, f"data/{f.name}")
    elif fmt == "geoparquet":
        path = tmp_path / "d.parquet"
        gdf.to_parquet(path)
    else:
        path = tmp_path / "d.geojson"
        gdf.to_crs(3011).to_file(path, driver="GeoJSON")
    r = imp(conn, path, "area", defaults={"kind": "district"}, source="fmt")
    assert r.inserted == 2 and r.mapping == {"code": "kod", "name": "namn"}
    rows = conn.execute(
        text(
            "select code, name, st_geometrytype(geom), st_area(geom) from pax_data.area "
            "where source = 'fmt' order by code"
        )
    ).all()
    expected = gdf.to_crs(3006).area.to_numpy()
    assert [r[:3] for r in rows] == [
        ("X1", "Ett", "ST_MultiPolygon"),
        ("X2", "Två", "ST_MultiPolygon"),
    ]
    assert np.allclose([r[3] for r in rows], expected, rtol=1e-6)


# --- validation: one bad row refuses the file, names file/row/field, writes nothing ------------


def _bad_incident_file(tmp_path: Path, case: str) -> tuple[Path, dict, int | None, str]:
    rows = incident_rows(4)
    row, field = 3, None
    if case == "bad_time":
        rows[2]["occurred_at"] = "igår kväll"
        field = "occurred_at"
    elif case == "future_time":
        rows[2]["occurred_at"] = "2099-01-01 10:00"
        field = "occurred_at"
    elif case == "outside_sweden":
        rows[2]["lon"], rows[2]["lat"] = 2.35, 48.85
        field = "lon/lat"
    elif case == "outside_working_area":
        rows[2]["lon"], rows[2]["lat"] = 18.07, 59.33  # Stockholm
        field = "lon/lat"
    elif case == "not_a_number":
        rows[2]["lat"] = "femtionio"
        field = "lon/lat"
    elif case == "duplicate_id":
        rows[2]["id"] = rows[0]["id"]
        field = "source_id"
    elif case == "bad_choice":
        rows[2]["kind"] = "inbrott"
        field = "kind"
    elif case == "required_empty":
        rows[2]["occurred_at"] = ""
        field = "occurred_at"
    elif case == "subtype_not_cache":
        for r in rows:
            r["subtype"] = ""
        rows[1]["subtype"] = "vapen"  # row 2 is a shooting
        row, field = 2, "subtype"
    elif case == "missing_location":
        rows[2]["lon"] = rows[2]["lat"] = ""
        field = "geometry"
    return write_csv(tmp_path / f"{case}.csv", rows), rows[row - 1], row, field


@pytest.mark.parametrize(
    "case",
    [
        "bad_time",
        "future_time",
        "outside_sweden",
        "outside_working_area",
        "not_a_number",
        "duplicate_id",
        "bad_choice",
        "required_empty",
        "subtype_not_cache",
        "missing_location",
    ],
)
def test_a_bad_row_refuses_the_whole_file(conn, demo_loaded, tmp_path, case):
    path, _row, row, field = _bad_incident_file(tmp_path, case)
    err = refused(conn, path, "incident", source="bad")
    assert [(i.row, i.field, i.code) for i in err.issues] == [(row, field, case)]
    msg = err.summary("en")
    assert path.name in msg and f"row {row}" in msg and f"field '{field}'" in msg
    # the same file with --skip-invalid imports the others and lists the skipped row
    rep = imp(conn, path, "incident", source="bad", skip_invalid=True)
    assert rep.inserted == 3 and rep.skipped_rows == 1
    assert [(i.row, i.code) for i in rep.issues] == [(row, case)]
    assert row in [d["row"] for d in rep.to_dict("en")["issues"]]
    lines = rep.issues_csv("en").splitlines()
    assert lines[0].startswith("file,row,field") and lines[1].startswith(
        f"{path.name},{row},{field},"
    )


def test_file_level_refusals(conn, demo_loaded, tmp_path):
    p = write_csv(
        tmp_path / "nokind.csv", [{"id": 1, "occurred_at": "2026-01-01", "lon": 17.6, "lat": 59.2}]
    )
    err = refused(conn, p, "incident")
    assert err.issues[0].code == "missing_field" and "'kind'" in err.summary("en")
    err = refused(conn, p, "no_such_layer")
    assert err.issues[0].code == "unknown_layer" and "nokind.csv" in str(err)
    garbage = tmp_path / "garbage.gpkg"
    garbage.write_bytes(b"\x00\x01 not a geopackage")
    assert refused(conn, garbage, "area").issues[0].code == "unreadable"
    missing = refused(conn, tmp_path / "absent.csv", "incident")
    assert missing.issues[0].code == "file_missing"
    q = write_csv(tmp_path / "map.csv", [{"id": 1}])
    err = refused(conn, q, "incident", mapping={"occurred_at": "tid"})
    assert err.issues[0].code == "mapped_column_missing"


def _polygons_geojson(path: Path, geoms: list, names: list[str]) -> Path:
    feats = [
        {"type": "Feature", "properties": {"name": n, "code": n}, "geometry": g}
        for n, g in zip(names, geoms, strict=True)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def test_geometry_checks_and_make_valid_only_when_asked(conn, demo_loaded, tmp_path):
    square = shapely.geometry.mapping(
        Polygon([(17.6, 59.19), (17.61, 59.19), (17.61, 59.2), (17.6, 59.2)])
    )
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[17.6, 59.19], [17.61, 59.2], [17.61, 59.19], [17.6, 59.2], [17.6, 59.19]]
        ],
    }
    point = {"type": "Point", "coordinates": [17.6, 59.19]}
    p = _polygons_geojson(
        tmp_path / "g.geojson", [square, bowtie, point, None], ["A", "B", "C", "D"]
    )
    err = refused(conn, p, "area", defaults={"kind": "district"})
    got = {(i.row, i.code) for i in err.issues}
    assert got == {(2, "invalid_geometry"), (3, "wrong_geometry_type"), (4, "empty_geometry")}
    assert "Self-intersection" in err.summary("en") and "feature 2" in err.summary("en")
    rep = imp(
        conn,
        p,
        "area",
        defaults={"kind": "district"},
        make_valid=True,
        skip_invalid=True,
        source="mv",
    )
    assert rep.repaired == 1 and rep.inserted == 2 and rep.skipped_rows == 2
    valid = conn.execute(
        text("select bool_and(st_isvalid(geom)), count(*) from pax_data.area where source = 'mv'")
    ).one()
    assert valid == (True, 2)


def test_interrupted_import_leaves_everything_as_it_was(owner_engine, demo_loaded, tmp_path):
    """The import runs in its own transaction: an exception mid-load rolls all of it back."""
    p = write_csv(tmp_path / "inc.csv", incident_rows(20, prefix="INT"))
    with owner_engine.connect() as c:
        before = fingerprint(c)

    class Boom(RuntimeError):
        pass

    def progress(fraction: float, stage: str) -> None:
        if stage == "index":  # rows are in, indexes not yet rebuilt: the worst moment
            raise Boom

    with pytest.raises(Boom):
        import_file(
            p,
            "incident",
            ImportOptions(source="interrupted"),
            engine=owner_engine,
            progress=progress,
        )
    with owner_engine.connect() as c:
        assert fingerprint(c) == before


def test_dry_run_counts_but_saves_nothing(conn, demo_loaded, tmp_path):
    p = write_csv(tmp_path / "inc.csv", incident_rows(4))
    before = fingerprint(conn)
    rep = imp(conn, p, "incident", source="dry", dry_run=True)
    assert rep.status == "dry_run" and rep.inserted == 4
    assert fingerprint(conn) == before


def test_import_run_is_recorded_in_the_same_transaction(conn, demo_loaded, tmp_path):
    p = write_csv(tmp_path / "inc.csv", incident_rows(3))
    imp(conn, p, "incident", source="runlog", username="tester")
    row = conn.execute(
        text(
            "select layer, file_name, source, status, inserted, username, report->>'rows_read' "
            "from pax_data.import_run order by id desc limit 1"
        )
    ).one()
    assert tuple(row) == ("incident", "inc.csv", "runlog", "imported", 3, "tester", "3")


def test_who_may_read_the_import_history_and_the_police_events(conn, demo_loaded):
    def may(role: str, view: str) -> bool:
        return conn.execute(
            text("select has_table_privilege(:r, :v, 'select')"), {"r": f"pax_{role}", "v": view}
        ).scalar()

    assert may("admin", "pax_api.import_run") and may("police_analyst", "pax_api.import_run")
    for role in ("field_worker", "board_viewer", "security_chief", "municipal_staff"):
        assert not may(role, "pax_api.import_run")
        assert may(role, "pax_api.police_event")
        assert not may(role, "pax_data.police_event")


# --- the other layers ---------------------------------------------------------------------------


def test_indicators_kolada_style(conn, demo_loaded, tmp_path):
    p = write_csv(
        tmp_path / "kpi.csv",
        [
            {
                "kommun": "0181",
                "period": "2024",
                "kpi": "N00001",
                "värde": "12,5",
                "enhet": "%",
                "källa": "Kolada",
                "label_sv": "Testtal",
            },
            {
                "kommun": "Ronna",
                "period": "2024",
                "kpi": "N00001",
                "värde": "30",
                "enhet": "%",
                "källa": "Kolada",
                "label_sv": "Testtal",
            },
            {
                "kommun": "geneta",
                "period": "2024Q1",
                "kpi": "N00001",
                "värde": "7",
                "enhet": "%",
                "källa": "SCB",
                "label_sv": "Testtal",
            },
        ],
    )
    r = imp(conn, p, "indicator", source="kpi")
    assert r.inserted == 3 and r.extra["indicator_keys_created"] == 1
    rows = conn.execute(
        text(
            "select a.name, i.period, i.year, i.value, i.source from pax_data.indicator i "
            "join pax_data.area a on a.id = i.area_id where i.key = 'N00001' order by i.value"
        )
    ).all()
    assert [tuple(x) for x in rows] == [
        ("Geneta", "2024Q1", 2024, 7.0, "SCB"),
        ("Södertälje", "2024", 2024, 12.5, "Kolada"),
        ("Ronna", "2024", 2024, 30.0, "Kolada"),
    ]
    assert imp(conn, p, "indicator", source="kpi").unchanged == 3
    bad = write_csv(
        tmp_path / "kpi_bad.csv",
        [
            {"area": "Atlantis", "period": "2024", "key": "N00001", "value": "1", "unit": "%"},
            {"area": "Ronna", "period": "sommaren", "key": "N00001", "value": "1", "unit": "%"},
            {"area": "Ronna", "period": "2024", "key": "okänd", "value": "1", "unit": "%"},
            {"area": "Ronna", "period": "2023", "key": "N00001", "value": "x", "unit": "%"},
        ],
    )
    err = refused(conn, bad, "indicator")
    assert [(i.row, i.field, i.code) for i in err.issues] == [
        (1, "area", "unknown_area"),
        (2, "period", "bad_period"),
        (3, "key", "unknown_key"),
        (4, "value", "not_a_number"),
    ]


def test_cameras_routes_operations_observations(conn, demo_loaded, tmp_path):
    x, y = transformer(4326, 3006).transform(17.626, 59.196)
    cams = write_csv(
        tmp_path / "kameror.csv",
        [
            {
                "id": "K1",
                "namn": "Torget",
                "ägare": "Kommunen",
                "riktning": 90,
                "x": x,
                "y": y,
                "coverage": Point(x, y).buffer(30).wkt,
            },
            {
                "id": "K2",
                "namn": "Stationen",
                "ägare": "Polisen",
                "riktning": 400,
                "x": x + 50,
                "y": y,
                "coverage": "",
            },
        ],
    )
    err = refused(conn, cams, "camera")
    assert [(i.row, i.field, i.code) for i in err.issues] == [(2, "direction_deg", "out_of_range")]
    r = imp(conn, cams, "camera", skip_invalid=True, source="cam")
    assert r.inserted == 1
    cov = conn.execute(
        text(
            "select st_area(coverage) > 2500, st_srid(coverage) from pax_data.camera where source = 'cam'"
        )
    ).one()
    assert tuple(cov) == (True, 3006)

    routes = gpd.GeoDataFrame(
        {
            "name": ["Runda 1"],
            "organisation": ["Nattvandrarna"],
            "schedule": [json.dumps([{"day": "fri"}])],
        },
        geometry=[LineString([(17.59, 59.21), (17.60, 59.212), (17.61, 59.21)])],
        crs=4326,
    )
    rp = tmp_path / "rutter.geojson"
    routes.to_file(rp, driver="GeoJSON")
    assert imp(conn, rp, "night_walk_route", source="rt").inserted == 1
    assert conn.execute(
        text(
            "select st_geometrytype(geom), schedule->0->>'day' from pax_data.night_walk_route where source = 'rt'"
        )
    ).one() == ("ST_MultiLineString", "fri")

    ops = gpd.GeoDataFrame(
        {
            "name": ["Insats A", "Insats B"],
            "start": ["2026-05-01 18:00", "2026-05-03 18:00"],
            "slut": ["2026-05-02 02:00", "2026-05-01 02:00"],
        },
        geometry=[Point(17.6, 59.2).buffer(0.005), Point(17.58, 59.19).buffer(0.005)],
        crs=4326,
    )
    op = tmp_path / "ops.geojson"
    ops.to_file(op, driver="GeoJSON")
    err = refused(conn, op, "operation")
    assert [(i.row, i.field, i.code) for i in err.issues] == [(2, "starts_at", "time_order")]

    obs = write_csv(
        tmp_path / "obs.csv",
        [
            {
                "id": "O1",
                "tid": "2026-06-01 21:00",
                "kategori": "Samling",
                "rapportör": "falt",
                "område": "Ronna",
                "lat": "",
                "lon": "",
            },
            {
                "id": "O2",
                "tid": "2026-06-01 22:00",
                "kategori": "Nedskräpning",
                "rapportör": "falt",
                "område": "",
                "lat": 59.2066,
                "lon": 17.5728,
            },
        ],
    )
    assert imp(conn, obs, "observation", source="obs").inserted == 2
    got = conn.execute(
        text(
            "select o.source_id, a.name, o.geom is null from pax_data.observation o "
            "left join pax_data.area a on a.id = o.area_id where o.source = 'obs' order by 1"
        )
    ).all()
    assert got[0] == ("O1", "Ronna", True) and got[1][2] is False and got[1][1] is not None


def test_night_walks_held_by_route_id_or_name(conn, demo_loaded, tmp_path):
    walks = [
        {"rutt": "Kvällsrunda Ronna", "datum": "2026-05-01", "deltagare": 7, "kommentar": "lugnt"},
        {"rutt": "demo-route-geneta", "datum": "2026-05-02", "deltagare": 4, "kommentar": ""},
    ]
    path = write_csv(tmp_path / "vandringar.csv", walks)
    r = imp(conn, path, "night_walk", source="walklog")
    assert (r.inserted, r.updated) == (2, 0)
    got = conn.execute(
        text(
            "select r.source_id, w.walked_on::text, w.participants, w.note from pax_data.night_walk w "
            "join pax_data.night_walk_route r on r.id = w.route_id "
            "where w.source = 'walklog' order by w.walked_on"
        )
    ).all()
    assert [tuple(g) for g in got] == [
        ("demo-route-ronna", "2026-05-01", 7, "lugnt"),
        ("demo-route-geneta", "2026-05-02", 4, None),
    ]
    # The same log again changes nothing; a corrected count updates that evening only.
    assert imp(conn, path, "night_walk", source="walklog").unchanged == 2
    walks[0]["deltagare"] = 9
    r = imp(conn, write_csv(path, walks), "night_walk", source="walklog")
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 1)


def test_night_walk_refusals_name_row_and_field(conn, demo_loaded, tmp_path):
    bad = write_csv(
        tmp_path / "vandringar.csv",
        [
            {"route": "Kvällsrunda Ronna", "date": "2026-05-01", "participants": 5},
            {"route": "Runda som inte finns", "date": "2026-05-01", "participants": 5},
            {"route": "demo-route-lina", "date": "2999-01-01", "participants": 5},
            {"route": "demo-route-lina", "date": "2026-05-08", "participants": -2},
            {"route": "demo-route-lina", "date": "inte ett datum", "participants": 3},
        ],
    )
    err = refused(conn, bad, "night_walk")
    assert [(i.row, i.field, i.code) for i in err.issues] == [
        (2, "route", "unknown_route"),
        (3, "walked_on", "future_time"),
        (4, "participants", "out_of_range"),
        (5, "walked_on", "bad_time"),
    ]
    assert "vandringar.csv" in str(err) and "Runda som inte finns" in str(err)

    # Two routes of one name (different organisations): the name is ambiguous, the id is not.
    conn.execute(
        text(
            "insert into pax_data.night_walk_route (name, organisation, geom, source, source_id) "
            "select name, 'Annan förening', geom, 'other', 'other-ronna' "
            "from pax_data.night_walk_route where source_id = 'demo-route-ronna'"
        )
    )
    twice = write_csv(
        tmp_path / "två.csv",
        [{"route": "kvällsrunda ronna", "date": "2026-05-01", "participants": 5}],
    )
    err = refused(conn, twice, "night_walk")
    assert [(i.row, i.field, i.code) for i in err.issues] == [(1, "route", "ambiguous_route")]
    by_id = write_csv(
        tmp_path / "id.csv", [{"route": "other-ronna", "date": "2026-05-01", "participants": 5}]
    )
    assert imp(conn, by_id, "night_walk", source="walklog").inserted == 1


def test_incidents_with_an_area_but_no_point_are_area_precision(conn, demo_loaded, tmp_path):
    p = write_csv(
        tmp_path / "utdrag.csv",
        [
            {"id": "U1", "kind": "shooting", "occurred_at": "2026-03-01 23:10", "område": "Hovsjö"},
            {
                "id": "U2",
                "kind": "cache",
                "subtype": "narkotika",
                "occurred_at": "2026-03-02 10:00",
                "område": "SDT04",
            },
        ],
    )
    assert imp(conn, p, "incident", source="utdrag").inserted == 2
    rows = conn.execute(
        text(
            "select i.kind, i.subtype, i.location_precision, i.geom is null, a.name from pax_data.incident i "
            "join pax_data.area a on a.id = i.area_id where i.source = 'utdrag' order by i.source_id"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("shooting", None, "area", True, "Hovsjö"),
        ("cache", "drugs", "area", True, "Ronna"),
    ]


def test_files_without_ids_get_stable_content_ids(conn, demo_loaded, tmp_path):
    rows = incident_rows(4)
    for r in rows:
        r.pop("id")
    rows.append(dict(rows[0]))  # an identical row is a second event, not a duplicate
    p = write_csv(tmp_path / "noid.csv", rows)
    assert imp(conn, p, "incident", source="noid").inserted == 5
    write_csv(p, list(reversed(rows)))  # same rows, other order
    again = imp(conn, p, "incident", source="noid")
    assert (again.inserted, again.unchanged) == (0, 5)


# --- issue 14: daylight-saving times, mixed coordinate systems, swapped lat/lon, a full disk ----


def test_local_times_in_the_dst_fold_or_gap_are_refused_unless_chosen(conn, demo_loaded, tmp_path):
    rows = incident_rows(5, prefix="DST")
    rows[1]["occurred_at"] = "2026-10-25 02:30"  # occurs twice (autumn)
    rows[2]["occurred_at"] = "2026-03-29 02:30"  # does not exist (spring)
    rows[3]["occurred_at"] = "2026-10-25T02:30:00+01:00"  # an explicit offset: unaffected
    rows[4]["occurred_at"] = "2026-03-29T02:30:00Z"
    p = write_csv(tmp_path / "dst.csv", rows)
    err = refused(conn, p, "incident", source="dst")
    assert [(i.row, i.field, i.code) for i in err.issues] == [
        (2, "occurred_at", "ambiguous_local_time"),
        (3, "occurred_at", "nonexistent_local_time"),
    ]
    msg = err.summary("en")
    assert "dst.csv, row 2, field 'occurred_at': '2026-10-25 02:30' occurs twice" in msg
    assert "--ambiguous-time earlier" in msg
    assert "dst.csv, row 3, field 'occurred_at': '2026-03-29 02:30' does not exist" in msg
    assert "--nonexistent-time shift-forward" in msg
    rep = imp(
        conn, p, "incident", source="dst", ambiguous_time="later", nonexistent_time="shift-forward"
    )
    assert rep.inserted == 5 and not rep.issues
    got = dict(
        conn.execute(
            text(
                "select source_id, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') "
                "from pax_data.incident where source = 'dst'"
            )
        ).all()
    )
    assert got["DST1"] == "2026-10-25 01:30"  # the second 02:30 (winter time, +01:00)
    assert got["DST2"] == "2026-03-29 01:30"  # 03:30 summer time
    assert got["DST3"] == "2026-10-25 01:30" and got["DST4"] == "2026-03-29 02:30"
    rep = imp(
        conn,
        p,
        "incident",
        source="dst",
        ambiguous_time="earlier",
        nonexistent_time="shift-backward",
    )
    assert rep.updated == 2 and rep.unchanged == 3
    bad = refused(conn, p, "incident", ambiguous_time="first")
    assert bad.issues[0].code == "bad_option" and "--ambiguous-time" in bad.summary("en")


def test_one_wgs84_row_among_sweref_rows_is_named(conn, demo_loaded, tmp_path):
    lon = np.array([p[0] for p in PLACES])
    lat = np.array([p[1] for p in PLACES])
    xs, ys = transformer(4326, 3006).transform(lon, lat)
    rows = [
        {
            "id": f"M{i}",
            "kind": "car_fire",
            "occurred_at": "2026-05-01 22:00",
            "x": xs[i],
            "y": ys[i],
        }
        for i in range(len(PLACES))
    ]
    rows[2]["x"], rows[2]["y"] = 17.6, 59.2  # one row in WGS84
    p = write_csv(tmp_path / "mixed.csv", rows)
    err = refused(conn, p, "incident", source="mixed")
    assert [(i.row, i.field, i.code) for i in err.issues] == [(3, "x/y", "crs_mixed_row")]
    msg = err.summary("en")
    assert (
        "mixed.csv, row 3, field 'x/y': x/y look like WGS84 longitude/latitude "
        "(17.6, 59.2) while the other rows are SWEREF 99 TM" in msg
    )
    assert "states no coordinate system" not in msg and "names no coordinate system" not in msg
    rep = imp(conn, p, "incident", source="mixed", skip_invalid=True)
    assert rep.crs == 3006 and rep.inserted == len(PLACES) - 1 and rep.skipped_rows == 1
    # the same in a WKT column
    wkt = [{**r, "geometry": f"POINT ({r['x']} {r['y']})"} for r in rows]
    for r in wkt:
        del r["x"], r["y"]
    q = write_csv(tmp_path / "mixed_wkt.csv", wkt)
    err = refused(conn, q, "incident", source="mixed_wkt")
    assert [(i.row, i.field, i.code) for i in err.issues] == [(3, "geometry", "crs_mixed_row")]
    assert (
        "mixed_wkt.csv, row 3, field 'geometry': the coordinates look like WGS84 "
        "longitude/latitude (17.6, 59.2) while the other rows are SWEREF 99 TM" in err.summary("en")
    )
    # with no clear majority it still asks for --crs
    half = rows[:2] + [{**rows[2], "id": "W1"}, {**rows[2], "id": "W2"}]
    r = write_csv(tmp_path / "half.csv", half)
    assert refused(conn, r, "incident").issues[0].code == "crs_undecidable"


def test_swapped_lat_lon_is_labelled_and_the_swap_suggested(conn, demo_loaded, tmp_path):
    rows = incident_rows(3, prefix="SW")
    rows[1]["lat"], rows[1]["lon"] = 17.6253, 59.1955  # the columns swapped in one row
    rows[2]["lat"], rows[2]["lon"] = 40.7, -73.9  # New York: just outside Sweden
    p = write_csv(tmp_path / "swapped.csv", rows)
    err = refused(conn, p, "incident", source="swapped")
    assert [(i.row, i.field, i.code) for i in err.issues] == [
        (2, "lon/lat", "lonlat_swapped"),
        (3, "lon/lat", "outside_sweden"),
    ]
    msg = err.summary("en")
    assert (
        "lat 17.62530, lon 59.19550 looks swapped: did you mean lat 59.19550, lon 17.62530?" in msg
    )
    assert "(lat 40.70000, lon -73.90000) is outside Sweden" in msg
    assert "(17.62530, 59.19550)" not in msg


def test_a_full_database_disk_says_so_where_and_that_nothing_was_saved(conn, demo_loaded, tmp_path):
    """The real server error (SQLSTATE 53100 disk_full, psycopg's DiskFull) from a trigger in
    this test's rolled-back transaction."""
    from pax_geo.config import settings

    conn.execute(
        text(
            "create function pg_temp.disk_full() returns trigger language plpgsql as $$ begin "
            "raise exception 'could not extend file \"base/16384/16390\": No space left on device' "
            "using errcode = 'disk_full', hint = 'Check free disk space.'; end $$"
        )
    )
    conn.execute(
        text(
            "create trigger disk_full_test before insert on pax_data.incident for each row "
            "execute function pg_temp.disk_full()"
        )
    )
    p = write_csv(tmp_path / "full.csv", incident_rows(3, prefix="FULL"))
    err = refused(conn, p, "incident", source="full")
    assert err.issues[0].code == "disk_full_database"
    import psycopg

    cause = err.__cause__
    assert isinstance(getattr(cause, "orig", cause), psycopg.errors.DiskFull)
    msg = err.summary("en")
    assert msg.startswith("full.csv: the database's disk is full")
    assert f"the database's data directory {settings().pgdata}" in msg
    assert "nothing was saved, the import was rolled back" in msg
    assert "No space left on device" in msg
    assert "databasens disk är full" in err.summary("sv")
    assert (
        conn.execute(text("select count(*) from pax_data.incident where source = 'full'")).scalar()
        == 0
    )
