"""Insatser in Streamlit: the register table and its filters, the action form, status changes,
and the evaluation view (figures, weekly chart, plain sentences). Pages stay thin: they call
these and the core (:mod:`pax_geo.operations`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TypeVar

import altair as alt
import pandas as pd
import shapely
import streamlit as st
from shapely.geometry import mapping
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from pax_geo import auth, queries
from pax_geo.analysis import evaluation as ev
from pax_geo.analysis import service
from pax_geo.capabilities import CAPABILITIES
from pax_geo.clock import TZ, local, now, to_ten_minutes
from pax_geo.horizons import fmt
from pax_geo.layers import INCIDENT_KINDS, load_layers
from pax_geo.operations import evaluate as evm
from pax_geo.operations import profile, register, targets
from pax_geo.pages import may_open
from pax_geo.ui import analysis_data as ad
from pax_geo.ui import charts, drawmap
from pax_geo.ui import horizons as hz
from pax_geo.ui.downloads import csv_download
from pax_geo.ui.session import User, lang, reader, t
from pax_geo.wgs84 import geom_to_wgs84

PAGE = "insatser"
T = TypeVar("T")


# --- labels -------------------------------------------------------------------------------------


def kind_label(kind: str) -> str:
    return t(f"op_kind_{kind}")


def status_label(status: str) -> str:
    return t(f"op_status_{status}")


def verdict_of(value: object) -> str | None:
    """A stored verdict, or None (pandas reads a missing one as NaN; the database accepts only
    the known words, and anything else is not shown)."""
    return value if isinstance(value, str) and value in ev.VERDICTS else None


def verdict_label(verdict: object) -> str:
    v = verdict_of(verdict)
    return t(f"ev_label_{v}") if v else "–"


type_label = hz.kind_label  # the incident types' one label


def group_labels(conn: Connection) -> dict[str, str]:
    g = register.groups(conn)
    col = "label_sv" if lang() == "sv" else "label_en"
    return dict(zip(g["key"], g[col], strict=True))


# --- writes -------------------------------------------------------------------------------------


def db_error_text(exc: DBAPIError) -> str:
    """Why the database refused, in the interface language (its own words for a bad value)."""
    code = getattr(exc.orig, "sqlstate", None)
    if code == "42501":
        return t("op_not_allowed")
    first = str(exc.orig).splitlines()[0]
    pii = re.search(r"contains a (.+?) \(personal data", first)
    if pii:  # the database's own check (pax_data.personal_data_kind), in the interface language
        return t("op_err_pii", what=t(f"op_pii_{pii.group(1).replace(' ', '_')}"))
    if code in ("22023", "22001", "23505"):
        return t("op_refused", reason=first)
    return t("op_save_failed")


def write(action: Callable[[Connection], T]) -> T | None:
    """Run a write on the bound login; on a refusal show why (the form keeps its values)."""
    try:
        with reader() as conn:
            out = action(conn)
    except DBAPIError as exc:
        st.error(db_error_text(exc))
        return None
    shared_register.clear()  # the other pages read the register anew
    return out


def form_key(name: str) -> uuid.UUID:
    """The idempotency key of one form until it has been saved."""
    k = f"op_key_{name}"
    if k not in st.session_state:
        st.session_state[k] = uuid.uuid4()
    return st.session_state[k]


def form_saved(name: str) -> None:
    st.session_state.pop(f"op_key_{name}", None)


def local_span(first: date, last: date) -> tuple[datetime, datetime]:
    """Whole local days first..last as [start, end)."""
    return (
        datetime.combine(first, time(0), tzinfo=TZ),
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=TZ),
    )


# --- the register -------------------------------------------------------------------------------


def register_filters(groups: dict[str, str], districts: dict[int, str]) -> dict:
    c1, c2, c3, c4 = st.columns(4)
    sel_groups = c1.multiselect(
        t("op_filter_group"), list(groups), format_func=groups.__getitem__, key="op_f_group"
    )
    sel_areas = c2.multiselect(
        t("op_filter_area"), list(districts), format_func=districts.__getitem__, key="op_f_area"
    )
    sel_status = c3.multiselect(
        t("op_filter_status"), list(register.STATUSES), format_func=status_label, key="op_f_status"
    )
    sel_kinds = c4.multiselect(
        t("op_filter_kind"), list(register.KINDS), format_func=kind_label, key="op_f_kind"
    )
    return {
        "groups": tuple(sel_groups),
        "area_ids": tuple(int(a) for a in sel_areas),
        "statuses": tuple(sel_status),
        "kinds": tuple(sel_kinds),
    }


def register_table(df: pd.DataFrame, groups: dict[str, str]) -> pd.DataFrame:
    """The register as people read it (labels in the interface language, local dates)."""
    return pd.DataFrame(
        {
            t("op_col_name"): df["name"],
            t("op_col_kind"): df["kind"].map(kind_label),
            t("op_col_owner"): df["owner_org"],
            t("op_col_group"): df["group_key"].map(lambda g: groups.get(g, "–") if g else "–"),
            t("op_col_areas"): df["area_names"].map(lambda a: ", ".join(a) or "–"),
            t("op_col_start"): df["starts_at"].map(fmt.local_date),
            t("op_col_end"): df["ends_at"].map(lambda e: fmt.local_date(end_date(e))),
            t("op_col_status"): df["status"].map(status_label),
            t("op_col_police"): df["is_police"].map(lambda p: "✓" if p else ""),
            t("op_col_verdict"): df["verdict"].map(verdict_label),
            t("op_col_purpose"): df["purpose"].fillna("–"),
        }
    )


def register_download(table: pd.DataFrame, filters: dict) -> None:
    csv_download(
        table,
        "insatser.csv",
        PAGE,
        "operation_register",
        key="op_csv",
        label=t("op_csv"),
        filters=filters,
    )


# --- recording an action ------------------------------------------------------------------------

DEFAULT_OWNER = {
    "municipal_staff": "Södertälje kommun",
    "security_chief": "Södertälje kommun, säkerhetsavdelningen",
    "police_analyst": "Polisen lokalpolisområde Södertälje",
}


def end_date(ends_at: datetime) -> date:
    """The last day of an entry: its end is exclusive (the register's forms save midnight after
    the last day), so an end at midnight belongs to the day before."""
    return local(ends_at - timedelta(microseconds=1)).date()


def dates_text(starts_at: datetime, ends_at: datetime) -> str:
    return f"{fmt.local_date(starts_at)}–{fmt.local_date(end_date(ends_at))}"


def notice() -> None:
    """The confirmation of the last save, shown once after the rerun that cleared the form."""
    msg = st.session_state.pop("op_notice", None)
    if msg:
        st.success(msg)


def entry_form(
    name: str,
    *,
    police: bool,
    owner: str,
    groups: dict[str, str],
    today: date,
    length_days: int,
    submit: str,
    districts: dict[int, str] | None = None,
    drawn: dict | None = None,
    target_kind: str = "polygon",
    types: list[str] | None = None,
) -> int | None:
    """One form for both a planned police operation and a partner's action. The target is the
    districts picked in the form or else ``drawn`` (WGS84 GeoJSON). The form is saved once per
    form key (a retry after a dropped connection saves nothing twice); after a save the form
    starts empty and the confirmation is shown above it."""
    gen = st.session_state.setdefault(f"op_gen_{name}", 0)
    kinds = (
        list(register.KINDS)
        if police
        else [k for k in register.KINDS if k not in ("patrol", "presence")]
    )
    with st.form(f"op_{name}_{gen}", border=True):
        title = st.text_input(t("op_form_name"), max_chars=200)
        c1, c2 = st.columns(2)
        kind = c1.selectbox(t("op_form_kind"), kinds, format_func=kind_label)
        org = c2.text_input(t("op_form_owner"), value=owner, max_chars=120)
        group = st.selectbox(
            t("op_form_group"),
            [None, *groups],
            format_func=lambda g: t("op_no_group") if g is None else groups[g],
        )
        c3, c4 = st.columns(2)
        first = c3.date_input(t("op_form_start"), value=today, format="YYYY-MM-DD")
        last = c4.date_input(
            t("op_form_end"), value=today + timedelta(days=length_days), format="YYYY-MM-DD"
        )
        areas = (
            st.multiselect(t("op_form_areas"), list(districts), format_func=districts.__getitem__)
            if districts is not None
            else []
        )
        aimed = (
            st.multiselect(t("op_form_types"), types, default=types, format_func=type_label)
            if types
            else []
        )
        purpose = st.text_area(t("op_form_purpose"), max_chars=1000)
        st.caption(t("op_form_pii"))
        pressed = st.form_submit_button(submit, type="primary")
    if not pressed:
        return None
    if not title.strip():
        st.error(t("op_form_need_name"))
        return None
    if not areas and not drawn:
        st.error(t("op_form_need_target"))
        return None
    if last < first:
        st.error(t("op_form_dates"))
        return None
    start, end = local_span(first, last)
    draft = register.Draft(
        name=title,
        kind=kind,
        owner_org=org,
        police=police,
        starts_at=start,
        ends_at=end,
        group_key=group,
        geojson=None if areas else drawn,
        area_ids=tuple(int(a) for a in areas),
        target_kind="area" if areas else target_kind,
        target_types=tuple(aimed) or INCIDENT_KINDS,
        purpose=purpose or None,
    )
    key = form_key(name)
    new_id = write(lambda c: register.save(c, draft, key))
    if new_id is not None:
        form_saved(name)
        st.session_state[f"op_gen_{name}"] = gen + 1  # the next entry starts from an empty form
        st.session_state["op_notice"] = t("op_saved", name=title.strip())
        st.rerun()
    return new_id


def changeable(df: pd.DataFrame, user: User) -> pd.DataFrame:
    """Entries whose status this user may move: police operations for the planners, and one's
    own actions (or every action, for the planners); never an evaluated one."""
    planner = user.role in CAPABILITIES["plan_operation"]
    mine = df["created_by"] == user.username
    ok = (df["status"] != "evaluated") & (planner | (~df["is_police"] & mine))
    return df.loc[ok & df["status"].map(lambda s: bool(register.next_statuses(s)))]


def status_changer(df: pd.DataFrame, user: User) -> bool:
    """Move an entry forward; True when something changed."""
    rows = changeable(df, user)
    if rows.empty:
        st.caption(t("op_status_none"))
        return False
    names = dict(zip(rows["id"], rows["name"], strict=True))
    c1, c2, c3 = st.columns([3, 2, 1], vertical_alignment="bottom")
    op_id = c1.selectbox(t("op_status_pick"), list(names), format_func=names.__getitem__)
    current = str(rows.loc[rows["id"] == op_id, "status"].iloc[0])
    new = c2.selectbox(
        t("op_status_to"), list(register.next_statuses(current)), format_func=status_label
    )
    if c3.button(t("op_status_move"), key="op_status_go"):

        def move(c: Connection) -> bool:
            register.set_status(c, int(op_id), new)
            return True

        if write(move):
            st.success(t("op_status_saved", name=names[op_id], status=status_label(new)))
            return True
    return False


# --- evaluation ---------------------------------------------------------------------------------


def evaluation_figures(r: evm.Run) -> None:
    res = r.result
    rr = res.rate_ratio
    lg = lang()
    # the verdict on a row of its own: its words must not be cut on a tablet
    st.metric(t("op_col_verdict"), verdict_label(res.verdict))
    c2, c3 = st.columns(2)
    if rr.rr is not None and rr.ci_low is not None and rr.ci_high is not None:
        c2.metric(
            t("op_ev_rr"),
            fmt.num(rr.rr, lg, 2),
            f"{fmt.num(rr.ci_low, lg, 2)}–{fmt.num(rr.ci_high, lg, 2)}",
            delta_color="off",
        )
    else:
        c2.metric(t("op_ev_rr"), "–")
    w = res.wdq
    c3.metric(
        t("op_ev_wdq"),
        fmt.num(w.wdq, lg, 2) if w.wdq is not None and w.reading != "no_success" else "–",
    )
    km2 = r.zones_km2
    zones = ("target", "buffer", "comparison")
    st.dataframe(
        pd.DataFrame(
            {
                t("op_ev_table_zone"): [t(f"op_zone_{z}") for z in zones],
                t("op_ev_table_before"): [getattr(res, z).before for z in zones],
                t("op_ev_table_after"): [getattr(res, z).after for z in zones],
                t("op_ev_table_km2"): [fmt.num(km2[z], lg, 2) for z in zones],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    for s in ev.sentences(res, lg):
        st.markdown(f"- {s}")


def weekly_charts(r: evm.Run, ends_at: datetime) -> list[tuple[str, charts.AltairChart]]:
    """Three small charts (target, buffer, comparison), each on its own scale and as wide as
    its column, with the operation's days shaded; dates in the interface language."""
    lg = lang()
    d = r.weekly.copy()
    d["start"] = pd.to_datetime(d["start"])
    shade = pd.DataFrame(
        {
            "a": [pd.Timestamp(r.periods.first_day)],
            "b": [pd.Timestamp(min(local(ends_at).date(), r.periods.after_end))],
        }
    )
    x_axis = alt.Axis(format="%-d %b", labelOverlap=True, grid=False)
    out = []
    for z in ("target", "buffer", "comparison"):
        one = d.loc[d["zone"] == z]
        band = (
            alt.Chart(shade)
            .mark_rect(opacity=0.15, color=charts.MARKER_COLOR)
            .encode(x=alt.X("a:T", axis=x_axis, title=None), x2="b:T")
        )
        line = (
            alt.Chart(one)
            .mark_line(point=True)
            .encode(
                x=alt.X("start:T", title=None, axis=x_axis),
                y=alt.Y("n:Q", title=t("op_ev_n"), scale=alt.Scale(zero=True)),
                tooltip=[
                    alt.Tooltip("start:T", title=t("op_ev_week"), format="%Y-%m-%d"),
                    alt.Tooltip("n:Q", title=t("op_ev_n")),
                ],
            )
        )
        chart = alt.layer(band, line).properties(height=150, width="container")
        out.append((t(f"op_zone_{z}"), charts.finish(chart, lg)))
    return out


def kinds_for(prec: dict[str, str]) -> list[str]:
    """The types the role may count inside its own polygons: those it sees exactly."""
    return list(queries.kinds_at(prec, ("exact",)))


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def _run(
    role: str,
    op_id: int,
    buffer_m: float,
    comparison_id: int,
    kinds: tuple[str, ...],
    at: datetime,
    _token: str,
    _user: str,
) -> evm.Run:
    with auth.reader_connection(role, _token, _user) as conn:
        op = register.get(conn, op_id)
        if op is None or op["geometry"] is None:
            raise KeyError(op_id)
        comparison, comparison_name = None, "municipality"
        if comparison_id:
            row = queries.areas(conn, ("district",)).set_index("id").loc[comparison_id]
            comparison, comparison_name = row.geometry, str(row["name"])
        return evm.run(
            conn,
            op["geometry"],
            op["starts_at"],
            op["ends_at"],
            at,
            kinds,
            service.study_region(conn),
            buffer_m=buffer_m,
            comparison=comparison,
            comparison_name=comparison_name,
        )


def evaluation_run(
    user: User, op_id: int, buffer_m: float, comparison_id: int, kinds: tuple[str, ...]
) -> evm.Run:
    """One evaluation, computed once per ten minutes for the same settings."""
    at = to_ten_minutes(now())
    return _run(
        user.role,
        op_id,
        buffer_m,
        comparison_id,
        kinds,
        at,
        str(user.session_token),
        user.username,
    )


def evaluation_view(r: evm.Run, op: pd.Series) -> None:
    p = r.periods
    ongoing = op["ends_at"] > now()
    st.caption(
        t(
            "op_ev_periods",
            b0=fmt.local_date(p.before_start),
            b1=fmt.local_date(p.first_day - timedelta(days=1)),
            a0=fmt.local_date(p.first_day),
            a1=fmt.local_date(p.after_end - timedelta(days=1)),
            days=p.days,
            ongoing=t("op_ev_to_date") if ongoing else "",
        )
    )
    evaluation_figures(r)
    st.caption(t("op_ev_chart"))
    for title, chart in weekly_charts(r, op["ends_at"]):
        st.markdown(f"**{title}**")
        st.altair_chart(chart, width="stretch", height=150)


# --- planning -----------------------------------------------------------------------------------

#: the analyses that propose targets look back this far
PLAN_LOOKBACK_DAYS = 90


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def _profile(role: str, wkb: bytes, at: datetime, _token: str, _user: str) -> profile.Profile:
    with auth.reader_connection(role, _token, _user) as conn:
        return profile.build(conn, shapely.from_wkb(wkb), at, lang=lang())


def target_profile(user: User, target) -> profile.Profile:
    at = to_ten_minutes(now())
    return _profile(user.role, shapely.to_wkb(target), at, str(user.session_token), user.username)


def candidates(user: User, how: str, districts) -> list[targets.Candidate]:
    """Targets the hot spot analyses propose (cached with the Hotspots page's runs)."""
    end = now()
    start_s = (end - timedelta(days=PLAN_LOOKBACK_DAYS)).isoformat()
    kinds = tuple(ad.point_kinds(user.role))
    if how == "hot_cells":
        hs = ad.hot_spots(user.role, start_s, end.isoformat(), kinds, 250)
        return targets.hot_cell_targets(hs, districts)
    zones = []
    for nr in ad.near_repeat(user.role, start_s, end.isoformat(), kinds):
        zones.extend(targets.risk_zone_targets(nr, districts))
    return sorted(zones, key=lambda c: -c.incidents)


def candidate_label(c: targets.Candidate) -> str:
    return t(
        "op_plan_candidate_label",
        areas=", ".join(c.districts[:3]) or "–",
        parts=c.parts,
        n=c.incidents,
    )


WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def profile_view(p: profile.Profile) -> None:
    lg = lang()
    st.subheader(t("op_plan_profile", km2=fmt.num(p.area_km2, lg, 2)))
    st.markdown(f"**{t('op_plan_counts')}**")
    counts = p.counts.rename(
        index=type_label, columns=lambda d: t("op_plan_days", d=d)
    ).rename_axis(None)
    st.dataframe(counts, width="stretch")
    st.markdown(f"**{t('op_plan_when')}**")
    grid = p.pattern.table()
    names = profile.weekday_names(lg)
    grid["day"] = grid["weekday"].map(lambda d: names[d])
    heat = (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title=None),
            y=alt.Y("day:N", sort=list(names), title=None),
            color=alt.Color("weight:Q", title=t("op_ev_n"), scale=alt.Scale(scheme="orangered")),
            tooltip=["day", "hour", alt.Tooltip("weight:Q", format=".1f")],
        )
        .properties(height=190, width="container")
    )
    st.altair_chart(heat, width="stretch")
    if p.pattern.grid.sum() > 0:
        d, h = p.pattern.peak()
        st.caption(t("op_plan_peak", day=names[d], hour=f"{h:02d}"))
    st.markdown(t("op_plan_cameras", n=len(p.cameras), pct=fmt.num(100 * p.camera_share, lg, 0)))
    if len(p.cameras):
        st.dataframe(
            p.cameras.rename(
                columns={
                    "name": t("op_col_name"),
                    "owner": t("op_col_owner"),
                    "status": t("op_col_status"),
                }
            ),
            hide_index=True,
            width="stretch",
        )
    st.markdown(f"**{t('op_plan_routes')}**")
    if len(p.routes):
        st.dataframe(
            p.routes.rename(
                columns={
                    "name": t("op_col_name"),
                    "organisation": t("op_col_owner"),
                    "when": t("op_col_when"),
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("–")
    st.markdown(t("op_plan_obs", n=len(p.observations)))
    st.markdown(f"**{t('op_plan_earlier')}**")
    if len(p.earlier):
        e = p.earlier
        st.dataframe(
            pd.DataFrame(
                {
                    t("op_col_name"): e["name"],
                    t("op_col_kind"): e["kind"].map(kind_label),
                    t("op_col_start"): e["starts_at"].map(fmt.local_date),
                    t("op_col_end"): e["ends_at"].map(lambda x: fmt.local_date(end_date(x))),
                    t("op_col_status"): e["status"].map(status_label),
                    t("op_col_verdict"): e["verdict"].map(verdict_label),
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption(t("op_plan_earlier_none"))


# --- the register elsewhere: Här och nu, the area card, the trend charts ------------------------

#: what the other pages show of the register (no polygons: they draw those from the map layer)
_SHARED_COLUMNS = ["id", "name", "kind", "owner_org", "is_police", "status", "starts_at"]
_SHARED_COLUMNS += ["ends_at", "area_ids", "area_names", "verdict", "target_types"]


def sees_register(role: str) -> bool:
    return load_layers()["operation"].precision_for(role) in ("exact", "area")


@st.cache_data(ttl=60, show_spinner=False, max_entries=16)
def shared_register(role: str, _token: str, _user: str) -> pd.DataFrame:
    """The register at the role's precision, without polygons, for a minute (the same for
    every account of a role: the database cuts it per role)."""
    with auth.reader_connection(role, _token, _user) as conn:
        return register.listing(conn)[_SHARED_COLUMNS]


def register_of(user: User) -> pd.DataFrame | None:
    if not sees_register(user.role):
        return None
    return shared_register(user.role, str(user.session_token), user.username)


def overlapping(df: pd.DataFrame, start: datetime, end: datetime, area_ids=()) -> pd.DataFrame:
    out = register.in_window(df, start, end)
    if area_ids:
        wanted = set(area_ids)
        out = out.loc[out["area_ids"].map(lambda ids: bool(wanted & set(ids)))]
    return out


def entry_line(r) -> str:
    areas = ", ".join(r.area_names) or "–"
    return (
        f"**{r.name}** · {kind_label(r.kind)} · {areas} · "
        f"{dates_text(r.starts_at, r.ends_at)} · {status_label(r.status)}"
    )


def side_list(user: User, start: datetime, end: datetime, area_ids=(), limit: int = 6) -> None:
    """Här och nu: the operations and actions running in the map's window (per district)."""
    df = register_of(user)
    if df is None:
        return
    rows = overlapping(df, start, end, area_ids)
    st.subheader(t("op_on_map"))
    if rows.empty:
        st.caption(t("op_none"))
        return
    for r in rows.head(limit).itertuples():
        st.markdown(entry_line(r))
    if len(rows) > limit:
        st.caption(t("op_count", n=limit, total=len(rows)))
    if may_open(user.role, PAGE) and st.button(
        t("page_insatser"), key="op_open_register", icon=":material/shield:"
    ):
        st.switch_page("pages/insatser.py")


def card_section(user: User, area_id: int, now_: datetime) -> None:
    """The area card: operations and actions touching the district in the last year and ahead."""
    df = register_of(user)
    if df is None:
        return
    rows = overlapping(df, now_ - timedelta(days=365), now_ + timedelta(days=365), (area_id,))
    st.markdown(f"**{t('op_card_title')}**")
    if rows.empty:
        st.caption(t("op_card_none"))
        return
    for r in rows.itertuples():
        verdict = f" · {verdict_label(r.verdict)}" if verdict_of(r.verdict) else ""
        st.markdown("- " + entry_line(r) + verdict)


def trend_markers(
    user: User, panels: dict[str, tuple[int, ...]], start: datetime, end: datetime
) -> pd.DataFrame | None:
    """Markers for the trend panels: panel name -> the districts it covers (() = all)."""
    df = register_of(user)
    if df is None:
        return None
    rows = []
    for panel, area_ids in panels.items():
        for r in overlapping(df, start, end, area_ids).itertuples():
            if r.starts_at >= start:
                rows.append({"panel": panel, "day": local(r.starts_at).date(), "name": r.name})
    return pd.DataFrame(rows, columns=["panel", "day", "name"])


def draw_target(districts, key: str, initial) -> dict | None:
    """The draw map over the districts (EPSG:3006 GeoDataFrame), opened on ``initial`` (a
    shapely geometry in EPSG:3006, shown and editable) or on the whole municipality; returns
    the area on the map as WGS84 GeoJSON, or None."""
    outlines = [
        (str(r.name), mapping(geom_to_wgs84(r.geometry, tolerance=10)))
        for r in districts.itertuples()
    ]
    focus = initial if initial is not None else shapely.union_all(list(districts.geometry))
    lon0, lat0, lon1, lat1 = geom_to_wgs84(focus.buffer(300 if initial is not None else 0)).bounds
    return drawmap.draw_polygon(
        key,
        outlines,
        (lon0, lat0, lon1, lat1),
        initial=mapping(geom_to_wgs84(initial)) if initial is not None else None,
        lang=lang(),
        tiles=drawmap.tile_url(),
    )
