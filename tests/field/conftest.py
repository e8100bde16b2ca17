"""Field-mode fixtures: committed accounts per role, each signed in once (one argon2 check per
account and session), and a clean-up of the reports and walks they wrote."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from pax_geo import auth
from tests.auth_support import PASSWORD
from tests.field.field_support import ACCOUNTS, HOME, OTHER, Account, district_id, inside


@pytest.fixture(scope="session")
def field_accounts(owner_engine: Engine, demo_loaded) -> Iterator[dict[str, Account]]:
    """One committed, signed-in account per entry of ACCOUNTS (unique user names)."""
    out: dict[str, Account] = {}
    with owner_engine.begin() as c:
        for key, (role, areas) in ACCOUNTS.items():
            name = f"t_{key}_{uuid.uuid4().hex[:8]}"
            ids = tuple(district_id(c, a) for a in areas)
            auth.add_user(c, name, role, password=PASSWORD, area=list(ids) or None)
            out[key] = Account(name, role, "", ids)
    for key, acc in out.items():
        res = auth.authenticate(acc.name, PASSWORD)
        assert res.ok, (acc.name, res)
        out[key] = Account(acc.name, acc.role, str(res.token), acc.area_ids)
    yield out
    names = [a.name for a in out.values()]
    with owner_engine.begin() as c:
        c.execute(
            text("delete from pax_data.observation_history where reporter = any(:n)"), {"n": names}
        )
        c.execute(
            text(
                "delete from pax_data.observation where source = 'field_report' "
                "and reporter = any(:n)"
            ),
            {"n": names},
        )
        c.execute(
            text(
                "delete from pax_data.night_walk where source = 'walk_log' and reported_by = any(:n)"
            ),
            {"n": names},
        )


@pytest.fixture(scope="session")
def geo(owner_engine: Engine, demo_loaded) -> dict:
    """Area ids and WGS84 points inside them, a named place, and a point outside the
    municipality."""
    with owner_engine.connect() as c:
        home, other = district_id(c, HOME), district_id(c, OTHER)
        place = c.execute(
            text("select id, name, area_id from pax_data.place where area_id = :a"), {"a": other}
        ).one()
        return {
            "home": home,
            "other": other,
            "home_point": inside(c, home),
            "other_point": inside(c, other),
            "place": (int(place.id), str(place.name), int(place.area_id)),
            "outside": (11.97, 57.70),  # Göteborg
        }
