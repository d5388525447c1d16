"""Self-management plans: programme templates, personal limits, versioned changes."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from dho.domain.metrics import Metric
from dho.domain.plans import MetricLimits, Programme, plan_from_template, revise

AT = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize("programme", list(Programme))
def test_every_programme_has_a_valid_template_with_spo2_limits(programme: Programme) -> None:
    plan = plan_from_template("P-1", programme, AT)
    assert (plan.version, plan.changed_by) == (1, "template")
    red_low, yellow_low, _, _ = plan.limits[Metric.SPO2].effective()
    assert red_low < yellow_low


def test_only_hypercapnic_copd_uses_spo2_scale_2_with_target_88_to_92() -> None:
    scales = {p: plan_from_template("P-1", p, AT).spo2_scale for p in Programme}
    assert {p for p, scale in scales.items() if scale == 2} == {Programme.COPD_HYPERCAPNIC}
    hypercapnic = plan_from_template("P-1", Programme.COPD_HYPERCAPNIC, AT)
    assert hypercapnic.limits[Metric.SPO2].effective()[1] == 88  # below 88 % is outside the target


def test_scale_2_is_refused_for_a_plan_that_is_not_hypercapnic() -> None:
    plan = plan_from_template("P-1", Programme.COPD, AT)
    with pytest.raises(ValidationError, match="hypercapnic"):
        revise(plan, changed_by="9144900", at=AT, note="wrong scale", spo2_scale=2)


def test_heart_failure_plans_watch_weight_and_copd_plans_watch_the_spo2_trend() -> None:
    assert plan_from_template("P-1", Programme.HEART_FAILURE, AT).trends.weight_gain_kg == 2.0
    assert plan_from_template("P-1", Programme.COPD, AT).trends.spo2_below_rolling_mean


def test_a_revision_is_a_new_version_that_says_who_changed_what_and_why() -> None:
    plan = plan_from_template("P-1", Programme.COPD, AT)
    later = datetime(2026, 11, 5, tzinfo=UTC)
    revised = revise(plan, changed_by="9144900", at=later, note="patient on home oxygen", on_home_oxygen=True)
    assert (revised.version, revised.changed_by, revised.changed_at, revised.on_home_oxygen) == (
        2, "9144900", later, True)
    assert plan.version == 1 and not plan.on_home_oxygen  # the old version is unchanged


def test_relative_limits_apply_where_they_are_stricter_than_absolute_ones() -> None:
    limits = MetricLimits(red_low=88, yellow_low=92, baseline=97, yellow_below_baseline=3, red_below_baseline=12)
    red_low, yellow_low, yellow_high, red_high = limits.effective()
    assert (red_low, yellow_low) == (88, 94)  # 97 - 12 = 85 is laxer than 88; 97 - 3 = 94 is stricter than 92
    assert math.isnan(yellow_high) and math.isnan(red_high)


def test_limits_out_of_order_are_refused() -> None:
    with pytest.raises(ValidationError, match="red_low <= yellow_low"):
        MetricLimits(red_low=92, yellow_low=88)
