"""The area status kept ready per role (pax_geo.field.live): when it is computed, by whom,
what it serves, and that it is the same status the database releases to each role."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from pax_geo import clock, queries
from pax_geo.clock import TZ
from pax_geo.config import settings
from pax_geo.field import status as fstatus
from pax_geo.field.live import LiveStatus, compute_all
from pax_geo.tenancy import ScopeChanged, key_for


@dataclass
class Clock:
    t: datetime = datetime(2026, 12, 3, 19, 0, tzinfo=TZ)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw) -> None:
        self.t += timedelta(**kw)


HOME = ("0181",)
TOKEN = ("token-a", "falt1")  # a session: (token, username)


def K(role: str, codes: tuple[str, ...] = HOME) -> str:
    return key_for(role, codes)


class Counting:
    """A compute that records its calls; each area's "status" is (role, area, at). A session
    reads the municipalities ``scopes`` gives its token (HOME by default); no session reads
    ``unbound``."""

    def __init__(self, fail: int = 0, delay: float = 0.0, unbound=HOME, scopes=None) -> None:
        self.calls: list[tuple[str, datetime]] = []
        self.fail, self.delay = fail, delay
        self.unbound, self.scopes = unbound, scopes or {}
        self.lock = threading.Lock()

    def __call__(self, role: str, at: datetime, binding=None):
        time.sleep(self.delay)
        with self.lock:
            self.calls.append((role, at))
            if self.fail:
                self.fail -= 1
                raise ConnectionError("database away")
        codes = self.unbound if binding is None else self.scopes.get(binding[0], HOME)
        return codes, {a: (role, a, at) for a in (1, 2, 3)}


def test_one_computation_serves_until_it_is_two_minutes_old():
    clk, comp = Clock(), Counting()
    live = LiveStatus(comp, now=clk)
    got, at = live.get(K("field_worker"), [3, 1, 99], TOKEN)
    assert got == [("field_worker", 3, clk.t), ("field_worker", 1, clk.t)]  # order kept, 99 unknown
    assert at == clk.t and len(comp.calls) == 1
    clk.advance(seconds=119)
    assert live.get(K("field_worker"), [2], TOKEN)[1] == at and len(comp.calls) == 1
    clk.advance(seconds=1)
    got, at2 = live.get(K("field_worker"), [2], TOKEN)
    assert at2 == clk.t and got == [("field_worker", 2, clk.t)] and len(comp.calls) == 2


def test_each_role_has_its_own_snapshot():
    clk, comp = Clock(), Counting()
    live = LiveStatus(comp, now=clk)
    assert live.get(K("field_worker"), [1], TOKEN)[0] == [("field_worker", 1, clk.t)]
    assert live.get(K("police_analyst"), [1], TOKEN)[0] == [("police_analyst", 1, clk.t)]
    assert [r for r, _ in comp.calls] == ["field_worker", "police_analyst"]


def test_each_set_of_municipalities_has_its_own_snapshot_and_a_read_must_match_its_key():
    """Sessions of one role with other municipalities never share a snapshot; a read that
    covered other municipalities than the key (the account changed meanwhile) is refused and
    nothing is stored."""
    both = ("0181", "0188")
    clk, comp = Clock(), Counting(scopes={"token-b": both})
    live = LiveStatus(comp, now=clk)
    live.get(K("field_worker"), [1], TOKEN)
    live.get(K("field_worker", both), [1], ("token-b", "falt2"))
    assert len(comp.calls) == 2
    with pytest.raises(ScopeChanged):
        live.get(K("field_worker", ("0188",)), [1], TOKEN)
    assert K("field_worker", ("0188",)) not in live._snaps
    # the refused key's session is not kept for the background either
    assert K("field_worker", ("0188",)) not in live.due()


def test_the_background_keeps_pinned_roles_and_recently_asked_scopes_ready():
    clk, comp = Clock(), Counting()
    live = LiveStatus(comp, now=clk)
    live._pinned.add("night_walker")  # what start() does, without the thread
    live.get(K("police_analyst"), [1], TOKEN)
    assert live.due() == ["night_walker"]  # the police snapshot is fresh
    assert live.run_once() == ["night_walker"] and live.due() == []
    assert K("night_walker") in live._snaps  # stored under what the read covered
    clk.advance(seconds=60)  # one refresh interval: both again
    assert live.due() == [K("police_analyst"), "night_walker"]
    live.run_once()
    clk.advance(hours=1, seconds=1)  # nobody asked for the police scope for an hour
    assert live.due() == ["night_walker"]
    # a page never waits while the background keeps up
    before = len(comp.calls)
    live.run_once()
    live.get(K("night_walker"), [1], TOKEN)
    assert len(comp.calls) == before + 1


def test_with_several_municipalities_a_pinned_role_stores_nothing():
    """A connection without a session sees nothing when the installation has two or more
    municipalities: the pinned read is not stored under any key a session could ask for."""
    clk, comp = Clock(), Counting(unbound=())
    live = LiveStatus(comp, now=clk)
    live._pinned.add("field_worker")
    assert live.run_once() == ["field_worker"]
    assert live._snaps == {}


def test_a_failing_round_is_logged_and_the_next_one_recovers(caplog):
    clk, comp = Clock(), Counting(fail=1)
    live = LiveStatus(comp, now=clk)
    live._pinned.add("field_worker")
    assert live.run_once() == []  # the database was away
    assert "not refreshed: ConnectionError" in caplog.text
    assert live.run_once() == ["field_worker"]
    assert live.get(K("field_worker"), [2], TOKEN)[0] == [("field_worker", 2, clk.t)]


def test_the_thread_refreshes_on_its_own():
    clk, comp = Clock(), Counting()
    live = LiveStatus(comp, now=clk, tick=0.05)
    live.start(["field_worker"])
    try:
        deadline = time.monotonic() + 10
        while not comp.calls and time.monotonic() < deadline:
            time.sleep(0.02)
        assert comp.calls == [("field_worker", clk.t)]
        clk.advance(minutes=1)
        while len(comp.calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert comp.calls[-1] == ("field_worker", clk.t)
        live.start(["field_worker"])  # a second start adds no second thread
        assert sum(th.name == "pax-live-status" for th in threading.enumerate()) >= 1
    finally:
        live.stop()


def test_refresh_must_come_before_the_snapshot_expires():
    with pytest.raises(ValueError, match="refresh"):
        LiveStatus(Counting(), refresh=timedelta(minutes=2), max_age=timedelta(minutes=2))


@pytest.mark.parametrize("role", ["field_worker", "police_analyst"])
def test_the_snapshot_is_what_the_role_login_releases(role, reader_engines, demo_loaded):
    at = clock.now()
    codes, snap = compute_all(role, at)
    assert codes == (settings().municipality_code,)  # one municipality: no session needed
    with reader_engines[role].connect() as conn:
        ids = queries.area_table(conn)["id"].astype(int).tolist()
        direct = fstatus.build(conn, ids, at)
    assert sorted(snap) == sorted(ids)
    assert [snap[s.area_id] for s in direct] == direct
