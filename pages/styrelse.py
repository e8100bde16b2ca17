"""Lägesbild för styrelsen: build, comment, present and hand out the board's situation picture.

Built by the security chief and police analysts (drafts saved in the database as they are
written), viewed by the board (presented lägesbilder only). Every figure is the board-level
release, for every role. A presented lägesbild is frozen: figures and comments as shown.
"""

from datetime import timedelta

import streamlit as st

from pax_geo.board import periods, store
from pax_geo.capabilities import CAPABILITIES
from pax_geo.clock import now, today
from pax_geo.horizons.fmt import local_date
from pax_geo.ui import board as bui
from pax_geo.ui.presentation import present
from pax_geo.ui.session import audit_page_view, reader, require_page, t
from pax_geo.ui.widgets import keep_values

PAGE = bui.PAGE
user = require_page(PAGE)
builder = user.role in CAPABILITIES["build_briefing"]
NEW = 0

with reader() as conn:
    items = store.listing(conn)
    last_end = store.last_presented_end(conn)


def label(b_id: int) -> str:
    if b_id == NEW:
        return t("bd_new")
    b = next(x for x in items if x.id == b_id)
    state = t("bd_presented_on", date=local_date(b.presented_on)) if b.frozen else t("bd_draft")
    first, last = bui.days_of(b)
    return f"{b.title} · {local_date(first)}–{local_date(last)} · {state}"


# --- presentation mode: the whole window, nothing else -------------------------------------
showing = st.session_state.get("bd_present")
if showing is not None:
    with reader() as conn:
        b = store.get(conn, int(showing))
    if b is not None:
        fig = b.figures or bui.live_figures(
            user.role, *bui.days_of(b), bui.read_time(now()), user.session_token, user.username
        )
        presenter = bui.presenter_of(b, fig, user)
        # the picker is not drawn while presenting: keep its choice for the way back
        keep_values("bd_sel")
        if present(bui.deck_for(b, fig, presenter)):
            del st.session_state["bd_present"]
            st.rerun()
        st.stop()
    del st.session_state["bd_present"]

st.title(t("page_styrelse"))
st.caption(t("bd_intro") if builder else t("bd_intro_board"))
st.markdown(bui.KF_CSS, unsafe_allow_html=True)

options = ([NEW] if builder else []) + [b.id for b in items]
if not options:
    st.info(t("bd_none_presented"))
    st.stop()
default = st.session_state.pop("bd_open", None)
if default in options:
    st.session_state["bd_sel"] = default
labels = {o: label(o) for o in options}  # in this run's language
sel = st.selectbox(t("bd_pick"), options, format_func=labels.__getitem__, key="bd_sel")
audit_page_view(PAGE, {"briefing": sel})

# --- a new draft ------------------------------------------------------------------------------
if sel == NEW:
    with st.container(border=True):
        first, last = bui.period_picker(today(), last_end, "bd_new")
        st.caption(t("bd_period_line", first=local_date(first), last=local_date(last)))
        title = st.text_input(
            t("bd_title"),
            value=t("bd_default_title", date=local_date(today())),
            max_chars=200,
            key="bd_new_title",
        )
        marking = st.text_input(
            t("bd_marking"), value=t("bd_marking_default"), max_chars=200, key="bd_new_marking"
        )
        if st.button(t("bd_create"), type="primary", icon=":material/add:"):
            new_id = bui.write(
                lambda c: store.save(c, None, title, *bui.period_bounds((first, last)), marking)
            )
            if new_id is not None:
                st.session_state["bd_open"] = new_id
                st.rerun()
    st.stop()

# --- one lägesbild ---------------------------------------------------------------------------
with reader() as conn:
    b = store.get(conn, int(sel))
if b is None:
    st.error(t("bd_gone"))
    st.stop()
first_day, last_day = bui.days_of(b)
if b.frozen:
    fig = b.figures or {}
    st.success(t("bd_frozen", date=local_date(b.presented_on), who=bui.presenter_of(b, fig, user)))
else:
    fig = bui.live_figures(
        user.role, first_day, last_day, bui.read_time(now()), user.session_token, user.username
    )
deck = bui.deck_for(b, fig, bui.presenter_of(b, fig, user))

c1, c2 = st.columns([1, 2])
if c1.button(t("bd_present"), type="primary", icon=":material/co_present:", width="stretch"):
    st.session_state["bd_present"] = b.id
    st.rerun()
with c2:
    bui.export_buttons(deck, b, user)

if builder and not b.frozen:
    with st.expander(t("bd_settings")):
        with st.form(f"bd_edit_{b.id}", border=False):
            title = st.text_input(t("bd_title"), value=b.title, max_chars=200)
            marking = st.text_input(t("bd_marking"), value=b.marking, max_chars=200)
            rng = st.date_input(
                t("bd_period_custom"),
                value=(first_day, last_day),
                max_value=today(),
                format="YYYY-MM-DD",
            )
            if st.form_submit_button(t("bd_save")):
                if isinstance(rng, tuple) and len(rng) == 2:
                    saved = bui.write(
                        lambda c: store.save(
                            c,
                            b.id,
                            title,
                            *bui.period_bounds(periods.clip_to(rng[0], rng[1], today())),
                            marking,
                        )
                    )
                    if saved is not None:
                        st.rerun()
                else:
                    st.error(t("bd_pick_two_dates"))
        st.divider()
        d1, d2 = st.columns(2)
        on = d1.date_input(
            t("bd_meeting_date"),
            value=today(),
            max_value=today() + timedelta(days=1),
            format="YYYY-MM-DD",
            key=f"bd_on_{b.id}",
        )
        d1.caption(t("bd_freeze_help"))
        if d1.button(t("bd_mark_presented"), icon=":material/lock:", key=f"bd_freeze_{b.id}"):
            # the figures as shown, and who showed them (by name, for the title slide later)
            frozen = {**fig, "presenter": user.display_name}
            if bui.write(lambda c: store.present(c, b.id, on, frozen) or True):
                st.rerun()
        if d2.button(t("bd_delete"), icon=":material/delete:", key=f"bd_del_{b.id}"):
            if bui.write(lambda c: store.delete(c, b.id) or True):
                st.session_state.pop("bd_sel", None)
                st.rerun()

shown: set[str] = set()
for i, s in enumerate(deck.slides, start=1):
    st.subheader(f"{i}. {s.title}")
    bui.render_slide(s)
    section = s.section or s.key
    if builder and not b.frozen and section not in shown:
        for key in bui.COMMENT_SECTIONS[section]:
            bui.comment_field(b, key, user)
    elif s.comment:
        st.info(s.comment)
    shown.add(section)
    st.divider()
st.caption(deck.footer)
