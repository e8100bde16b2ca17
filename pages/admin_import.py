"""Import: upload a file, preview it on a map, map its columns to the layer's fields, import with
a progress bar, download the report. Admin and police analyst.

Thin: reading, validation and loading are pax_geo.ingest (owner connection, one transaction);
the import history is read through the role's own login (pax_api.import_run).
"""

import pandas as pd
import pydeck as pdk
import streamlit as st

from pax_geo import ingest
from pax_geo.config import settings
from pax_geo.ingest import fields as F
from pax_geo.ingest import uploads
from pax_geo.ingest.geo import crs_label
from pax_geo.ingest.readers import SUFFIXES
from pax_geo.layers import INCIDENT_KINDS
from pax_geo.ui import deck, session

t = session.t
user = session.require_page("import")

st.title(t("page_import"))
st.caption(t("import_intro"))

CRS_CHOICES = (None, 3006, 3011, 4326)
KEY_RESULT = "import_result"


def layer_label(layer: str) -> str:
    if layer in INCIDENT_KINDS:
        return t(f"kind_{layer}")
    return t(f"import_layer_{layer}")


def crs_choice(epsg: int | None) -> str:
    return t("import_crs_auto") if epsg is None else crs_label(epsg)


def show_history() -> None:
    st.subheader(t("import_history"))
    with session.reader() as conn:
        hist = ingest.history(conn)
    if hist.empty:
        st.caption(t("import_history_empty"))
    else:
        st.dataframe(hist, hide_index=True, width="stretch")


def show_result(result: dict) -> None:
    st.subheader(t("import_result"))
    report = result.get("report")
    if result["status"] == "refused":
        st.error(t("import_refused"), icon=":material/block:")
        st.code(result["message"], language=None, wrap_lines=True)
    elif report is not None:
        summary = report.summary(session.lang(), 0).replace("\n", "  \n")
        (st.info if report.status == "dry_run" else st.success)(summary)
    if report is None:
        return
    cols = st.columns(5)
    for col, key, value in zip(
        cols,
        ("read", "inserted", "updated", "unchanged", "skipped"),
        (report.rows_read, report.inserted, report.updated, report.unchanged, report.skipped_rows),
        strict=True,
    ):
        col.metric(t(f"import_metric_{key}"), f"{value:,}".replace(",", " "))
    if report.issues:
        st.markdown(f"**{t('import_issues')}**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "#": i.row,
                        "field": i.field,
                        "column": i.column,
                        "message": i.message(session.lang()),
                    }
                    for i in report.issues[:1000]
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    c1, c2 = st.columns(2)
    c1.download_button(
        t("import_download_report"),
        report.to_json(session.lang()),
        file_name=f"import_{report.layer}_{report.started_at[:19].replace(':', '')}.json",
        mime="application/json",
        icon=":material/download:",
        on_click="ignore",
    )
    if report.issues:
        c2.download_button(
            t("import_download_issues"),
            report.issues_csv(session.lang()),
            file_name=f"import_{report.layer}_errors.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
        )


layer = st.selectbox(t("import_layer"), list(F.LAYERS), format_func=layer_label, key="import_layer")
upload = st.file_uploader(
    t("import_file"), type=[s.lstrip(".") for s in SUFFIXES], key="import_upload"
)

if upload is None:
    st.session_state.pop(KEY_RESULT, None)
    show_history()
    st.stop()

path = uploads.stage(upload.getvalue(), upload.name)
digest = path.stem  # the content hash the staged file is named by

c1, c2, c3 = st.columns(3)
defaults = ingest.ImportOptions()
source = c1.text_input(
    t("import_source"), value=defaults.resolved_source(layer, upload.name), key="import_source"
)
crs = c2.selectbox(t("import_crs"), CRS_CHOICES, format_func=crs_choice, key="import_crs")
working_area = c3.radio(
    t("import_working_area"),
    ("auto", "sweden", "none"),
    format_func=lambda m: t(f"import_wa_{m}"),
    key="import_working_area",
)
c1, c2, c3 = st.columns(3)
skip_invalid = c1.checkbox(t("import_skip_invalid"), key="import_skip_invalid")
make_valid = c2.checkbox(t("import_make_valid"), key="import_make_valid")
municipality = defaults.municipality
if layer in F.FEED_LAYERS:
    municipality = c3.text_input(
        t("import_municipality"), value=defaults.municipality, key="import_municipality"
    )

d1, d2 = st.columns(2)
ambiguous_time = d1.selectbox(
    t("import_ambiguous_time"),
    (None, "earlier", "later"),
    format_func=lambda v: t(f"import_dst_{v or 'refuse'}"),
    key="import_ambiguous_time",
)
nonexistent_time = d2.selectbox(
    t("import_nonexistent_time"),
    (None, "shift-forward", "shift-backward"),
    format_func=lambda v: t(f"import_dst_{v or 'refuse'}"),
    key="import_nonexistent_time",
)

base = ingest.ImportOptions(crs=crs, municipality=municipality, working_area=working_area)
pv = ingest.preview_file(path, layer, base, name=upload.name)

st.subheader(t("import_preview"))
if pv.error is not None:
    st.error(pv.error.summary(session.lang()), icon=":material/error:")
    show_history()
    st.stop()
st.caption(t("import_preview_rows", n=f"{pv.rows:,}".replace(",", " "), crs=crs_choice(pv.crs)))
if pv.crs_note:
    st.caption(pv.crs_note)
if pv.feed is not None:
    st.json(pv.feed, expanded=False)
if pv.geojson is not None and pv.bounds is not None:
    preview = pdk.Layer(
        "GeoJsonLayer",
        pv.geojson,
        id="import_preview",
        pickable=True,
        stroked=True,
        filled=True,
        get_fill_color=[0, 114, 178, 70],
        get_line_color=[0, 90, 150, 230],
        line_width_min_pixels=1,
        point_radius_min_pixels=3,
        get_point_radius=20,
    )
    view = deck.view_for_bounds(*pv.bounds, height=380)
    st.pydeck_chart(
        deck.make_deck([preview], view, {"text": "{label}"}, settings().basemap, 380), height=380
    )
st.dataframe(pv.sample, hide_index=True, width="stretch")

mapping: dict[str, str] = {}
constants: dict[str, str] = {}
if pv.fields:
    st.subheader(t("import_mapping"))
    st.caption(t("import_mapping_help"))
    none = t("import_not_mapped")
    options = [none, *pv.columns]
    grid = st.columns(3)
    for i, f in enumerate(pv.fields):
        suggested = pv.mapping.get(f.name)
        chosen = grid[i % 3].selectbox(
            f"{f.name} *" if f.required else f.name,
            options,
            index=options.index(suggested) if suggested in options else 0,
            key=f"import_map_{layer}_{f.name}",
        )
        mapping[f.name] = "" if chosen == none else chosen
        if chosen == none and f.required:
            if f.choices:
                value = grid[i % 3].selectbox(
                    t("import_constant"), ["", *f.choices], key=f"import_const_{layer}_{f.name}"
                )
            else:
                value = grid[i % 3].text_input(
                    t("import_constant"), key=f"import_const_{layer}_{f.name}"
                )
            if value and value.strip():
                constants[f.name] = value.strip()

b1, b2 = st.columns(2)
dry = b1.button(t("import_dry_run"), key="import_dry", icon=":material/rule:", width="stretch")
run = b2.button(
    t("import_run"), key="import_go", type="primary", icon=":material/upload:", width="stretch"
)

if dry or run:
    opts = ingest.ImportOptions(
        source=source or None,
        crs=crs,
        dry_run=bool(dry),
        skip_invalid=skip_invalid,
        make_valid=make_valid,
        working_area=working_area,
        mapping=mapping,
        defaults=constants,
        municipality=municipality,
        username=user.username,
        account=user.username,
        ambiguous_time=ambiguous_time,
        nonexistent_time=nonexistent_time,
    )
    bar = st.progress(0.0, text=t("import_stage_read"))

    def progress(fraction: float, stage: str) -> None:
        bar.progress(min(1.0, max(0.0, fraction)), text=t(f"import_stage_{stage}"))

    try:
        report = ingest.import_file(path, layer, opts, progress=progress, name=upload.name)
        result = {"status": report.status, "report": report}
    except ingest.IngestError as exc:
        result = {
            "status": "refused",
            "message": exc.summary(session.lang(), limit=20),
            "report": exc.report,
        }
    bar.empty()
    rep = result.get("report")
    session.audit(
        "import",
        "import",
        {
            "layer": layer,
            "file": upload.name,
            "sha256": digest,
            "status": result["status"],
            "dry_run": bool(dry),
            "inserted": getattr(rep, "inserted", 0),
            "updated": getattr(rep, "updated", 0),
            "skipped": getattr(rep, "skipped_rows", 0),
        },
    )
    st.session_state[KEY_RESULT] = {**result, "digest": digest}

result = st.session_state.get(KEY_RESULT)
if result and result.get("digest") == digest:
    show_result(result)

show_history()
