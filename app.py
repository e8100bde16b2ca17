"""Pax lägesbild: the frame only. Page config, the signed-in user, navigation by role."""

import streamlit as st

from pax_geo.pages import pages_for
from pax_geo.ui import session

st.set_page_config(
    page_title="Pax lägesbild",
    page_icon=":material/shield:",
    layout="wide",
    initial_sidebar_state="expanded",
)

user = session.sign_in()
nav = st.navigation(
    [
        st.Page(p.path, title=session.t(p.title_key), icon=p.icon, url_path=p.key)
        for p in pages_for(user.role)
    ]
)
session.sidebar_footer(user)
nav.run()
