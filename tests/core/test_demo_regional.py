"""``pax demo --municipalities``: real outlines, synthetic districts and incidents at different
rates, loaded beside the main demo in a database of its own (the regional view's data)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from pax_geo import auth
from pax_geo import config as pax_config
from pax_geo.demo.regional import UnknownMunicipality, load_municipalities
from tests.conftest import REGIONAL_OTHERS

OTHERS = list(REGIONAL_OTHERS)  # Nykvarn, Nynäshamn


@pytest.fixture
def regional(regional_db: Engine) -> Engine:
    return regional_db


def test_each_municipality_has_its_real_outline_districts_and_incidents_inside(regional):
    with regional.connect() as c:
        munis = dict(c.execute(text("select code, population from pax_data.municipality")).all())
        assert set(munis) == {pax_config.settings().municipality_code, *OTHERS}
        assert all(p and p > 0 for p in munis.values())
        for code in OTHERS:
            outline = c.execute(
                text(
                    "select id, name, st_area(geom) from pax_data.area "
                    "where kind = 'municipality' and code = :c"
                ),
                {"c": code},
            ).one()
            assert outline.name in ("Nykvarn", "Nynäshamn") and outline.st_area > 50e6
            districts = c.execute(
                text(
                    "select count(*), sum(st_area(d.geom)) from pax_data.area d "
                    "where d.kind = 'district' and d.municipality_code = :c"
                ),
                {"c": code},
            ).one()
            assert districts[0] >= 3
            assert abs(districts[1] - outline.st_area) / outline.st_area < 0.01  # they tile it
            outside = c.execute(
                text(
                    "select count(*) from pax_data.incident i join pax_data.area m "
                    "on m.id = :m where i.municipality_code = :c "
                    "and not st_covers(m.geom, i.geom)"
                ),
                {"m": outline.id, "c": code},
            ).scalar_one()
            n = c.execute(
                text("select count(*) from pax_data.incident where municipality_code = :c"),
                {"c": code},
            ).scalar_one()
            assert n > 50 and outside == 0
            placed = c.execute(
                text(
                    "select count(*) from pax_data.incident i join pax_data.area d "
                    "on d.id = i.area_id where i.municipality_code = :c "
                    "and d.municipality_code = :c"
                ),
                {"c": code},
            ).scalar_one()
            assert placed == n
            assert (
                c.execute(
                    text("select count(*) from pax_data.indicator where municipality_code = :c"),
                    {"c": code},
                ).scalar_one()
                > 0
            )


def test_the_rates_differ_and_the_coordinator_sees_every_municipality(regional):
    with regional.connect() as c:
        rates = c.execute(
            text(
                "select m.code, count(i.id)::float / m.population as r from pax_data.municipality m "
                "join pax_data.incident i on i.municipality_code = m.code group by m.code, "
                "m.population"
            )
        ).all()
        values = sorted(r.r for r in rates)
        assert values[-1] / values[0] > 1.1  # believable differences, not one rate for all
        coordinator = c.execute(
            text(
                "select array_agg(m.municipality_code order by 1) from "
                "pax_data.app_user_municipality m join pax_data.app_user u on u.id = m.user_id "
                "where u.username = :u"
            ),
            {"u": auth.DEMO_ACCOUNTS["regional_analyst"]},
        ).scalar_one()
        assert sorted(coordinator) == sorted({pax_config.settings().municipality_code, *OTHERS})
        assert c.execute(
            text("select relrowsecurity from pg_class where oid = 'pax_data.incident'::regclass")
        ).scalar_one()


def test_loading_a_municipality_again_replaces_it_and_an_unknown_code_is_refused(regional):
    def count(c) -> int:
        return int(
            c.execute(
                text("select count(*) from pax_data.incident where municipality_code = '0140'")
            ).scalar_one()
        )

    with regional.connect() as c:
        before = count(c)
        c.rollback()
        tx = c.begin()
        load_municipalities(c, ["0140"], seed=5)
        assert count(c) == before  # the same seed: the same municipality, not twice
        with pytest.raises(UnknownMunicipality, match="9999"):
            load_municipalities(c, ["9999"], seed=5)
        tx.rollback()
