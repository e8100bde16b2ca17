"""The street map's style and tiles (pax_geo.basemap): what each setting gives the browser,
clear errors for bad settings, and MBTiles tiles read from a file the test writes."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest

from pax_geo import basemap
from pax_geo.config import Settings, SettingsError, load_settings
from pax_geo.ui.basemap import tile_xyz


def test_none_is_a_plain_background_that_needs_no_network():
    st = basemap.style(Settings(basemap="none"))
    assert st["version"] == 8 and st["sources"] == {}
    assert [layer["type"] for layer in st["layers"]] == ["background"]


@pytest.mark.parametrize("name", ["carto", "osm"])
def test_tile_services_give_raster_tiles_with_their_attribution(name):
    st = basemap.style(Settings(basemap=name))
    src = st["sources"]["streets"]
    assert src["type"] == "raster" and src["tiles"] == [basemap.SERVICES[name][0]]
    assert "OpenStreetMap" in src["attribution"]
    assert [layer["id"] for layer in st["layers"]] == ["background", "streets"]


def test_default_is_a_street_map():
    assert Settings().basemap == "carto"
    assert load_settings({}).basemap == "carto"


def test_own_tile_server_and_its_errors():
    cfg = Settings(
        basemap="url",
        basemap_url="https://karta.sodertalje.se/tiles/{z}/{x}/{y}.png",
        basemap_attribution="© Södertälje kommun",
    )
    src = basemap.style(cfg)["sources"]["streets"]
    assert src["tiles"] == ["https://karta.sodertalje.se/tiles/{z}/{x}/{y}.png"]
    assert src["attribution"] == "© Södertälje kommun"
    for bad in (None, "karta.se/{z}/{x}/{y}", "https://karta.se/tiles.png"):
        with pytest.raises(basemap.BasemapError, match="PAX_BASEMAP_URL"):
            basemap.style(Settings(basemap="url", basemap_url=bad))
    with pytest.raises(SettingsError, match="PAX_BASEMAP"):
        load_settings({"PAX_BASEMAP": "google"})


def write_mbtiles(path: Path, tiles: dict[tuple[int, int, int], bytes]) -> None:
    with sqlite3.connect(path) as con:
        con.execute("create table metadata (name text, value text)")
        con.execute(
            "create table tiles (zoom_level int, tile_column int, tile_row int, tile_data blob)"
        )
        for (z, x, y), data in tiles.items():  # MBTiles rows count from the south (TMS)
            con.execute("insert into tiles values (?, ?, ?, ?)", (z, x, 2**z - 1 - y, data))


def test_mbtiles_tiles_come_from_the_file_with_rows_flipped(tmp_path):
    path = tmp_path / "kommun.mbtiles"
    write_mbtiles(path, {(11, 1124, 604): b"\x89PNG-a", (11, 1124, 603): b"\x89PNG-b"})
    assert basemap.mbtiles_tile(path, 11, 1124, 604) == b"\x89PNG-a"
    assert basemap.mbtiles_tile(path, 11, 1124, 603) == b"\x89PNG-b"
    assert basemap.mbtiles_tile(path, 11, 1125, 604) is None
    assert basemap.mbtiles_tile(path, 11, 5000, 604) is None  # outside the zoom level
    assert basemap.mbtiles_tile(path, 30, 0, 0) is None
    cfg = Settings(basemap="mbtiles", basemap_mbtiles=path)
    src = basemap.style(cfg, "http://pax.example/")["sources"]["streets"]
    assert src["tiles"] == ["http://pax.example/basemap/tiles/{z}/{x}/{y}"]
    with pytest.raises(basemap.BasemapError, match="PAX_BASEMAP_MBTILES"):
        basemap.style(Settings(basemap="mbtiles", basemap_mbtiles=tmp_path / "missing"))


def test_the_probe_tile_covers_sodertalje():
    # the OpenStreetMap wiki's form of the formula (log of tan + sec), independent of asinh
    lon, lat = 17.63, 59.20  # Södertälje centrum
    lat_r = math.radians(lat)
    y = int((1 - math.log(math.tan(lat_r) + 1 / math.cos(lat_r)) / math.pi) / 2 * 2**11)
    assert tile_xyz(lon, lat, 11) == (11, int((lon + 180) / 360 * 2**11), y) == (11, 1124, 603)
    assert tile_xyz(-180, 85.0511, 0) == (0, 0, 0)
