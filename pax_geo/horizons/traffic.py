"""The traffic light of an area's card: the count of a recent window against what is normal
for that area.

The rule (written out beside the light on the card, see ``RULE_KEYS``):

* *normal level* = the mean count over the equally long windows of the year before the
  current window (365 one-day windows for 24 h, 52 for 7 days, 12 for 30 days);
* *spread* = the standard deviation between those windows, but at least the square root of
  the normal level (the variation that chance alone gives counts of rare events);
* green: count at most normal + 1 spread;
* yellow: count above normal + 1 spread;
* red: count above normal + 2 spreads *and* at least ``RED_MIN_COUNT``;
* the area's light is the highest of its windows.

Counts that the database suppresses (``<3``) are ranges: the light is decided on the lowest
possible count and marked uncertain when the highest possible count would give another light.
Suppressed windows in the baseline are counted at their midpoint and the baseline is marked
as estimated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from pax_geo.horizons.counts import Count

LIGHTS: tuple[str, ...] = ("green", "yellow", "red")
YELLOW_SPREADS = 1.0
RED_SPREADS = 2.0
RED_MIN_COUNT = 3

#: Status windows: key -> (length, number of baseline windows covering the year before).
STATUS_WINDOWS: dict[str, tuple[timedelta, int]] = {
    "24h": (timedelta(hours=24), 365),
    "7d": (timedelta(days=7), 52),
    "30d": (timedelta(days=30), 12),
}

#: i18n keys of the rule text, in reading order (pax_geo/i18n/horizons.toml).
RULE_KEYS: tuple[str, ...] = (
    "hz_rule_normal",
    "hz_rule_spread",
    "hz_rule_green",
    "hz_rule_yellow",
    "hz_rule_red",
    "hz_rule_overall",
    "hz_rule_suppressed",
)


@dataclass(frozen=True)
class Baseline:
    mean: float
    empirical_sd: float
    n_windows: int
    estimated: bool = False  # some windows were suppressed and counted at their midpoint

    @property
    def spread(self) -> float:
        return max(self.empirical_sd, math.sqrt(self.mean))

    @property
    def yellow_above(self) -> float:
        return self.mean + YELLOW_SPREADS * self.spread

    @property
    def red_above(self) -> float:
        return self.mean + RED_SPREADS * self.spread


def baseline(windows: Sequence[Count]) -> Baseline:
    """Normal level and spread from the counts of earlier, equally long windows."""
    if not windows:
        raise ValueError("a baseline needs at least one earlier window")
    mids = [w.mid for w in windows]
    n = len(mids)
    mean = sum(mids) / n
    sd = math.sqrt(sum((m - mean) ** 2 for m in mids) / (n - 1)) if n > 1 else 0.0
    return Baseline(mean, sd, n, estimated=any(not w.is_exact for w in windows))


def light_for(count: float, b: Baseline) -> str:
    """The light for an exact count."""
    if count > b.red_above and count >= RED_MIN_COUNT:
        return "red"
    if count > b.yellow_above:
        return "yellow"
    return "green"


def worst(lights: Sequence[str]) -> str:
    if not lights:
        raise ValueError("no lights to combine")
    unknown = set(lights) - set(LIGHTS)
    if unknown:
        raise ValueError(f"unknown light(s): {', '.join(sorted(unknown))}")
    return max(lights, key=LIGHTS.index)


@dataclass(frozen=True)
class Status:
    window: str
    count: Count
    baseline: Baseline

    @property
    def light(self) -> str:
        """The light on the lowest possible count."""
        return light_for(self.count.lo, self.baseline)

    @property
    def light_at_most(self) -> str:
        """The light on the highest possible count."""
        return light_for(self.count.hi, self.baseline)

    @property
    def uncertain(self) -> bool:
        return self.light != self.light_at_most


def status(window: str, current: Count, earlier: Sequence[Count]) -> Status:
    if window not in STATUS_WINDOWS:
        raise ValueError(
            f"unknown status window {window!r}; use one of {', '.join(STATUS_WINDOWS)}"
        )
    return Status(window, current, baseline(earlier))


@dataclass(frozen=True)
class Overall:
    light: str
    light_at_most: str

    @property
    def uncertain(self) -> bool:
        return self.light != self.light_at_most


def overall(statuses: Sequence[Status]) -> Overall:
    """The area's light: the highest light of its windows."""
    return Overall(worst([s.light for s in statuses]), worst([s.light_at_most for s in statuses]))
