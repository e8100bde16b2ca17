"""Serves tests/ui/drawmap_app.py the way server.py serves app.py, without the database:
st.App with the vendored-library routes (pax_geo.ui.vendor_routes) and the same middleware
(GZip outermost, the HTTP gate of pax_geo.ui.web). ``streamlit run`` detects ``app``."""

import streamlit as st
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware

from pax_geo.ui.vendor_routes import routes as vendor_routes
from pax_geo.ui.web import SecurityMiddleware

app = st.App(
    "drawmap_app.py",
    routes=[*vendor_routes()],
    middleware=[
        Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6),
        Middleware(SecurityMiddleware),
    ],
)
