"""The area status kept ready, so that a field worker on 4G does not wait for it.

:func:`pax_geo.field.status.build` reads seven released counts; computed when someone signs in,
that is the larger part of the wait for "Mitt område" on a cold visit. :class:`LiveStatus`
keeps, per scope (role and municipalities, :mod:`pax_geo.tenancy`), the status of *every* area
computed at one moment (a :class:`Snapshot`), and a page takes the areas it needs from it:

* a snapshot serves for :attr:`LiveStatus.max_age` (two minutes);
* a background thread (:meth:`LiveStatus.start`, started by ``server.py`` with the field
  roles) recomputes, every :attr:`LiveStatus.refresh` (one minute), the roles it was started
  with (read with no session: the installation's municipality, when it has exactly one) and
  every scope asked for in the last :attr:`LiveStatus.keep` (an hour, read as the last
  session that asked; a session that has ended reads nothing and is dropped), so a
  snapshot is normally ready (a refresh reads the current windows and the evenings; the
  year-long normals are kept for an hour, :class:`pax_geo.field.status.Normals`: 0.15 s per
  role on the demo database, 0.2 s at a million incidents, against 0.6 and 1.1 s before);
* when none is fresh (the first call, no thread as under AppTest, the database back after an
  outage) the caller computes it; callers of one scope wait for one computation (a lock), and
  its result serves them all.

Every account of a role with the same municipalities gets the same release from the database
(the same login, the same lattice, the same rows), so a snapshot per scope holds nothing that
belongs to one user; a computation whose read covered other municipalities than its key is
refused, never stored. The thread logs and
retries when the database is away; it never stops the app.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pax_geo import clock, queries, tenancy
from pax_geo.field import status as fstatus
from pax_geo.field.status import AreaStatus

LOG = logging.getLogger(__name__)

#: a signed-in session to read as: (token, username)
Binding = tuple[str, str]
#: (role, at, binding or None) -> (the municipalities read, the status of every area)
Compute = Callable[[str, datetime, Binding | None], tuple[tuple[str, ...], dict[int, AreaStatus]]]


@dataclass(frozen=True)
class Snapshot:
    at: datetime  # the "now" the status was computed for
    by_area: dict[int, AreaStatus]


def compute_all(
    role: str, at: datetime, binding: Binding | None = None
) -> tuple[tuple[str, ...], dict[int, AreaStatus]]:
    """Every district's status at ``at`` as the role's login releases it to the bound session
    (or to no session), and the municipalities that read covered."""
    from pax_geo.auth import reader_connection

    token, username = binding or (None, None)
    with reader_connection(role, token, username) as conn:
        codes = tenancy.scope_of(conn)
        ids = queries.area_table(conn)["id"].astype(int).tolist()
        return codes, {s.area_id: s for s in fstatus.build(conn, ids, at)}


class LiveStatus:
    """Snapshots per scope key (``tenancy.key_for``: role and municipalities)."""

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
        self._bindings: dict[str, Binding | None] = {}
        self._pinned: set[str] = set()  # roles, computed with no session
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def snapshot(self, key: str, binding: Binding | None = None) -> Snapshot:
        """A snapshot of the scope ``key`` no older than max_age (computed here, as the
        ``binding`` session, if there is none)."""
        now = self._now()
        with self._guard:
            self._asked[key] = now
            if binding is not None:
                self._bindings[key] = binding
            snap = self._snaps.get(key)
        if snap is not None and now - snap.at < self.max_age:
            return snap
        return self._update(key, binding, not_before=now - self.max_age)

    def get(
        self, key: str, area_ids: Sequence[int], binding: Binding | None = None
    ) -> tuple[list[AreaStatus], datetime]:
        """The areas' status (in the given order, unknown ids left out) and when it was
        computed."""
        snap = self.snapshot(key, binding)
        return [snap.by_area[int(a)] for a in area_ids if int(a) in snap.by_area], snap.at

    def _store(self, key: str, snap: Snapshot) -> None:
        with self._guard:
            self._snaps[key] = snap

    def _update(
        self, key: str, binding: Binding | None, not_before: datetime | None = None
    ) -> Snapshot:
        """Compute the scope ``key`` as ``binding``; the read must cover exactly the key's
        municipalities (else tenancy.ScopeChanged, and nothing is stored)."""
        role, codes = tenancy.split_key(key)
        with self._lock(key):
            snap = self._snaps.get(key)
            if snap is not None and not_before is not None and snap.at > not_before:
                return snap  # computed by another caller while this one waited
            at = self._now()
            got, by_area = self._compute(role, at, binding)
            if got != codes:
                with self._guard:
                    self._bindings.pop(key, None)
                raise tenancy.ScopeChanged(f"{key}: the read covered {got}")
            snap = Snapshot(at, by_area)
            self._store(key, snap)
            return snap

    def _update_pinned(self, role: str) -> str | None:
        """Compute a pinned role with no session; stored under the key of what it covered
        (nothing with two or more municipalities: a connection without a session sees none)."""
        at = self._now()
        codes, by_area = self._compute(role, at, None)
        if not codes:
            return None
        key = tenancy.key_for(role, codes)
        self._store(key, Snapshot(at, by_area))
        return key

    def due(self) -> list[str]:
        """What the background thread should recompute now: scope keys asked for in the last
        ``keep`` whose session is known, and the pinned roles (as ``"<role>"``, no session)."""
        now = self._now()
        with self._guard:
            asked = dict(self._asked)
            snaps = dict(self._snaps)
            bound = {k for k, b in self._bindings.items() if b is not None}
            pinned = set(self._pinned)

        def stale(key: str) -> bool:
            return key not in snaps or now - snaps[key].at >= self.refresh

        out = [
            key
            for key, when in sorted(asked.items())
            if key in bound and now - when <= self.keep and stale(key)
        ]
        for role in sorted(pinned):
            keys = [k for k in snaps if tenancy.split_key(k)[0] == role]
            if not keys or any(stale(k) for k in keys):
                out.append(role)
        return out

    def run_once(self) -> list[str]:
        """One round of the background thread: recompute what is due; failures are logged."""
        done = []
        for item in self.due():
            try:
                if "@" in item:
                    with self._guard:
                        binding = self._bindings.get(item)
                    self._update(item, binding)
                else:
                    self._update_pinned(item)
                done.append(item)
            except Exception as exc:  # the database away, a session ended: next round
                LOG.warning("area status for %s not refreshed: %s", item, type(exc).__name__)
        return done

    def start(self, roles: Iterable[str] = ()) -> None:
        """Start the background thread (once); ``roles`` are kept ready always, as read with
        no session (the installation's municipality when it has one)."""
        with self._guard:
            for role in roles:
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
