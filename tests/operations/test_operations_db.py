"""Insatser in the real test database (0015_operations.py): who may plan, record, move and
evaluate; what each login reads back; the zone counts against an independent count; and an
end-to-end evaluation of a synthetic operation that really worked."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, mapping
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from pax_geo import auth, queries
from pax_geo.clock import TZ, now
from pax_geo.operations import evaluate as evm
from pax_geo.operations import register, zones
from pax_geo.wgs84 import geom_to_wgs84
from tests.auth_support import PASSWORD, Signed

KINDS = ("car_fire", "shooting", "explosion", "cache")


@pytest.fixture(autouse=True)
def clean(owner_engine: Engine, demo_loaded) -> Iterator[None]:
    yield
    with owner_engine.begin() as c:
        c.execute(text("delete from pax_data.operation where source = 'register'"))
        c.execute(text("delete from pax_data.incident where source = 'test_ops'"))


def sqlstate(exc: BaseException) -> str | None:
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def district(owner: Engine, name: str):
    with owner.connect() as c:
        areas = queries.areas(c, ("district",))
    row = areas.loc[areas["name"] == name].iloc[0]
    return int(row["id"]), row.geometry


def draft(police: bool, days_from_now: int = 1, length: int = 14, **kw) -> register.Draft:
    start = now() + timedelta(days=days_from_now)
    args = {
        "name": "Fredagspatrull Ronna" if police else "Belysning gångtunnel",
        "kind": "patrol" if police else "lighting",
        "owner_org": "Polisen" if police else "Södertälje kommun",
        "police": police,
        "starts_at": start,
        "ends_at": start + timedelta(days=length),
        "group_key": None if police else "trygga_bostadsomraden",
        "purpose": "Närvaro fredagskvällar" if police else "Ny belysning",
    }
    args.update(kw)
    return register.Draft(**args)


def polygon_near(geom, metres: float = 250.0) -> dict:
    """A WGS84 GeoJSON circle-ish polygon around a district's centre."""
    return mapping(geom_to_wgs84(geom.representative_point().buffer(metres, 16)))


def audit_count(owner: Engine, action: str, op_id: int) -> int:
    with owner.connect() as c:
        return int(
            c.execute(
                text(
                    "select count(*) from pax_data.audit_log where action = :a "
                    "and (detail->>'id')::int = :i"
                ),
                {"a": action, "i": op_id},
            ).scalar_one()
        )


def signed_as(make_user, role: str) -> Signed:
    name = make_user(role)
    res = auth.authenticate(name, PASSWORD)
    assert res.ok
    return Signed(name, role, str(res.token))


# --- writes -------------------------------------------------------------------------------------


def test_a_plan_is_saved_once_per_form_key_and_audited(signed, owner_engine):
    _rid, ronna = district(owner_engine, "Ronna")
    police = signed["police_analyst"]
    key = uuid.uuid4()
    d = draft(True, geojson=polygon_near(ronna))
    with police.connect() as c:
        first = register.save(c, d, key)
        again = register.save(c, d, key)  # the retry after a dropped connection
        row = register.get(c, first)
    assert first == again
    assert row is not None and row["status"] == "planned" and row["is_police"]
    assert row["created_by"] == police.name and row["area_names"] == ["Ronna"]
    assert row["geometry"].area == pytest.approx(np.pi * 250**2, rel=0.02)
    assert audit_count(owner_engine, "operation_save", first) == 1


def test_status_goes_forward_only_and_evaluated_needs_an_evaluation(signed, owner_engine):
    _rid, ronna = district(owner_engine, "Ronna")
    police = signed["police_analyst"]
    with police.connect() as c:
        op = register.save(c, draft(True, geojson=polygon_near(ronna)), uuid.uuid4())
        register.set_status(c, op, "ongoing")
        for bad in ("planned", "ongoing", "evaluated", "cancelled"):
            with pytest.raises(DBAPIError) as err:
                register.set_status(c, op, bad)
            assert sqlstate(err.value) == "22023", bad
            c.rollback()
        register.set_status(c, op, "done")
        assert register.get(c, op)["status"] == "done"
    assert audit_count(owner_engine, "operation_status", op) == 2
    assert register.next_statuses("planned") == ("ongoing", "done")
    assert register.next_statuses("done") == ()


def test_partners_record_their_own_actions_not_police_operations(signed, owner_engine, make_user):
    rid, _ronna = district(owner_engine, "Ronna")
    staff = signed_as(make_user, "municipal_staff")
    other = signed_as(make_user, "municipal_staff")
    with staff.connect() as c:
        op = register.save(c, draft(False, area_ids=(rid,), target_kind="area"), uuid.uuid4())
        with pytest.raises(DBAPIError) as err:
            register.save(c, draft(True, area_ids=(rid,), target_kind="area"), uuid.uuid4())
        assert sqlstate(err.value) == "42501"
    with other.connect() as c:  # another municipal account may not move it
        with pytest.raises(DBAPIError) as err:
            register.set_status(c, op, "ongoing")
        assert sqlstate(err.value) == "42501"
    with signed["police_analyst"].connect() as c:  # the police may (they coordinate)
        register.set_status(c, op, "ongoing")
    for role in ("board_viewer", "field_worker", "night_walker"):
        with signed[role].connect() as c:
            with pytest.raises(DBAPIError) as err:
                register.save(c, draft(False, area_ids=(rid,)), uuid.uuid4())
            assert sqlstate(err.value) == "42501", role


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("purpose", "Ring 070-123 45 67 vid frågor", "phone"),
        ("name", "Insats 19121212-1212", "personal"),
        ("name", "  ", "name"),
        ("owner_org", "", "owner"),
    ],
)
def test_bad_input_is_refused_with_the_reason(signed, owner_engine, field, value, message):
    rid, _ = district(owner_engine, "Ronna")
    d = draft(False, area_ids=(rid,), **{field: value})
    with signed["security_chief"].connect() as c:
        with pytest.raises(DBAPIError) as err:
            register.save(c, d, uuid.uuid4())
    assert sqlstate(err.value) == "22023"
    assert message in str(err.value.orig)
    with owner_engine.connect() as c:
        assert not c.execute(
            text("select count(*) from pax_data.operation where source = 'register'")
        ).scalar()


def test_targets_outside_the_municipality_or_unreadable_are_refused(signed):
    far = mapping(Point(18.5, 60.5).buffer(0.01))  # Uppland, far from Södertälje
    huge = mapping(Point(17.62, 59.19).buffer(0.01, quad_segs=5000))  # 20,000 points
    with signed["police_analyst"].connect() as c:
        for geojson in (far, {"type": "Point", "coordinates": [17.6, 59.2]}, huge):
            with pytest.raises(DBAPIError) as err:
                register.save(c, draft(True, geojson=geojson), uuid.uuid4())
            assert sqlstate(err.value) == "22023"
            c.rollback()
        with pytest.raises(DBAPIError):
            register.save(c, draft(True), uuid.uuid4())  # no target at all


# --- reads at each role's precision -------------------------------------------------------------


def test_each_role_reads_the_register_at_its_precision(signed, owner_engine):
    _rid, ronna = district(owner_engine, "Ronna")
    with signed["police_analyst"].connect() as c:
        future = register.save(c, draft(True, geojson=polygon_near(ronna)), uuid.uuid4())
        started = register.save(
            c, draft(True, days_from_now=-3, geojson=polygon_near(ronna)), uuid.uuid4()
        )
    with signed["security_chief"].connect() as c:
        action = register.save(
            c, draft(False, days_from_now=5, geojson=polygon_near(ronna, 150)), uuid.uuid4()
        )
    with signed["police_analyst"].connect() as c:
        police_view = register.listing(c).set_index("id")
    assert {future, started, action} <= set(police_view.index)
    assert police_view.loc[[future, started, action], "geometry"].notna().all()
    assert police_view.loc[future, "purpose"] == "Närvaro fredagskvällar"
    for role in ("security_chief", "municipal_staff", "board_viewer"):
        with signed[role].connect() as c:
            seen = register.listing(c).set_index("id")
            with pytest.raises(DBAPIError):  # no polygon view at all
                c.execute(text("select count(*) from pax_api.operation")).scalar()
        assert future not in seen.index, role  # a planned police operation stays police-only
        assert started in seen.index and action in seen.index, role
        assert seen["geometry"].isna().all(), role
        assert pd.isna(seen.loc[started, "purpose"]) and pd.isna(seen.loc[started, "created_by"])
        assert seen.loc[started, "area_names"] == ["Ronna"]
        assert seen.loc[action, "purpose"] == "Ny belysning"
    for role in ("field_worker", "night_walker", "admin"):
        with signed[role].connect() as c:
            with pytest.raises(DBAPIError):
                register.listing(c)


# --- zone counts ----------------------------------------------------------------------------------


def test_zone_counts_equal_an_independent_count_and_edges_count_once(signed, owner_engine):
    rid, ronna = district(owner_engine, "Ronna")
    target = ronna.representative_point().buffer(400, 16)
    with owner_engine.connect() as c:
        muni = shapely.union_all(list(queries.areas(c, ("district",)).geometry))
    z = zones.make_zones(target, 300, muni)
    # an incident exactly on a vertex of the target (its edge with the buffer ring)
    vx, vy = shapely.get_coordinates(z.target.exterior)[3]
    end = now()
    start = end - timedelta(days=400)
    with owner_engine.begin() as c:
        c.execute(
            text(
                "insert into pax_data.incident (kind, occurred_at, geom, location_precision, "
                "source, source_id) values ('car_fire', :t, st_setsrid(st_point(:x, :y), 3006), "
                "'exact', 'test_ops', 'edge')"
            ),
            {"t": end - timedelta(days=2), "x": float(vx), "y": float(vy)},
        )
    with signed["police_analyst"].connect() as c:
        got = zones.day_counts(c, z.items(), start, end, KINDS)
        target_total = zones.count(c, z.target, start, end, KINDS)
    with owner_engine.connect() as c:
        rows = c.execute(
            text(
                "select kind, occurred_at, st_x(geom), st_y(geom) from pax_data.incident "
                "where occurred_at >= :a and occurred_at < :b and geom is not null "
                "and location_precision in ('exact', 'address')"
            ),
            {"a": start, "b": end},
        ).all()
    expected: Counter = Counter()
    for kind, at, x, y in rows:
        p = Point(x, y)
        for name, geom in z.items():  # first zone wins, like the database
            if geom.intersects(p):
                expected[(name, kind, at.astimezone(TZ).date())] += 1
                break
    assert Counter({(r.zone, r.kind, r.day): int(r.n) for r in got.itertuples()}) == expected
    assert target_total == sum(n for (zn_, *_), n in expected.items() if zn_ == "target")
    edge_day = (end - timedelta(days=2)).astimezone(TZ).date()
    assert expected[("target", "car_fire", edge_day)] >= 1
    assert sum(n for (zn_, *_), n in expected.items() if zn_ == "buffer") > 0


def test_zone_counts_are_for_exact_precision_only(signed, owner_engine):
    _rid, ronna = district(owner_engine, "Ronna")
    wkt = shapely.to_wkt(ronna)
    sql = text(
        "select count(*) from pax_api.zone_day_counts(array['t'], array[:w], "
        "now() - interval '1 year', now(), array['car_fire'])"
    )
    for role in ("security_chief", "municipal_staff", "board_viewer", "field_worker"):
        with signed[role].connect() as c:
            with pytest.raises(DBAPIError) as err:
                c.execute(sql, {"w": wkt}).scalar()
        assert sqlstate(err.value) == "42501", role


# --- evaluation -----------------------------------------------------------------------------------


def _scatter(c, geom, n: int, start, days: int, rng, tag: str) -> None:
    """n car fires at random places inside geom, at random times in [start, start + days)."""
    x0, y0, x1, y1 = geom.bounds
    pts: list[tuple[float, float]] = []
    while len(pts) < n:
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if geom.contains(Point(x, y)):
            pts.append((x, y))
    c.execute(
        text(
            "insert into pax_data.incident (kind, occurred_at, geom, location_precision, source, "
            "source_id) values ('car_fire', :t, st_setsrid(st_point(:x, :y), 3006), 'exact', "
            "'test_ops', :sid)"
        ),
        [
            {
                "t": start + timedelta(seconds=float(rng.uniform(0, days * 86400))),
                "x": x,
                "y": y,
                "sid": f"{tag}-{i}",
            }
            for i, (x, y) in enumerate(pts)
        ],
    )


def test_a_real_drop_with_displacement_is_found_and_the_evaluation_freezes(signed, owner_engine):
    """A synthetic operation of 56 days five years ago, before the demo data begins: 160 car
    fires in the target before and 96 after (-40 %), 40 -> 60 in the buffer (displacement),
    150 -> 150 elsewhere in the municipality (the comparison: the rest of it)."""
    _rid, area = district(owner_engine, "Järna")
    _cid, elsewhere = district(owner_engine, "Ronna")
    target = area.representative_point().buffer(350, 16)
    first = (now() - timedelta(days=5 * 365)).replace(hour=0, minute=0)
    days = 56
    z = zones.make_zones(target, 400, area)
    rng = np.random.default_rng(7)
    before = first - timedelta(days=days)
    with owner_engine.begin() as c:
        assert not c.execute(
            text("select count(*) from pax_data.incident where occurred_at < :t"),
            {"t": first + timedelta(days=days)},
        ).scalar(), "the demo data should begin later"
        _scatter(c, z.target, 160, before, days, rng, "tb")
        _scatter(c, z.target, 96, first, days, rng, "ta")
        _scatter(c, z.buffer, 40, before, days, rng, "bb")
        _scatter(c, z.buffer, 60, first, days, rng, "ba")
        _scatter(c, elsewhere, 150, before, days, rng, "cb")
        _scatter(c, elsewhere, 150, first, days, rng, "ca")
    police = signed["police_analyst"]
    with police.connect() as c:
        op = register.save(
            c,
            draft(
                True,
                days_from_now=0,
                starts_at=first,
                ends_at=first + timedelta(days=days),
                geojson=mapping(geom_to_wgs84(target)),
                target_types=("car_fire",),
            ),
            uuid.uuid4(),
        )
        row = register.get(c, op)
        with owner_engine.connect() as oc:
            muni = shapely.union_all(list(queries.areas(oc, ("district",)).geometry))
        run = evm.run(
            c, row["geometry"], row["starts_at"], row["ends_at"], now(), ("car_fire",), muni
        )
        res = run.result
        assert run.periods.days == days
        assert (res.target.before, res.target.after) == (160, 96)
        assert (res.buffer.before, res.buffer.after) == (40, 60)
        assert (res.comparison.before, res.comparison.after) == (150, 150)
        assert res.rate_ratio.rr == pytest.approx(0.6)
        assert res.verdict == "drop", (res.comparison, res.rate_ratio)
        assert res.rate_ratio.ci_high is not None and res.rate_ratio.ci_high < 1
        assert res.wdq.reading in ("displacement_net_gain", "displacement_exceeds")
        assert evm.save(c, op, run) == "evaluated"
        # only a known verdict is stored (it is shown to other roles and the board)
        for bad in ({"verdict": "<b>success</b>"}, {"no": "verdict"}):
            with pytest.raises(DBAPIError) as err:
                c.execute(
                    text("select pax_api.operation_evaluation_save(:id, cast(:r as jsonb))"),
                    {"id": op, "r": json.dumps(bad)},
                )
            assert sqlstate(err.value) == "22023"
            c.rollback()
        with pytest.raises(DBAPIError) as err:  # frozen: no second evaluation, no edit
            evm.save(c, op, run)
        assert sqlstate(err.value) == "42501"
        c.rollback()
        d = draft(True, geojson=mapping(geom_to_wgs84(target)))
        with pytest.raises(DBAPIError):
            register.save(c, d, uuid.uuid4(), op_id=op)
        c.rollback()
        assert register.get(c, op)["verdict"] == "drop"
    assert audit_count(owner_engine, "operation_evaluate", op) == 1
    with signed["municipal_staff"].connect() as c:  # others see the verdict, not the polygon
        seen = register.listing(c).set_index("id")
    assert seen.loc[op, "verdict"] == "drop" and seen.loc[op, "geometry"] is None


def test_periods_are_whole_equal_days(owner_engine):
    t0 = now().replace(hour=14, minute=0) - timedelta(days=10)
    p = evm.periods_for(t0, t0 + timedelta(days=3), now())
    assert p.days == 4 and p.before_start == p.first_day - timedelta(days=4)
    ongoing = evm.periods_for(t0, now() + timedelta(days=5), now())
    assert ongoing.after_end == now().date()  # to yesterday, the last whole day
    with pytest.raises(evm.TooEarly):
        evm.periods_for(now(), now() + timedelta(days=3), now())
