"""The entry point ``pax serve`` runs: app.py as a Streamlit ``st.App`` with the HTTP gate of
pax_geo.ui.web in front (security headers, no metrics, downloads only for signed-in sessions).

Run it with ``streamlit run server.py`` (Streamlit detects the ``app`` below); running
``streamlit run app.py`` directly would serve the app without the gate.
"""

import streamlit as st
from starlette.middleware import Middleware

from pax_geo.ui.web import SecurityMiddleware

app = st.App("app.py", middleware=[Middleware(SecurityMiddleware)])
