"""The area status kept ready, so that a field worker on 4G does not wait for it.

:func:`pax_geo.field.status.build` reads seven released counts; computed when someone signs in,
that is the larger part of the wait for "Mitt område" on a cold visit. :class:`LiveStatus`
keeps, per role, the status of *every* area computed at one moment (a :class:`Snapshot`), and a
page takes the areas it needs from it:

* a snapshot serves for :attr:`LiveStatus.max_age` (two minutes);
* a background thread (:meth:`LiveStatus.start`, started by ``server.py`` with the field
  roles) recomputes, every :attr:`LiveStatus.refresh` (one minute), the roles it was started
  with and every other role asked for in the last :attr:`LiveStatus.keep` (an hour), so a
  snapshot is normally ready (about 2 s of database time per role and minute on the demo
  database: bench/bench_field.py);
* when none is fresh (the first call, no thread as under AppTest, the database back after an
  outage) the caller computes it; callers of one role wait for one computation (a lock), and
  its result serves them all.

Every account of a role gets the same release from the database (the same login, the same
lattice), so a snapshot per role holds nothing that belongs to one user. The thread logs and
retries when the database is away; it never stops the app.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pax_geo import clock, queries
from pax_geo.field import status as fstatus
from pax_geo.field.status import AreaStatus

LOG = logging.getLogger(__name__)

Compute = Callable[[str, datetime], dict[int, AreaStatus]]


@dataclass(frozen=True)
class Snapshot:
    at: datetime  # the "now" the status was computed for
    by_area: dict[int, AreaStatus]


def compute_all(role: str, at: datetime) -> dict[int, AreaStatus]:
    """Every district's status at ``at`` as the role's login releases it."""
    from pax_geo.db import reader_engine

    with reader_engine(role).connect() as conn:
        ids = queries.area_table(conn)["id"].astype(int).tolist()
        return {s.area_id: s for s in fstatus.build(conn, ids, at)}


class LiveStatus:
    def __init__(
        self,
        compute: Compute = compute_all,
        now: Callable[[], datetime] = clock.now,
        max_age: timedelta = timedelta(minutes=2),
        refresh: timedelta = timedelta(minutes=1),
        keep: timedelta = timedelta(hours=1),
        tick: float = 5.0,
    ) -> None:
        if refresh >= max_age:
            raise ValueError("refresh must be shorter than max_age, or readers would wait")
        self._compute = compute
        self._now = now
        self.max_age, self.refresh, self.keep, self.tick = max_age, refresh, keep, tick
        self._snaps: dict[str, Snapshot] = {}
        self._asked: dict[str, datetime] = {}
        self._pinned: set[str] = set()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def _lock(self, role: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(role, threading.Lock())

    def snapshot(self, role: str) -> Snapshot:
        """A snapshot of the role no older than max_age (computed here if there is none)."""
        now = self._now()
        with self._guard:
            self._asked[role] = now
            snap = self._snaps.get(role)
        if snap is not None and now - snap.at < self.max_age:
            return snap
        return self._update(role, not_before=now - self.max_age)

    def get(self, role: str, area_ids: Sequence[int]) -> tuple[list[AreaStatus], datetime]:
        """The areas' status (in the given order, unknown ids left out) and when it was
        computed."""
        snap = self.snapshot(role)
        return [snap.by_area[int(a)] for a in area_ids if int(a) in snap.by_area], snap.at

    def _update(self, role: str, not_before: datetime | None = None) -> Snapshot:
        with self._lock(role):
            snap = self._snaps.get(role)
            if snap is not None and not_before is not None and snap.at > not_before:
                return snap  # computed by another caller while this one waited
            at = self._now()
            snap = Snapshot(at, self._compute(role, at))
            with self._guard:
                self._snaps[role] = snap
            return snap

    def due(self) -> list[str]:
        """The roles the background thread should recompute now."""
        now = self._now()
        with self._guard:
            asked = dict(self._asked)
            snaps = dict(self._snaps)
        return [
            role
            for role, when in sorted(asked.items())
            if (role in self._pinned or now - when <= self.keep)
            and (role not in snaps or now - snaps[role].at >= self.refresh)
        ]

    def run_once(self) -> list[str]:
        """One round of the background thread: recompute what is due; failures are logged."""
        done = []
        for role in self.due():
            try:
                self._update(role)
                done.append(role)
            except Exception as exc:  # the database away: try again next round
                LOG.warning("area status for %s not refreshed: %s", role, type(exc).__name__)
        return done

    def start(self, roles: Iterable[str] = ()) -> None:
        """Start the background thread (once); ``roles`` are kept ready always."""
        now = self._now()
        with self._guard:
            for role in roles:
                self._asked.setdefault(role, now)
                self._pinned.add(role)
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._loop, name="pax-live-status", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.run_once()
            self._stop.wait(max(0.5, self.tick - (time.monotonic() - started)))


_live: LiveStatus | None = None
_live_guard = threading.Lock()


def live() -> LiveStatus:
    """The process's one LiveStatus (Streamlit serves every session from one process)."""
    global _live
    with _live_guard:
        if _live is None:
            _live = LiveStatus()
        return _live
