"""A tiny Streamlit app for the presentation browser tests: a sidebar and a button, then the
sample deck in presentation mode until the user leaves it. No database.

    PYTHONPATH=. streamlit run tests/board/present_app.py
"""

from __future__ import annotations

import streamlit as st

from pax_geo.ui.presentation import present
from tests.board.board_support import sample_deck


@st.cache_resource
def deck():
    return sample_deck()


st.sidebar.write("Pax lägesbild – sidopanel")
st.session_state.setdefault("presenting", True)

st.session_state["runs"] = st.session_state.get("runs", 0) + 1

if st.session_state["presenting"]:
    st.write(f"Sidinnehåll under presentationen, körning {st.session_state['runs']}")
    if present(deck()):
        st.session_state["presenting"] = False
        st.rerun()
else:
    st.write("Presentationen avslutad")
    if st.button("Visa presentationen"):
        st.session_state["presenting"] = True
        st.rerun()
