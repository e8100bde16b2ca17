"""Settings, read once from the environment. Importable without Streamlit.

Every setting has one default, written once below, that works on a fresh machine; the
environment variable that overrides it sits beside it. Values are parsed by the field's type
(whole numbers, decimals, paths, one of a fixed set of words) and checked against its bounds;
a bad value stops with a message that names the variable, the value and what is expected.
No other module reads the environment for a setting. See README "Configuration".
"""

from __future__ import annotations

import dataclasses
import os
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

PROJECT_ROOT = Path(__file__).resolve().parents[1]

#: The geometry storage CRS (SWEREF 99 TM) and the browser CRS (WGS84).
STORAGE_SRID = 3006
WGS84 = 4326
TIMEZONE = "Europe/Stockholm"

Lang = Literal["sv", "en"]
Basemap = Literal["carto", "osm", "url", "mbtiles", "none"]

DEFAULT_USER_AGENT = "pax-lagesbild/0.1 (Sodertalje kommun och lokalpolisomrade; Pax)"


class SettingsError(ValueError):
    """An environment variable has a value the setting cannot take."""


def _env(name: str, *, lo: float | None = None, hi: float | None = None) -> dict:
    return {"env": name, "lo": lo, "hi": hi}


@dataclass(frozen=True)
class Settings:
    #: data directory of the embedded cluster (pgdata/, run/), the generated secret, reports
    home: Path = field(default=PROJECT_ROOT / ".pax", metadata=_env("PAX_HOME"))
    #: an external PostGIS instead of the embedded cluster
    database_url: str | None = field(default=None, metadata=_env("DATABASE_URL"))
    #: the secret the reader roles' passwords derive from (default: the superuser password)
    secret: str | None = field(default=None, repr=False, metadata=_env("PAX_SECRET"))
    db_name: str = field(default="pax", metadata=_env("PAX_DB_NAME"))
    pg_port: int = field(default=54329, metadata=_env("PAX_PG_PORT", lo=1024, hi=65535))
    app_port: int = field(default=8501, metadata=_env("PAX_PORT", lo=1, hi=65535))
    #: the address the app listens on; 127.0.0.1 unless configured (e.g. 0.0.0.0 behind a firewall)
    listen_address: str = field(default="127.0.0.1", metadata=_env("PAX_LISTEN_ADDRESS"))
    #: Streamlit processes behind nginx (pax_geo.frontdoor); 0: one per core, 1: no nginx
    workers: int = field(default=0, metadata=_env("PAX_WORKERS", lo=0, hi=64))
    #: import the pages' libraries when a server process starts (pax_geo.ui.warmup); off, the
    #: first visitor of each page in each process imports what that page needs
    warmup: bool = field(default=True, metadata=_env("PAX_WARMUP"))
    grid_m: int = field(default=250, metadata=_env("PAX_GRID_M", lo=50, hi=5000))
    suppress_below: int = field(default=3, metadata=_env("PAX_SUPPRESS_BELOW", lo=2, hi=100))
    #: noise of the protected counts (0009): P(e) proportional to alpha^|e|
    release_alpha: float = field(default=0.3, metadata=_env("PAX_RELEASE_ALPHA", lo=0.05, hi=0.9))
    point_budget: int = field(default=5000, metadata=_env("PAX_POINT_BUDGET", lo=1, hi=10**7))
    #: draws for the whole-neighbourhood Gi* randomisation on the pages (the tests use fewer)
    gi_permutations: int = field(
        default=999_999, metadata=_env("PAX_GI_PERMUTATIONS", lo=99, hi=10_000_000)
    )
    #: close pairs a near-repeat (Knox) test counts at most; above it the most recent events
    #: that fit are tested (pax_geo.analysis.service.near_repeat)
    near_repeat_max_pairs: int = field(
        default=500_000, metadata=_env("PAX_NEAR_REPEAT_MAX_PAIRS", lo=1000, hi=10**9)
    )
    lang: Lang = field(default="sv", metadata=_env("PAX_LANG"))
    #: the street map under every map (pax_geo.basemap): a tile service, the municipality's own
    #: XYZ tiles (url), a self-hosted MBTiles file (mbtiles), or none
    basemap: Basemap = field(default="carto", metadata=_env("PAX_BASEMAP"))
    basemap_url: str | None = field(default=None, metadata=_env("PAX_BASEMAP_URL"))
    basemap_mbtiles: Path | None = field(default=None, metadata=_env("PAX_BASEMAP_MBTILES"))
    basemap_attribution: str = field(
        default="© OpenStreetMap contributors", metadata=_env("PAX_BASEMAP_ATTRIBUTION")
    )
    session_idle_minutes: int = field(
        default=30, metadata=_env("PAX_SESSION_IDLE_MINUTES", lo=1, hi=24 * 60)
    )
    lockout_attempts: int = field(default=5, metadata=_env("PAX_LOCKOUT_ATTEMPTS", lo=1, hi=100))
    lockout_minutes: int = field(
        default=15, metadata=_env("PAX_LOCKOUT_MINUTES", lo=1, hi=7 * 24 * 60)
    )
    #: failed sign-ins from one client (IP address), any names, before it is refused a while
    lockout_client_attempts: int = field(
        default=20, metadata=_env("PAX_LOCKOUT_CLIENT_ATTEMPTS", lo=1, hi=10_000)
    )
    #: the municipality the dashboard serves: import working area and Police feed filter
    municipality_code: str = field(default="0181", metadata=_env("PAX_MUNICIPALITY_CODE"))
    municipality_name: str = field(default="Södertälje", metadata=_env("PAX_MUNICIPALITY_NAME"))
    #: log a script run that takes this long or longer (pax_geo.ui.runlog); 0 logs every run
    slow_run_ms: int = field(default=3000, metadata=_env("PAX_SLOW_RUN_MS", lo=0, hi=10**7))
    #: the User-Agent the Police feed fetcher sends (give a contact address)
    polisen_user_agent: str = field(
        default=DEFAULT_USER_AGENT, metadata=_env("PAX_POLISEN_USER_AGENT")
    )

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def pg_run(self) -> Path:
        return self.home / "run"

    @property
    def embedded(self) -> bool:
        return not self.database_url


_BOOLS = {
    **dict.fromkeys(("1", "true", "on", "yes"), True),
    **dict.fromkeys(("0", "false", "off", "no"), False),
}


def _parse(name: str, raw: str, kind: object, lo: float | None, hi: float | None) -> object:
    args = typing.get_args(kind)
    if typing.get_origin(kind) is Literal:
        if raw not in args:
            raise SettingsError(f"{name}={raw!r} must be one of {', '.join(map(str, args))}")
        return raw
    if type(None) in args:  # optional: an empty value is the default (None)
        (kind,) = [a for a in args if a is not type(None)]
    if kind is bool:
        word = raw.strip().lower()
        if word not in _BOOLS:
            raise SettingsError(f"{name}={raw!r} must be one of {', '.join(_BOOLS)}")
        return _BOOLS[word]
    if kind is int:
        try:
            value: object = int(raw)
        except ValueError as exc:
            raise SettingsError(f"{name}={raw!r} is not a whole number") from exc
    elif kind is float:
        try:
            value = float(raw)
        except ValueError as exc:
            raise SettingsError(f"{name}={raw!r} is not a number") from exc
    elif kind is Path:
        value = Path(raw).expanduser().resolve()
    else:
        value = raw.strip()
    if isinstance(value, int | float) and (
        (lo is not None and value < lo) or (hi is not None and value > hi)
    ):
        raise SettingsError(f"{name}={raw!r} must be between {lo:g} and {hi:g}")
    return value


def load_settings(environ: typing.Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment (or the given mapping); unset or empty keeps the default."""
    env = os.environ if environ is None else environ
    hints = typing.get_type_hints(Settings)
    values: dict[str, typing.Any] = {}
    for f in dataclasses.fields(Settings):
        name = f.metadata["env"]
        raw = env.get(name)
        if raw is None or raw.strip() == "":
            continue
        values[f.name] = _parse(name, raw, hints[f.name], f.metadata["lo"], f.metadata["hi"])
    return Settings(**values)


def environment_variables() -> dict[str, str]:
    """Setting name -> the environment variable that sets it (for docs and tests)."""
    return {f.name: f.metadata["env"] for f in dataclasses.fields(Settings)}


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()
