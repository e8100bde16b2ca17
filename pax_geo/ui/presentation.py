"""Presentation mode: the lägesbild's slides over the whole browser window, for a projector.

:func:`present` hides Streamlit's chrome (sidebar, header and toolbar, deploy and menu
buttons, the main block's padding) and mounts the slides of :mod:`pax_geo.board.html` as a
``st.components.v2`` component in the page itself (not in an iframe; ``isolate_styles=False``
so the slides are ordinary elements of the document). The slides are fixed over the viewport
above everything else, so whatever the page drew before stays hidden under them.

Keys (see :mod:`pax_geo.board.html`): arrows, PageUp/PageDown (a clicker), Space, Enter,
Backspace, Home, End; "f" fullscreen, "b" a black screen; clicks on the right/left third.

Leaving: Escape (a first Escape in fullscreen only leaves fullscreen) or the small exit button
in the top right corner, shown while the mouse moves, send the trigger ``exit`` to Python;
:func:`present` returns True in that run and the caller leaves presentation mode.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from pax_geo.board.html import SLIDES_CSS, SLIDES_JS, slides_html
from pax_geo.board.model import Deck

#: Streamlit's chrome off the screen while the slides are shown.
HIDE_CHROME_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"], header.stAppHeader,
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stMainMenu"],
[data-testid="stAppDeployButton"], [data-testid="stStatusWidget"],
[data-testid="stBottom"], [data-testid="stBottomBlockContainer"] { display: none !important; }
[data-testid="stMainBlockContainer"], .stMainBlockContainer {
  padding: 0 !important; max-width: none !important; }
html, body, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"] {
  overflow: hidden !important; }
</style>
"""

#: The component's own markup: a place the script fills with the deck's slides.
_ROOT_HTML = '<div class="pax-present-root"></div>'


@st.cache_resource
def _component():
    # One definition for every deck: the slides change per deck, so they travel as data (the
    # html of a component is fixed when it is defined) and the script puts them in the root.
    return st.components.v2.component(
        "pax_presentation",
        html=_ROOT_HTML,
        css=SLIDES_CSS,
        js=SLIDES_JS,
        isolate_styles=False,
    )


def present(deck: Deck, key: str = "pax_present") -> bool:
    """Show the deck as full-screen slides. Returns True in the run the user asked to leave
    (Escape or the exit button); the caller then leaves presentation mode."""
    st.html(HIDE_CHROME_CSS)
    markup = slides_html(deck)
    fingerprint = hashlib.sha256(markup.encode("utf-8")).hexdigest()[:16]
    result = _component()(
        key=key,
        data={"html": markup, "fp": fingerprint},
        on_exit_change=lambda: None,
    )
    return bool(getattr(result, "exit", None))
