"""Legend, precision caption and the details panel beside the Här och nu map."""

from __future__ import annotations

import html

import streamlit as st

from pax_geo import clock, queries
from pax_geo.config import settings
from pax_geo.layers import load_layers
from pax_geo.mapdata import MapData
from pax_geo.pages import may_open
from pax_geo.ui import basemap
from pax_geo.ui.deck import AREA_LAYER, incident_layer_id
from pax_geo.ui.session import User, audit, lang, reader, t


def _swatch(color: list[int], shape: str = "circle") -> str:
    r, g, b = color[:3]
    radius = "50%" if shape == "circle" else "2px"
    height = "4px" if shape == "line" else "12px"
    return (
        f'<span style="display:inline-block;width:14px;height:{height};border-radius:{radius};'
        f'background:rgb({r},{g},{b});margin-right:6px;vertical-align:middle"></span>'
    )


def legend(payload: MapData, chosen: list[str], kind_labels: dict[str, str]) -> None:
    specs = load_layers()
    items = []
    for lid in chosen:
        spec = specs[lid]
        if spec.kind and lid not in payload.incidents:
            continue  # shown only as area counts: the area colour note explains it
        shape = {"line": "line", "polygon": "square"}.get(spec.geometry, "circle")
        label = kind_labels.get(lid) or spec.label(lang())
        layer = payload.incidents.get(lid)
        if layer is not None and layer.mode in ("hex", "grid"):
            shape = "square"
        items.append(f"{_swatch(spec.color, shape)}{html.escape(label)}")
    notes = []
    modes = {layer.mode for layer in payload.incidents.values()}
    if "hex" in modes:
        notes.append(t("legend_hex"))
    if "grid" in modes:
        notes.append(t("legend_grid", g=settings().grid_m))
    if any(d["label"] for d in payload.districts):
        notes.append(t("legend_area_counts_of", kinds=area_count_kinds_text(payload, chosen)))
    notes.append(basemap.note())
    st.markdown(
        f"**{t('legend_heading')}:** " + " &nbsp; ".join(items),
        unsafe_allow_html=True,
    )
    st.caption(" · ".join(notes))


def area_count_kinds(payload: MapData, chosen) -> list[str]:
    """The incident kinds the area numbers and colours count: the chosen kinds this role sees
    only per area (as mapdata counts them), e.g. caches alone for the security chief."""
    return [k for k in chosen if payload.precision.get(k) == "area" and k not in payload.incidents]


def area_count_kinds_text(payload: MapData, chosen) -> str:
    specs = load_layers()
    names = [specs[k].label(lang()) for k in area_count_kinds(payload, chosen)]
    names = [n[:1].lower() + n[1:] for n in names]
    return ", ".join(names) if names else t("legend_area_counts_none")


def precision_caption(prec: dict[str, str], kinds: list[str]) -> None:
    parts = []
    for kind in kinds:
        p = prec.get(kind, "none")
        parts.append(f"{t(f'kind_{kind}').lower()}: {t(f'precision_{p}', grid=settings().grid_m)}")
    if parts:
        st.caption(t("precision_note", what="; ".join(parts)))


def has_selection(event) -> bool:
    selection = getattr(event, "selection", None) or {}
    return bool(selection.get("objects") or selection.get("indices"))


def details_panel(
    event,
    payload: MapData,
    user: User,
    kind_labels: dict[str, str],
    chosen: list[str] | None = None,
) -> None:
    st.subheader(t("details_heading"))
    selection = getattr(event, "selection", None) or {}
    objects = selection.get("objects") or {}
    indices = selection.get("indices") or {}
    if not objects and not indices:
        st.caption(t("details_hint"))
        return
    for kind, layer in payload.incidents.items():
        lid = incident_layer_id(kind, layer.mode)
        if lid not in indices and lid not in objects:
            continue
        if layer.mode == "points":
            incident_id = _selected_incident(layer, indices.get(lid), objects.get(lid))
            if incident_id is None:
                continue
            _incident_details(incident_id, user, kind_labels)
        else:
            obj = (objects.get(lid) or [{}])[0]
            st.markdown(f"**{kind_labels.get(kind, kind)}**")
            st.write(t("cell_count", n=obj.get("n", "?")))
        return
    if AREA_LAYER in objects:
        obj = objects[AREA_LAYER][0]
        area_id = int(obj.get("id"))
        district = next((d for d in payload.districts if d["id"] == area_id), None)
        st.markdown(f"**{html.escape(obj.get('t', ''))}**")
        if district and district["label"]:
            st.write(
                t(
                    "area_count_line",
                    n=district["label"],
                    kinds=area_count_kinds_text(payload, chosen or list(payload.counts)),
                )
            )
        if _has_area_card(user):
            if st.button(t("open_area_card"), key=f"card_{area_id}", type="primary"):
                st.switch_page("pages/omradeskort.py", query_params={"area": str(area_id)})
        return
    for objs in objects.values():
        if objs:
            st.write(objs[0].get("t", ""))
            return


def _selected_incident(layer, indices, objects) -> int | None:
    """The incident a click selected: by the id carried in the clicked row (robust when a rerun
    has shifted the rows), else by its index; only ids the current map shows are accepted."""
    obj = (objects or [{}])[0] or {}
    shown = set(layer.ids)
    if "i" in obj:
        try:
            incident_id = int(obj["i"])
        except (TypeError, ValueError):
            return None
        return incident_id if incident_id in shown else None
    idx = (indices or [None])[0]
    if idx is None or not 0 <= int(idx) < len(layer.ids):
        return None
    return layer.ids[int(idx)]


def _has_area_card(user: User) -> bool:
    try:
        return may_open(user.role, "omradeskort")
    except KeyError:
        return False


def _incident_details(incident_id: int, user: User, kind_labels: dict[str, str]) -> None:
    with reader() as conn:
        row = queries.incident_detail(conn, incident_id)
    if row is None:
        st.warning(t("no_permission_record"))
        return
    audit("open_record", "har_och_nu", {"layer": row["kind"], "id": incident_id})
    label = kind_labels.get(row["kind"], row["kind"])
    if row.get("subtype"):
        label += f" ({t('subtype_' + row['subtype'])})"
    st.markdown(f"**{html.escape(row.get('title') or label)}**")
    when = row["occurred_at"].astimezone(clock.TZ).strftime("%Y-%m-%d %H:%M")
    fields = [
        (t("field_kind"), label),
        (t("field_time"), when),
        (t("field_area"), row.get("area_name") or "–"),
        (t("field_verification"), t(f"verification_{row['verification']}")),
    ]
    if row.get("occurred_from") is not None and row.get("occurred_to") is not None:
        fields.append(
            (
                t("field_window"),
                f"{row['occurred_from'].astimezone(clock.TZ):%Y-%m-%d %H:%M} – "
                f"{row['occurred_to'].astimezone(clock.TZ):%Y-%m-%d %H:%M}",
            )
        )
    if row.get("source"):
        fields.append((t("field_source"), row["source"]))
    if row.get("lon") is not None:
        fields.append((t("field_position"), f"{row['lat']:.5f}, {row['lon']:.5f}"))
    st.markdown("\n".join(f"- **{k}:** {html.escape(str(v))}" for k, v in fields))


#: Analysis results that can be laid over the Här och nu map (keys of an_method_* strings).
ANALYSIS_MODES = ("none", "hotspots", "density", "nearrepeat", "coverage")


def analysis_overlay(user: User, mode: str, flt, hex_size: float):
    """The layers and legend of an analysis mode for this role and filter (None for "none")."""
    from pax_geo.ui import analysis_data as ad
    from pax_geo.ui import analysis_layers as al

    kinds = tuple(k for k in flt.kinds if k in ad.point_kinds(user.role))
    if mode == "none" or not kinds:
        return None
    start, end = flt.start.isoformat(), flt.end.isoformat()
    size = 250 if hex_size <= 250 else 500
    lg = lang()
    if mode == "hotspots":
        return al.gi_layers(ad.hot_spots(user.role, start, end, kinds, size), lg)
    if mode == "density":
        res = ad.density(user.role, start, end, kinds)
        return al.density_layers(res.density, lg) if res.density is not None else None
    if mode == "nearrepeat":
        return al.risk_zone_layers(ad.near_repeat(user.role, start, end, kinds), lg)
    _hs, gaps, cams, routes = ad.coverage(user.role, start, end, kinds, size, 300)
    return al.coverage_layers(gaps, cams, routes, lg)


def analysis_legend(bundle) -> None:
    if bundle is None or not bundle.legend:
        return
    st.markdown(
        " &nbsp; ".join(
            f"{_swatch(list(c), 'square')}{html.escape(label)}" for label, c in bundle.legend
        ),
        unsafe_allow_html=True,
    )
