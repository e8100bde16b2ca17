"""Typed settings: one default per setting, parsed by type, bad values named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pax_geo import config

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_need_no_environment():
    cfg = config.load_settings({})
    assert cfg == config.Settings()
    assert cfg.embedded and cfg.lang == "sv" and cfg.basemap == "carto"
    assert cfg.listen_address == "127.0.0.1" and cfg.release_alpha == 0.3


def test_values_are_parsed_by_type():
    cfg = config.load_settings(
        {
            "PAX_GRID_M": "100",
            "PAX_RELEASE_ALPHA": "0.25",
            "PAX_LANG": "en",
            "PAX_BASEMAP": "none",
            "PAX_HOME": "/tmp/pax-home",
            "DATABASE_URL": "postgresql+psycopg://u:p@db:5432/x",
            "PAX_MUNICIPALITY_NAME": "",  # empty keeps the default
            "PAX_WARMUP": "Off",
        }
    )
    assert not cfg.warmup and config.load_settings({}).warmup
    assert config.load_settings({"PAX_WARMUP": "1"}).warmup
    assert cfg.grid_m == 100 and cfg.release_alpha == 0.25
    assert cfg.lang == "en" and cfg.basemap == "none"
    assert cfg.home == Path("/tmp/pax-home") and not cfg.embedded
    assert cfg.municipality_name == "Södertälje"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PAX_GRID_M": "250m"}, "PAX_GRID_M='250m' is not a whole number"),
        ({"PAX_GRID_M": "10"}, "PAX_GRID_M='10' must be between 50 and 5000"),
        ({"PAX_SUPPRESS_BELOW": "1"}, "PAX_SUPPRESS_BELOW='1' must be between 2 and 100"),
        ({"PAX_RELEASE_ALPHA": "1"}, "PAX_RELEASE_ALPHA='1' must be between 0.05 and 0.9"),
        ({"PAX_LANG": "de"}, "PAX_LANG='de' must be one of sv, en"),
        (
            {"PAX_BASEMAP": "google"},
            "PAX_BASEMAP='google' must be one of carto, osm, url, mbtiles, none",
        ),
        ({"PAX_PORT": "http"}, "PAX_PORT='http' is not a whole number"),
        (
            {"PAX_WARMUP": "maybe"},
            "PAX_WARMUP='maybe' must be one of 1, true, on, yes, 0, false, off, no",
        ),
    ],
)
def test_bad_values_are_refused_by_name(env, message):
    with pytest.raises(config.SettingsError) as err:
        config.load_settings(env)
    assert str(err.value) == message


def test_every_setting_has_its_variable_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, var in config.environment_variables().items():
        assert f"`{var}`" in readme, (name, var)


def test_no_other_module_reads_the_environment_for_a_setting():
    variables = set(config.environment_variables().values())
    for path in (ROOT / "pax_geo").rglob("*.py"):
        if path.name == "config.py":
            continue
        text = path.read_text(encoding="utf-8")
        for var in variables:
            assert f'environ.get("{var}"' not in text and f'getenv("{var}"' not in text, (
                path,
                var,
            )


def test_the_cli_names_a_bad_setting_and_exits_2():
    env = {**os.environ, "PAX_GRID_M": "fifty"}
    out = subprocess.run(
        [sys.executable, "-m", "pax_geo.cli", "db", "status"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 2
    assert "PAX_GRID_M='fifty' is not a whole number" in out.stderr
    assert "Traceback" not in out.stderr
