"""Altair chart builders for the horizons pages and the area card.

* Swedish (or English) labels and a Swedish number/time locale for axes;
* dates: the database buckets in Europe/Stockholm; buckets travel as calendar dates and are
  drawn on a UTC scale, so no browser timezone can shift them a day;
* colour-blind-safe colours: Okabe–Ito for categories and series, ColorBrewer BuPu (a
  single-hue-family sequential scale) for classed maps, and the traffic light always comes
  with a word and a distinct icon, never colour alone;
* a count the database suppressed is drawn as its range (an error bar) and labelled ``<3``,
  never as 0.

No Streamlit here: the builders return charts; pages and :mod:`pax_geo.ui.area_card` draw them.

Altair's debug mode (on by default) validates every chart object against the Vega-Lite schema
as it is made, about a third of a page's run on Medellång sikt; it is switched off here. The
whole specification is still validated once when it is drawn (``to_dict``) and in the tests.
"""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Sequence
from datetime import date, timedelta

import altair as alt
import geopandas as gpd
import pandas as pd

from pax_geo import clock, i18n
from pax_geo.horizons.periods import next_bucket
from pax_geo.layers import load_layers

# --- palettes -------------------------------------------------------------------------------

#: Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
OKABE_ITO = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#000000",
)
alt.utils.schemapi.disable_debug_mode()

COUNT_COLOR = "#56B4E9"  # sky blue bars
ROLL_COLOR = "#0072B2"  # blue line
LAST_YEAR_COLOR = "#D55E00"  # vermillion, dashed
#: operations and actions on the trend charts (the operation layer's colour)
MARKER_COLOR = "#785ef0"
AVERAGE_COLOR = "#000000"
NO_DATA_COLOR = "#d9d9d9"

#: Traffic light: Okabe–Ito green / yellow / vermillion, plus a word and a distinct icon.
LIGHT_COLORS = {"green": "#009E73", "yellow": "#F0E442", "red": "#D55E00"}
LIGHT_ICONS = {
    "green": ":material/check_circle:",
    "yellow": ":material/warning:",
    "red": ":material/report:",
}
LIGHT_BADGE: dict[str, typing.Literal["green", "orange", "red"]] = {
    "green": "green",
    "yellow": "orange",
    "red": "red",
}

#: What the chart builders return: any top-level Altair chart st.altair_chart draws.
AltairChart = (
    alt.Chart
    | alt.LayerChart
    | alt.FacetChart
    | alt.ConcatChart
    | alt.HConcatChart
    | alt.VConcatChart
    | alt.RepeatChart
)

#: ColorBrewer BuPu, light to dark, for 1..7 classes (colour-blind safe, prints in grey).
BUPU: dict[int, tuple[str, ...]] = {
    1: ("#8c96c6",),
    2: ("#b3cde3", "#88419d"),
    3: ("#e0ecf4", "#9ebcda", "#8856a7"),
    4: ("#edf8fb", "#b3cde3", "#8c96c6", "#88419d"),
    5: ("#edf8fb", "#b3cde3", "#8c96c6", "#8856a7", "#810f7c"),
    6: ("#edf8fb", "#bfd3e6", "#9ebcda", "#8c96c6", "#8856a7", "#810f7c"),
    7: ("#edf8fb", "#bfd3e6", "#9ebcda", "#8c96c6", "#8c6bb1", "#88419d", "#6e016b"),
}


def class_colors(k: int, higher_is_better: bool) -> list[str]:
    """Colours for classes 0..k-1 (lowest values first): darker always means worse, so the
    scale runs dark-to-light when higher values are better."""
    if not 1 <= k <= max(BUPU):
        raise ValueError(f"between 1 and {max(BUPU)} classes are supported (got {k})")
    colors = list(BUPU[k])
    return colors[::-1] if higher_is_better else colors


def kind_colors() -> dict[str, str]:
    """Incident kind -> hex colour, from the layer specs (the map uses the same colours)."""
    out = {}
    for spec in load_layers().values():
        if spec.kind:
            r, g, b = spec.color[:3]
            out[spec.kind] = f"#{r:02x}{g:02x}{b:02x}"
    return out


# --- locale ---------------------------------------------------------------------------------

SV_LOCALE = alt.Locale(
    number={"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", " kr"]},
    time={
        "dateTime": "%A %e %B %Y %X",
        "date": "%Y-%m-%d",
        "time": "%H:%M:%S",
        "periods": ["fm", "em"],
        "days": ["söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"],
        "shortDays": ["sön", "mån", "tis", "ons", "tor", "fre", "lör"],
        "months": [
            "januari",
            "februari",
            "mars",
            "april",
            "maj",
            "juni",
            "juli",
            "augusti",
            "september",
            "oktober",
            "november",
            "december",
        ],
        "shortMonths": [
            "jan",
            "feb",
            "mar",
            "apr",
            "maj",
            "jun",
            "jul",
            "aug",
            "sep",
            "okt",
            "nov",
            "dec",
        ],
    },
)
SV_MONTHS_SHORT = SV_LOCALE.time["shortMonths"]
EN_MONTHS_SHORT = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
]


def _t(key: str, lang: str, **fmt: object) -> str:
    return i18n.t(key, lang, **fmt)


def finish(chart: AltairChart, lang: str) -> AltairChart:
    """Apply the interface language's number and date locale."""
    if lang == "sv":
        return chart.configure(locale=SV_LOCALE)
    return chart


def bucket_label(b: date, bucket: str, lang: str = "sv") -> str:
    """'v. 47, 17 nov 2026' / 'nov 2026' (weeks: ISO week number and the Monday)."""
    months = SV_MONTHS_SHORT if lang == "sv" else EN_MONTHS_SHORT
    if bucket == "week":
        week = b.isocalendar()[1]
        prefix = "v." if lang == "sv" else "wk"
        return f"{prefix} {week}, {b.day} {months[b.month - 1]} {b.year}"
    if bucket == "month":
        return f"{months[b.month - 1]} {b.year}"
    return b.isoformat()


def _iso(d: date) -> str:
    return d.isoformat()


def _today() -> date:
    return clock.today()


def _with_time_columns(
    frame: pd.DataFrame, bucket: str, lang: str, today: date | None = None
) -> pd.DataFrame:
    """x0/x1 (bucket start and end), xm (middle) and the period label. The bucket in progress
    ends at the end of today, not at the next bucket's start: no axis runs into the future (a
    December bar would otherwise reach January next year)."""
    out = frame.copy()
    limit = (today or _today()) + timedelta(days=1)
    starts = list(out["bucket"])
    ends = [min(next_bucket(b, bucket), max(limit, b + timedelta(days=1))) for b in starts]
    out["x0"] = [_iso(b) for b in starts]
    out["x1"] = [_iso(e) for e in ends]
    out["xm"] = [
        (pd.Timestamp(b) + (pd.Timestamp(e) - pd.Timestamp(b)) / 2).strftime("%Y-%m-%dT%H:%M:%SZ")
        for b, e in zip(starts, ends, strict=True)
    ]
    out["period"] = [bucket_label(b, bucket, lang) for b in starts]
    return out


def _x_axis(lang: str, bucket: str, field: str = "x0") -> alt.X:
    fmt = "%b %Y" if bucket == "month" else "%-d %b"
    return alt.X(
        f"{field}:T",
        title=None,
        # No "nice" rounding: the axis ends where the data end (today), not at a round date.
        scale=alt.Scale(type="utc", nice=False),
        axis=alt.Axis(format=fmt, labelOverlap=True, grid=False),
    )


# --- trend panels -------------------------------------------------------------------------


def trend_chart(
    frame: pd.DataFrame,
    bucket: str,
    lang: str,
    *,
    roll: int,
    facet: str | None = None,
    facet_title: str = "",
    facet_sort: Sequence[str] | None = None,
    columns: int = 3,
    height: int = 180,
    y_title: str | None = None,
    show_last_year: bool = True,
    facet_width: int = 280,
    title: str | None = None,
    legend: bool = True,
    legend_columns: int | None = None,
    markers: pd.DataFrame | None = None,
) -> AltairChart:
    """Bars per bucket (count; its range as an error bar when suppressed counts leave it open),
    the rolling mean of complete buckets, and the same bucket last year (dashed).
    ``markers`` (columns day: the local start date, name): a dashed rule at the start of each
    operation or action inside the chart's span (Insatser), with its name as tooltip.

    `frame` comes from :func:`pax_geo.horizons.medium.incident_trend` (columns bucket, lo, hi,
    value, label, exact, complete, roll, ly_value, ly_label, and the facet column if any).
    """
    d = _trend_values(frame, bucket, lang)
    m = None if facet else _markers_in_span(markers, d)
    return _trend_layers(
        alt.Chart(d),
        None if m is None else alt.Chart(m),
        bucket,
        lang,
        roll=roll,
        facet=facet,
        facet_title=facet_title,
        facet_sort=facet_sort,
        columns=columns,
        height=height,
        y_title=y_title,
        show_last_year=show_last_year,
        facet_width=facet_width,
        title=title,
        legend=legend,
        legend_columns=legend_columns,
    )


#: The named data sources of :func:`trend_panel_specs`' specifications.
TREND_DATA, MARKER_DATA = "trend", "markers"


def trend_panel_specs(
    frame: pd.DataFrame,
    order: Sequence[str],
    bucket: str,
    lang: str,
    *,
    roll: int,
    height: int,
    y_title: str | None = None,
    markers: pd.DataFrame | None = None,
) -> list[dict]:
    """The Vega-Lite specification of each of a grid's trend charts, one per value of
    ``frame["panel"]`` in ``order``, without a legend: for each panel the same chart as
    :func:`trend_chart` with its ``title`` and its ``markers`` (columns panel, day, name).

    Altair builds (and validates, and hashes the data of) one chart in about 0.15 s; the 21
    panels of "per område" took 3 s on every new choice. Here Altair builds the chart once, on
    named data sources, the data are prepared once for all panels, and each panel is that
    specification with its own rows and title (the chart without its data is kept: it
    depends on nothing but the arguments)."""
    d = _trend_values(frame, bucket, lang)
    rows: dict[str, list] = {name: [] for name in order}
    for panel, row in zip(d["panel"], alt.utils.data.to_values(d)["values"], strict=True):
        if panel in rows:
            rows[panel].append(row)
    specs = []
    for name in order:
        m = None
        if markers is not None:
            m = _markers_in_span(markers[markers["panel"] == name], d[d["panel"] == name])
        spec = _trend_template(bucket, lang, roll, height, y_title, m is not None)
        spec["title"]["text"] = name
        spec["datasets"] = {TREND_DATA: rows[name]}
        if m is not None:
            spec["datasets"][MARKER_DATA] = alt.utils.data.to_values(m)["values"]
        specs.append(spec)
    return specs


@functools.lru_cache(maxsize=64)
def _template(
    bucket: str,
    lang: str,
    roll: int,
    height: int,
    y_title: str | None,
    markers: bool,
    legend: bool = False,
    titled: bool = True,
) -> str:
    chart = _trend_layers(
        alt.Chart(alt.Data(name=TREND_DATA)),
        alt.Chart(alt.Data(name=MARKER_DATA)) if markers else None,
        bucket,
        lang,
        roll=roll,
        height=height,
        y_title=y_title,
        title=" " if titled else None,
        legend=legend,
        # one name per row: in one row (or two columns) the series' names do not fit a chart
        # in half an 820 px tablet's width, and the last one was cut off (trend_spec adds the
        # rows' height, LEGEND_ROWS_PX, to the chart's)
        legend_columns=1 if legend else None,
    )
    return json.dumps(chart.to_dict())


def _trend_template(
    bucket: str,
    lang: str,
    roll: int,
    height: int,
    y_title: str | None,
    markers: bool,
    legend: bool = False,
    titled: bool = True,
) -> dict:
    """A trend chart's specification on the named data sources, without data (a fresh copy)."""
    return json.loads(_template(bucket, lang, roll, height, y_title, markers, legend, titled))


#: The height trend_spec's legend (three series, one per row) takes beyond the legend in one row.
LEGEND_ROWS_PX = 60


def trend_spec(
    frame: pd.DataFrame,
    bucket: str,
    lang: str,
    *,
    roll: int,
    height: int = 180,
    y_title: str | None = None,
) -> dict:
    """The Vega-Lite specification of :func:`trend_chart` (with its legend one name per row,
    without title or markers) for ``st.vega_lite_chart``: the chart made by Altair once per
    shape, the data set in (Altair's chart objects cost a page 0.2 to 0.4 s on every run).
    ``height`` is the chart's without its legend; the legend's rows are added to it."""
    spec = _trend_template(
        bucket, lang, roll, height + LEGEND_ROWS_PX, y_title, False, legend=True, titled=False
    )
    d = _trend_values(frame, bucket, lang)
    spec["datasets"] = {TREND_DATA: alt.utils.data.to_values(d)["values"]}
    return spec


def _trend_values(frame: pd.DataFrame, bucket: str, lang: str) -> pd.DataFrame:
    """A trend frame with what its chart draws and says: the bucket's span and middle, its
    period, the series, the state and the texts of the tooltip."""
    d = _with_time_columns(frame, bucket, lang)
    s_count = _t("hz_series_count", lang)
    d["series"] = s_count
    d["state"] = [s_count if c else _t("hz_series_partial", lang) for c in d["complete"]]
    d["roll_text"] = [i18n_num(v, lang) for v in d["roll"]]
    d["ly_text"] = d["ly_label"].fillna("–")
    return d


def _markers_in_span(markers: pd.DataFrame | None, d: pd.DataFrame) -> pd.DataFrame | None:
    """The markers (day, name) whose day lies inside the chart's span, with its ISO date; None
    when there are none."""
    if markers is None or not len(markers) or not len(d):
        return None
    first, last = d["x0"].min(), d["x1"].max()
    m = markers.assign(x=[_iso(day) for day in markers["day"]])
    m = m.loc[(m["x"] >= first) & (m["x"] <= last)]
    return m if len(m) else None


def _trend_layers(
    base: alt.Chart,
    marker_base: alt.Chart | None,
    bucket: str,
    lang: str,
    *,
    roll: int,
    facet: str | None = None,
    facet_title: str = "",
    facet_sort: Sequence[str] | None = None,
    columns: int = 3,
    height: int = 180,
    y_title: str | None = None,
    show_last_year: bool = True,
    facet_width: int = 280,
    title: str | None = None,
    legend: bool = True,
    legend_columns: int | None = None,
) -> AltairChart:
    unit = _t("hz_unit_week" if bucket == "week" else "hz_unit_month", lang)
    s_count = _t("hz_series_count", lang)
    s_roll = _t("hz_series_roll", lang, n=roll, unit=unit)
    s_ly = _t("hz_series_last_year", lang)
    domain = [s_count, s_roll] + ([s_ly] if show_last_year else [])
    rng = [COUNT_COLOR, ROLL_COLOR] + ([LAST_YEAR_COLOR] if show_last_year else [])
    color = alt.Color(
        "series:N",
        scale=alt.Scale(domain=domain, range=rng),
        legend=(
            alt.Legend(
                title=None,
                orient="top",
                columns=legend_columns or alt.Undefined,
                labelLimit=260,
            )
            if legend
            else None
        ),
    )
    tooltip = [
        alt.Tooltip("period:N", title=_t("hz_tt_period", lang)),
        alt.Tooltip("label:N", title=s_count),
        alt.Tooltip("roll_text:N", title=s_roll),
        alt.Tooltip("ly_text:N", title=s_ly),
        alt.Tooltip("state:N", title=_t("hz_tt_state", lang)),
    ]
    if facet:
        tooltip.insert(0, alt.Tooltip(f"{facet}:N", title=facet_title))
    y_title = _t("hz_axis_count", lang) if y_title is None else y_title
    bars = base.mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=_x_axis(lang, bucket),
        x2="x1:T",
        y=alt.Y("value:Q", title=y_title, axis=alt.Axis(tickMinStep=1, format="d")),
        y2=alt.datum(0),
        color=color,
        opacity=alt.condition("datum.complete", alt.value(0.9), alt.value(0.35)),
        tooltip=tooltip,
    )
    ranges = (
        base.transform_filter("!datum.exact")
        .mark_rule(color="#333333", strokeWidth=1.5)
        .encode(x=_x_axis(lang, bucket, "xm"), y="lo:Q", y2="hi:Q", tooltip=tooltip)
    )
    roll_line = (
        base.transform_filter("isValid(datum.roll)")
        .transform_calculate(series=f"'{_js(s_roll)}'")
        .mark_line(strokeWidth=2.5)
        .encode(x=_x_axis(lang, bucket, "xm"), y="roll:Q", color=color, tooltip=tooltip)
    )
    layers = [bars, ranges, roll_line]
    if show_last_year:
        ly_line = (
            base.transform_filter("isValid(datum.ly_value)")
            .transform_calculate(series=f"'{_js(s_ly)}'")
            .mark_line(strokeDash=[5, 3], strokeWidth=1.8)
            .encode(x=_x_axis(lang, bucket, "xm"), y="ly_value:Q", color=color, tooltip=tooltip)
        )
        layers.append(ly_line)
    if marker_base is not None and not facet:
        layers.append(
            marker_base.mark_rule(color=MARKER_COLOR, strokeDash=[3, 3], strokeWidth=1.5).encode(
                x=_x_axis(lang, bucket, "x"),
                tooltip=[
                    alt.Tooltip("name:N", title=_t("op_marker_tt", lang)),
                    alt.Tooltip("x:T", title=_t("op_col_start", lang), format="%Y-%m-%d"),
                ],
            )
        )
    chart = alt.layer(*layers)
    if facet:
        chart = (
            chart.properties(height=height, width=facet_width)
            .facet(
                facet=alt.Facet(
                    f"{facet}:N",
                    title=None,
                    sort=list(facet_sort) if facet_sort else "ascending",
                ),
                columns=columns,
            )
            .resolve_scale(y="independent")
        )
    else:
        chart = chart.properties(height=height, width="container")
        if title:
            chart = chart.properties(
                title=alt.TitleParams(title, anchor="start", fontSize=14, fontWeight="bold")
            )
    return finish(chart, lang)


def trend_legend(bucket: str, lang: str, *, roll: int, show_last_year: bool = True):
    """The trend charts' legend on its own, for a grid of charts drawn without legends (a
    legend inside each small chart would squeeze its plot)."""
    unit = _t("hz_unit_week" if bucket == "week" else "hz_unit_month", lang)
    names = [_t("hz_series_count", lang), _t("hz_series_roll", lang, n=roll, unit=unit)]
    colors = [COUNT_COLOR, ROLL_COLOR]
    if show_last_year:
        names.append(_t("hz_series_last_year", lang))
        colors.append(LAST_YEAR_COLOR)
    # Drawn as marks (a square and a label per series, evenly spaced), not as a Vega legend:
    # a legend without visible marks is not drawn reliably.
    n = len(names)
    d = pd.DataFrame({"series": names, "pos": [i / n for i in range(n)]})
    x = alt.X("pos:Q", axis=None, scale=alt.Scale(domain=[0, 1]))
    color = alt.Color("series:N", scale=alt.Scale(domain=names, range=colors), legend=None)
    base = alt.Chart(d).encode(x=x, y=alt.value(10))
    squares = base.mark_square(size=130, opacity=1).encode(color=color)
    text = base.mark_text(align="left", dx=10, fontSize=12, color="#555").encode(text="series:N")
    return (
        alt.layer(squares, text)
        .properties(height=22, width="container")
        .configure_view(strokeWidth=0)
    )


def i18n_num(v: float | None, lang: str, decimals: int = 1) -> str:
    from pax_geo.horizons.fmt import num

    return num(None if v is None or pd.isna(v) else float(v), lang, decimals)


def _js(s: str) -> str:
    return s.replace("\\", "\\\\").replace("'", "\\'")


def walks_chart(frame: pd.DataFrame, bucket: str, lang: str, height: int = 180) -> AltairChart:
    """Night walks held per bucket (bars) and the same bucket last year (dashed)."""
    d = _with_time_columns(frame, bucket, lang)
    s_walks = _t("hz_series_walks", lang)
    s_ly = _t("hz_series_last_year", lang)
    color = alt.Color(
        "series:N",
        scale=alt.Scale(domain=[s_walks, s_ly], range=[OKABE_ITO[2], LAST_YEAR_COLOR]),
        legend=alt.Legend(title=None, orient="top"),
    )
    d["series"] = s_walks
    tooltip = [
        alt.Tooltip("period:N", title=_t("hz_tt_period", lang)),
        alt.Tooltip("walks:Q", title=s_walks),
        alt.Tooltip("participants:Q", title=_t("hz_col_participants", lang)),
        alt.Tooltip("ly_walks:Q", title=s_ly),
    ]
    base = alt.Chart(d)
    bars = base.mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=_x_axis(lang, bucket),
        x2="x1:T",
        y=alt.Y("walks:Q", title=s_walks, axis=alt.Axis(tickMinStep=1, format="d")),
        y2=alt.datum(0),
        color=color,
        opacity=alt.condition("datum.complete", alt.value(0.9), alt.value(0.35)),
        tooltip=tooltip,
    )
    ly = (
        base.transform_filter("isValid(datum.ly_walks)")
        .transform_calculate(series=f"'{_js(s_ly)}'")
        .mark_line(strokeDash=[5, 3], strokeWidth=1.8)
        .encode(x=_x_axis(lang, bucket, "xm"), y="ly_walks:Q", color=color, tooltip=tooltip)
    )
    return finish(alt.layer(bars, ly).properties(height=height, width="container"), lang)


# --- indicators ---------------------------------------------------------------------------


def indicator_lines(
    values: pd.DataFrame,
    averages: pd.DataFrame,
    lang: str,
    *,
    area_names: Sequence[str] = (),
    facet_labels: dict[str, str] | None = None,
    height: int = 200,
    zero: bool = True,
) -> AltairChart:
    """Indicator per year: the municipality average (black) and chosen areas (Okabe–Ito),
    one panel per indicator key. `values`: key, area, year, value; `averages`: key, year,
    value, method.

    The y axis starts at zero (percentages and counts: a cut axis exaggerates the trend);
    ``zero=False`` cuts it and the chart then says so in its title."""
    avg_label = _t("hz_series_average", lang)
    rows = [averages.assign(series=avg_label)[["key", "year", "value", "series"]]]
    if area_names:
        chosen = values[values["area"].isin(area_names)]
        rows.append(chosen.assign(series=chosen["area"])[["key", "year", "value", "series"]])
    d = pd.concat(rows, ignore_index=True)
    labels = facet_labels or {}
    d["panel"] = [labels.get(k, k) for k in d["key"]]
    d["value_text"] = [i18n_num(v, lang) for v in d["value"]]
    d["year_s"] = d["year"].astype(int).astype(str)
    domain = [avg_label, *area_names]
    rng = [AVERAGE_COLOR, *[OKABE_ITO[(i + 4) % 7] for i in range(len(area_names))]]
    chart = (
        alt.Chart(d)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("year_s:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=None, scale=_y_scale(zero)),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=domain, range=rng),
                legend=alt.Legend(title=None, orient="top"),
            ),
            strokeDash=alt.condition(
                alt.datum.series == avg_label, alt.value([5, 3]), alt.value([1, 0])
            ),
            tooltip=[
                alt.Tooltip("panel:N", title=_t("hz_col_indicator", lang)),
                alt.Tooltip("series:N", title=_t("hz_col_area", lang)),
                alt.Tooltip("year_s:N", title=_t("hz_col_year", lang)),
                alt.Tooltip("value_text:N", title=_t("hz_col_value", lang)),
            ],
        )
        .properties(height=height, width=300)
        .facet(facet=alt.Facet("panel:N", title=None), columns=2)
        .resolve_scale(y="independent")
    )
    if not zero:
        chart = chart.properties(title=_cut_axis_title(lang))
    return finish(chart, lang)


def choropleth(
    shapes: gpd.GeoDataFrame,
    year_values: pd.DataFrame,
    class_labels: Sequence[str],
    colors: Sequence[str],
    lang: str,
    *,
    legend_title: Sequence[str],
    value_title: str,
    height: int = 520,
) -> AltairChart:
    """Classed choropleth of one indicator in one year, clickable (selection ``area`` on the
    area id). `shapes`: id, name, geometry in WGS84; `year_values`: area_id, value, cls."""
    no_data = _t("hz_no_value", lang)
    g = shapes.merge(
        year_values[["area_id", "value", "cls"]], left_on="id", right_on="area_id", how="left"
    )
    g["class_label"] = [no_data if pd.isna(c) else class_labels[int(c)] for c in g["cls"]]
    g["value_text"] = [i18n_num(v, lang) for v in g["value"]]
    # Inline GeoJSON features with their fields at the top level (the way Altair flattens a
    # GeoDataFrame), so the browser gets plain JSON and the selection field is simply "id".
    features = [
        {
            "type": "Feature",
            "geometry": geom.__geo_interface__,
            "id": int(i),
            "name": str(n),
            "class_label": c,
            "value_text": v,
        }
        for i, n, c, v, geom in zip(
            g["id"], g["name"], g["class_label"], g["value_text"], g.geometry, strict=True
        )
    ]
    domain = list(class_labels) + ([no_data] if (g["class_label"] == no_data).any() else [])
    rng = list(colors) + ([NO_DATA_COLOR] if len(domain) > len(colors) else [])
    pick = alt.selection_point(name="area", fields=["id"], on="click", clear=False)
    chart = (
        alt.Chart(alt.Data(values=features))
        .mark_geoshape(stroke="#ffffff", strokeWidth=1)
        .encode(
            color=alt.Color(
                "class_label:N",
                scale=alt.Scale(domain=domain, range=rng),
                sort=domain,
                legend=alt.Legend(
                    title=list(legend_title),
                    orient="right",
                    symbolType="square",
                    symbolSize=220,
                    labelFontSize=12,
                ),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.95)),
            tooltip=[
                alt.Tooltip("name:N", title=_t("hz_col_area", lang)),
                alt.Tooltip("value_text:N", title=value_title),
                alt.Tooltip("class_label:N", title=_t("hz_col_class", lang)),
            ],
        )
        .add_params(pick)
        .project(type="mercator")
        .properties(height=height, width="container")
    )
    return finish(chart, lang)


def sparklines(
    values: pd.DataFrame,
    averages: pd.DataFrame,
    lang: str,
    *,
    value_title: str,
    columns: int = 4,
    zero: bool = True,
) -> AltairChart:
    """Small multiples: one tiny line per area over the years, with the municipality average
    dashed. `values`: area, year, value; `averages`: year, value."""
    avg_label = _t("hz_series_average", lang)
    areas = sorted(values["area"].unique())
    avg_rows = (
        pd.concat(
            [
                averages.assign(area=a, series=avg_label)[["area", "year", "value", "series"]]
                for a in areas
            ],
            ignore_index=True,
        )
        if len(averages)
        else pd.DataFrame(columns=["area", "year", "value", "series"])
    )
    area_label = _t("hz_series_area", lang)
    d = pd.concat(
        [values.assign(series=area_label)[["area", "year", "value", "series"]], avg_rows],
        ignore_index=True,
    )
    d["value_text"] = [i18n_num(v, lang) for v in d["value"]]
    d["year_s"] = d["year"].astype(int).astype(str)
    chart = (
        alt.Chart(d)
        .mark_line(strokeWidth=1.8)
        .encode(
            x=alt.X("year_s:O", title=None, axis=alt.Axis(labels=False, ticks=False)),
            y=alt.Y("value:Q", title=None, scale=_y_scale(zero), axis=alt.Axis(tickCount=3)),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=[area_label, avg_label], range=[ROLL_COLOR, AVERAGE_COLOR]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            strokeDash=alt.condition(
                alt.datum.series == avg_label, alt.value([4, 3]), alt.value([1, 0])
            ),
            tooltip=[
                alt.Tooltip("area:N", title=_t("hz_col_area", lang)),
                alt.Tooltip("series:N", title=" "),
                alt.Tooltip("year_s:N", title=_t("hz_col_year", lang)),
                alt.Tooltip("value_text:N", title=value_title),
            ],
        )
        .properties(height=70, width=135)
        .facet(
            facet=alt.Facet("area:N", title=None, header=alt.Header(labelFontSize=12)),
            columns=columns,
        )
    )
    if not zero:
        chart = chart.properties(title=_cut_axis_title(lang))
    return finish(chart, lang)


def _y_scale(zero: bool) -> alt.Scale:
    """Values from zero (and never below it) unless the caller cuts the axis on purpose."""
    return alt.Scale(zero=True, domainMin=0) if zero else alt.Scale(zero=False)


def _cut_axis_title(lang: str) -> alt.TitleParams:
    return alt.TitleParams(
        _t("hz_axis_not_from_zero", lang), anchor="start", fontSize=11, fontWeight="normal"
    )


# --- pattern charts of the Hotspots page ------------------------------------------------------


def knox_chart(table: pd.DataFrame, lang: str, alpha: float = 0.05) -> AltairChart:
    """Knox ratio per distance x time band; bands significant after the Benjamini-Hochberg
    correction across all bands (q <= alpha) in full colour, the others faded."""
    tab = table.copy()
    tab["band"] = [
        f"{int(a)}–{int(b)} m" for a, b in zip(tab.distance_from_m, tab.distance_to_m, strict=True)
    ]
    tab["days"] = [f"{int(a)}–{int(b)} d" for a, b in zip(tab.days_from, tab.days_to, strict=True)]
    tab["sig"] = tab["q"] <= alpha
    base = alt.Chart(tab).encode(
        x=alt.X("days:N", title=i18n.t("an_col_days", lang), sort=None),
        y=alt.Y("band:N", title=i18n.t("an_col_distance", lang), sort=None),
    )
    heat = base.mark_rect().encode(
        color=alt.Color(
            "knox_ratio:Q",
            title=i18n.t("an_col_ratio", lang),
            scale=alt.Scale(scheme="redblue", reverse=True, domainMid=1),
        ),
        tooltip=["band", "days", "observed", "expected", "knox_ratio", "p", "q"],
    )
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("knox_ratio:Q", format=".2f"),
        opacity=alt.condition("datum.sig", alt.value(1.0), alt.value(0.45)),
    )
    return heat + text


def week_hour_chart(grid: pd.DataFrame, lang: str) -> AltairChart:
    """Hour x weekday weights (aoristic), Monday first, in the user's language."""
    tab = grid.copy()
    tab["day"] = [i18n.t(f"an_weekday_{d}", lang) for d in tab["weekday"]]
    order = [i18n.t(f"an_weekday_{d}", lang) for d in range(7)]
    return (
        alt.Chart(tab)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title=i18n.t("an_col_hour", lang)),
            y=alt.Y("day:N", title=i18n.t("an_col_weekday", lang), sort=order),
            color=alt.Color(
                "weight:Q",
                title=i18n.t("an_col_weight", lang),
                scale=alt.Scale(scheme="oranges"),
            ),
            tooltip=["day", "hour", alt.Tooltip("weight:Q", format=".1f")],
        )
        .properties(height=260)
    )


def season_chart(months: pd.DataFrame, lang: str) -> AltairChart:
    """Seasonal index per calendar month (1 = the average month), with the 1.0 line."""
    bars = (
        alt.Chart(months)
        .mark_bar(color="#d95f02")
        .encode(
            x=alt.X("month:O", title=i18n.t("an_col_month", lang)),
            y=alt.Y("index:Q", title=i18n.t("an_col_index", lang), scale=alt.Scale(zero=True)),
            tooltip=["month", "incidents", "exposure_days", alt.Tooltip("index:Q", format=".2f")],
        )
        .properties(height=200)
    )
    rule = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    return bars + rule


def regional_rates_chart(frame: pd.DataFrame, title: str, lang: str, step: int = 26) -> AltairChart:
    """Per 10,000 inhabitants per municipality for one kind (``frame``: name, per_10k,
    is_region), as wide as its column. The region's bar is grey; suppressed values are absent,
    never drawn as zero."""
    d = frame.dropna(subset=["per_10k"])
    names = list(dict.fromkeys(frame["name"]))  # a suppressed municipality keeps its row, barless
    chart = (
        alt.Chart(d, title=alt.TitleParams(title, anchor="start", fontSize=13))
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=names, scale=alt.Scale(domain=names), title=None),
            x=alt.X("per_10k:Q", title=_t("rg_per_10k", lang)),
            color=alt.condition(alt.datum.is_region, alt.value("#8a8a8a"), alt.value("#2b5c8a")),
            tooltip=[
                alt.Tooltip("name:N", title=_t("rg_municipality", lang)),
                alt.Tooltip("per_10k:Q", title=_t("rg_per_10k", lang), format=".1f"),
            ],
        )
        # a band per municipality, so every name has room for its label
        .properties(height=alt.Step(step), width="container")
    )
    return finish(chart, lang)


def regional_trend_chart(frame: pd.DataFrame, lang: str, height: int = 280) -> AltairChart:
    """Monthly per-10,000 rates, a line per municipality (``frame``: bucket, name, per_10k);
    a suppressed month is a gap in its line."""
    d = frame.copy()
    d["x0"] = pd.to_datetime(d["bucket"]).dt.strftime("%Y-%m-%d")
    chart = (
        alt.Chart(d)
        .mark_line(point=True)
        .encode(
            x=alt.X("x0:T", title=None, axis=alt.Axis(format="%b %Y")),
            y=alt.Y("per_10k:Q", title=_t("rg_per_10k", lang)),
            color=alt.Color("name:N", title=_t("rg_municipality", lang)),
            tooltip=[
                alt.Tooltip("name:N", title=_t("rg_municipality", lang)),
                alt.Tooltip("x0:T", title=None, format="%B %Y"),
                alt.Tooltip("per_10k:Q", title=_t("rg_per_10k", lang), format=".2f"),
            ],
        )
        .properties(height=height)
    )
    return finish(chart, lang)
