"""A polite fetcher for the Police public events API.

The API's published rules: identify yourself with a User-Agent, call at most once every 10
seconds and at most 60 times an hour. The call times are kept in ``PAX_HOME/polisen/calls.json``
under a file lock, so separate processes (cron, the CLI, the admin page) share the budget.
Tests never call the network: they exercise the limiter with a fake clock and a fake client.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pax_geo.config import settings

API_URL = "https://polisen.se/api/events"
MIN_INTERVAL_S = 10.0
MAX_PER_HOUR = 60
TIMEOUT_S = 30


class FetchRefused(RuntimeError):
    """Calling now would break the API's rules (or the call failed); the message says when."""


def user_agent() -> str:
    return settings().polisen_user_agent


def state_dir() -> Path:
    return settings().home / "polisen"


@dataclass
class RateLimiter:
    path: Path
    min_interval: float = MIN_INTERVAL_S
    max_per_hour: int = MAX_PER_HOUR
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    def _load(self) -> list[float]:
        try:
            data = json.loads(self.path.read_text())
            return [float(t) for t in data.get("calls", [])]
        except (FileNotFoundError, ValueError, AttributeError):
            return []

    def acquire(self, wait: bool = True) -> float:
        """Block until a call is allowed (or refuse), record it, return the wait in seconds."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_suffix(".lock")
        with open(lock, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                now = self.clock()
                calls = [t for t in self._load() if now - t < 3600]
                if len(calls) >= self.max_per_hour:
                    oldest = min(calls)
                    again = datetime.fromtimestamp(oldest + 3600, UTC).astimezone()
                    raise FetchRefused(
                        f"{len(calls)} calls to the Police API in the last hour (limit "
                        f"{self.max_per_hour}); next call allowed at {again:%H:%M:%S}."
                    )
                waited = 0.0
                if calls:
                    gap = now - max(calls)
                    if gap < self.min_interval:
                        waited = self.min_interval - gap
                        if not wait:
                            raise FetchRefused(
                                f"The Police API was called {gap:.1f} s ago; wait "
                                f"{waited:.1f} s (at least {self.min_interval:.0f} s between calls)."
                            )
                        self.sleep(waited)
                        now = self.clock()
                calls.append(now)
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps({"calls": calls}))
                tmp.replace(self.path)
                return waited
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def default_limiter() -> RateLimiter:
    return RateLimiter(state_dir() / "calls.json")


HttpGet = Callable[[str, dict, dict], tuple[int, bytes]]


def _requests_get(url: str, params: dict, headers: dict) -> tuple[int, bytes]:
    import requests

    resp = requests.get(url, params=params, headers=headers, timeout=TIMEOUT_S)
    return resp.status_code, resp.content


def fetch_events(
    location: str | None = None,
    event_type: str | None = None,
    out_dir: Path | None = None,
    limiter: RateLimiter | None = None,
    http_get: HttpGet | None = None,
    wait: bool = True,
) -> Path:
    """Fetch the current events (optionally of one location/type) and save them verbatim."""
    limiter = limiter or default_limiter()
    http_get = http_get or _requests_get
    params: dict[str, str] = {}
    if location:
        params["locationname"] = location
    if event_type:
        params["type"] = event_type
    limiter.acquire(wait=wait)
    try:
        status, body = http_get(API_URL, params, {"User-Agent": user_agent()})
    except OSError as exc:
        raise FetchRefused(f"The Police API could not be reached: {exc}") from exc
    if status != 200:
        raise FetchRefused(f"The Police API answered HTTP {status}.")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise FetchRefused("The Police API answered something that is not JSON.") from exc
    if not isinstance(data, list):
        raise FetchRefused("The Police API answered JSON that is not a list of events.")
    out_dir = out_dir or state_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromtimestamp(limiter.clock(), UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"events_{stamp}.json"
    path.write_bytes(body)
    return path


def fetch_municipalities(
    names: list[str],
    out_dir: Path | None = None,
    limiter: RateLimiter | None = None,
    http_get: HttpGet | None = None,
    wait: bool = True,
) -> list[tuple[str, Path]]:
    """One call per municipality (the API's ``locationname``), all within the one shared
    budget: at least 10 s apart, at most 60 an hour, whatever else is calling. Refuses before
    the first call when the list alone needs more than an hour's budget."""
    if len(names) > MAX_PER_HOUR:
        raise FetchRefused(
            f"{len(names)} municipalities need {len(names)} calls; the Police API allows "
            f"{MAX_PER_HOUR} an hour. Fetch them in groups, an hour apart."
        )
    limiter = limiter or default_limiter()
    return [(name, fetch_events(name, None, out_dir, limiter, http_get, wait)) for name in names]
