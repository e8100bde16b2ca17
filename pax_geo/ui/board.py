"""Lägesbild för styrelsen in Streamlit: cached figures, the slide previews, comment fields
that save as they change, audited exports, the period picker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from pax_geo import auth, pii
from pax_geo.board import exports, figures, periods, slides, store
from pax_geo.board.model import Deck, Slide
from pax_geo.clock import local, to_ten_minutes
from pax_geo.horizons.fmt import local_date, local_time
from pax_geo.ui.session import User, lang, reader, t

PAGE = "styrelse"
T = TypeVar("T")
#: the comment fields of each section, shown under its first slide (the last has two)
COMMENT_SECTIONS: dict[str, tuple[str, ...]] = {
    **{k: (k,) for k in slides.SECTION_ORDER if k != "assessment"},
    "assessment": ("assessment", "next_steps"),
}


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def live_figures(role: str, first: date, last: date, now: datetime, _token: str, _user: str):
    """A draft's figures for the period (the board release is the same for every account of a
    role, so one cache entry serves them all for ten minutes)."""
    with auth.reader_connection(role, _token, _user) as conn:
        return figures.build(conn, periods.of_days(first, last), now)


def read_time(t: datetime) -> datetime:
    """The time a draft's figures are read for, to ten minutes: the periods end at midnight, so
    this only dates the reading, and a comment saved a minute later reuses the cached figures."""
    return to_ten_minutes(t)


def days_of(b: store.Briefing) -> tuple[date, date]:
    """The first and last whole local day of a lägesbild's period."""
    return local(b.period_start).date(), (local(b.period_end) - timedelta(days=1)).date()


def period_picker(today: date, last_end: datetime | None, key: str) -> tuple[date, date]:
    """Since the last lägesbild (default), a quarter, a tertial or custom dates."""
    kind = st.segmented_control(
        t("bd_period_kind"),
        list(periods.KINDS),
        default="since_last",
        format_func=lambda k: t(f"bd_period_{k}"),
        key=f"{key}_kind",
    )
    if kind == "quarter":
        qs = periods.recent_quarters(today)
        y, q = st.selectbox(
            t("bd_period_quarter"), qs, format_func=lambda v: f"{v[0]} kv {v[1]}", key=f"{key}_q"
        )
        return periods.clip_to(*periods.quarter(y, q), today)
    if kind == "tertial":
        ts = periods.recent_tertials(today)
        y, n = st.selectbox(
            t("bd_period_tertial"), ts, format_func=lambda v: f"{v[0]} T{v[1]}", key=f"{key}_t"
        )
        return periods.clip_to(*periods.tertial(y, n), today)
    default = periods.since_last(last_end, today)
    if kind == "custom":
        picked = st.date_input(
            t("bd_period_custom"),
            value=default,
            max_value=today,
            format="YYYY-MM-DD",
            key=f"{key}_custom",
        )
        if isinstance(picked, tuple) and len(picked) == 2:
            try:
                return periods.clip_to(picked[0], picked[1], today)
            except ValueError as exc:
                st.error(t("bd_period_invalid", reason=str(exc)))
        st.stop()
    if last_end is None:
        st.caption(t("bd_since_first", days=periods.FIRST_DAYS))
    else:
        st.caption(t("bd_since_last_caption", date=local_date(local(last_end))))
    return default


def render_slide(s: Slide) -> None:
    """A slide's content in the page (the presentation and the exports draw the same Slide)."""
    if s.subtitle:
        st.caption(s.subtitle)
    if s.key_figures:
        cols = st.columns(len(s.key_figures))
        for col, kf in zip(cols, s.key_figures, strict=True):
            with col.container(border=True):
                st.markdown(f"**{kf.label}**")
                st.markdown(f"<div class='pax-kf'>{kf.value}</div>", unsafe_allow_html=True)
                for line in kf.lines:
                    st.caption(line)
    for b in s.bullets:
        st.markdown(f"- {b}")
    for img in s.images:
        st.image(img.png, caption=img.alt, width="stretch")
    for tb in s.tables:
        st.dataframe(
            pd.DataFrame(list(tb.rows), columns=list(tb.header)),
            hide_index=True,
            width="stretch",
        )
    if s.note:
        st.caption(s.note)


def comment_field(b: store.Briefing, section: str, user: User) -> None:
    """A comment that is saved (and audited) whenever it changes: on leaving the field or on
    Ctrl+Enter, so a reload or a dropped connection loses at most the words being typed."""
    key = f"bd_c_{b.id}_{section}"

    def save() -> None:
        body = st.session_state.get(key, "") or ""
        found = pii.find_personal_data(body)
        if found:  # the database refuses it too; here the user learns which number and why
            st.session_state[f"{key}_error"] = t(
                f"bd_err_pii_{found[0].kind}", masked=found[0].masked
            )
            return
        try:
            with reader() as conn:
                at = store.save_comment(conn, b.id, section, body)
            st.session_state[f"{key}_saved"] = at
        except DBAPIError as exc:  # shown to the user; the text stays in the field
            st.session_state[f"{key}_error"] = db_error_text(exc)

    label = (
        t("bd_assessment")
        if section == "assessment"
        else (t("bd_sec_next_steps") if section == "next_steps" else t("bd_comment"))
    )
    st.text_area(
        label,
        value=b.comments.get(section, ""),
        key=key,
        on_change=save,
        max_chars=2000,
        height=110,
        help=t("bd_comment_help"),
    )
    err = st.session_state.pop(f"{key}_error", None)
    if err:
        st.error(err)
    saved = st.session_state.get(f"{key}_saved")
    if saved is not None:
        st.caption(t("bd_saved_at", time=local_time(saved)))


def db_error_text(exc: DBAPIError) -> str:
    """Why the database refused a save, in the interface language."""
    code = getattr(exc.orig, "sqlstate", None)
    if "differ from the board release" in str(exc.orig):
        live_figures.clear()  # new data since the page read them: read them again
        return t("bd_err_stale")
    if code == "55000":
        return t("bd_err_frozen")
    if code == "42501":
        return t("bd_err_not_allowed")
    return t("bd_save_failed")


def export_buttons(deck: Deck, b: store.Briefing, user: User) -> None:
    """PPTX and PDF, built when clicked (no rerun); each download is audited."""
    stem = f"lagesbild-{b.id}-{local_date(days_of(b)[1])}"
    cols = st.columns(len(exports.FORMATS))
    for col, (fmt, (_, mime)) in zip(cols, exports.FORMATS.items(), strict=True):

        def run(fmt: str = fmt) -> bytes:
            return exports.export(
                deck,
                fmt,
                b.id,
                b.status,
                role=user.role,
                token=user.session_token,
                username=user.username,
                page=PAGE,
            )

        col.download_button(
            t(f"bd_export_{fmt}"),
            run,
            file_name=f"{stem}.{fmt}",
            mime=mime,
            on_click="ignore",
            icon=":material/slideshow:" if fmt == "pptx" else ":material/picture_as_pdf:",
            key=f"bd_{fmt}_{b.id}",
            width="stretch",
        )


def write(action: Callable[[Connection], T]) -> T | None:
    """Run a write on the bound login; on a refusal or a bad period show why (the form keeps
    its values) and return None."""
    try:
        with reader() as conn:
            return action(conn)
    except DBAPIError as exc:
        st.error(db_error_text(exc))
    except ValueError as exc:  # a period the dates cannot make (pax_geo.board.periods)
        st.error(t("bd_period_invalid", reason=str(exc)))
    return None


def period_bounds(days: tuple[date, date]) -> tuple[datetime, datetime]:
    ps = periods.of_days(*days)
    return ps.current.start, ps.current.end


def presenter_of(b: store.Briefing, fig: dict, user: User) -> str:
    """Who presents: the name frozen with the figures, else the one building the draft."""
    if b.frozen:
        return str(fig.get("presenter") or b.presented_by or "–")
    return user.display_name


def deck_for(b: store.Briefing, fig: dict, presenter: str) -> Deck:
    return slides.compose(
        fig,
        b.comments,
        title=b.title,
        presenter=presenter,
        marking=b.marking,
        lang=lang(),
        presented_on=b.presented_on,
    )


KF_CSS = "<style>.pax-kf{font-size:2.4rem;font-weight:700;line-height:1.1}</style>"
