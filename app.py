"""Pax lägesbild: the frame only. Page config, login, navigation by role.

Every page is registered with st.navigation on every run (also before login, so that a page URL
survives signing in; server.py makes sure Streamlit never runs a file of pages/ on its own,
even for a deep link that is the first visit after a start), but the menu lists only
the pages the signed-in role may open. Opening another page's URL gets a clear refusal here,
before any of that page's code runs; each page's own require_page() refuses it too.
"""

from pathlib import Path

import streamlit as st

from pax_geo.pages import FIELD_ROLES, PAGES, home_for, pages_for
from pax_geo.ui import basemap, dbstatus, login, runlog, session

ROOT = Path(__file__).resolve().parent
LANDED = "_pax_landed"  # the user whose start page has been shown in this browser session
# A page registered before its file exists must not take the login down with it
# (tests/test_auth_app.py checks that every registered page file exists).
AVAILABLE = [p for p in PAGES if (ROOT / p.path).is_file()]

# a sign-in on the plain login page (/login) becomes this session's user before anything else
session.adopt_handoff()
claimed = session.current_user()
st.set_page_config(
    page_title="Pax lägesbild",
    # an emoji: the browser draws it locally (a Material icon is fetched from Google's font
    # server on every page, which a closed network refuses)
    page_icon="🛡️",
    layout="wide",
    # field roles work on tablets and phones: their menu stays folded until asked for (an open
    # sidebar lies over the page at 820 px and takes the taps meant for it)
    initial_sidebar_state="collapsed" if claimed and claimed.role in FIELD_ROLES else "expanded",
)

keys = {p.key for p in AVAILABLE}
allowed = [p.key for p in pages_for(claimed.role) if p.key in keys] if claimed else []
home = home_for(claimed.role) if claimed else None
pages = {
    p.key: st.Page(
        p.path,
        title=session.t(p.title_key),
        icon=p.icon,
        url_path=p.key,
        # before signing in "/" is Här och nu, as it has always been; after, the role's home
        default=p.key == (home if home in allowed else allowed[0] if allowed else "har_och_nu"),
    )
    for p in AVAILABLE
}
# Every run is timed (pax_geo.ui.runlog: slow runs are logged, with the page and the role).
with runlog.timed(claimed.role if claimed else None) as run:
    current = st.navigation(list(pages.values()), position="hidden")
    # An unreachable database shows a notice with a retry in place of the page (dbstatus), keeps
    # the session signed in, and keeps the page's widget state for when the database is back.
    main = st.empty()
    drawn = {"sidebar": False}

    def _claimed_sidebar() -> None:
        if not drawn["sidebar"] and claimed is not None:
            session.sidebar(claimed, [pages[k] for k in allowed])

    with dbstatus.guard(main, claimed, _claimed_sidebar):
        user = session.sign_in()
        run.role = user.role if user else None
        if user is None:  # not signed in, or the session ended: the login page, nothing else
            run.page = "login"
            login.render()
            st.stop()
        dbstatus.clear()  # the session check reached the database
        allowed = [p.key for p in pages_for(user.role) if p.key in keys]
        session.sidebar(user, [pages[k] for k in allowed])
        drawn["sidebar"] = True
        with st.sidebar:  # does the street map load in this browser? (once per session)
            basemap.probe(user)
        key = next((k for k, pg in pages.items() if pg.url_path == current.url_path), None)
        run.page = key
        # Signing in at "/" lands on the role's start page (Mitt område for a field worker),
        # once per signed-in session; a deep link opened before signing in is kept.
        landed = st.session_state.get(LANDED)
        if landed != user.username:
            st.session_state[LANDED] = user.username
            home_key = home_for(user.role)
            if key == "har_och_nu" and home_key in allowed and home_key != key:
                st.switch_page(pages[home_key])
        if key is None or key not in allowed:
            session.refuse(key or "?", user)
        current.run()
