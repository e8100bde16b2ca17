"""The Här och nu map data: hexagon binning, mode switching and what each role receives."""

import json
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import text

from pax_geo import mapdata, queries
from pax_geo.demo.generate import default_end
from pax_geo.horizons import periods
from pax_geo.layers import INCIDENT_KINDS
from pax_geo.ui.deck import build_deck
from pax_geo.wgs84 import xy_to_lonlat


def test_hex_axial_assigns_each_point_to_its_nearest_centre():
    rng = np.random.default_rng(1)
    x = rng.uniform(650_000, 680_000, 5000)
    y = rng.uniform(6_550_000, 6_580_000, 5000)
    size = 150.0
    q, r = mapdata.hex_axial(x, y, size)
    cx, cy = mapdata.hex_centre(q, r, size)
    d_own = np.hypot(x - cx, y - cy)
    # Brute force: the nearest of the own cell's neighbours is never closer.
    for dq, dr in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, 1)):
        nx, ny = mapdata.hex_centre(q + dq, r + dr, size)
        assert (d_own <= np.hypot(x - nx, y - ny) + 1e-6).all()
    assert d_own.max() <= size + 1e-6  # inside the circumcircle


def test_sql_hexagons_equal_the_numpy_binning(reader_engines, demo_loaded):
    end = default_end()
    flt = queries.Filter(start=end - timedelta(days=365), end=end)
    with reader_engines["police_analyst"].connect() as conn:
        cells = mapdata.hex_counts(conn, flt, 200.0)
        pts = queries.incident_points(conn, flt)
    q, r = mapdata.hex_axial(pts.x.values, pts.y.values, 200.0)
    expected = pts.assign(q=q, r=r).groupby(["kind", "q", "r"]).size().rename("n").reset_index()
    got = cells[["kind", "q", "r", "n"]].sort_values(["kind", "q", "r"]).reset_index(drop=True)
    expected = expected.sort_values(["kind", "q", "r"]).reset_index(drop=True)
    assert len(got) > 20
    assert got.astype({"q": int, "r": int, "n": int}).equals(
        expected.astype({"q": int, "r": int, "n": int})
    )


@pytest.fixture(scope="module")
def year():
    end = default_end()
    return queries.Filter(start=end - timedelta(days=365), end=end)


def test_points_below_the_budget_and_hexagons_above(reader_engines, demo_loaded, year):
    with reader_engines["police_analyst"].connect() as conn:
        n = queries.incident_point_count(conn, year)
        small = mapdata.build(conn, year, mode="auto", budget=n)
        big = mapdata.build(conn, year, mode="auto", budget=n - 1)
        # points asked for: drawn up to the ceiling (ten budgets), hexagons above it
        f = mapdata.POINT_CEILING_FACTOR
        forced = mapdata.build(conn, year, mode="points", budget=-(-n // f))
        capped = mapdata.build(conn, year, mode="points", budget=(n - 1) // f)
        heat = mapdata.build(conn, year, mode="heat", budget=10**6)
    assert small.mode == "points" and small.shown_total == n
    assert big.mode == "hex" and big.shown_total == n
    assert forced.mode == "points" and forced.shown_total == n
    assert capped.mode == "hex" and capped.shown_total == n
    assert heat.mode == "heat" and heat.shown_total == n
    hex_rows = sum(len(layer.rows) for layer in big.incidents.values())
    assert hex_rows < n  # the browser gets cells, not incidents
    # Every point layer knows the incident id behind each row, for the details panel.
    for layer in small.incidents.values():
        assert len(layer.ids) == len(layer.rows)


@pytest.mark.parametrize(
    ("requested", "n", "chosen"),
    [
        ("auto", 5000, "points"),
        ("auto", 5001, "hex"),
        ("points", 5001, "points"),
        ("points", 50_000, "points"),  # exactly on the ceiling
        ("points", 50_001, "hex"),
        ("heat", 1, "heat"),
        ("hex", 1, "hex"),
    ],
)
def test_the_mode_at_the_budget_and_the_ceiling(requested, n, chosen):
    assert mapdata.choose_mode(requested, n, 5000) == chosen


def test_counts_per_type_match_the_database(conn, reader_engines, demo_loaded, year):
    with reader_engines["police_analyst"].connect() as rc:
        data = mapdata.build(rc, year)
    for kind in INCIDENT_KINDS:
        expected = conn.execute(
            text(
                "select count(*) from pax_data.incident where kind = :k "
                "and occurred_at >= :s and occurred_at < :e"
            ),
            {"k": kind, "s": year.start, "e": year.end},
        ).scalar()
        assert data.counts[kind].is_exact and data.counts[kind].lo == expected


def _payload(role, reader_engines, flt) -> tuple[mapdata.MapData, str]:
    with reader_engines[role].connect() as conn:
        data = mapdata.build(conn, flt)
    deck = build_deck(
        data, set(INCIDENT_KINDS) | {"camera", "night_walk_route", "area", "operation"}, {}
    )
    return data, deck.to_json()


def test_grid_roles_get_cells_on_the_database_grid(reader_engines, demo_loaded, year):
    data, payload = _payload("security_chief", reader_engines, year)
    assert {layer.mode for k, layer in data.incidents.items() if k != "cache"} == {"grid"}
    assert "cache" not in data.incidents  # caches are area counts for the security chief
    # No exact incident position appears in what the browser would receive.
    with reader_engines["police_analyst"].connect() as conn:
        exact = queries.incident_points(conn, year)
    lon, lat = xy_to_lonlat(exact.x, exact.y)
    for a, b in list(zip(lon, lat, strict=True))[:300]:
        assert f"[{a}, {b}]" not in payload


def test_field_workers_get_only_area_counts(reader_engines, demo_loaded, year):
    data, payload = _payload("field_worker", reader_engines, year)
    assert data.incidents == {}
    assert data.cameras is None and data.coverage is None and data.operations is None
    assert data.mode == "area"
    labels = [d["label"] for d in data.districts]
    assert all(lbl for lbl in labels)
    # Small counts never appear as numbers below the threshold.
    for d in data.districts:
        if d["label"].startswith("<"):
            assert d["n"] == 0
        assert d["label"] not in ("1", "2")
    # Totals over suppressed areas are ranges of released values, close to the true (police)
    # count: the database adds deterministic noise for this role (see test_release.py).
    police, _ = _payload("police_analyst", reader_engines, year)
    assert any(not c.is_exact for c in data.counts.values())
    for kind, count in data.counts.items():
        true = police.counts[kind].lo
        assert count.lo - 40 <= true <= count.hi + 40, (kind, count, true)
        if not count.is_exact:
            assert count.label(3) in ("<3", f"{count.lo}–{count.hi}")
    layers = {layer["id"] for layer in json.loads(payload)["layers"]}
    assert not any(lid.startswith("inc_") for lid in layers)
    assert "camera" not in layers and "camera_coverage" not in layers


def test_literal_strings_are_not_turned_into_expressions(reader_engines, demo_loaded, year):
    """pydeck turns plain strings into '@@=' expressions; units must stay literal."""
    _, payload = _payload("police_analyst", reader_engines, year)
    spec = json.loads(payload)
    for layer in spec["layers"]:
        for key in ("radiusUnits", "widthUnits", "sizeUnits", "characterSet"):
            if key in layer:
                assert not str(layer[key]).startswith("@@"), (layer["id"], key)
        for key, value in layer.items():
            if isinstance(value, str):
                assert not value.startswith("@@=@@"), (layer["id"], key)


@pytest.mark.parametrize("role", ["field_worker", "board_viewer", "admin"])
def test_area_roles_get_no_cells_from_the_cell_functions(role, reader_engines, demo_loaded):
    """The hexagon and grid counts are binned in the database at the caller's precision; a
    role that sees incidents only per area gets no cell at all."""
    with reader_engines[role].connect() as c:
        for sql in (
            "select count(*) from pax_api.incident_hex_counts(150, now() - interval '3 years', now())",
            "select count(*) from pax_api.incident_grid_counts(now() - interval '3 years', now())",
        ):
            assert c.execute(text(sql)).scalar() == 0


def test_grid_cells_equal_the_grid_rows(reader_engines, demo_loaded):
    """Municipal staff: the cell counts are the grid view's rows counted per cell centre."""
    with reader_engines["municipal_staff"].connect() as c:
        cells = c.execute(
            text(
                "select kind, x, y, n from pax_api.incident_grid_counts("
                "now() - interval '1 year', date_trunc('hour', now()))"
            )
        ).all()
        rows = c.execute(
            text(
                "select kind, x, y, count(*)::int from pax_api.incident_grid "
                "where occurred_at >= date_trunc('hour', now() - interval '1 year', "
                "'Europe/Stockholm') and occurred_at < date_trunc('hour', now()) "
                "and x is not null group by 1, 2, 3"
            )
        ).all()
    assert cells and sorted(map(tuple, cells)) == sorted(map(tuple, rows))


def _direct_settled(conn) -> mapdata.SettledReads:
    """Settled reads straight from the database (what the pages cache), every kind."""
    prec = queries.my_precision(conn)
    every = queries.kinds_at(prec)
    exact = queries.kinds_at(prec, ("exact",))
    return mapdata.SettledReads(
        counts=lambda a, b: queries.incident_counts(conn, queries.Filter(a, b, every)),
        hex=lambda a, b, size, areas, subtypes, ver: mapdata.hex_counts(
            conn, queries.Filter(a, b, exact, areas, subtypes, ver), size
        ),
    )


def _comparable(m: mapdata.MapData) -> dict:
    return {
        "mode": m.mode,
        "counts": m.counts,
        "point_total": m.point_total,
        "layers": {
            k: (layer.mode, layer.shown, sorted(map(json.dumps, layer.rows)))
            for k, layer in m.incidents.items()
        },
        "districts": sorted((d["id"], d["n"], d["label"]) for d in m.districts),
    }


@pytest.mark.parametrize("role", ["police_analyst", "security_chief", "field_worker"])
def test_a_window_read_in_parts_is_the_window_read_whole(reader_engines, demo_loaded, role):
    """The settled span (whole past days) read apart and the first and last day read each
    time give the very map one read of the window gives: windows ending now and at the
    demo's end, starting at a midnight exactly, inside one day, with an area or a subtype."""
    from datetime import datetime, time

    from pax_geo import clock

    now = clock.now()
    midnight = datetime.combine(now.date() - timedelta(days=40), time.min, clock.TZ)
    cases = [
        (now - timedelta(days=30), now + timedelta(minutes=1), {}),
        (now - timedelta(days=365), now + timedelta(minutes=1), {}),
        (default_end() - timedelta(days=90), default_end(), {}),
        (midnight, now, {}),
        (now - timedelta(hours=3), now, {}),
        (now - timedelta(days=200), now, {"area_ids": (1, 2, 3)}),
        (now - timedelta(days=200), now, {"subtypes": ("vehicle",)}),
        (now - timedelta(days=9000), now - timedelta(days=8000), {}),  # nothing in any part
    ]
    with reader_engines["police_analyst"].connect() as conn:
        # records a first and a last day hold: a window from one minute before a record, and
        # one to a minute after a record
        t0, t1 = conn.execute(
            text(
                "select (array_agg(occurred_at order by occurred_at))[5], "
                "(array_agg(occurred_at order by occurred_at desc))[30] from pax_api.incident_exact "
                "where extract(hour from occurred_at at time zone 'Europe/Stockholm') between 2 and 21"
            )
        ).one()
    cases += [
        (t0 - timedelta(minutes=1), t1 + timedelta(minutes=1), {}),
        (t1 - timedelta(days=20, minutes=1), t1 + timedelta(minutes=1), {}),
    ]
    split = 0
    with reader_engines[role].connect() as conn:
        settled = _direct_settled(conn)
        for start, end, extra in cases:
            flt = queries.Filter(start, end, **extra)
            for mode in ("hex", "heat", "auto"):
                whole = mapdata.build(conn, flt, mode=mode, budget=50, include_context=False)
                parts = mapdata.build(
                    conn, flt, mode=mode, budget=50, include_context=False, settled=settled
                )
                assert _comparable(parts) == _comparable(whole), (role, start, end, extra, mode)
                split += periods.settled_span(start, end) is not None
    assert split >= 15  # most cases have a settled span to read apart
