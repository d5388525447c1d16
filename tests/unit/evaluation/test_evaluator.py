"""Scoring a patient's recent timeline against their plan gives the findings a nurse expects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dho.domain.findings import Rule, Severity
from dho.domain.metrics import Metric
from dho.domain.plans import MetricLimits, Programme, SelfManagementPlan, plan_from_template, revise
from dho.domain.symptoms import Answer, Questionnaire
from dho.domain.timeline import TimelineEntry, symptom_series
from dho.evaluation.evaluator import evaluate
from dho.evaluation.windows import load_window
from tests.support.fakes import InMemoryTimeline

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
UNITS = {Metric.SPO2: "%", Metric.BODY_WEIGHT: "kg", Metric.HEART_RATE: "/min", Metric.BODY_TEMPERATURE: "Cel",
         Metric.RESPIRATORY_RATE: "/min", Metric.SYSTOLIC_BP: "mm[Hg]"}


def _entry(patient: str, metric: Metric, value: float, hours_ago: float, rid: str) -> TimelineEntry:
    at = NOW - timedelta(hours=hours_ago)
    return TimelineEntry(patient, metric.value, at, at, "dev-1", rid, value=value, unit=UNITS[metric])


def _symptoms(patient: str, questionnaire: Questionnaire, hours_ago: float, **answers: Answer) -> TimelineEntry:
    at = NOW - timedelta(hours=hours_ago)
    return TimelineEntry(patient, symptom_series(questionnaire), at, at, "app-1", f"s-{hours_ago}",
                         answers=tuple(sorted(answers.items())))


def _evaluate(plan: SelfManagementPlan, *entries: TimelineEntry) -> dict[Rule, tuple[Severity, str]]:
    timeline = InMemoryTimeline(entries=list(entries))
    (evaluation,) = evaluate([load_window(timeline, plan, NOW)])
    return {f.rule: (f.severity, f.detail) for f in evaluation.findings}


def _hf(patient: str = "P-HF") -> SelfManagementPlan:
    return plan_from_template(patient, Programme.HEART_FAILURE, NOW - timedelta(days=30))


def test_heart_failure_weight_up_2_5_kg_in_three_days_is_a_yellow_weight_alert() -> None:
    weights = [_entry("P-HF", Metric.BODY_WEIGHT, 80.0 + 2.5 * day / 3, 72 - 24 * day, f"w{day}")
               for day in range(4)]
    findings = _evaluate(_hf(), *weights)
    assert findings[Rule.WEIGHT_GAIN][0] is Severity.YELLOW
    assert "2.5 kg" in findings[Rule.WEIGHT_GAIN][1]


def test_heart_failure_weight_up_1_5_kg_in_three_days_is_quiet() -> None:
    weights = [_entry("P-HF", Metric.BODY_WEIGHT, 80.0 + 0.5 * day, 72 - 24 * day, f"w{day}") for day in range(4)]
    timeline = InMemoryTimeline(entries=weights)
    (evaluation,) = evaluate([load_window(timeline, _hf(), NOW)])
    assert evaluation.findings == ()
    assert Rule.WEIGHT_GAIN in evaluation.quiet_rules


def test_spo2_below_the_red_band_confirmed_by_a_re_measurement_is_red_and_names_both_readings() -> None:
    plan = plan_from_template("P-C", Programme.COPD, NOW)
    timeline = InMemoryTimeline(entries=[_entry("P-C", Metric.SPO2, 86, 1.2, "r-low"),
                                         _entry("P-C", Metric.SPO2, 86, 1, "r-again")])
    (evaluation,) = evaluate([load_window(timeline, plan, NOW)])
    (finding,) = [f for f in evaluation.findings if f.rule is Rule.SPO2_BAND]
    assert (finding.severity, finding.evidence) == (Severity.RED, ("r-low", "r-again"))


def test_one_spo2_reading_in_the_red_band_above_the_safety_floor_waits_for_a_re_measurement() -> None:
    plan = plan_from_template("P-C", Programme.COPD, NOW)
    timeline = InMemoryTimeline(entries=[_entry("P-C", Metric.SPO2, 86, 1, "r-low")])
    (evaluation,) = evaluate([load_window(timeline, plan, NOW)])
    assert evaluation.findings == ()
    assert Rule.SPO2_BAND not in evaluation.quiet_rules  # not confirmed either way: an open alert stays


def test_one_spo2_reading_below_the_safety_floor_is_red_at_once() -> None:
    plan = plan_from_template("P-C", Programme.COPD, NOW)
    timeline = InMemoryTimeline(entries=[_entry("P-C", Metric.SPO2, 84, 1, "r-floor")])
    (evaluation,) = evaluate([load_window(timeline, plan, NOW)])
    (finding,) = [f for f in evaluation.findings if f.rule is Rule.SPO2_BAND]
    assert (finding.severity, finding.evidence) == (Severity.RED, ("r-floor",))
    assert "safety floor" in finding.detail


def test_a_re_measurement_back_in_band_clears_a_single_low_reading() -> None:
    plan = plan_from_template("P-C", Programme.COPD, NOW)
    findings = _evaluate(plan, _entry("P-C", Metric.SPO2, 86, 1.3, "artefact"), _entry("P-C", Metric.SPO2, 95, 1, "ok"))
    assert Rule.SPO2_BAND not in findings


def test_a_personal_baseline_makes_a_smaller_fall_yellow() -> None:
    plan = plan_from_template("P-C", Programme.COPD, NOW)
    personal = revise(plan, changed_by="9144900", at=NOW, note="usual SpO2 97 %", limits={
        **plan.limits, Metric.SPO2: MetricLimits(red_low=88, yellow_low=92, baseline=97, yellow_below_baseline=3)})
    readings = (_entry("P-C", Metric.SPO2, 93, 13, "r1"), _entry("P-C", Metric.SPO2, 93, 1, "r2"))
    assert Rule.SPO2_BAND not in _evaluate(plan, *readings)
    assert _evaluate(personal, *readings)[Rule.SPO2_BAND][0] is Severity.YELLOW


def test_hypercapnic_copd_scores_spo2_88_as_green_on_scale_2() -> None:
    plan = plan_from_template("P-H", Programme.COPD_HYPERCAPNIC, NOW)
    findings = _evaluate(plan, _entry("P-H", Metric.SPO2, 88, 1, "r"))
    assert Rule.SPO2_BAND not in findings and Rule.NEWS2 not in findings


def test_a_single_news2_parameter_scoring_3_confirmed_by_a_re_measurement_is_red_even_if_the_total_is_low() -> None:
    plan = plan_from_template("P-G", Programme.GENERIC, NOW)
    findings = _evaluate(plan, _entry("P-G", Metric.RESPIRATORY_RATE, 27, 1.3, "rr-first"),
                         _entry("P-G", Metric.RESPIRATORY_RATE, 26, 1, "rr"),
                         _entry("P-G", Metric.HEART_RATE, 70, 1, "hr"))
    assert findings[Rule.NEWS2][0] is Severity.RED
    assert "2 of 7 parameters" in findings[Rule.NEWS2][1]  # a partial score says what it had


def test_news2_and_weight_gain_findings_carry_their_score_so_a_worse_one_can_break_a_snooze() -> None:
    plan = plan_from_template("P-G", Programme.GENERIC, NOW)
    timeline = InMemoryTimeline(entries=[_entry("P-G", Metric.RESPIRATORY_RATE, 26, 1, "rr"),
                                         _entry("P-G", Metric.SPO2, 91, 1, "spo2"),
                                         _entry("P-G", Metric.HEART_RATE, 115, 1, "hr")])
    (evaluation,) = evaluate([load_window(timeline, plan, NOW)])
    (news2,) = [f for f in evaluation.findings if f.rule is Rule.NEWS2]
    assert news2.score == float(news2.detail.split()[1])  # the total the nurse reads
    weights = [_entry("P-HF", Metric.BODY_WEIGHT, 80.0 + 2.5 * day / 3, 72 - 24 * day, f"w{day}")
               for day in range(4)]
    (evaluation,) = evaluate([load_window(InMemoryTimeline(entries=weights), _hf(), NOW)])
    (gain,) = [f for f in evaluation.findings if f.rule is Rule.WEIGHT_GAIN]
    assert gain.score == 2.5
    confirmed = [_entry("P-G", Metric.SPO2, 86, 1, "r1"), _entry("P-G", Metric.SPO2, 86, 0.5, "r2")]
    spo2 = evaluate([load_window(InMemoryTimeline(entries=confirmed), plan, NOW)])
    assert {f.rule: f.score for f in spo2[0].findings}.get(Rule.SPO2_BAND, "none") is None  # the band is the grade


def test_a_single_news2_parameter_scoring_3_in_one_home_reading_waits_for_its_re_measurement() -> None:
    plan = plan_from_template("P-G", Programme.GENERIC, NOW)
    findings = _evaluate(plan, _entry("P-G", Metric.RESPIRATORY_RATE, 26, 1, "rr"),
                         _entry("P-G", Metric.HEART_RATE, 70, 1, "hr"))
    assert Rule.NEWS2 not in findings


def test_a_news2_total_of_7_is_red_from_single_readings() -> None:
    plan = plan_from_template("P-G", Programme.GENERIC, NOW)
    findings = _evaluate(plan, _entry("P-G", Metric.RESPIRATORY_RATE, 26, 1, "rr"),
                         _entry("P-G", Metric.SPO2, 91, 1, "spo2"), _entry("P-G", Metric.HEART_RATE, 115, 1, "hr"))
    assert findings[Rule.NEWS2][0] is Severity.RED  # 3 + 3 + 2 = 8: emergency, no waiting


def test_news2_of_one_measured_parameter_is_left_to_that_parameters_band_rule() -> None:
    plan = plan_from_template("P-C", Programme.COPD, NOW)
    findings = _evaluate(plan, _entry("P-C", Metric.SPO2, 84, 1, "low"))
    assert set(findings) == {Rule.SPO2_BAND}  # one alert about one number, not two


@pytest.mark.parametrize(
    ("questionnaire", "answers", "expected"),
    [
        (Questionnaire.COPD, {"breathlessness": "at_rest"}, Severity.RED),
        (Questionnaire.COPD, {"sputum_colour": "green", "breathlessness": "usual"}, Severity.YELLOW),
        (Questionnaire.HEART_FAILURE, {"dizziness": True}, Severity.RED),
        (Questionnaire.HEART_FAILURE, {"orthopnoea": True}, Severity.YELLOW),
    ],
)
def test_symptom_answers_map_to_their_action_plan_zone(
    questionnaire: Questionnaire, answers: dict[str, Answer], expected: Severity
) -> None:
    # A red answer is red at once; yellow answers twice in the newest three reports (a change, not a bad day).
    findings = _evaluate(_hf("P-S"), _symptoms("P-S", questionnaire, 26, **answers),
                         _symptoms("P-S", questionnaire, 2, **answers))
    assert findings[Rule.SYMPTOMS][0] is expected


def test_new_confusion_in_a_symptom_report_counts_as_consciousness_in_news2() -> None:
    findings = _evaluate(_hf("P-S"), _symptoms("P-S", Questionnaire.COPD, 2, confusion=True),
                         _entry("P-S", Metric.HEART_RATE, 72, 2, "hr"))
    assert findings[Rule.NEWS2][0] is Severity.RED  # C on ACVPU scores 3
    assert findings[Rule.SYMPTOMS][0] is Severity.RED


def test_readings_older_than_a_day_raise_nothing_new() -> None:
    findings = _evaluate(plan_from_template("P-C", Programme.COPD, NOW),
                         _entry("P-C", Metric.SPO2, 80, 30, "old"))
    assert findings == {}


def test_patients_are_scored_independently_in_one_pass() -> None:
    timeline = InMemoryTimeline(entries=[_entry("P-A", Metric.SPO2, 84, 1, "a"),
                                         _entry("P-B", Metric.SPO2, 97, 1, "b")])
    plans = [plan_from_template(p, Programme.COPD, NOW) for p in ("P-A", "P-B")]
    first, second = evaluate([load_window(timeline, plan, NOW) for plan in plans])
    assert {f.rule for f in first.findings if f.severity is Severity.RED} == {Rule.SPO2_BAND}
    assert second.findings == () and Rule.SPO2_BAND in second.quiet_rules


def test_a_single_out_of_band_reading_awaits_its_re_measurement_with_its_band_and_a_green_one_does_not() -> None:
    plan = plan_from_template("P-C", Programme.COPD, NOW)  # yellow below 92 %, red below 88 %, floor 85 %
    for value, awaiting in ((86, Severity.RED), (90, Severity.YELLOW), (95, None)):
        timeline = InMemoryTimeline(entries=[_entry("P-C", Metric.SPO2, value, 0.1, "r")])
        (evaluation,) = evaluate([load_window(timeline, plan, NOW)])
        assert evaluation.findings == () and evaluation.awaiting("r") is awaiting
        assert "r" in evaluation.assessed_readings
    confirmed = [_entry("P-C", Metric.SPO2, 86, 0.2, "r1"), _entry("P-C", Metric.SPO2, 87, 0.1, "r2")]
    (evaluation,) = evaluate([load_window(InMemoryTimeline(entries=confirmed), plan, NOW)])
    assert [(f.rule, f.severity) for f in evaluation.findings] == [(Rule.SPO2_BAND, Severity.RED)]
    assert evaluation.awaiting("r2") is None  # confirmed: an alert, nothing to wait for
