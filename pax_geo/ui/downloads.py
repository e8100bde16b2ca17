"""The one audited CSV download button (pax_geo.export does the file and the audit detail)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from pax_geo.export import export_detail, to_csv_bytes
from pax_geo.ui.session import audit, t


def csv_download(
    df: pd.DataFrame,
    file_name: str,
    page_key: str,
    what: str,
    key: str,
    label: str | None = None,
    filters: Mapping[str, object] | None = None,
    disabled: bool = False,
) -> None:
    """A CSV download button; every click writes one 'export' audit row for page_key."""
    st.download_button(
        label or t("download_csv"),
        to_csv_bytes(df),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click=audit,
        args=("export", page_key, export_detail(what, file_name, len(df), filters)),
        disabled=disabled,
    )
