"""GIVEN a metric's readings and a plan THEN the chart shows the trend values the scoring computes (the
numba kernels the alert rules run on) and the plan's zones as the scoring classifies values."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from dho.centre.series import Zone, ZoneBand, bands_of, rules_of, trend_of
from dho.domain.findings import Rule
from dho.domain.metrics import Metric
from dho.domain.plans import MetricLimits
from dho.domain.timeline import TimelineEntry
from dho.evaluation.trend_settings import TREND_PARAMS
from dho.scoring.api import BandLimits, ReadingArrays, classify_bands, trends
from dho.scoring.codes import Metric as Code

START = datetime(2026, 11, 1, 8, tzinfo=UTC)


def _entries(values: list[float], gaps_h: list[float]) -> list[TimelineEntry]:
    at, entries = START, []
    for n, (value, gap) in enumerate(zip(values, gaps_h, strict=True)):
        at += timedelta(hours=gap)
        entries.append(TimelineEntry("P-TEST0001", "spo2", at, at, "oxi-1", f"r-{n}", value=value, unit="%"))
    return entries


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_charts_trend_values_are_the_scoring_kernels(seed: int) -> None:
    # GIVEN forty irregular SpO2 readings with a dip (the personal-mean rule fires on some)
    rng = random.Random(seed)
    values = [float(rng.choice([95, 96, 97])) for _ in range(30)] + [float(rng.choice([88, 89, 90])) for _ in range(10)]
    entries = _entries(values, [rng.uniform(4, 30) for _ in values])

    # WHEN the chart computes its trend and the scoring kernels run on the same series
    chart = trend_of(entries)
    readings = ReadingArrays.from_columns([0] * len(values), [Code.SPO2] * len(values),
                                          [e.measured_at.timestamp() for e in entries], values).sort_and_index(1)
    kernel = trends(readings, TREND_PARAMS)

    # THEN every value agrees (to rounding) and so does every rule flag
    assert [t.at for t in chart] == [e.measured_at for e in entries]
    for j, point in enumerate(chart):
        assert point.value == pytest.approx(float(kernel.ewma[j]), rel=1e-12)
        assert point.below_personal_mean == bool(kernel.below_rolling_mean[j])
        for mine, theirs in ((point.slope_per_day, kernel.slope_per_day[j]), (point.change, kernel.change[j])):
            assert (mine is None) == math.isnan(theirs)
            if mine is not None:
                assert mine == pytest.approx(float(theirs), rel=1e-9, abs=1e-9)
    assert any(t.below_personal_mean for t in chart)  # the dip is what the SpO2 trend rule sees


def test_the_zones_are_the_plans_with_its_relative_limits_applied() -> None:
    # GIVEN SpO2 limits with a baseline: yellow under baseline - 3 (stricter than the absolute 92)
    limits = MetricLimits(red_low=88, yellow_low=92, baseline=97, yellow_below_baseline=3)

    zones = bands_of(limits)

    assert zones == (ZoneBand(Zone.RED, None, 88), ZoneBand(Zone.YELLOW, 88, 94), ZoneBand(Zone.GREEN, 94, None))
    # and every value falls in the zone the scoring puts it in (a value on an edge is in the milder zone)
    for value in (80.0, 88.0, 90.0, 93.9, 94.0, 99.0):
        readings = ReadingArrays.from_columns([0], [Code.SPO2], [0.0], [value]).sort_and_index(1)
        band_limits = BandLimits.none(readings.n_series)
        band_limits.set(readings.series_index(0, Code.SPO2), red_low=88, yellow_low=94)
        scored = ["green", "yellow", "red"][int(classify_bands(readings, band_limits)[0])]
        assert _zone_shown(zones, value) == scored, value


def _zone_shown(zones: tuple[ZoneBand, ...], value: float) -> str:
    """How a chart reads the zones: a value on an edge is in the milder of the two zones."""
    touching = [z.zone for z in zones if (z.low is None or value >= z.low) and (z.high is None or value <= z.high)]
    return min(touching, key=[Zone.GREEN, Zone.YELLOW, Zone.RED].index).value


def test_both_sides_of_a_pulse_plan_and_no_zones_without_limits() -> None:
    zones = bands_of(MetricLimits(red_low=40, yellow_low=50, yellow_high=100, red_high=130))

    assert [(z.zone.value, z.low, z.high) for z in zones] == [
        ("red", None, 40), ("yellow", 40, 50), ("green", 50, 100), ("yellow", 100, 130), ("red", 130, None)]
    assert bands_of(None) == ()


def test_a_metric_speaks_through_its_own_rules_and_news2() -> None:
    assert rules_of(Metric.SPO2) == {Rule.SPO2_BAND, Rule.SPO2_BELOW_PERSONAL_MEAN, Rule.NEWS2}
    assert rules_of(Metric.BODY_WEIGHT) == {Rule.WEIGHT_GAIN}
