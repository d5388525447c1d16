"""Self-management plans: programme templates, personal limits, versioned changes."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from dho.domain.metrics import Metric
from dho.domain.plans import (
    MeasurementSchedule,
    MetricLimits,
    Programme,
    SelfManagementPlan,
    plan_from_template,
    revise,
)

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


def test_each_programme_expects_its_measurements_and_generic_none() -> None:
    daily = MeasurementSchedule(every_hours=24, grace_hours=12)
    expected = {p: plan_from_template("P-1", p, AT).measurement_schedule() for p in Programme}
    assert expected == {
        Programme.COPD: {Metric.SPO2: daily, Metric.HEART_RATE: daily},
        Programme.COPD_HYPERCAPNIC: {Metric.SPO2: daily, Metric.HEART_RATE: daily},
        Programme.HEART_FAILURE: {Metric.BODY_WEIGHT: daily},
        Programme.DIABETES: {Metric.BLOOD_GLUCOSE: MeasurementSchedule(every_hours=12, grace_hours=12)},
        Programme.CANCER: {},  # followed by what the patient reports (ESAS-r)
        Programme.MENTAL_HEALTH: {},  # PHQ-9 and GAD-7
        Programme.GENERIC: {},
    }


def test_a_plan_stored_before_schedules_existed_gets_its_programmes_schedule() -> None:
    stored = json.loads(plan_from_template("P-1", Programme.HEART_FAILURE, AT).model_dump_json())
    del stored["expected_measurements"], stored["paused_until"]
    old = SelfManagementPlan.model_validate_json(json.dumps(stored))
    assert old.expected_measurements is None and old.paused_until is None
    assert old.measurement_schedule() == {Metric.BODY_WEIGHT: MeasurementSchedule(every_hours=24)}


def test_a_nurse_changes_the_schedule_and_plans_an_absence_in_a_new_version_that_round_trips() -> None:
    plan = plan_from_template("P-1", Programme.COPD, AT)
    back = datetime(2026, 11, 12, tzinfo=UTC)
    revised = revise(plan, changed_by="9144900", at=AT, note="SpO2 every other day; in hospital until the 12th",
                     expected_measurements={Metric.SPO2: MeasurementSchedule(every_hours=48)}, paused_until=back)
    assert revised.version == 2 and revised.paused_until == back
    assert revised.measurement_schedule() == {Metric.SPO2: MeasurementSchedule(every_hours=48)}
    assert SelfManagementPlan.model_validate_json(revised.model_dump_json()) == revised
    none = revise(revised, changed_by="9144900", at=AT, note="none", expected_measurements={})
    assert none.measurement_schedule() == {}


def test_a_pause_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        revise(plan_from_template("P-1", Programme.COPD, AT), changed_by="9144900", at=AT, note="x",
               paused_until=datetime(2026, 11, 12))  # naive on purpose
