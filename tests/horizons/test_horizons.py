"""Pure functions of the horizons (no database): constructed data with known answers."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from pax_geo.horizons import fmt, indicators, periods, traffic
from pax_geo.horizons.counts import Count, labels, with_ranges
from pax_geo.horizons.periods import Comparison, Period

TZ = ZoneInfo("Europe/Stockholm")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


# --- counts -------------------------------------------------------------------------------------


def test_count_labels_and_sums():
    assert Count.exact(12).label(3) == "12"
    assert Count.suppressed(3).label(3) == "<3"
    assert Count.suppressed(5) == Count(1, 4)
    two = Count.total([Count.suppressed(3), Count.suppressed(3)])
    assert two == Count(2, 4) and two.label(3) == "2–4"
    assert (Count.exact(10) + Count.suppressed(3)).label(3) == "11–12"
    assert Count.exact(0).label(3) == "0"
    assert Count(1, 2).mid == 1.5


def test_count_rejects_nonsense():
    with pytest.raises(ValueError, match="invalid count range"):
        Count(3, 2)
    with pytest.raises(ValueError, match="at least 2"):
        Count.suppressed(1)


def test_with_ranges_turns_suppressed_into_one_to_threshold_minus_one():
    cells = pd.DataFrame({"n": [5, None, 0], "suppressed": [False, True, False]})
    out = with_ranges(cells, 3)
    assert out["lo"].tolist() == [5, 1, 0]
    assert out["hi"].tolist() == [5, 2, 0]
    assert labels(out, 3).tolist() == ["5", "<3", "0"]


def test_with_ranges_names_inconsistent_rows():
    with pytest.raises(ValueError, match="missing n"):
        with_ranges(pd.DataFrame({"n": [None], "suppressed": [False]}), 3)
    with pytest.raises(ValueError, match="threshold is 0"):
        with_ranges(pd.DataFrame({"n": [None], "suppressed": [True]}), 0)


# --- periods --------------------------------------------------------------------------------------


def test_last_days_are_back_to_back():
    now = local(2026, 3, 10, 12, 0)
    cur, prev = periods.last_days(now, 28)
    assert cur == Period(local(2026, 2, 10, 12, 0), now)
    assert prev == Period(local(2026, 1, 13, 12, 0), local(2026, 2, 10, 12, 0))
    with pytest.raises(ValueError, match="positive"):
        periods.last_days(now, 0)


def test_year_to_date_and_the_same_stretch_last_year():
    now = local(2026, 3, 1, 10, 30)
    cur, prev = periods.year_to_date(now)
    assert cur == Period(local(2026, 1, 1), now)
    assert prev == Period(local(2025, 1, 1), local(2025, 3, 1, 10, 30))


def test_year_to_date_on_leap_day_ends_on_28_february():
    now = local(2028, 2, 29, 15, 0)
    _, prev = periods.year_to_date(now)
    assert prev.end == local(2027, 2, 28, 15, 0)


def test_since_compares_equal_calendar_days_across_daylight_saving():
    # Summer time ends on 25 October 2026: the period after is 30 days and one hour long.
    after, before = periods.since(date(2026, 10, 1), local(2026, 10, 31))
    assert after == Period(local(2026, 10, 1), local(2026, 10, 31))
    assert before == Period(local(2026, 9, 1), local(2026, 10, 1))


def test_since_rejects_today_and_future():
    now = local(2026, 11, 23, 18, 0)
    with pytest.raises(ValueError, match="must be before today"):
        periods.since(date(2026, 11, 24), now)


def test_periods_need_aware_times():
    with pytest.raises(ValueError, match="timezone-aware"):
        periods.last_days(datetime(2026, 1, 1), 7)
    with pytest.raises(ValueError, match="not before its end"):
        Period(local(2026, 1, 2), local(2026, 1, 1))


def test_calendar_buckets():
    assert periods.bucket_start(date(2026, 11, 25), "week") == date(2026, 11, 23)
    assert periods.bucket_start(date(2026, 11, 25), "month") == date(2026, 11, 1)
    assert periods.next_bucket(date(2026, 12, 1), "month") == date(2027, 1, 1)
    assert periods.shift_buckets(date(2026, 1, 1), "month", -13) == date(2024, 12, 1)
    assert periods.shift_buckets(date(2026, 11, 23), "week", -52) == date(2025, 11, 24)
    assert periods.bucket_range(date(2026, 1, 28), date(2026, 3, 2), "month") == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    with pytest.raises(ValueError, match="bucket must be one of"):
        periods.bucket_start(date(2026, 1, 1), "fortnight")


def test_series_window_starts_at_a_bucket_and_covers_last_year():
    now = local(2026, 11, 25, 9, 0)  # a Wednesday
    p = periods.series_window(now, "week", 10)
    # current week starts Mon 23 Nov 2026; 10 + 52 weeks earlier is Mon 15 Sep 2025
    assert p.start == local(2025, 9, 15)
    assert p.end == now
    m = periods.series_window(now, "month", 12)
    assert m.start == local(2024, 11, 1)


def test_split_at_the_bucket_in_progress():
    start = local(2025, 9, 15)
    # a Wednesday: the finished weeks up to Monday 23 Nov, then the week in progress
    closed, open_ = periods.split_at_open_bucket(Period(start, local(2026, 11, 25, 9)), "week")
    assert closed == Period(start, local(2026, 11, 23))
    assert open_ == Period(local(2026, 11, 23), local(2026, 11, 25, 9))
    # exactly at a bucket's start nothing is in progress; a second later, one second is
    at_start = periods.split_at_open_bucket(Period(start, local(2026, 11, 1)), "month")
    assert at_start == (Period(start, local(2026, 11, 1)), None)
    later = periods.split_at_open_bucket(Period(start, local(2026, 11, 1, 0, 0, 1)), "month")
    assert later[1] == Period(local(2026, 11, 1), local(2026, 11, 1, 0, 0, 1))
    # a period inside the bucket in progress is all in progress
    inside = Period(local(2026, 11, 24), local(2026, 11, 25))
    assert periods.split_at_open_bucket(inside, "week") == (None, inside)
    # the cut is local midnight, also across the change to summer time (Monday 31 Mar 2025)
    dst = periods.split_at_open_bucket(
        Period(start - timedelta(days=400), local(2025, 4, 2)), "week"
    )
    assert dst[0].end == local(2025, 3, 31) and dst[0].end.utcoffset() == timedelta(hours=2)


def _cells(rows):
    return pd.DataFrame(rows, columns=["kind", "bucket", "lo", "hi"])


def test_series_fills_gaps_and_marks_incomplete_buckets():
    period = Period(local(2026, 1, 5), local(2026, 1, 21, 12, 0))
    cells = _cells([("car_fire", date(2026, 1, 5), 3, 3), ("car_fire", date(2026, 1, 19), 1, 2)])
    s = periods.series(cells, "week", period, by=["kind"], groups=[("car_fire",), ("shooting",)])
    fire = s[s.kind == "car_fire"]
    assert fire["bucket"].tolist() == [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]
    assert fire["lo"].tolist() == [3, 0, 1]
    assert fire["hi"].tolist() == [3, 0, 2]
    assert fire["complete"].tolist() == [True, True, False]
    shooting = s[s.kind == "shooting"]
    assert shooting["lo"].tolist() == [0, 0, 0]


def test_series_first_bucket_incomplete_when_window_starts_mid_bucket():
    period = Period(local(2026, 1, 7), local(2026, 1, 19))
    s = periods.series(_cells([]), "week", period, by=["kind"], groups=[("car_fire",)])
    assert s["complete"].tolist() == [False, True]


def test_rolling_mean_uses_complete_buckets_only():
    period = Period(local(2026, 1, 5), local(2026, 2, 4))
    rows = [
        ("x", date(2026, 1, 5) + timedelta(weeks=i), v, v) for i, v in enumerate([1, 2, 3, 4, 10])
    ]
    s = periods.series(_cells(rows), "week", period, by=["kind"])
    r = periods.rolling_mean(s, 2, ["kind"])
    assert r["complete"].tolist() == [True, True, True, True, False]
    got = r["roll_lo"].tolist()
    assert math.isnan(got[0]) and math.isnan(got[4])
    assert got[1:4] == [1.5, 2.5, 3.5]


def test_same_period_last_year_weekly_and_monthly():
    period = Period(local(2025, 1, 6), local(2026, 1, 12))
    b0 = date(2025, 1, 6)
    rows = [("x", b0, 7, 7), ("x", b0 + timedelta(weeks=52), 9, 9)]
    s = periods.same_period_last_year(
        periods.series(_cells(rows), "week", period, by=["kind"]), "week", ["kind"]
    )
    row = s[s.bucket == b0 + timedelta(weeks=52)].iloc[0]
    assert (row.lo, row.ly_lo) == (9, 7)
    assert math.isnan(s[s.bucket == b0].iloc[0].ly_lo)

    mp = Period(local(2025, 1, 1), local(2026, 4, 1))
    mrows = [("x", date(2025, 3, 1), 4, 4), ("x", date(2026, 3, 1), 6, 6)]
    m = periods.same_period_last_year(
        periods.series(_cells(mrows), "month", mp, by=["kind"]), "month", ["kind"]
    )
    r = m[m.bucket == date(2026, 3, 1)].iloc[0]
    assert (r.lo, r.ly_lo) == (6, 4)


@pytest.mark.parametrize(
    ("cur", "prev", "diff", "direction", "pct", "text"),
    [
        (Count.exact(10), Count.exact(8), (2, 2), "up", 25.0, "+2"),
        (Count.exact(6), Count.exact(8), (-2, -2), "down", -25.0, "−2"),
        (Count.exact(5), Count.exact(5), (0, 0), "same", 0.0, "±0"),
        (Count.exact(3), Count.exact(0), (3, 3), "up", None, "+3"),
        (Count(1, 2), Count.exact(0), (1, 2), "up", None, "+1 … +2"),
        (Count(1, 2), Count(1, 2), (-1, 1), "uncertain", None, "−1 … +1"),
        (Count.exact(0), Count(1, 2), (-2, -1), "down", None, "−2 … −1"),
    ],
)
def test_comparison_known_answers(cur, prev, diff, direction, pct, text):
    c = Comparison(cur, prev)
    assert (c.diff_lo, c.diff_hi) == diff
    assert c.direction == direction
    assert c.pct == pct
    assert c.diff_label() == text


def test_compare_frames_fill_missing_groups_with_exact_zero():
    cur = pd.DataFrame({"kind": ["a", "a", "b"], "lo": [2, 1, 1], "hi": [2, 2, 2]})
    prev = pd.DataFrame({"kind": ["a", "c"], "lo": [5, 4], "hi": [5, 4]})
    out = periods.compare(cur, prev, ["kind"], 3, groups=[("d",)]).set_index("kind")
    assert out.loc["a", ["cur_lo", "cur_hi", "prev_lo", "prev_hi"]].tolist() == [3, 4, 5, 5]
    assert out.loc["a", "direction"] == "down" and out.loc["a", "current"] == "3–4"
    assert out.loc["b", "current"] == "<3" and out.loc["b", "direction"] == "up"
    assert out.loc["c", "current"] == "0" and out.loc["c", "diff"] == "−4"
    assert out.loc["d", "direction"] == "same"


def test_changes_since_orders_by_size_of_change():
    after = pd.DataFrame({"kind": ["a", "b", "c"], "lo": [1, 10, 4], "hi": [1, 10, 4]})
    before = pd.DataFrame({"kind": ["a", "b", "c"], "lo": [1, 4, 7], "hi": [1, 4, 7]})
    out = periods.changes_since(after, before, ["kind"])
    assert out["kind"].tolist() == ["b", "c", "a"]
    assert out["diff"].tolist() == ["+6", "−3", "±0"]


# --- traffic light ------------------------------------------------------------------------------


def exact(values):
    return [Count.exact(v) for v in values]


def test_baseline_mean_and_spread():
    b = traffic.baseline(exact([0, 1, 2, 3, 4]))
    assert b.mean == 2
    assert b.empirical_sd == pytest.approx(math.sqrt(2.5))
    assert b.spread == pytest.approx(math.sqrt(2.5))
    assert not b.estimated
    with pytest.raises(ValueError, match="at least one"):
        traffic.baseline([])


@pytest.mark.parametrize(
    ("count", "light"), [(3, "green"), (4, "yellow"), (5, "yellow"), (6, "red")]
)
def test_light_against_mean_and_spread(count, light):
    # mean 2, spread 1.58: yellow above 3.58, red above 5.16
    assert traffic.light_for(count, traffic.baseline(exact([0, 1, 2, 3, 4]))) == light


@pytest.mark.parametrize(
    ("count", "light"), [(6, "green"), (7, "yellow"), (8, "yellow"), (9, "red")]
)
def test_spread_is_at_least_root_of_mean(count, light):
    # every week exactly 4: sd 0, but spread sqrt(4) = 2 -> yellow above 6, red above 8
    b = traffic.baseline(exact([4] * 52))
    assert b.empirical_sd == 0 and b.spread == 2
    assert traffic.light_for(count, b) == light


@pytest.mark.parametrize(
    ("count", "light"), [(0, "green"), (1, "yellow"), (2, "yellow"), (3, "red")]
)
def test_red_needs_at_least_three(count, light):
    assert traffic.light_for(count, traffic.baseline(exact([0] * 365))) == light


def test_status_on_a_suppressed_count_is_decided_on_its_lowest_value():
    # normal 1, spread 1: yellow above 2, red above 3 (and >= 3)
    s = traffic.status("7d", Count(2, 3), exact([1] * 52))
    assert s.light == "green" and s.light_at_most == "yellow" and s.uncertain
    s2 = traffic.status("7d", Count.suppressed(3), exact([0] * 52))
    assert s2.light == "yellow" and not s2.uncertain


def test_suppressed_baseline_is_marked_estimated_and_counted_at_midpoint():
    b = traffic.baseline([Count(1, 2), Count.exact(0)])
    assert b.estimated and b.mean == 0.75


def test_overall_is_the_highest_window():
    quiet = exact([0] * 30)
    statuses = [
        traffic.status("24h", Count.exact(0), quiet),
        traffic.status("7d", Count.exact(1), quiet),
        traffic.status("30d", Count(2, 3), exact([1] * 12)),
    ]
    o = traffic.overall(statuses)
    assert o.light == "yellow" and o.light_at_most == "yellow" and not o.uncertain
    o2 = traffic.overall([traffic.status("24h", Count(2, 4), exact([1] * 12))])
    assert o2.light == "green" and o2.light_at_most == "red" and o2.uncertain
    with pytest.raises(ValueError, match="unknown status window"):
        traffic.status("2h", Count.exact(0), quiet)


def test_rule_text_exists_in_both_languages():
    from pax_geo import i18n

    for key in traffic.RULE_KEYS:
        for lang in i18n.LANGS:
            assert i18n.t(key, lang, n=3, red_min=traffic.RED_MIN_COUNT).strip()
    red_sv = i18n.t("hz_rule_red", "sv", red_min=traffic.RED_MIN_COUNT)
    assert str(traffic.RED_MIN_COUNT) in red_sv


# --- indicators -------------------------------------------------------------------------------


def test_municipality_average_weighted_by_population():
    v = pd.DataFrame({"area_id": [1, 2], "value": [10.0, 20.0]})
    avg = indicators.municipality_average(v, {1: 100, 2: 300})
    assert avg.value == pytest.approx(17.5) and avg.method == indicators.WEIGHTED
    plain = indicators.municipality_average(v, {1: 100, 2: None})
    assert plain.value == pytest.approx(15.0) and plain.method == indicators.UNWEIGHTED
    assert indicators.municipality_average(v.iloc[0:0], {}) is None


def test_versus_average_uses_latest_year_and_direction():
    ind = pd.DataFrame(
        {
            "area_id": [1, 2, 1, 2, 1, 2],
            "key": ["emp", "emp", "emp", "emp", "aid", "aid"],
            "year": [2024, 2024, 2025, 2025, 2025, 2025],
            "value": [50.0, 50.0, 10.0, 20.0, 4.0, 2.0],
        }
    )
    pop = {1: 100, 2: 300}
    out = indicators.versus_average(ind, 2, pop, {"emp": True, "aid": False}).set_index("key")
    assert out.loc["emp", "year"] == 2025
    assert out.loc["emp", "average"] == pytest.approx(17.5)
    assert out.loc["emp", "diff"] == pytest.approx(2.5)
    # aid: lower is better; area 2 has 2.0 vs 2.5 average
    assert out.loc["aid", "diff"] == pytest.approx(-0.5)
    assert out["better"].astype(object).to_dict() == {"emp": True, "aid": True}
    out1 = indicators.versus_average(ind, 1, pop, {"emp": True, "aid": False}).set_index("key")
    assert out1["better"].astype(object).to_dict() == {"emp": False, "aid": False}
    same = indicators.versus_average(ind, 1, pop, {}).set_index("key")
    assert same["better"].isna().all()


def test_classify_quantiles_and_assign():
    c = indicators.classify(np.arange(1, 11), "quantiles", 5)
    # linear-interpolated 20/40/60/80 % quantiles of 1..10
    assert c.bins == pytest.approx((2.8, 4.6, 6.4, 8.2, 10.0))
    assert c.assign([1, 2.8, 2.9, 10, 11]).tolist() == [0, 0, 1, 4, 4]
    assert c.bounds()[0] == pytest.approx((1.0, 2.8))


def test_classify_equal_interval_and_few_values():
    c = indicators.classify([0.0, 10.0, 5.0], "equal_interval", 2)
    assert c.bins == (5.0, 10.0)
    few = indicators.classify([1.0, 1.0, 2.0], "natural_breaks", 5)
    assert few.k == 2
    one = indicators.classify([3.0, 3.0], "quantiles", 5)
    assert one.k == 1 and one.assign([3.0]).tolist() == [0]
    with pytest.raises(ValueError, match="unknown classification"):
        indicators.classify([1.0], "jenks-ish")
    with pytest.raises(ValueError, match="no values"):
        indicators.classify([], "quantiles")


def test_class_colors_darker_means_worse():
    from pax_geo.ui.charts import BUPU, class_colors

    higher_better = class_colors(5, True)
    lower_better = class_colors(5, False)
    assert higher_better[0] == BUPU[5][-1]  # lowest values are worst: darkest
    assert lower_better[-1] == BUPU[5][-1]  # highest values are worst: darkest
    with pytest.raises(ValueError, match="classes are supported"):
        class_colors(9, True)


# --- formatting -------------------------------------------------------------------------------


def test_swedish_number_and_time_formatting():
    assert fmt.num(1234.5, "sv") == "1\u202f234,5"
    assert fmt.num(1234.5, "en") == "1,234.5"
    assert fmt.num(-1.0, "sv") == "−1,0"
    assert fmt.num(None) == "–"
    assert fmt.signed(2.5, "sv", 0) == "+2" and fmt.signed(-3.0, "sv", 0) == "−3"
    assert fmt.signed(0.01, "sv") == "±0,0"
    assert fmt.local_time(datetime(2026, 7, 1, 10, 0, tzinfo=ZoneInfo("UTC"))) == "2026-07-01 12:00"
    assert fmt.local_date(datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC"))) == "2027-01-01"


def test_regional_rates_keep_a_row_for_a_kind_suppressed_everywhere():
    """A kind whose every municipality is suppressed still gets its region row (suppressed, no
    value), so the page's table has every kind for every row (a KeyError once broke the page
    when the noise suppressed all of one kind)."""
    import pandas as pd

    from pax_geo.horizons import regional as rg

    munis = pd.DataFrame({"code": ["0181", "0140"], "name": ["S", "N"], "population": [9e4, 1e4]})
    released = pd.DataFrame(
        {
            "municipality_code": ["0181", "0140", "0181", "0140"],
            "kind": ["car_fire", "car_fire", "explosion", "explosion"],
            "bucket": [None] * 4,
            "n": [90.0, 5.0, float("nan"), float("nan")],
            "suppressed": [False, False, True, True],
        }
    )
    out = rg.rates(released, munis, ["car_fire", "explosion", "shooting"])
    region = out[out["municipality_code"] == rg.REGION].set_index("kind")
    assert list(region.index) == ["car_fire", "explosion", "shooting"]
    assert region.loc["car_fire", "n"] == 95 and region.loc["car_fire", "per_10k"] == 9.5
    assert region.loc["explosion", "suppressed"] and pd.isna(region.loc["explosion", "n"])
    # a kind with no released row at all is a released zero in every municipality
    assert region.loc["shooting", "n"] == 0 and not region.loc["shooting", "suppressed"]
    per = out[out["municipality_code"] != rg.REGION].set_index(["municipality_code", "kind"])
    assert per.loc[("0140", "car_fire"), "per_10k"] == 5.0
    assert per.loc[("0140", "explosion"), "suppressed"]


def test_the_settled_span_is_the_whole_days_before_the_last_one():
    from pax_geo.clock import TZ

    def at(*a) -> datetime:
        return datetime(*a, tzinfo=TZ)

    # across the change to summer time: midnights in Stockholm, the night of 23 hours inside
    assert periods.settled_span(at(2026, 3, 27, 13, 5), at(2026, 3, 31, 9, 0)) == (
        at(2026, 3, 28),
        at(2026, 3, 31),
    )
    # a start exactly at midnight is the span's start; an end exactly at midnight its end
    assert periods.settled_span(at(2026, 5, 1), at(2026, 5, 3)) == (at(2026, 5, 1), at(2026, 5, 3))
    # within one day, or from one evening to the next morning: no whole day
    assert periods.settled_span(at(2026, 5, 1, 1), at(2026, 5, 1, 23)) is None
    assert periods.settled_span(at(2026, 5, 1, 20), at(2026, 5, 2, 8)) is None


def test_a_filter_splits_into_its_settled_span_and_the_parts_around_it():
    from pax_geo.clock import TZ
    from pax_geo.queries import Filter

    def at(*a) -> datetime:
        return datetime(*a, tzinfo=TZ)

    flt = Filter(at(2026, 5, 1, 13), at(2026, 5, 4, 9), ("car_fire",), area_ids=(3,))
    span, parts = flt.split_settled()
    assert span == (at(2026, 5, 2), at(2026, 5, 4))
    assert [(p.start, p.end) for p in parts] == [
        (at(2026, 5, 1, 13), at(2026, 5, 2)),
        (at(2026, 5, 4), at(2026, 5, 4, 9)),
    ]
    assert all(p.kinds == ("car_fire",) and p.area_ids == (3,) for p in parts)
    # from a midnight to a midnight: the span is the whole window, nothing around it
    assert Filter(at(2026, 5, 1), at(2026, 5, 3)).split_settled() == (
        (at(2026, 5, 1), at(2026, 5, 3)),
        [],
    )
    assert Filter(at(2026, 5, 1, 20), at(2026, 5, 2, 8)).split_settled() is None
