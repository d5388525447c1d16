"""Band classification against personal limits: edges, missing limits, baseline-relative limits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dho.scoring.api import BandLimits, ReadingArrays, SortedReadings, classify_bands
from dho.scoring.codes import N_CODES, Band, Metric

NAN = math.nan


def one_series(values: list[float], code: int = Metric.SPO2) -> SortedReadings:
    n = len(values)
    return ReadingArrays.from_columns([0] * n, [code] * n, np.arange(n) * 3600.0, values).sort_and_index()


def spo2_limits(red_low: float, yellow_low: float, yellow_high: float = NAN, red_high: float = NAN) -> BandLimits:
    limits = BandLimits.none(N_CODES)
    limits.set(Metric.SPO2, red_low=red_low, yellow_low=yellow_low, yellow_high=yellow_high, red_high=red_high)
    return limits


@pytest.mark.parametrize(
    ("value", "band"),
    [(87.9, Band.RED), (88.0, Band.YELLOW), (91.9, Band.YELLOW), (92.0, Band.GREEN), (100.0, Band.GREEN)],
)
def test_given_value_on_or_beside_a_low_limit_when_classified_then_limit_belongs_to_milder_band(
    value: float, band: Band
) -> None:
    assert classify_bands(one_series([value]), spo2_limits(88, 92))[0] == band


@pytest.mark.parametrize(
    ("value", "band"),
    [(160.0, Band.GREEN), (160.1, Band.YELLOW), (180.0, Band.YELLOW), (180.1, Band.RED), (89.9, Band.RED)],
)
def test_given_value_on_or_beside_a_high_limit_when_classified_then_limit_belongs_to_milder_band(
    value: float, band: Band
) -> None:
    limits = BandLimits.none(N_CODES)
    limits.set(Metric.SYSTOLIC_BP, red_low=90, yellow_low=100, yellow_high=160, red_high=180)
    assert classify_bands(one_series([value], Metric.SYSTOLIC_BP), limits)[0] == band


def test_given_nan_limits_when_classified_then_that_side_has_no_limit() -> None:
    result = classify_bands(one_series([0.0, 50.0, 1000.0]), spo2_limits(NAN, NAN, NAN, 200.0))
    assert result.tolist() == [Band.GREEN, Band.GREEN, Band.RED]


def test_given_only_red_limit_when_below_it_then_red_not_yellow() -> None:
    assert classify_bands(one_series([80.0]), spo2_limits(88, NAN))[0] == Band.RED


def test_given_limits_relative_to_baseline_when_classified_then_offsets_from_personal_baseline() -> None:
    baseline = np.full(N_CODES, NAN)
    baseline[Metric.SPO2] = 95.0
    limits = BandLimits.relative_to_baseline(baseline, yellow_below=3.0, red_below=7.0)
    result = classify_bands(one_series([95.0, 92.0, 91.9, 88.0, 87.9]), limits)
    assert result.tolist() == [Band.GREEN, Band.GREEN, Band.YELLOW, Band.YELLOW, Band.RED]


def test_given_relative_and_absolute_limits_when_tightest_then_stricter_per_side() -> None:
    # "yellow 3 below a baseline of 97 or below 92": the baseline rule is the stricter one here.
    baseline = np.full(N_CODES, NAN)
    baseline[Metric.SPO2] = 97.0
    relative = BandLimits.relative_to_baseline(baseline, yellow_below=3.0)
    combined = relative.tightest(spo2_limits(88, 92))
    assert combined.yellow_low[Metric.SPO2] == 94.0
    assert combined.red_low[Metric.SPO2] == 88.0  # NaN on one side yields to the defined limit
    assert classify_bands(one_series([93.5]), combined)[0] == Band.YELLOW


def test_given_limits_out_of_order_when_classified_then_rejected() -> None:
    with pytest.raises(ValueError, match="red_low <= yellow_low"):
        classify_bands(one_series([90.0]), spo2_limits(92, 88))


def test_given_limits_of_wrong_length_when_classified_then_rejected() -> None:
    with pytest.raises(ValueError, match="per series"):
        classify_bands(one_series([90.0]), BandLimits.none(3))
