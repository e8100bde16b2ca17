"""The arrows point down: the lint rule that keeps Streamlit out of the core fires where it must.

`make lint` (run by `make test`) applies it to the whole tree; this test proves the rule is
configured: the same import is refused in the core and allowed in the UI layer and pages.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")


def ruff_on(path: str, source: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(RUFF), "check", "--select", "TID251", "--stdin-filename", path, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


@pytest.mark.parametrize(
    "source",
    [
        "import streamlit as st\n",
        "from streamlit_folium import st_folium\n",
        "from pax_geo.ui import deck\n",
        "from pax_geo.ui.deck import build_deck\n",
    ],
)
@pytest.mark.parametrize(
    "path", ["pax_geo/queries.py", "pax_geo/analysis/probe.py", "pax_geo/ingest/probe.py"]
)
def test_core_may_not_import_streamlit_or_the_ui(path, source):
    out = ruff_on(path, source)
    assert out.returncode == 1 and "TID251" in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize("path", ["pax_geo/ui/probe.py", "pages/probe.py", "app.py"])
def test_the_ui_layer_and_pages_may(path):
    out = ruff_on(path, "import streamlit as st\n\nst.write(1)\n")
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_whole_tree_obeys_the_rule():
    out = subprocess.run(
        [str(RUFF), "check", "--select", "TID251", "."],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout
