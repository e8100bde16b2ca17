"""The run timer of app.py (pax_geo.ui.runlog): one line per slow run, with page, role, time
and how the run ended, and nothing when the run was fast."""

from __future__ import annotations

import logging
import re
import time

import pytest

from pax_geo.config import load_settings
from pax_geo.ui import runlog


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def lines():
    h = _Lines()
    runlog.LOG.addHandler(h)
    yield h.lines
    runlog.LOG.removeHandler(h)


def _threshold(monkeypatch, ms: str) -> None:
    monkeypatch.setattr(runlog, "settings", lambda: load_settings({"PAX_SLOW_RUN_MS": ms}))


LINE = re.compile(r"^run page=(\S+) role=(\S+) ms=(\d+\.\d) end=(\S+) session=(\S+)$")


def test_every_run_is_logged_at_zero(monkeypatch, lines):
    _threshold(monkeypatch, "0")
    with runlog.timed("field_worker") as run:
        run.page = "mitt_omrade"
        time.sleep(0.02)
    page, role, ms, end, tag = LINE.match(lines[-1]).groups()
    assert tag == "-"  # no Streamlit session outside a run
    assert (page, role, end) == ("mitt_omrade", "field_worker", "ok")
    assert 20 <= float(ms) < 5000


def test_a_run_ended_by_an_exception_says_how_and_re_raises(monkeypatch, lines):
    _threshold(monkeypatch, "0")

    class StopException(Exception):  # Streamlit's st.stop() raises one of this name
        pass

    with pytest.raises(StopException), runlog.timed(None) as run:
        run.page = "login"
        raise StopException
    assert LINE.match(lines[-1]).groups()[0:4:3] == ("login", "StopException")
    assert "role=-" in lines[-1]


def test_fast_runs_are_not_logged(monkeypatch, lines):
    _threshold(monkeypatch, "3000")
    with runlog.timed("admin") as run:
        run.page = "audit"
    assert lines == [] and run.ms is not None and run.ms < 3000
