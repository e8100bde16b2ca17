"""The entry point ``pax serve`` runs: app.py as a Streamlit ``st.App`` with the HTTP gate of
pax_geo.ui.web in front (security headers, no metrics, downloads only for signed-in sessions),
and Starlette's GZipMiddleware outermost: Streamlit leaves its static bundles (about 4 MB, the
map library 3 MB of it) uncompressed for a reverse proxy to compress; without one they would
cross a 4G link at full size. Bundles are content-hashed and cached for a year by the browser,
so each client has them compressed once; responses already compressed are passed through.

It also starts the thread that keeps the field roles' area status ready (pax_geo.field.live).

Run it with ``streamlit run server.py`` (Streamlit detects the ``app`` below); running
``streamlit run app.py`` directly would serve the app without the gate.
"""

import streamlit as st
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from streamlit.runtime.pages_manager import PagesManager

from pax_geo.basemap import routes
from pax_geo.config import settings
from pax_geo.field.live import live
from pax_geo.pages import FIELD_ROLES
from pax_geo.ui import warmup
from pax_geo.ui.login_page import routes as login_routes
from pax_geo.ui.vendor_routes import routes as vendor_routes
from pax_geo.ui.web import SecurityMiddleware

# Streamlit runs a process's scripts in its old "pages/ directory" mode until some run has
# called st.navigation: if the first visit after a start is a deep link (/omradeskort?area=3,
# a bookmark), it runs pages/omradeskort.py on its own, without app.py's frame and login, and
# keeps doing so for everyone until someone opens "/". app.py always calls st.navigation, so
# the process starts in that mode (tests/ui/test_deep_link_browser.py).
PagesManager.uses_pages_directory = False

# the field roles' area status, kept ready in the background (pax_geo.field.live)
live().start(FIELD_ROLES)
# the pages' libraries imported now, not by the first visitor of each page (pax_geo.ui.warmup)
if settings().warmup:
    warmup.start()

app = st.App(
    "app.py",
    # the street map's style (and MBTiles tiles) for every map: pax_geo.basemap
    # and the plain login page every first page load is sent to (pax_geo.ui.login_page)
    routes=[*routes(), *vendor_routes(), *login_routes()],
    middleware=[
        Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6),
        Middleware(SecurityMiddleware, login_page=True),
    ],
)
