"""Property-based: malformed files and rows never crash the importer, always give a clear error
that names the file, the row and the field, and never change the database; with
--skip-invalid exactly the good rows go in and exactly the bad rows are reported."""

from __future__ import annotations

import json
import string
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from pax_geo.ingest import ImportOptions, IngestError, import_file
from tests.ingest_support import fingerprint

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

KINDS = ["car_fire", "shooting", "explosion", "cache", "Bilbrand", "skottlossning", "Detonation"]
BAD_TIMES = ["igår", "2020-13-01", "2021-02-30 10:00", "kl 25", "31/31/2020", "2020-01-01 25:61"]
LETTERS = st.text(alphabet=string.ascii_lowercase + "åäö", min_size=1, max_size=8)
NOW = datetime.now(UTC)

# lon/lat safely inside Södertälje's built-up area
LON = st.floats(17.58, 17.66, allow_nan=False)
LAT = st.floats(59.18, 59.21, allow_nan=False)


@st.composite
def good_time(draw) -> str:
    t = NOW - timedelta(seconds=draw(st.integers(86_400, 5 * 365 * 86_400)))
    style = draw(st.sampled_from(["offset", "z", "naive", "date", "unpadded"]))
    if style == "offset":
        return t.astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
    if style == "z":
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "naive":
        return t.strftime("%Y-%m-%d %H:%M")
    if style == "date":
        return t.strftime("%Y-%m-%d")
    return f"{t:%Y-%m-%d} {t.hour}:{t:%M:%S} +01:00"


CORRUPTIONS = (
    "bad_time",
    "future_time",
    "required_empty",
    "outside_sweden",
    "not_a_number",
    "coordinate_missing",
    "bad_choice",
    "duplicate_id",
    "nul_character",
)


@st.composite
def row(draw, i: int, corruption: str | None) -> dict:
    r = {
        "id": f"H{i}",
        "kind": draw(st.sampled_from(KINDS)),
        "occurred_at": draw(good_time()),
        "lon": draw(LON),
        "lat": draw(LAT),
        "title": draw(
            st.text(
                st.characters(exclude_characters="\x00\r", exclude_categories=("Cs",)), max_size=30
            )
        ),
    }
    if corruption == "bad_time":
        r["occurred_at"] = draw(st.sampled_from(BAD_TIMES) | LETTERS.map(lambda s: "x" + s))
    elif corruption == "future_time":
        r["occurred_at"] = (NOW + timedelta(days=draw(st.integers(2, 5000)))).strftime(
            "%Y-%m-%d %H:%M"
        )
    elif corruption == "required_empty":
        r["occurred_at"] = ""
    elif corruption == "outside_sweden":
        r["lon"] = draw(st.floats(-179, -1, allow_nan=False))
        r["lat"] = draw(st.floats(-80, 80, allow_nan=False))
    elif corruption == "not_a_number":
        r["lat"] = "x" + draw(LETTERS)
    elif corruption == "coordinate_missing":
        r["lon"] = ""
    elif corruption == "bad_choice":
        r["kind"] = "zz" + draw(LETTERS)
    elif corruption == "duplicate_id":
        r["id"] = "H0"
    elif corruption == "nul_character":
        r["title"] = r["title"] + "\x00"
    return r


@st.composite
def table(draw) -> tuple[list[dict], set[int]]:
    n_good = draw(st.integers(1, 6))
    corruptions = draw(st.lists(st.sampled_from(CORRUPTIONS), max_size=5))
    plan = [None] * n_good + corruptions
    plan = draw(st.permutations(plan))
    if plan[0] == "duplicate_id":  # the first occurrence of H0 is not the duplicate
        plan = [None, *plan]
    rows = [draw(row(i, c)) for i, c in enumerate(plan)]
    bad = {i + 1 for i, c in enumerate(plan) if c is not None}
    return rows, bad


def _write(rows: list[dict], name: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix="pax_hyp_"))
    path = d / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@SETTINGS
@given(data=table())
def test_bad_rows_are_named_exactly_and_nothing_changes(owner_engine, demo_loaded, data):
    rows, bad = data
    path = _write(rows, "hyp.csv")
    with owner_engine.connect() as conn:
        tx = conn.begin()
        try:
            before = fingerprint(conn)
            opts = ImportOptions(source="hyp")
            if not bad:
                rep = import_file(path, "incident", opts, conn=conn)
                assert rep.inserted == len(rows)
                again = import_file(path, "incident", opts, conn=conn)
                assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(rows))
                return
            try:
                import_file(path, "incident", opts, conn=conn)
            except IngestError as exc:
                err = exc
            else:
                raise AssertionError(f"rows {sorted(bad)} were bad but the file was accepted")
            assert fingerprint(conn) == before
            assert {i.row for i in err.issues} == bad
            for issue in err.issues:
                line = issue.text(path.name, "row", "en")
                assert line.startswith(f"{path.name}, row {issue.row}, field '")
                assert issue.field
            rep = import_file(
                path, "incident", ImportOptions(source="hyp", skip_invalid=True), conn=conn
            )
            assert rep.inserted == len(rows) - len(bad)
            assert {i.row for i in rep.issues} == bad
            n = conn.execute(
                text("select count(*) from pax_data.incident where source = 'hyp'")
            ).scalar()
            assert n == len(rows) - len(bad)
        finally:
            tx.rollback()


FORMATS = [".csv", ".geojson", ".json", ".gpkg", ".zip", ".parquet"]


@SETTINGS
@given(
    content=st.binary(max_size=400)
    | st.text(max_size=300).map(lambda s: s.encode("utf-8"))
    | st.sampled_from(
        [
            b"",
            b"id,kind,occurred_at,lon,lat\n",
            b"id,kind,occurred_at\n1,car_fire,2024-01-01\n",
            b'{"type": "FeatureCollection", "features": [{"type": "Feature"}]}',
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
            b'"geometry": {"type": "Point", "coordinates": ["a", 1]}}]}',
            b"[1, 2, 3]",
            b'[{"lat": "x", "lon": 17}]',
            b"PK\x03\x04 not really a zip",
            b"PAR1 not really parquet",
        ]
    ),
    suffix=st.sampled_from(FORMATS),
    layer=st.sampled_from(["incident", "area", "camera", "indicator", "polisen"]),
)
def test_garbage_files_never_crash_and_change_nothing(
    owner_engine, demo_loaded, content, suffix, layer
):
    d = Path(tempfile.mkdtemp(prefix="pax_hyp_"))
    path = d / f"skräp{suffix}"
    path.write_bytes(content)
    with owner_engine.connect() as conn:
        tx = conn.begin()
        try:
            before = fingerprint(conn)
            try:
                import_file(path, layer, ImportOptions(source="garbage"), conn=conn)
            except IngestError as exc:
                assert fingerprint(conn) == before
                text_ = exc.summary("en")
                assert path.name in text_
                assert exc.issues and all(i.message("en") for i in exc.issues)
                for i in exc.issues:
                    if i.row is not None:
                        assert i.field, i
        finally:
            tx.rollback()


@st.composite
def polygon_feature(draw) -> dict:
    """Rings near Södertälje: sometimes valid, sometimes bow-ties, open, too short or empty."""
    n = draw(st.integers(0, 6))
    pts = [[draw(st.floats(17.55, 17.70)), draw(st.floats(59.15, 59.25))] for _ in range(n)]
    if pts and draw(st.booleans()):
        pts.append(pts[0])
    gtype = draw(st.sampled_from(["Polygon", "Polygon", "MultiPolygon", "LineString", "Point"]))
    if gtype == "Polygon":
        coords = [pts]
    elif gtype == "MultiPolygon":
        coords = [[pts]]
    elif gtype == "LineString":
        coords = pts
    else:
        coords = pts[0] if pts else []
    return {
        "type": "Feature",
        "properties": {
            "name": draw(st.sampled_from(["A", "B", "C", ""])),
            "code": draw(st.sampled_from(["1", "2", "3"])),
        },
        "geometry": {"type": gtype, "coordinates": coords},
    }


@SETTINGS
@given(feats=st.lists(polygon_feature(), min_size=1, max_size=6), make_valid=st.booleans())
def test_malformed_geometries_never_crash(owner_engine, demo_loaded, feats, make_valid):
    d = Path(tempfile.mkdtemp(prefix="pax_hyp_"))
    path = d / "områden.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    with owner_engine.connect() as conn:
        tx = conn.begin()
        try:
            before = fingerprint(conn)
            opts = ImportOptions(
                source="hypgeo", defaults={"kind": "district"}, make_valid=make_valid
            )
            try:
                rep = import_file(path, "area", opts, conn=conn)
            except IngestError as exc:
                assert fingerprint(conn) == before
                assert path.name in exc.summary("en")
                for i in exc.issues:
                    if i.row is not None:
                        assert 1 <= i.row <= len(feats) and i.field
            else:
                assert rep.inserted + rep.updated + rep.unchanged == len(feats)
                ok = conn.execute(
                    text(
                        "select bool_and(st_isvalid(geom) and not st_isempty(geom)) "
                        "from pax_data.area where source = 'hypgeo'"
                    )
                ).scalar()
                assert ok
        finally:
            tx.rollback()
