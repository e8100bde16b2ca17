"""Settings, read once from the environment. Importable without Streamlit.

Every setting has a default that works on a fresh machine; see README "Configuration".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

#: The geometry storage CRS (SWEREF 99 TM) and the browser CRS (WGS84).
STORAGE_SRID = 3006
WGS84 = 4326
TIMEZONE = "Europe/Stockholm"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} is not a whole number") from exc


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: PROJECT_ROOT / ".pax")
    database_url: str | None = None
    db_name: str = "pax"
    pg_port: int = 54329
    app_port: int = 8501
    #: the address the app listens on; 127.0.0.1 unless configured (e.g. 0.0.0.0 behind a firewall)
    listen_address: str = "127.0.0.1"
    grid_m: int = 250
    suppress_below: int = 3
    point_budget: int = 5000
    lang: str = "sv"
    basemap: str = "none"
    session_idle_minutes: int = 30
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    #: failed sign-ins from one client (IP address), any names, before it is refused a while
    lockout_client_attempts: int = 20
    #: the municipality the dashboard serves: import working area and Police feed filter
    municipality_code: str = "0181"
    municipality_name: str = "Södertälje"

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def pg_run(self) -> Path:
        return self.home / "run"

    @property
    def embedded(self) -> bool:
        return not self.database_url


def load_settings() -> Settings:
    home = os.environ.get("PAX_HOME")
    return Settings(
        home=Path(home).resolve() if home else PROJECT_ROOT / ".pax",
        database_url=os.environ.get("DATABASE_URL") or None,
        db_name=os.environ.get("PAX_DB_NAME", "pax"),
        pg_port=_int("PAX_PG_PORT", 54329),
        app_port=_int("PAX_PORT", 8501),
        listen_address=(os.environ.get("PAX_LISTEN_ADDRESS") or "127.0.0.1").strip(),
        grid_m=_int("PAX_GRID_M", 250),
        suppress_below=_int("PAX_SUPPRESS_BELOW", 3),
        point_budget=_int("PAX_POINT_BUDGET", 5000),
        lang=os.environ.get("PAX_LANG", "sv"),
        basemap=os.environ.get("PAX_BASEMAP", "none"),
        session_idle_minutes=_int("PAX_SESSION_IDLE_MINUTES", 30),
        lockout_attempts=_int("PAX_LOCKOUT_ATTEMPTS", 5),
        lockout_minutes=_int("PAX_LOCKOUT_MINUTES", 15),
        lockout_client_attempts=_int("PAX_LOCKOUT_CLIENT_ATTEMPTS", 20),
        municipality_code=os.environ.get("PAX_MUNICIPALITY_CODE") or "0181",
        municipality_name=os.environ.get("PAX_MUNICIPALITY_NAME") or "Södertälje",
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()
