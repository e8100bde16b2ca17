"""Streamlit glue for the regional comparison: loaders over :mod:`pax_geo.horizons.regional`,
shared by the sessions of one scope (pax_geo.ui.scope), and the page's readable tables."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from pax_geo import queries
from pax_geo.horizons import fmt
from pax_geo.horizons import queries as hq
from pax_geo.horizons import regional as rg
from pax_geo.layers import INCIDENT_KINDS
from pax_geo.ui import scope
from pax_geo.ui.session import t

TTL = 300
WINDOWS = {"90d": 90, "1y": 365, "3y": 3 * 365}


@scope.shared(ttl=TTL, show_spinner=False, max_entries=16)
def municipalities(role: str) -> pd.DataFrame:
    with scope.reader(role) as conn:
        return queries.municipalities(conn)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=32)
def counts(role: str, start: datetime, end: datetime, bucket: str) -> pd.DataFrame:
    with scope.reader(role) as conn:
        return rg.counts(conn, start, end, bucket)


@scope.shared(ttl=TTL, show_spinner=False, max_entries=16)
def threshold(role: str) -> int:
    """The role's suppression threshold for incident counts (0: exact counts)."""
    with scope.reader(role) as conn:
        th = hq.thresholds(conn)
    return max((v for k, v in th.items() if k in INCIDENT_KINDS), default=0)


@scope.shared(ttl=3600, show_spinner=False, max_entries=8)
def indicators(role: str) -> pd.DataFrame:
    with scope.reader(role) as conn:
        return rg.indicators(conn)


def kinds_seen(frame: pd.DataFrame, visible: list[str]) -> list[str]:
    """The incident kinds in display order that the role sees."""
    return [k for k in INCIDENT_KINDS if k in visible] or sorted(set(frame["kind"]))


def window(end: datetime, key: str) -> tuple[datetime, datetime]:
    return end - timedelta(days=WINDOWS[key]), end


def _cell(n: float, suppressed: bool, threshold: int, lang: str, decimals: int = 0) -> str:
    if suppressed or pd.isna(n):
        return f"<{threshold}"
    return fmt.num(float(n), lang, decimals)


def rates_table(rates: pd.DataFrame, kinds: list[str], threshold: int, lang: str) -> pd.DataFrame:
    """One row per municipality (the region last): per kind the rate and the count."""
    rows = []
    for code, g in rates.groupby("municipality_code", sort=False):
        by = g.set_index("kind")
        name = t("rg_region") if code == rg.REGION else str(g["name"].iloc[0])
        row = {
            t("rg_municipality"): name,
            t("rg_population"): fmt.num(float(g["population"].iloc[0]), lang, 0),
        }
        for k in kinds:
            r = by.loc[k]
            label = t(f"kind_{k}")
            row[f"{label}: {t('rg_per_10k')}"] = _cell(
                r["per_10k"], r["suppressed"], threshold, lang, 1
            )
            row[f"{label}: {t('rg_count')}"] = _cell(r["n"], r["suppressed"], threshold, lang)
        rows.append(row)
    out = pd.DataFrame(rows)
    region = out[t("rg_municipality")] == t("rg_region")
    return pd.concat([out[~region].sort_values(t("rg_municipality")), out[region]])


def rates_chart_frame(rates: pd.DataFrame) -> pd.DataFrame:
    d = rates.copy()
    d["is_region"] = d["municipality_code"] == rg.REGION
    d.loc[d["is_region"], "name"] = t("rg_region")
    d.loc[d["suppressed"], "per_10k"] = float("nan")
    return d[["kind", "name", "per_10k", "is_region"]]


def _pct(v: float, lang: str) -> str:
    if pd.isna(v):
        return "–"
    return f"{fmt.signed(float(v) * 100, lang, 0)} %"


def compstat_table(cs: pd.DataFrame, kinds: list[str], threshold: int, lang: str) -> pd.DataFrame:
    rows = []
    order = {k: i for i, k in enumerate(kinds)}
    cs = cs.assign(_k=cs["kind"].map(order)).sort_values(["name", "_k"])
    for r in cs.itertuples(index=False):
        rows.append(
            {
                t("rg_municipality"): r.name,
                t("rg_kind"): t(f"kind_{r.kind}"),
                t("rg_current"): _cell(r.current, r.current_suppressed, threshold, lang),
                t("rg_previous"): _cell(r.previous, r.previous_suppressed, threshold, lang),
                t("rg_change_previous"): _pct(r.change_previous, lang),
                t("rg_last_year"): _cell(r.last_year, r.last_year_suppressed, threshold, lang),
                t("rg_change_last_year"): _pct(r.change_last_year, lang),
            }
        )
    return pd.DataFrame(rows)


def indicator_table(ind: pd.DataFrame, lang: str) -> pd.DataFrame:
    rows = []
    for r in ind.itertuples(index=False):
        better = (r.diff > 0) == bool(r.higher_is_better) if r.diff != 0 else None
        rows.append(
            {
                t("rg_indicator"): r.label_en if lang == "en" else r.label_sv,
                t("rg_municipality"): r.name,
                t("rg_value"): f"{r.value:.1f} {r.unit}".replace(".", ","),
                t("rg_region_value"): f"{r.region:.1f} {r.unit}".replace(".", ","),
                t("rg_diff"): (
                    f"{r.diff:+.1f}".replace(".", ",").replace("-", "−")
                    + (
                        ""
                        if better is None
                        else f" ({t('rg_better') if better else t('rg_worse')})"
                    )
                ),
            }
        )
    return pd.DataFrame(rows)
