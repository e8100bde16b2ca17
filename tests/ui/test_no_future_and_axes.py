"""No date after now (demo data, charts' time axes) and y axes of counts and percentages from
zero: pure functions and Altair specs, no browser needed."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from pax_geo import i18n
from pax_geo.demo.generate import default_end, generate, generate_incidents
from pax_geo.ui import charts

TZ = ZoneInfo("Europe/Stockholm")


def test_the_demo_ends_now_not_at_midnight_tonight():
    before = datetime.now(TZ)
    end = default_end()
    assert end <= datetime.now(TZ)
    assert before - end < timedelta(minutes=2)


def test_demo_data_never_lie_after_their_end():
    # A Friday morning: tonight's walks have not happened and today is only half gone.
    end = datetime(2026, 12, 4, 10, 30, tzinfo=TZ)
    data = generate(incidents=6000, seed=7, end=end)
    inc = data.incidents
    limit = pd.Timestamp(end)
    for col in ("occurred_at", "occurred_to", "reported_at"):
        assert (inc[col].dropna() <= limit).all(), col
    # The morning of the end day is in the data (the period reaches up to end, not to the day
    # before it).
    local = inc["occurred_at"].dt.tz_convert(TZ)
    assert (local.dt.date == end.date()).any()
    assert data.walks["walked_on"].max() < end.date()
    assert (pd.to_datetime(data.observations["observed_at"], utc=True) <= limit).all()


def test_a_late_day_keeps_the_hour_pattern():
    end = datetime(2026, 12, 3, 12, 0, tzinfo=TZ)
    inc = generate_incidents(20_000, 3, end)
    assert inc["occurred_at"].max() <= pd.Timestamp(end)
    # Car fires stay a night-time crime after moving late draws back by whole weeks.
    hours = inc[inc.kind == "car_fire"]["occurred_at"].dt.tz_convert(TZ).dt.hour
    assert hours.isin([21, 22, 23, 0, 1, 2, 3]).mean() > 0.5


def _values(spec: dict) -> list[dict]:
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def _month_frame(today: date) -> pd.DataFrame:
    buckets = [date(2025, m, 1) for m in range(1, 13)] + [date(2026, m, 1) for m in range(1, 13)]
    n = len(buckets)
    return pd.DataFrame(
        {
            "bucket": buckets,
            "lo": [5] * n,
            "hi": [5] * n,
            "value": [5.0] * n,
            "label": ["5"] * n,
            "exact": [True] * n,
            "complete": [b < date(today.year, today.month, 1) for b in buckets],
            "roll": [5.0] * n,
            "ly_value": [4.0] * n,
            "ly_label": ["4"] * n,
        }
    )


def test_a_monthly_axis_ends_today_not_next_year(monkeypatch):
    today = date(2026, 12, 3)
    monkeypatch.setattr(charts, "_today", lambda: today)
    spec = charts.trend_chart(_month_frame(today), "month", "sv", roll=3).to_dict()
    rows = _values(spec)
    ends = {row["x1"] for row in rows}
    assert max(ends) <= (today + timedelta(days=1)).isoformat()
    assert not any(e.startswith("2027") for e in ends)
    middles = {row["xm"] for row in rows}
    assert max(middles) < "2026-12-04"
    text = json.dumps(spec, default=str)
    assert '"nice": false' in text


def _y_scales(spec) -> list[dict]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            y = (
                node.get("encoding", {}).get("y")
                if isinstance(node.get("encoding"), dict)
                else None
            )
            if isinstance(y, dict):
                found.append(y.get("scale", {}))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return found


def _survey():
    values = pd.DataFrame(
        {
            "key": ["safety_feel"] * 6,
            "area": ["Ronna"] * 3 + ["Geneta"] * 3,
            "year": [2023, 2024, 2025] * 2,
            "value": [61.0, 63.5, 66.0, 62.0, 64.0, 65.0],
        }
    )
    averages = pd.DataFrame(
        {"key": ["safety_feel"] * 3, "year": [2023, 2024, 2025], "value": [70.0, 71.0, 72.5]}
    )
    return values, averages


def test_survey_percentages_start_at_zero():
    values, averages = _survey()
    spec = charts.indicator_lines(values, averages, "sv", area_names=["Ronna"]).to_dict()
    scales = _y_scales(spec)
    assert scales and all(s.get("zero") is True and s.get("domainMin") == 0 for s in scales)
    spark = charts.sparklines(
        values[["area", "year", "value"]], averages[["year", "value"]], "sv", value_title="%"
    ).to_dict()
    scales = _y_scales(spark)
    assert scales and all(s.get("zero") is True for s in scales)


def test_a_cut_axis_says_so():
    values, averages = _survey()
    spec = charts.indicator_lines(values, averages, "sv", zero=False).to_dict()
    assert all(s.get("zero") is False for s in _y_scales(spec))
    assert i18n.t("hz_axis_not_from_zero", "sv") in json.dumps(
        spec, ensure_ascii=False, default=str
    )


def test_count_charts_start_at_zero(monkeypatch):
    today = date(2026, 12, 3)
    monkeypatch.setattr(charts, "_today", lambda: today)
    spec = charts.trend_chart(_month_frame(today), "month", "sv", roll=3).to_dict()
    # Bars are drawn from y2 = 0 and no y scale turns zero off.
    assert '"y2": {"datum": 0}' in json.dumps(spec, default=str)
    assert all(s.get("zero") is not False for s in _y_scales(spec))
