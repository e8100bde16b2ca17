"""Field-mode test accounts and places (the fixtures that use them are in conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, text

from pax_geo import auth

#: The districts the test accounts are assigned to (demo data districts).
HOME = "Ronna"
OTHER = "Geneta"


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    token: str
    area_ids: tuple[int, ...]

    @contextmanager
    def connect(self, claimed_name: str | None = None) -> Iterator[Connection]:
        """A connection as the role's own login bound to this account's session.
        `claimed_name` is what the client says its user is (informational only)."""
        with auth.reader_connection(self.role, self.token, claimed_name or self.name) as c:
            yield c


def district_id(conn: Connection, name: str) -> int:
    return int(
        conn.execute(
            text("select id from pax_data.area where kind = 'district' and name = :n"), {"n": name}
        ).scalar_one()
    )


def inside(conn: Connection, area_id: int) -> tuple[float, float]:
    """WGS84 lon/lat of a point inside an area."""
    row = conn.execute(
        text(
            "select st_x(p), st_y(p) from (select st_transform(st_pointonsurface(geom), 4326) "
            "as p from pax_data.area where id = :a) s"
        ),
        {"a": area_id},
    ).one()
    return float(row[0]), float(row[1])


#: key -> (role, areas)
ACCOUNTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "fw": ("field_worker", (HOME,)),
    "fw2": ("field_worker", (OTHER,)),
    "fw_two": ("field_worker", (OTHER, HOME)),
    "municipal": ("municipal_staff", (HOME,)),
    "municipal2": ("municipal_staff", (OTHER,)),
    "police": ("police_analyst", ()),
    "chief": ("security_chief", ()),
    "board": ("board_viewer", ()),
    "walker": ("night_walker", (HOME,)),
    "walker2": ("night_walker", (HOME,)),
    "admin": ("admin", ()),
}
