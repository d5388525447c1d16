"""Missed measurements: a metric the plan expects is overdue once its interval + grace has passed since its
newest measurement (or since the end of a planned absence); the finding is yellow, names the metrics,
never a value, and its evidence time is the deadline (the same whenever it is checked)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dho.domain.findings import Rule, Severity
from dho.domain.metrics import Metric
from dho.domain.plans import MeasurementSchedule, Programme, SelfManagementPlan, plan_from_template, revise
from dho.domain.timeline import TimelineEntry
from dho.evaluation.adherence import Measured, missed_measurements, newest_measured
from tests.support.fakes import InMemoryTimeline

LAST = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
DAILY_DEADLINE = LAST + timedelta(hours=24 + 12)
NURSE = "9144900"


def _plan(programme: Programme = Programme.HEART_FAILURE) -> SelfManagementPlan:
    return plan_from_template("P-1", programme, LAST - timedelta(days=30))


def test_a_daily_weight_is_not_overdue_at_exactly_interval_plus_grace_and_is_one_microsecond_later() -> None:
    newest: dict[str, Measured | None] = {Metric.BODY_WEIGHT: Measured(LAST, "w-1")}
    at_deadline = missed_measurements(_plan(), newest, DAILY_DEADLINE)
    assert (at_deadline.finding, at_deadline.quiet) == (None, True)

    late = missed_measurements(_plan(), newest, DAILY_DEADLINE + timedelta(microseconds=1))
    assert late.finding is not None and not late.quiet
    assert (late.finding.rule, late.finding.severity) == (Rule.MISSED_MEASUREMENTS, Severity.YELLOW)
    assert late.finding.observed_at == DAILY_DEADLINE  # the deadline, not the time of the check
    assert late.finding.evidence == ("w-1",)
    assert "body_weight" in late.finding.detail


def test_the_finding_is_the_same_whenever_it_is_checked_so_repeated_checks_are_one_episode() -> None:
    newest: dict[str, Measured | None] = {Metric.BODY_WEIGHT: Measured(LAST, "w-1")}
    checks = [missed_measurements(_plan(), newest, DAILY_DEADLINE + timedelta(hours=h)).finding for h in (1, 2, 30)]
    assert checks[0] is not None and checks[0] == checks[1] == checks[2]


def test_several_overdue_metrics_are_named_and_the_newest_deadline_is_the_evidence_time() -> None:
    newest: dict[str, Measured | None] = {Metric.SPO2: Measured(LAST + timedelta(hours=3), "s-1"),
                                          Metric.HEART_RATE: Measured(LAST, "p-1")}
    now = LAST + timedelta(hours=40)
    finding = missed_measurements(_plan(Programme.COPD), newest, now).finding
    assert finding is not None
    assert "spo2" in finding.detail and "heart_rate" in finding.detail
    assert finding.observed_at == DAILY_DEADLINE + timedelta(hours=3)
    assert finding.evidence == ("p-1", "s-1")  # oldest first


def test_only_the_overdue_metric_is_named_when_the_other_is_on_schedule() -> None:
    newest: dict[str, Measured | None] = {Metric.SPO2: Measured(LAST + timedelta(hours=20), "s-1"),
                                          Metric.HEART_RATE: Measured(LAST, "p-1")}
    finding = missed_measurements(_plan(Programme.COPD), newest, LAST + timedelta(hours=40)).finding
    assert finding is not None
    assert "heart_rate" in finding.detail and "spo2" not in finding.detail


def test_the_detail_holds_no_measured_value() -> None:
    newest: dict[str, Measured | None] = {Metric.BODY_WEIGHT: Measured(LAST, "w-1")}
    finding = missed_measurements(_plan(), newest, LAST + timedelta(days=3)).finding
    assert finding is not None
    assert " kg" not in finding.detail and "82" not in finding.detail


def test_a_plan_without_expectations_is_quiet() -> None:
    verdict = missed_measurements(_plan(Programme.GENERIC), {}, LAST + timedelta(days=30))
    assert (verdict.finding, verdict.quiet) == (None, True)
    emptied = revise(_plan(), changed_by=NURSE, at=LAST, note="no schedule", expected_measurements={})
    verdict = missed_measurements(emptied, {Metric.BODY_WEIGHT: Measured(LAST, "w-1")}, LAST + timedelta(days=30))
    assert (verdict.finding, verdict.quiet) == (None, True)


def test_a_metric_never_measured_is_not_overdue() -> None:
    verdict = missed_measurements(_plan(Programme.COPD), {Metric.SPO2: None}, LAST + timedelta(days=30))
    assert (verdict.finding, verdict.quiet) == (None, True)


def test_a_planned_absence_mutes_it_and_the_clock_starts_again_when_it_ends() -> None:
    back = LAST + timedelta(days=5)
    paused = revise(_plan(), changed_by=NURSE, at=LAST + timedelta(days=1), note="hospital stay", paused_until=back)
    newest: dict[str, Measured | None] = {Metric.BODY_WEIGHT: Measured(LAST, "w-1")}
    during = missed_measurements(paused, newest, back - timedelta(minutes=1))
    assert (during.finding, during.quiet) == (None, True)
    just_back = missed_measurements(paused, newest, back + timedelta(hours=36))
    assert (just_back.finding, just_back.quiet) == (None, True)  # interval + grace from the end of the pause
    later = missed_measurements(paused, newest, back + timedelta(hours=36, seconds=1)).finding
    assert later is not None and later.observed_at == back + timedelta(hours=36)


def test_glucose_twice_a_day_is_overdue_after_12_plus_12_hours() -> None:
    plan = _plan(Programme.DIABETES)
    assert plan.measurement_schedule() == {Metric.BLOOD_GLUCOSE: MeasurementSchedule(every_hours=12)}
    newest: dict[str, Measured | None] = {Metric.BLOOD_GLUCOSE: Measured(LAST, "g-1")}
    assert missed_measurements(plan, newest, LAST + timedelta(hours=24)).finding is None
    assert missed_measurements(plan, newest, LAST + timedelta(hours=24, seconds=1)).finding is not None


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        missed_measurements(_plan(), {}, datetime(2026, 11, 20, 8, 0))  # naive on purpose


def test_newest_measured_uses_the_window_and_queries_only_for_what_it_lacks() -> None:
    def entry(series: str, at: datetime, rid: str) -> TimelineEntry:
        return TimelineEntry("P-1", series, at, at, "dev", rid, value=1.0)

    old_pulse = entry("heart_rate", LAST - timedelta(days=10), "p-old")
    window = [entry("spo2", LAST, "s-1"), entry("spo2", LAST + timedelta(hours=1), "s-2")]
    later = entry("heart_rate", LAST + timedelta(hours=5), "p-later")  # after the evaluation time: not seen
    timeline = InMemoryTimeline(entries=[old_pulse, *window, later])
    newest = newest_measured(timeline, _plan(Programme.COPD), LAST + timedelta(hours=2), window)
    assert newest == {Metric.SPO2: Measured(LAST + timedelta(hours=1), "s-2", "dev"),
                      Metric.HEART_RATE: Measured(LAST - timedelta(days=10), "p-old", "dev"),
                      "symptoms.copd": None}  # the COPD questionnaire, never answered


def test_a_late_questionnaire_is_missed_like_a_metric_and_named_by_its_id_alone() -> None:
    # COPD expects SpO2, pulse and the COPD questionnaire daily: the measurements are on time, the answer is not.
    measured_now = LAST + timedelta(hours=30)
    newest: dict[str, Measured | None] = {Metric.SPO2: Measured(measured_now, "s-1"),
                                          Metric.HEART_RATE: Measured(measured_now, "p-1"),
                                          "symptoms.copd": Measured(LAST, "q-1")}
    assert missed_measurements(_plan(Programme.COPD), newest, DAILY_DEADLINE).finding is None

    finding = missed_measurements(_plan(Programme.COPD), newest, DAILY_DEADLINE + timedelta(seconds=1)).finding

    assert finding is not None and (finding.rule, finding.severity) == (Rule.MISSED_MEASUREMENTS, Severity.YELLOW)
    assert (finding.evidence, finding.observed_at) == (("q-1",), DAILY_DEADLINE)
    assert finding.detail.startswith("no measurement within the plan's schedule: questionnaire copd (every 24 h")
    assert "spo2" not in finding.detail


def test_the_newest_answer_of_each_planned_questionnaire_is_read_from_its_series() -> None:
    answer = TimelineEntry("P-1", "symptoms.phq9", LAST, LAST, "app", "q-1", answers=(("phq9_1", "LA6568-5"),))
    timeline = InMemoryTimeline(entries=[answer])

    newest = newest_measured(timeline, _plan(Programme.MENTAL_HEALTH), LAST + timedelta(days=1))

    assert newest == {"symptoms.gad7": None, "symptoms.phq9": Measured(LAST, "q-1", "app")}
