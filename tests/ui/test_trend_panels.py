"""The trend grid's panels (charts.trend_panel_specs: Altair builds one chart, each panel gets
its data and title) and a single trend chart (charts.trend_spec, the observations' and the area
card's) are exactly the chart charts.trend_chart builds for that data on its own,
on the database's real trends (per area, a suppressing role's ranges and a police analyst's
exact counts, with and without operation markers)."""

from __future__ import annotations

import copy
from datetime import date

import pandas as pd
import pytest

from pax_geo import clock, queries
from pax_geo.horizons import medium
from pax_geo.ui import charts


def resolved(spec: dict) -> dict:
    """The specification with every named data source replaced by its values."""
    spec = copy.deepcopy(spec)
    datasets = spec.pop("datasets", {})

    def walk(node):
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "data" and isinstance(v, dict) and v.get("name") in datasets:
                    out[k] = {"values": datasets[v["name"]]}
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(x) for x in node]
        return node

    return walk(spec)


@pytest.mark.parametrize("role", ["field_worker", "police_analyst"])
@pytest.mark.parametrize("bucket", ["week", "month"])
def test_each_panel_is_the_chart_of_its_own(signed, role, bucket):
    roll = medium.DEFAULT_ROLL[bucket]
    with signed[role].connect() as conn:
        kinds = queries.visible_kinds(conn)
        tr = medium.incident_trend(conn, clock.now(), bucket, "area_id", kinds, (), roll=roll)
    frame = tr.frame.assign(panel=[f"Område {int(a)}" for a in tr.frame["area_id"]])
    order = list(dict.fromkeys(frame["panel"]))[:6]
    assert len(order) >= 3
    if role == "field_worker":
        assert not frame["exact"].all()  # ranges drawn for suppressed counts
    first = min(frame["bucket"])
    markers = pd.DataFrame(
        {
            "panel": [order[1], order[1], order[2]],
            "day": [first, date.today(), date(1990, 1, 1)],  # the last outside every span
            "name": ["Insats A", "Insats B", "Utanför"],
        }
    )
    specs = charts.trend_panel_specs(
        frame, order, bucket, "sv", roll=roll, height=150, y_title="", markers=markers
    )
    assert len(specs) == len(order)
    for name, spec in zip(order, specs, strict=True):
        mk = markers[markers["panel"] == name]
        alone = charts.trend_chart(
            frame[frame["panel"] == name],
            bucket,
            "sv",
            roll=roll,
            height=150,
            title=name,
            legend=False,
            y_title="",
            markers=mk,
        ).to_dict()
        assert resolved(spec) == resolved(alone), name
    # the markers: two on the second panel, none on the third (outside) nor the first
    assert len(specs[1]["datasets"][charts.MARKER_DATA]) == 2
    assert charts.MARKER_DATA not in specs[0]["datasets"]
    assert charts.MARKER_DATA not in specs[2]["datasets"]
    assert [s["title"]["text"] for s in specs] == order


@pytest.mark.parametrize("role", ["board_viewer", "security_chief"])
def test_a_single_trend_is_the_chart_of_its_own(signed, role):
    with signed[role].connect() as conn:
        tr = medium.incident_trend(conn, clock.now(), "week", None, None, (), roll=4)
    spec = charts.trend_spec(tr.frame, "week", "en", roll=4, height=220, y_title="Obs")
    alone = charts.trend_chart(
        tr.frame,
        "week",
        "en",
        roll=4,
        height=220 + charts.LEGEND_ROWS_PX,
        y_title="Obs",
        legend_columns=1,
    )
    assert resolved(spec) == resolved(alone.to_dict())
    assert len(spec["datasets"][charts.TREND_DATA]) == len(tr.frame) > 20
    # twice the same shape: one Altair chart, two independent specifications
    again = charts.trend_spec(tr.frame.iloc[:5], "week", "en", roll=4, height=220, y_title="Obs")
    assert len(again["datasets"][charts.TREND_DATA]) == 5
    assert len(spec["datasets"][charts.TREND_DATA]) == len(tr.frame)
