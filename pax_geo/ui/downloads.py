"""The one audited download button: the file is built, and its 'export' audit row written,
only when the user clicks, and the click does not rerun the page.

Streamlit's deferred download (a callable as ``data``, ``on_click="ignore"``) runs the callable
in a thread of its own when the button is pressed; the audit row goes through the signed-in
role's login bound to the session captured when the button was drawn, and it is written before
the bytes are made: when it cannot be written (the session has ended, the database is away)
there is no file. The HTTP gate (pax_geo.ui.web) adds a ``served`` row for every fetch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Literal

import pandas as pd
import streamlit as st

from pax_geo.export import export_detail, to_csv_bytes
from pax_geo.ui.session import User, audit_as, current_user, t


def audited_file(
    user: User | None,
    page_key: str,
    detail: Mapping[str, object],
    df: pd.DataFrame,
    encode: Callable[[pd.DataFrame], bytes] = to_csv_bytes,
) -> Callable[[], bytes]:
    """What the button calls when clicked: the audit row first, then the bytes (an audit
    that fails, e.g. for an ended session, raises and no file is made)."""

    def build() -> bytes:
        audit_as(user, "export", page_key, dict(detail))
        return encode(df)

    return build


def csv_download(
    df: pd.DataFrame,
    file_name: str,
    page_key: str,
    what: str,
    key: str,
    label: str | None = None,
    filters: Mapping[str, object] | None = None,
    disabled: bool = False,
    encode: Callable[[pd.DataFrame], bytes] = to_csv_bytes,
) -> None:
    """A CSV download button; every click writes one 'export' audit row for ``page_key`` and
    then builds the file with ``encode`` (UTF-8 with BOM, formula-looking text guarded)."""
    st.download_button(
        label or t("download_csv"),
        audited_file(
            current_user(), page_key, export_detail(what, file_name, len(df), filters), df, encode
        ),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
        disabled=disabled,
    )


def table_with_csv(
    df: pd.DataFrame,
    file_name: str,
    page_key: str,
    what: str,
    key: str,
    label: str,
    folded: bool = False,
    height: int | Literal["auto"] = "auto",
) -> None:
    """A table and, under it, the audited CSV download of exactly that table (as
    :func:`csv_download`). ``folded`` puts the table in a "Tabell" expander; the download
    stays in view."""
    with st.expander(t("hz_table")) if folded else nullcontext():
        st.dataframe(df, hide_index=True, width="stretch", height=height)
    csv_download(df, file_name, page_key, what, key, label=label)
