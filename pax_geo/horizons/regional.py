"""The regional comparison: the session's municipalities side by side (no Streamlit).

Everything comes from what the database releases to the login: counts per municipality
(``pax_api.municipality_counts``; for the suppressing roles the protected release of 0009 with
the municipality as the cell, a value below the threshold as "suppressed"), the municipalities'
populations (``pax_api.municipality``) and the districts' indicators. Nothing finer than a
municipality's areas is read.

* :func:`rates`: incidents per kind per 10,000 inhabitants over a window, per municipality,
  and for the region (the sum of the released values over the sum of the populations).
* :func:`compstat`: the last 28 days against the 28 days before and the same 28 days a year
  earlier, per municipality and kind.
* :func:`monthly_rates`: per month, per 10,000 inhabitants, for the trend chart.
* :func:`indicators`: each municipality's population-weighted mean of its districts'
  latest indicator values against the regional mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

PER = 10_000
COMPSTAT_DAYS = 28
REGION = "region"


def counts(
    conn: Connection, start: datetime, end: datetime, bucket: str = "all", kinds=None
) -> pd.DataFrame:
    """Released incidents per municipality, kind (and bucket): municipality_code, kind,
    bucket, n (NaN when suppressed), suppressed."""
    df = pd.read_sql_query(
        text("select * from pax_api.municipality_counts(:a, :b, :bucket, :kinds)"),
        conn,
        params={"a": start, "b": end, "bucket": bucket, "kinds": list(kinds) if kinds else None},
    )
    df["n"] = pd.to_numeric(df["n"])
    return df


def _full(df: pd.DataFrame, munis: pd.DataFrame, kinds: list[str]) -> pd.DataFrame:
    """One row per municipality and kind: a missing row is a released zero (the release leaves
    out values of 0 or less)."""
    idx = pd.MultiIndex.from_product([munis["code"], kinds], names=["municipality_code", "kind"])
    got = df.groupby(["municipality_code", "kind"]).agg(
        n=("n", lambda s: s.sum(min_count=1)), suppressed=("suppressed", "any")
    )
    out = got.reindex(idx).reset_index()
    out["suppressed"] = out["suppressed"].fillna(False).astype(bool)
    out.loc[out["n"].isna() & ~out["suppressed"], "n"] = 0.0
    return out


def rates(df: pd.DataFrame, munis: pd.DataFrame, kinds: list[str]) -> pd.DataFrame:
    """Per municipality and kind: n, population, per_10k (NaN when suppressed), and a row per
    kind for the region (municipality_code ``REGION``) over the municipalities with values."""
    full = _full(df, munis, kinds).merge(
        munis.rename(columns={"code": "municipality_code"}), on="municipality_code"
    )
    full["per_10k"] = full["n"] / full["population"] * PER
    region = (
        full.dropna(subset=["n"])
        .groupby("kind")
        .agg(n=("n", "sum"), population=("population", "sum"))
        .reindex(kinds)  # a kind suppressed everywhere still has its row, without a value
        .reset_index()
    )
    region["municipality_code"] = REGION
    region["name"] = None
    region["suppressed"] = region["n"].isna()
    region["per_10k"] = region["n"] / region["population"] * PER
    return pd.concat([full, region[full.columns]], ignore_index=True)


@dataclass(frozen=True)
class Windows:
    current: tuple[datetime, datetime]
    previous: tuple[datetime, datetime]
    last_year: tuple[datetime, datetime]


def compstat_windows(end: datetime, days: int = COMPSTAT_DAYS) -> Windows:
    """The last ``days`` days before ``end``, the ``days`` before those, and the same days a
    year (52 weeks, so the weekdays match) earlier."""
    cur = (end - timedelta(days=days), end)
    return Windows(
        cur,
        (cur[0] - timedelta(days=days), cur[0]),
        (cur[0] - timedelta(weeks=52), cur[1] - timedelta(weeks=52)),
    )


def compstat(parts: dict[str, pd.DataFrame], munis: pd.DataFrame, kinds: list[str]) -> pd.DataFrame:
    """``parts``: the released counts of each window (keys current, previous, last_year).
    Per municipality and kind: the three counts, the change against each (NaN where a side is
    suppressed or the earlier one is 0), and whether anything was suppressed."""
    out = None
    for name in ("current", "previous", "last_year"):
        f = _full(parts[name], munis, kinds).rename(
            columns={"n": name, "suppressed": f"{name}_suppressed"}
        )
        out = f if out is None else out.merge(f, on=["municipality_code", "kind"])
    assert out is not None
    for ref in ("previous", "last_year"):
        base = out[ref].where(out[ref] > 0)
        out[f"change_{ref}"] = (out["current"] - out[ref]) / base
    out["suppressed"] = out[[f"{n}_suppressed" for n in ("current", "previous", "last_year")]].any(
        axis=1
    )
    return out.merge(
        munis.rename(columns={"code": "municipality_code"}), on="municipality_code", how="left"
    )


def monthly_rates(
    df: pd.DataFrame, munis: pd.DataFrame, kinds: list[str], months: list
) -> pd.DataFrame:
    """Monthly released counts per 10,000 inhabitants over ``months`` (their first days):
    municipality_code, name, kind, bucket, per_10k (NaN when suppressed; 0 for a month the
    release left out, which is a released zero), suppressed."""
    idx = pd.MultiIndex.from_product(
        [munis["code"], kinds, months], names=["municipality_code", "kind", "bucket"]
    )
    got = df.assign(bucket=pd.to_datetime(df["bucket"]).dt.date).set_index(
        ["municipality_code", "kind", "bucket"]
    )[["n", "suppressed"]]
    m = got.reindex(idx).reset_index()
    m["suppressed"] = m["suppressed"].fillna(False).astype(bool)
    m.loc[m["n"].isna() & ~m["suppressed"], "n"] = 0.0
    m = m.merge(munis.rename(columns={"code": "municipality_code"}), on="municipality_code")
    m["per_10k"] = m["n"] / m["population"] * PER
    return m[["municipality_code", "name", "kind", "bucket", "per_10k", "suppressed"]]


def indicators(conn: Connection) -> pd.DataFrame:
    """For each indicator key, the latest year: each municipality's mean of its districts'
    values weighted by population, the regional mean the same way, and the difference.
    Columns: key, label_sv, label_en, unit, higher_is_better, year, municipality_code, name,
    value, region, diff."""
    df = pd.read_sql_query(
        text(
            "select i.key, i.year, i.value, a.population, a.municipality_code, "
            "k.label_sv, k.label_en, k.unit, k.higher_is_better "
            "from pax_api.indicator i join pax_api.area a on a.id = i.area_id "
            "join pax_api.indicator_key k on k.key = i.key "
            "where a.kind = 'district' and a.population > 0"
        ),
        conn,
    )
    if df.empty:
        return df
    latest = df.groupby("key")["year"].transform("max")
    df = df[df["year"] == latest].copy()
    df["wv"] = df["value"] * df["population"]

    def weighted(g: pd.DataFrame) -> float:
        return float(g["wv"].sum() / g["population"].sum())

    per = (
        df.groupby(
            ["key", "label_sv", "label_en", "unit", "higher_is_better", "year", "municipality_code"]
        )
        .apply(weighted, include_groups=False)
        .rename("value")
        .reset_index()
    )
    region = df.groupby("key").apply(weighted, include_groups=False).rename("region")
    per = per.merge(region, left_on="key", right_index=True)
    per["diff"] = per["value"] - per["region"]
    names = pd.read_sql_query(text("select code, name from pax_api.municipality"), conn)
    per = per.merge(names.rename(columns={"code": "municipality_code"}), on="municipality_code")
    per["value"] = per["value"].round(1)
    per["region"] = per["region"].round(1)
    per["diff"] = np.round(per["diff"], 1)
    return per.sort_values(["key", "name"]).reset_index(drop=True)
