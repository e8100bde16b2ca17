# ruff: noqa: F811 (pytest fixtures imported from browser_support)
"""The browser tests' own instrument: wait_idle's run tracker (tests/browser_support.py) must
wait for exactly the runs a page asked for. Checked on a small Streamlit script of its own whose
runs are slow on purpose: a button, a run that reruns itself (st.rerun) and a fragment."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.browser_support import RUN_TRACKER_JS, serve_script, wait_idle

pytestmark = pytest.mark.browser

SCRIPT = """
import time
import streamlit as st

st.session_state.setdefault("n", 0)
if st.button("slow"):
    time.sleep(0.8)
    st.session_state.n += 1
if st.button("again") and not st.session_state.get("again"):
    st.session_state.again = True
    time.sleep(0.4)
    st.rerun()
if st.session_state.get("again"):
    time.sleep(0.4)
    st.write("reran")


@st.fragment
def part():
    if st.button("fragment"):
        time.sleep(0.8)
        st.write("fragment ran")


part()
st.write(f"clicked {st.session_state.n}")
"""


def test_the_tracker_reads_the_fields_streamlit_sends():
    fwd, back = ForwardMsg.DESCRIPTOR.fields_by_name, BackMsg.DESCRIPTOR.fields_by_name
    assert fwd["new_session"].number == 4 and "f === 4" in RUN_TRACKER_JS
    assert fwd["script_finished"].number == 6 and "f === 6" in RUN_TRACKER_JS
    assert ForwardMsg.FINISHED_EARLY_FOR_RERUN == 2 and "v !== 2" in RUN_TRACKER_JS
    assert back["rerun_script"].number == 11 and "f === 11" in RUN_TRACKER_JS


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_wait_idle_waits_for_the_run_a_click_asked_for(page, tmp_path: Path):
    script = tmp_path / "slow.py"
    script.write_text(SCRIPT)
    with serve_script(script) as url:
        page.goto(url)
        wait_idle(page)
        assert page.get_by_text("clicked 0").is_visible()
        for n, button, shown in (
            (1, "slow", "clicked 1"),
            (2, "again", "reran"),
            (3, "fragment", "fragment ran"),
        ):
            page.get_by_role("button", name=button).click()
            t0 = time.monotonic()
            wait_idle(page)
            # drawn when wait_idle returns, with no waiting of its own
            assert page.get_by_text(shown).count() == 1, (n, button)
            assert time.monotonic() - t0 >= 0.7, (n, button)  # it did wait for the slow run
        # idle again at once when nothing was asked for
        t0 = time.monotonic()
        wait_idle(page)
        assert time.monotonic() - t0 < 0.7
