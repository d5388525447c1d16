"""Trend rules: heart-failure weight gain, SpO2 below the 7-day rolling mean, EWMA, CUSUM, slope."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dho.scoring.api import ReadingArrays, SortedReadings, TrendParams, TrendResult, trends, weight_gain_alerts
from dho.scoring.codes import Metric

DAY = 86400.0
HOUR = 3600.0
T0 = 1_700_000_000.0 + 8 * HOUR  # a morning


def series(values: list[float] | np.ndarray, code: int = Metric.BODY_WEIGHT, step_s: float = DAY) -> SortedReadings:
    n = len(values)
    return ReadingArrays.from_columns([0] * n, [code] * n, T0 + np.arange(n) * step_s, values).sort_and_index()


def daily_weights_with_rise(rise_kg: float, stable_days: int = 7, baseline: float = 80.0) -> np.ndarray:
    rise = baseline + rise_kg * np.arange(1, 4) / 3  # day by day over 3 days
    return np.concatenate([np.full(stable_days, baseline), rise, np.full(3, baseline + rise_kg)])


def test_given_weight_up_2_5_kg_over_3_days_when_checked_then_heart_failure_rule_triggers() -> None:
    weights = daily_weights_with_rise(2.5)
    alerts = weight_gain_alerts(series(weights))
    first = int(np.argmax(alerts))
    assert alerts.any()
    assert first == 7 + 2  # the reading that completes the 3-day rise
    assert not alerts[:first].any()


def test_given_weight_up_1_5_kg_over_3_days_when_checked_then_no_alert() -> None:
    assert not weight_gain_alerts(series(daily_weights_with_rise(1.5))).any()


def test_given_stable_weight_with_daily_noise_when_checked_then_no_alert() -> None:
    noise = np.random.default_rng(7).normal(0.0, 0.3, 60)  # day-to-day scatter of a home scale
    weights = np.round(80.0 + noise, 1)
    assert not weight_gain_alerts(series(weights)).any()


def test_given_2_5_kg_rise_in_other_metric_when_checked_then_only_body_weight_counts() -> None:
    assert not weight_gain_alerts(series(daily_weights_with_rise(2.5), code=Metric.BLOOD_GLUCOSE)).any()


def test_given_weights_rising_1_kg_per_day_when_trended_then_slope_is_per_day_and_change_over_72_h() -> None:
    result = trends(series(80.0 + np.arange(10.0)))
    np.testing.assert_allclose(result.slope_per_day[1:], 1.0, rtol=1e-9)
    np.testing.assert_allclose(result.change[3:], 3.0, rtol=1e-9)  # 72 h window holds 4 daily readings
    assert math.isnan(result.slope_per_day[0]) and math.isnan(result.change[0])


def spo2_trend(values: list[float], **params: float) -> TrendResult:
    return trends(series(values, code=Metric.SPO2), TrendParams(**params))  # type: ignore[arg-type]


STABLE_SPO2 = [93, 95, 94, 96, 92, 94, 95] * 2  # two weeks, mean 94.1, SD 1.3


def test_given_spo2_fall_below_7_day_mean_minus_1_645_sd_when_trended_then_flagged() -> None:
    result = spo2_trend([*STABLE_SPO2, 90])
    assert result.below_rolling_mean[-1]
    assert not result.below_rolling_mean[:-1].any()


def test_given_spo2_dip_within_normal_scatter_when_trended_then_not_flagged() -> None:
    assert not spo2_trend([*STABLE_SPO2, 92]).below_rolling_mean.any()


def test_given_too_few_prior_readings_when_trended_then_rolling_rule_does_not_fire() -> None:
    result = spo2_trend([94, 95, 94, 80], rolling_min_prior=5)
    assert not result.below_rolling_mean.any()


def test_given_readings_older_than_7_days_when_trended_then_they_leave_the_rolling_window() -> None:
    # 8 low readings, then 7 high ones: at the last reading only the high ones are in the window.
    result = spo2_trend([85.0] * 8 + [97.0, 96.0, 97.0, 96.0, 97.0, 96.0, 97.0, 93.0])
    assert result.below_rolling_mean[-1]


def test_given_identical_week_and_equal_value_when_trended_then_not_below_mean() -> None:
    assert not spo2_trend([94.1] * 10).below_rolling_mean.any()


def test_given_identical_week_and_sd_floor_when_one_point_dip_then_not_flagged() -> None:
    assert not spo2_trend([94.0] * 8 + [93.0], rolling_sd_floor=1.0).below_rolling_mean.any()
    assert spo2_trend([94.0] * 8 + [93.0]).below_rolling_mean[-1]  # without the floor SD is 0


@pytest.mark.parametrize("steps", [1, 2, 4])
def test_given_step_after_one_half_life_when_ewma_then_halfway_however_it_is_sampled(steps: int) -> None:
    half_life_h = 24.0
    times = [T0] + [T0 + half_life_h * HOUR * (i + 1) / steps for i in range(steps)]
    readings = ReadingArrays.from_columns([0] * len(times), [Metric.SPO2] * len(times), times, [90.0] + [100.0] * steps)
    result = trends(readings.sort_and_index(), TrendParams(half_life_h=half_life_h))
    assert result.ewma[-1] == pytest.approx(95.0, rel=1e-12)
    assert math.isnan(result.residual[0])
    assert result.residual[1] == pytest.approx(10.0)


def test_given_sustained_spo2_fall_of_2_sd_when_cusum_then_downward_statistic_crosses_h() -> None:
    stable = [94.0, 95.0, 93.0, 94.0] * 5
    values = stable + [90.0] * 6
    result = trends(series(values, code=Metric.SPO2, step_s=12 * HOUR), TrendParams(cusum_k=0.5), sigma=2.0)
    h = 4.0
    assert not (result.cusum_down[: len(stable)] > h).any()
    assert (result.cusum_down[len(stable) :] > h).any()
    assert not (result.cusum_up > h).any()


def test_given_unknown_sigma_when_cusum_then_nan_not_zero() -> None:
    result = trends(series([94.0, 90.0, 85.0], code=Metric.SPO2))
    assert np.isnan(result.cusum_up).all() and np.isnan(result.cusum_down).all()


def test_given_invalid_trend_params_when_created_then_rejected() -> None:
    with pytest.raises(ValueError):
        TrendParams(half_life_h=0.0)
    with pytest.raises(ValueError):
        TrendParams(rolling_min_prior=1)
