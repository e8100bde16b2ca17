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
from pax_geo.field import status as fstatus
from pax_geo.field.live import LiveStatus, compute_all


@dataclass
class Clock:
    t: datetime = datetime(2026, 12, 3, 19, 0, tzinfo=TZ)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw) -> None:
        self.t += timedelta(**kw)


class Counting:
    """A compute that records its calls; each area's "status" is (role, area, at)."""

    def __init__(self, fail: int = 0, delay: float = 0.0) -> None:
        self.calls: list[tuple[str, datetime]] = []
        self.fail, self.delay = fail, delay
        self.lock = threading.Lock()

    def __call__(self, role: str, at: datetime) -> dict:
        time.sleep(self.delay)
        with self.lock:
            self.calls.append((role, at))
            if self.fail:
                self.fail -= 1
                raise ConnectionError("database away")
        return {a: (role, a, at) for a in (1, 2, 3)}


def test_one_computation_serves_until_it_is_two_minutes_old():
    clk, comp = Clock(), Counting()
    live = LiveStatus(comp, now=clk)
    got, at = live.get("field_worker", [3, 1, 99])
    assert got == [("field_worker", 3, clk.t), ("field_worker", 1, clk.t)]  # order kept, 99 unknown
    assert at == clk.t and len(comp.calls) == 1
    clk.advance(seconds=119)
    assert live.get("field_worker", [2])[1] == at and len(comp.calls) == 1
    clk.advance(seconds=1)
    got, at2 = live.get("field_worker", [2])
    assert at2 == clk.t and got == [("field_worker", 2, clk.t)] and len(comp.calls) == 2


def test_each_role_has_its_own_snapshot():
    clk, comp = Clock(), Counting()
    live = LiveStatus(comp, now=clk)
    assert live.get("field_worker", [1])[0] == [("field_worker", 1, clk.t)]
    assert live.get("police_analyst", [1])[0] == [("police_analyst", 1, clk.t)]
    assert [r for r, _ in comp.calls] == ["field_worker", "police_analyst"]


def test_callers_at_the_same_time_wait_for_one_computation():
    clk, comp = Clock(), Counting(delay=0.3)
    live = LiveStatus(comp, now=clk)
    results: list = []
    threads = [
        threading.Thread(target=lambda: results.append(live.get("field_worker", [1])))
        for _ in range(6)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(comp.calls) == 1 and len(results) == 6
    assert all(r == results[0] for r in results)


def test_the_background_keeps_pinned_and_recently_asked_roles_ready():
    clk, comp = Clock(), Counting()
    live = LiveStatus(comp, now=clk)
    live._pinned.add("night_walker")  # what start() does, without the thread
    live._asked["night_walker"] = clk.t
    live.get("police_analyst", [1])
    assert live.due() == ["night_walker"]  # the police snapshot is fresh
    assert live.run_once() == ["night_walker"] and live.due() == []
    clk.advance(seconds=60)  # one refresh interval: both again
    assert live.due() == ["night_walker", "police_analyst"]
    live.run_once()
    clk.advance(hours=1, seconds=1)  # nobody asked for the police role for an hour
    assert live.due() == ["night_walker"]
    # a page never waits while the background keeps up
    before = len(comp.calls)
    live.run_once()
    live.get("night_walker", [1])
    assert len(comp.calls) == before + 1


def test_a_failing_round_is_logged_and_the_next_one_recovers(caplog):
    clk, comp = Clock(), Counting(fail=1)
    live = LiveStatus(comp, now=clk)
    live._pinned.add("field_worker")
    live._asked["field_worker"] = clk.t
    assert live.run_once() == []  # the database was away
    assert "not refreshed: ConnectionError" in caplog.text
    assert live.run_once() == ["field_worker"]
    assert live.get("field_worker", [2])[0] == [("field_worker", 2, clk.t)]


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
    snap = compute_all(role, at)
    with reader_engines[role].connect() as conn:
        ids = queries.area_table(conn)["id"].astype(int).tolist()
        direct = fstatus.build(conn, ids, at)
    assert sorted(snap) == sorted(ids)
    assert [snap[s.area_id] for s in direct] == direct
