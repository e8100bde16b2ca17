"""The start-up warm-up (pax_geo/ui/warmup.py) imports every module a page imports and then
freezes what it imported out of the garbage collector's sight."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from pax_geo.ui import warmup
from tests.browser_support import serve_app

ROOT = Path(__file__).resolve().parents[2]


def page_imports() -> set[str]:
    """The pax_geo modules and libraries the page scripts and app.py import at their top."""
    out: set[str] = set()
    for script in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(script.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                out.add(node.module)
            elif isinstance(node, ast.Import):
                out |= {a.name for a in node.names}
    return out


def test_the_warm_up_imports_what_the_pages_import_and_the_late_libraries():
    wanted = {m for m in page_imports() if m.startswith("pax_geo")} | set(warmup.LATE)
    assert "pax_geo.ui.area_card" in wanted or "pax_geo.ui" in wanted
    assert set(warmup.modules()) >= wanted - {"pax_geo", "pax_geo.ui"}  # packages, imported
    # in a fresh interpreter (no Streamlit runtime to wait for): afterwards every one of them
    # is loaded, and nothing failed
    code = (
        "import json, sys, logging; logging.basicConfig();"
        "from pax_geo.ui import warmup; warmup.start(wait_for_runtime=False).join();"
        "import gc; print(gc.get_freeze_count());"
        f"print(json.dumps(sorted(set({sorted(wanted)!r}) - set(sys.modules))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, missing = done.stdout.strip().splitlines()[-2:]
    assert json.loads(missing) == []
    # and the imported objects are out of the garbage collector's sight
    assert int(frozen) > 100_000
    assert "warm-up import" not in done.stderr


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_component_imported_by_the_warm_up_is_served(pg_url, demo_loaded):
    """The draw map's component (streamlit_folium), imported by the warm-up before any page
    ran, is registered with the runtime: its frame's page is served. With PAX_WARMUP=off
    nothing is imported before a page runs, so it is not (yet) served."""
    url_path = "/component/streamlit_folium.st_folium/index.html"
    with serve_app(pg_url.database, PAX_WARMUP="off") as url:
        time.sleep(3)  # the warm-up registers it within about 2 s of the start
        assert _status(url + url_path) == 404
    with serve_app(pg_url.database, PAX_WARMUP="on") as url:
        deadline = time.monotonic() + 90
        while (status := _status(url + url_path)) != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert status == 200, status
