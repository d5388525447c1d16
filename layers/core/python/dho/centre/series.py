"""One metric of a patient shaped for a chart (no I/O): the plan's bands, the alert rules that speak
about the metric, and the trend values the scoring computes over the series.

The trend values are the scoring's, with the settings the alert rules run with (``TREND_PARAMS``),
computed by ``dho.scoring.reference``: the plain-Python definition the numba kernels are tested equal
to (the API has no numba). They are computed over the period plus the scoring window before it, so
the first points of a chart carry the baseline scoring had then:

* ``value``: the personal baseline after the reading, a time-aware EWMA (half-life 72 h);
* ``slope_per_day``: least-squares slope over the 74 h change window (units per day);
* ``change``: newest minus oldest value in that window (the heart-failure weight-gain rule's number);
* ``below_personal_mean``: the reading is below its prior 7-day mean - 1.645 SD (the SpO2 trend rule).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dho.domain.findings import Rule
from dho.domain.metrics import Metric
from dho.domain.plans import MetricLimits
from dho.domain.timeline import TimelineEntry
from dho.evaluation.trend_settings import TREND_PARAMS
from dho.scoring import reference
from dho.scoring.codes import NEWS2_SOURCE_CODES
from dho.scoring.codes import Metric as Code


class Zone(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True, slots=True)
class ZoneBand:
    """Values between ``low`` and ``high`` are in ``zone`` (None: unbounded on that side). A value on
    an edge is in the milder of the two zones it touches, as the scoring classifies it."""

    zone: Zone
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class TrendPoint:
    at: datetime
    value: float  # the personal baseline (EWMA) after the reading
    slope_per_day: float | None
    change: float | None
    below_personal_mean: bool


_NEWS2_METRICS = frozenset(Metric(Code(code).wire_name) for code in NEWS2_SOURCE_CODES if code < len(Code))
_RULES: dict[Metric, frozenset[Rule]] = {
    Metric.SPO2: frozenset({Rule.SPO2_BAND, Rule.SPO2_BELOW_PERSONAL_MEAN}),
    Metric.HEART_RATE: frozenset({Rule.HEART_RATE_BAND}),
    Metric.RESPIRATORY_RATE: frozenset({Rule.RESPIRATORY_RATE_BAND}),
    Metric.SYSTOLIC_BP: frozenset({Rule.BLOOD_PRESSURE_BAND}),
    Metric.DIASTOLIC_BP: frozenset({Rule.BLOOD_PRESSURE_BAND}),
    Metric.BODY_WEIGHT: frozenset({Rule.WEIGHT_GAIN}),
    Metric.BODY_TEMPERATURE: frozenset({Rule.TEMPERATURE_BAND}),
    Metric.BLOOD_GLUCOSE: frozenset({Rule.GLUCOSE_BAND}),
}


def rules_of(metric: Metric) -> frozenset[Rule]:
    """The alert rules whose evidence includes this metric (NEWS2 for its parameters)."""
    return _RULES[metric] | ({Rule.NEWS2} if metric in _NEWS2_METRICS else frozenset())


def bands_of(limits: MetricLimits | None) -> tuple[ZoneBand, ...]:
    """The plan's zones of one metric from low to high, with its relative limits applied (the
    limits the scoring uses); no zones when the plan sets no limits for the metric."""
    if limits is None:
        return ()
    red_low, yellow_low, yellow_high, red_high = (None if math.isnan(v) else v for v in limits.effective())
    edges: list[tuple[Zone, float | None]] = []  # (zone, its upper edge), low to high
    if red_low is not None:
        edges.append((Zone.RED, red_low))
    if yellow_low is not None:
        edges.append((Zone.YELLOW, yellow_low))
    edges.append((Zone.GREEN, yellow_high if yellow_high is not None else red_high))
    if yellow_high is not None:
        edges.append((Zone.YELLOW, red_high))
    if red_high is not None:
        edges.append((Zone.RED, None))
    bands: list[ZoneBand] = []
    low: float | None = None
    for zone, high in edges:
        if low is None or high is None or low < high:  # a zone squeezed to nothing is left out
            bands.append(ZoneBand(zone, low, high))
        low = high
    return tuple(bands)


def trend_of(entries: Sequence[TimelineEntry]) -> tuple[TrendPoint, ...]:
    """The scoring's trend values at each reading of one metric's series (entries oldest first)."""
    measured = sorted((e for e in entries if e.value is not None), key=lambda e: e.measured_at)
    if not measured:
        return ()
    time = [e.measured_at.timestamp() for e in measured]
    value = [float(e.value) for e in measured if e.value is not None]
    offsets = [0, len(measured)]  # one series
    p = TREND_PARAMS
    baseline, _ = reference.ewma(offsets, time, value, p.half_life_h)
    slope, change = reference.slope_and_change(offsets, time, value, p.change_window_h * reference.SECONDS_PER_HOUR)
    below = reference.below_rolling_mean(offsets, time, value, p.rolling_window_h * reference.SECONDS_PER_HOUR,
                                         p.rolling_k, p.rolling_min_prior, p.rolling_sd_floor)
    return tuple(
        TrendPoint(at=e.measured_at, value=baseline[j], slope_per_day=_finite(slope[j]), change=_finite(change[j]),
                   below_personal_mean=below[j])
        for j, e in enumerate(measured)
    )


def _finite(value: float) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number
