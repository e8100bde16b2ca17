"""Pure parts of the importer: time parsing, CRS detection, readers, the Police feed helpers and
the polite fetcher's limiter (fake clock, fake HTTP: never the network)."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta, timezone

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from pax_geo.ingest import fetch, polisen, readers
from pax_geo.ingest.errors import IngestError
from pax_geo.ingest.geo import (
    SWEREF_1800,
    SWEREF_TM,
    WorkingArea,
    classify_rows,
    detect_crs,
    majority_class,
    transformer,
)
from pax_geo.ingest.times import AmbiguousDates, DstPolicy, parse_times, parse_times_checked

# --- times -----------------------------------------------------------------------------------


def test_times_iso_with_and_without_offset_and_unpadded_hours():
    s = pd.Series(
        [
            "2026-08-22 9:48:12 +02:00",
            "2026-01-05T10:00:00Z",
            "2026-01-05 10:00",
            "2026-07-01",
            None,
        ]
    )
    t, bad = parse_times(s)
    assert not bad.any()
    assert t[0] == pd.Timestamp("2026-08-22 07:48:12", tz="UTC")
    assert t[1] == pd.Timestamp("2026-01-05 10:00", tz="UTC")
    # naive = Europe/Stockholm: CET in January, CEST in July
    assert t[2] == pd.Timestamp("2026-01-05 09:00", tz="UTC")
    assert t[3] == pd.Timestamp("2026-06-30 22:00", tz="UTC")
    assert pd.isna(t[4])


def test_times_bad_values_are_marked_not_guessed():
    t, bad = parse_times(pd.Series(["2026-13-45", "igår", "", "2026-02-30 10:00"]))
    assert list(bad) == [True, True, True, True]
    assert t.isna().all()


def test_times_slash_dates_decided_per_column():
    us, bad = parse_times(pd.Series(["12/31/2021", "01/02/2021"]))  # month first (31 > 12)
    assert not bad.any() and us[1].tz_convert("Europe/Stockholm").month == 1
    assert us[1].tz_convert("Europe/Stockholm").day == 2
    eu, bad = parse_times(pd.Series(["31/12/2021", "01/02/2021"]))  # day first
    assert not bad.any() and eu[1].tz_convert("Europe/Stockholm").month == 2
    dotted, bad = parse_times(pd.Series(["24.12.2025 18:30"]))
    assert not bad.any()
    assert dotted[0] == pd.Timestamp("2025-12-24 17:30", tz="UTC")
    with pytest.raises(AmbiguousDates):
        parse_times(pd.Series(["01/02/2021", "03/04/2021"]))


def test_times_datetime_columns_pass_through():
    naive = pd.Series(pd.to_datetime(["2026-03-01 12:00"]))
    t, bad = parse_times(naive)
    assert t[0] == pd.Timestamp("2026-03-01 11:00", tz="UTC") and not bad.any()


def test_times_in_the_dst_fold_or_gap_are_flagged_not_guessed():
    """2026-10-25 02:30 happens twice in Stockholm, 2026-03-29 02:30 never: neither is guessed;
    with an offset or Z they are plain instants; a datetime column is checked the same way."""
    s = pd.Series(
        [
            "2026-10-25 02:30",  # fold
            "2026-03-29 02:30",  # gap
            "2026-10-25T02:30:00+01:00",
            "2026-03-29T02:30Z",
            "25.10.2026 02:45",  # fold, dotted
            "2026-10-25 01:30",  # before the fold: fine
            None,
        ]
    )
    r = parse_times_checked(s)
    assert list(r.ambiguous) == [True, False, False, False, True, False, False]
    assert list(r.nonexistent) == [False, True, False, False, False, False, False]
    assert not r.bad.any()
    assert r.times[[0, 1, 4]].isna().all()
    assert r.times[2] == pd.Timestamp("2026-10-25 01:30", tz="UTC")
    assert r.times[3] == pd.Timestamp("2026-03-29 02:30", tz="UTC")
    assert r.times[5] == pd.Timestamp("2026-10-24 23:30", tz="UTC")
    # the old two-value API never returns a guess either: the rows are marked bad
    t, bad = parse_times(s)
    assert list(bad[:2]) == [True, True] and t[:2].isna().all()
    # an explicit choice reads them; earlier = summer time, shift-forward = 03:30 summer time
    r = parse_times_checked(s, DstPolicy("earlier", "shift-forward"))
    assert not r.ambiguous.any() and not r.nonexistent.any()
    assert r.times[0] == pd.Timestamp("2026-10-25 00:30", tz="UTC")
    assert r.times[1] == pd.Timestamp("2026-03-29 01:30", tz="UTC")
    assert r.times[1].tz_convert("Europe/Stockholm").strftime("%H:%M%z") == "03:30+0200"
    r = parse_times_checked(s, DstPolicy("later", "shift-backward"))
    assert r.times[0] == pd.Timestamp("2026-10-25 01:30", tz="UTC")
    assert r.times[1].tz_convert("Europe/Stockholm").strftime("%H:%M%z") == "01:30+0100"
    assert r.times[4] == pd.Timestamp("2026-10-25 01:45", tz="UTC")
    naive = pd.Series(pd.to_datetime(["2026-10-25 02:30", "2026-03-29 02:30", "2026-05-01 12:00"]))
    r = parse_times_checked(naive)
    assert list(r.ambiguous) == [True, False, False]
    assert list(r.nonexistent) == [False, True, False]
    assert r.times[2] == pd.Timestamp("2026-05-01 10:00", tz="UTC")
    with pytest.raises(ValueError):
        DstPolicy("first", None)


# --- CRS detection ---------------------------------------------------------------------------


def test_rows_are_classified_one_by_one_against_a_clear_majority():
    tm_x, tm_y = _sodertalje(SWEREF_TM)
    x = np.array([*tm_x, 17.6, tm_y[0], 1500.0])
    y = np.array([*tm_y, 59.2, tm_x[0], 1800.0])
    classes = classify_rows(x, y)
    assert classes == [
        (SWEREF_TM, False),
        (SWEREF_TM, False),
        (SWEREF_TM, False),
        (4326, False),
        (SWEREF_TM, True),
        None,
    ]
    assert majority_class(classes) == (None, 0)  # 3 of 6 is not a majority
    assert majority_class(classes[:4]) == ((SWEREF_TM, False), 3)
    assert majority_class([None, None]) == (None, 0)


def _sodertalje(epsg: int) -> tuple[np.ndarray, np.ndarray]:
    lon = np.array([17.55, 17.62, 17.65])
    lat = np.array([59.17, 59.20, 59.21])
    if epsg == 4326:
        return lon, lat
    return transformer(4326, epsg).transform(lon, lat)


@pytest.mark.parametrize("epsg", [4326, SWEREF_TM, SWEREF_1800])
def test_detect_crs_tells_the_three_apart(epsg):
    x, y = _sodertalje(epsg)
    assert detect_crs(x, y) == (epsg, False)


def test_detect_crs_notices_swapped_axes_and_gives_up_when_unsure():
    x, y = _sodertalje(SWEREF_TM)
    assert detect_crs(y, x) == (SWEREF_TM, True)
    assert detect_crs(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == (None, False)
    assert detect_crs(np.array([500.0]), np.array([6_500_000.0, 7.0][:1])) == (None, False)
    # lon/lat columns outside degree ranges are not WGS84
    assert detect_crs(np.array([640_000.0]), np.array([6_560_000.0]), "lonlat") == (None, False)


def test_working_area_messages_distinguish_sweden_from_the_municipality():
    wa = WorkingArea("auto", Point(650_000, 6_560_000).buffer(10_000), "test")
    x, y = transformer(4326, 3006).transform(
        np.array([17.62, 11.97, -73.9]), np.array([59.2, 57.7, 40.7])
    )
    assert list(wa.check_points(np.asarray(x), np.asarray(y))) == [
        "",
        "outside_working_area",
        "outside_sweden",
    ]
    assert list(WorkingArea("none").check_points(np.asarray(x), np.asarray(y))) == ["", "", ""]


# --- readers ---------------------------------------------------------------------------------


def test_csv_semicolon_cp1252_and_ragged_row(tmp_path):
    p = tmp_path / "kameror.csv"
    p.write_bytes("namn;ägare;x;y\nTorget;Kommunen;649000;6562000\n".encode("cp1252"))
    raw = readers.read(p)
    assert list(raw.attrs.columns) == ["namn", "ägare", "x", "y"] and raw.encoding == "cp1252"
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(IngestError) as ei:
        readers.read(bad)
    assert ei.value.issues[0].row == 2 and "bad.csv" in str(ei.value)


@pytest.mark.parametrize(
    "content,code",
    [
        (b"", "file_empty"),
        (b"a,b\n", "no_rows"),
        (b"a,a\n1,2\n", "csv_duplicate_header"),
        (b"\r\x00", "unreadable"),  # found by the hypothesis test: csv.Error, not a traceback
    ],
)
def test_csv_file_level_errors(tmp_path, content, code):
    p = tmp_path / "f.csv"
    p.write_bytes(content)
    with pytest.raises(IngestError) as ei:
        readers.read(p)
    assert ei.value.issues[0].code == code


def test_zip_shapefile_gpkg_layers_and_unknown_suffix(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(17.6, 59.2)], crs=4326)
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gdf.to_file(shp_dir / "pts.shp")
    z = tmp_path / "pts.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f.name)
    raw = readers.read(z)
    assert raw.fmt == "shapefile" and raw.crs == 4326 and len(raw) == 1
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.write(shp_dir / "pts.shp", "pts.shp")
    with pytest.raises(IngestError) as ei:
        readers.read(broken)
    assert ei.value.issues[0].code == "shapefile_part_missing"
    gpkg = tmp_path / "two.gpkg"
    gdf.to_file(gpkg, layer="one")
    gdf.to_file(gpkg, layer="two")
    with pytest.raises(IngestError) as ei:
        readers.read(gpkg)
    assert ei.value.issues[0].code == "many_layers"
    assert len(readers.read(gpkg, file_layer="two")) == 1
    other = tmp_path / "x.xlsx"
    other.write_bytes(b"PK..")
    with pytest.raises(IngestError) as ei:
        readers.read(other)
    assert ei.value.issues[0].code == "unknown_format"


def test_geojson_without_crs_member_is_wgs84_and_json_records_are_tables(tmp_path):
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"n": 1},
                "geometry": {"type": "Point", "coordinates": [17.6, 59.2]},
            }
        ],
    }
    p = tmp_path / "a.geojson"
    p.write_text(json.dumps(fc))
    assert readers.read(p).crs == 4326
    q = tmp_path / "rows.json"
    q.write_text(json.dumps([{"lat": 59.2, "lng": 17.6, "t": "x"}]))
    raw = readers.read(q)
    assert raw.geoms is None and set(raw.attrs.columns) == {"lat", "lng", "t"}


# --- the Police feed helpers -----------------------------------------------------------------


def test_police_datetime_without_zero_padded_hour():
    d = polisen.parse_datetime("2026-08-22 9:48:12 +02:00")
    assert d == datetime(2026, 8, 22, 9, 48, 12, tzinfo=timezone(timedelta(hours=2)))
    assert polisen.parse_datetime("2026-08-22 25:00:00 +02:00") is None
    assert polisen.parse_datetime("22 augusti") is None


def test_police_event_time_from_the_name_crosses_new_year():
    pub = polisen.parse_datetime("2026-01-01 0:40:00 +01:00")
    t = polisen.event_time("31 december 23.55, Brand, Södertälje", pub)
    assert t is not None and t.year == 2025 and (t.hour, t.minute) == (23, 55)
    t2 = polisen.event_time("1 januari 00:10, Brand, Södertälje", pub)
    assert t2.year == 2026


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Bilbrand på Fornhöjden.", True),
        ("brand i två parkerade bilar", True),
        ("Två lastbilar brann i Sydhamnen", True),
        ("parkerade fordon brinner", True),
        ("En elbil började brinna", True),
        ("Villabrand i Järna.", False),
        ("Brand i lägenhet, läget är stabil", False),
        ("brand i en mobil toalett", False),
        ("Det har brunnit i en bilfirma", False),
    ],
)
def test_vehicle_fire_words(text, expected):
    assert polisen.is_vehicle_fire(text) is expected


def test_municipality_filter_and_district_matcher():
    ev = {"name": "1 maj 10.00, Brand, Södertälje", "location": {"name": "Stockholms län"}}
    assert polisen.in_municipality(ev, "Södertälje")
    assert not polisen.in_municipality(
        {"name": "x, Brand, Kävlinge", "location": {"name": "Skåne län"}}, "Södertälje"
    )
    m = polisen.DistrictMatcher([(1, "Ronna"), (2, "Geneta"), (3, "Lina")])
    assert m.find("Skottlossning i Ronna.") == (1, "Ronna")
    assert m.find("Inget här", "men Genetas centrum") == (2, "Geneta")
    assert m.find("Linaström") is None  # whole words only
    assert polisen.absolute_url("/aktuellt/x/") == "https://polisen.se/aktuellt/x/"


def test_parse_feed_validates_ids_and_times():
    now = datetime(2026, 9, 1, tzinfo=UTC)
    data = [
        {
            "id": 1,
            "datetime": "2026-08-22 9:48:12 +02:00",
            "name": "22 augusti 09.10, Skottlossning, Södertälje",
            "summary": "Skott i Ronna",
            "url": "/a",
            "type": "Skottlossning",
            "location": {"name": "Södertälje", "gps": "59,17"},
        },
        {
            "id": 1,
            "datetime": "2026-08-22 9:50:12 +02:00",
            "name": "22 augusti 09.20, Brand, Södertälje",
            "summary": "x",
            "url": "/b",
            "type": "Brand",
            "location": {"name": "Södertälje"},
        },
        {
            "id": 3,
            "datetime": "2027-08-22 9:50:12 +02:00",
            "name": "x, Explosion, Södertälje",
            "summary": "x",
            "url": "/c",
            "type": "Explosion",
            "location": {"name": "Södertälje"},
        },
        {
            "id": 4,
            "datetime": "22/8",
            "name": "x, Explosion, Södertälje",
            "summary": "x",
            "url": "/d",
            "type": "Explosion",
            "location": {"name": "Södertälje"},
        },
        {
            "id": 5,
            "datetime": "2026-08-22 9:50:12 +02:00",
            "name": "x, Explosion, Kävlinge",
            "type": "Explosion",
            "location": {"name": "Skåne län"},
        },
    ]
    res = polisen.parse_feed(data, "Södertälje", [(7, "Ronna")], 99, now)
    codes = {(i.row, i.field, i.code) for i in res.issues}
    assert codes == {
        (2, "id", "duplicate_id"),
        (3, "datetime", "future_time"),
        (4, "datetime", "bad_time"),
    }
    assert res.kept == 4 and len(res.incidents) == 1
    inc = res.incidents.iloc[0]
    assert (inc.kind, inc.location_precision, inc.area_id) == ("shooting", "area", 7)
    assert inc.source_url == "https://polisen.se/a"
    # the event time comes from the name (09.10 local), the report time from datetime
    assert inc.occurred_at == pd.Timestamp("2026-08-22 07:10", tz="UTC")
    assert inc.reported_at == pd.Timestamp("2026-08-22 07:48:12", tz="UTC")


# --- the polite fetcher --------------------------------------------------------------------------


class FakeClock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.t += s


def test_limiter_waits_ten_seconds_and_caps_sixty_an_hour(tmp_path):
    clock = FakeClock()
    lim = fetch.RateLimiter(tmp_path / "calls.json", clock=clock, sleep=clock.sleep)
    assert lim.acquire() == 0
    clock.t += 3
    assert lim.acquire() == pytest.approx(7)
    with pytest.raises(fetch.FetchRefused, match="10 s"):
        lim.acquire(wait=False)
    for _ in range(58):
        clock.t += 10
        lim.acquire()
    clock.t += 10
    with pytest.raises(fetch.FetchRefused, match="60"):
        lim.acquire()
    # the budget is shared through the state file: a new limiter sees the same calls
    other = fetch.RateLimiter(tmp_path / "calls.json", clock=clock, sleep=clock.sleep)
    with pytest.raises(fetch.FetchRefused):
        other.acquire()
    clock.t += 3600
    assert other.acquire() == 0


def test_fetch_sends_a_user_agent_and_saves_the_answer(tmp_path, monkeypatch, request):
    from pax_geo import config

    monkeypatch.setenv("PAX_POLISEN_USER_AGENT", "pax-test/1.0 (test@example.org)")
    config.settings.cache_clear()
    request.addfinalizer(config.settings.cache_clear)
    clock = FakeClock()
    seen = {}

    def fake_get(url, params, headers):
        seen.update(url=url, params=params, headers=headers)
        return 200, json.dumps([{"id": 1}]).encode()

    lim = fetch.RateLimiter(tmp_path / "calls.json", clock=clock, sleep=clock.sleep)
    path = fetch.fetch_events("Södertälje", out_dir=tmp_path, limiter=lim, http_get=fake_get)
    assert seen["headers"]["User-Agent"] == "pax-test/1.0 (test@example.org)"
    assert seen["params"] == {"locationname": "Södertälje"} and seen["url"] == fetch.API_URL
    assert json.loads(path.read_text()) == [{"id": 1}]

    def failing(url, params, headers):
        return 503, b""

    clock.t += 10
    with pytest.raises(fetch.FetchRefused, match="503"):
        fetch.fetch_events(out_dir=tmp_path, limiter=lim, http_get=failing)


def test_points_in_polygons_geometry_helpers():
    # the district join used by the importer: lowest id wins on a shared border
    from pax_geo.ingest.prepare import Context

    a = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)])
    b = Polygon([(10, 0), (20, 0), (20, 10), (10, 10)])
    ctx = Context(
        areas=pd.DataFrame(columns=["id", "code", "name", "kind"]),
        districts=pd.DataFrame({"id": [5, 9], "name": ["a", "b"], "geom": [a, b]}),
        indicator_keys={},
        working_area=WorkingArea("none"),
        now=pd.Timestamp.now(tz="UTC"),
    )
    got = ctx.district_of(np.array([5.0, 15.0, 10.0, 50.0]), np.array([5.0, 5.0, 5.0, 5.0]))
    assert list(got) == [5, 9, 5, -1]
    assert shapely.is_valid(a)


def test_uploads_are_staged_privately_and_swept(tmp_path):
    import dataclasses
    import os
    import stat
    import time

    from pax_geo import config
    from pax_geo.ingest import uploads

    cfg = dataclasses.replace(config.settings(), home=tmp_path)
    a = uploads.stage(b"id,x\n1,2\n", "Områden.CSV", cfg)
    assert (
        a.parent == tmp_path / "uploads" and a.suffix == ".csv" and a.read_bytes() == b"id,x\n1,2\n"
    )
    assert stat.S_IMODE(os.stat(a.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(a).st_mode) == 0o600
    assert uploads.stage(b"id,x\n1,2\n", "again.csv", cfg) == a  # same content, same file
    old = uploads.stage(b"other", "old.geojson", cfg)
    os.utime(old, (time.time() - 2 * uploads.MAX_AGE_S,) * 2)
    assert uploads.sweep(cfg) == 1
    assert not old.exists() and a.exists()


def test_every_municipality_is_fetched_in_the_one_shared_budget(tmp_path):
    """Several municipalities: one call each with its locationname, ten seconds apart through
    the shared limiter; more municipalities than an hour's calls are refused before any call."""
    clock = FakeClock()
    calls: list[tuple[float, dict]] = []

    def fake_get(url, params, headers):
        calls.append((clock.t, dict(params)))
        return 200, json.dumps([{"id": len(calls)}]).encode()

    lim = fetch.RateLimiter(tmp_path / "calls.json", clock=clock, sleep=clock.sleep)
    lim.acquire()  # someone else called just now
    got = fetch.fetch_municipalities(
        ["Södertälje", "Nykvarn", "Salem"], out_dir=tmp_path, limiter=lim, http_get=fake_get
    )
    assert [n for n, _ in got] == ["Södertälje", "Nykvarn", "Salem"]
    assert [p["locationname"] for _, p in calls] == ["Södertälje", "Nykvarn", "Salem"]
    times = [t for t, _ in calls]
    assert all(b - a >= fetch.MIN_INTERVAL_S for a, b in zip(times, times[1:], strict=False))
    assert clock.slept and clock.slept[0] == pytest.approx(fetch.MIN_INTERVAL_S)
    assert [json.loads(p.read_text()) for _, p in got] == [[{"id": 1}], [{"id": 2}], [{"id": 3}]]
    with pytest.raises(fetch.FetchRefused, match="61 municipalities"):
        fetch.fetch_municipalities(
            [f"K{i}" for i in range(61)], out_dir=tmp_path, limiter=lim, http_get=fake_get
        )
    assert len(calls) == 3
