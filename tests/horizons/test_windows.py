"""One definition of the quick windows: equal words mean equal periods on every page, and
calendar-aligned periods say so."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pax_geo import i18n, queries
from pax_geo.analysis import compstat
from pax_geo.horizons import card, periods, traffic

TZ = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 12, 3, 10, 42, tzinfo=TZ)


def test_the_map_windows_are_the_shared_quick_windows():
    for key in periods.MAP_WINDOWS:
        assert queries.WINDOWS[key] == periods.QUICK_WINDOWS[key]
        flt = queries.Filter.last(key, now=NOW)
        assert (flt.start, flt.end) == (
            periods.quick_window(NOW, key).start,
            periods.quick_window(NOW, key).end,
        )


def test_every_page_means_the_same_period_by_the_same_words():
    # The area card's status windows and trend, CompStat's short comparison.
    for key, (length, _n) in traffic.STATUS_WINDOWS.items():
        assert length == periods.QUICK_WINDOWS[key]
    assert timedelta(days=card.TREND_DAYS) == periods.QUICK_WINDOWS[periods.COMPSTAT_WINDOW]
    _ytd, last28 = compstat.periods(NOW)
    assert last28.current[1] - last28.current[0] == periods.QUICK_WINDOWS["28d"]
    # Labels: the same number of days is named the same way wherever it appears.
    for lang in ("sv", "en"):
        for key in ("7d", "30d"):
            assert i18n.t(f"window_{key}", lang) in i18n.t(f"hz_window_{key}", lang)
        assert i18n.t("window_28d", lang).split()[0] in i18n.t("hz_last_28", lang)


def test_no_rolling_window_is_called_days_in_swedish():
    # "dygn" = whole 24-hour days back from now; "dagar" for those periods was what made
    # "30 dagar" (from midnight) and "30 dygn" (rolling) look like one period.
    pattern = re.compile(r"\b(7|28|30|90) dagar(na)?\b")
    offenders = {
        key: entry["sv"] for key, entry in i18n.catalogue().items() if pattern.search(entry["sv"])
    }
    assert offenders == {}


def test_calendar_aligned_periods_say_so():
    for lang, word in (("sv", "kalenderjusterat"), ("en", "calendar-aligned")):
        assert word in i18n.t("hz_since_help", lang).lower()
        assert word in i18n.t("hz_since_explain", lang, since="x", length="y", b0="a", b1="b")
        assert word in i18n.t("an_compstat_ytd", lang)
    assert "midnatt" in i18n.t("window_help_map", "sv")
