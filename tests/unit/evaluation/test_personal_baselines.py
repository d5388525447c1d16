"""A confirmed personal baseline quiets a chronically abnormal but stable patient, keeps the safety floors,
catches slow heart-failure gains against the dry weight and reads symptoms against the patient's habit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dho.domain.baselines import MetricBaseline, PersonalBaseline
from dho.domain.findings import Rule, Severity
from dho.domain.metrics import Metric
from dho.domain.plans import Programme, SelfManagementPlan, plan_from_template, revise
from dho.domain.symptoms import Answer, Questionnaire
from dho.domain.timeline import TimelineEntry, symptom_series
from dho.evaluation.baselines import learn_baseline
from dho.evaluation.evaluator import evaluate
from dho.evaluation.windows import load_window
from tests.support.fakes import InMemoryTimeline

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
UNITS = {Metric.SPO2: "%", Metric.BODY_WEIGHT: "kg", Metric.HEART_RATE: "/min"}


def _entry(patient: str, metric: Metric, value: float, hours_ago: float) -> TimelineEntry:
    at = NOW - timedelta(hours=hours_ago)
    return TimelineEntry(patient, metric.value, at, at, "dev-1", f"{metric.value}-{hours_ago}", value=value,
                         unit=UNITS[metric])


def _report(patient: str, hours_ago: float, **answers: Answer) -> TimelineEntry:
    at = NOW - timedelta(hours=hours_ago)
    return TimelineEntry(patient, symptom_series(Questionnaire.COPD), at, at, "app-1", f"s-{hours_ago}",
                         answers=tuple(sorted(answers.items())))


def _confirmed(plan: SelfManagementPlan, usual_symptom_share: float | None = None,
               **metrics: tuple[float, float]) -> SelfManagementPlan:
    baseline = PersonalBaseline(
        metrics={Metric(name): MetricBaseline(median=m, spread=s, readings=14) for name, (m, s) in metrics.items()},
        usual_symptom_share=usual_symptom_share, learned_from=NOW - timedelta(days=30),
        learned_to=NOW - timedelta(days=16), confirmed_by="9144900", confirmed_at=NOW - timedelta(days=16))
    return revise(plan, changed_by="9144900", at=NOW - timedelta(days=16), note="run-in", baseline=baseline)


def _findings(plan: SelfManagementPlan, *entries: TimelineEntry) -> dict[Rule, Severity]:
    (evaluation,) = evaluate([load_window(InMemoryTimeline(entries=list(entries)), plan, NOW)])
    return {f.rule: f.severity for f in evaluation.findings}


def _copd(patient: str = "P-C") -> SelfManagementPlan:
    return plan_from_template(patient, Programme.COPD, NOW - timedelta(days=40))


def test_a_stable_patient_with_a_confirmed_usual_spo2_of_89_is_not_alerted_at_every_reading() -> None:
    readings = (_entry("P-C", Metric.SPO2, 89, 13), _entry("P-C", Metric.SPO2, 88, 1),
                _entry("P-C", Metric.HEART_RATE, 80, 13), _entry("P-C", Metric.HEART_RATE, 82, 1))
    assert _findings(_copd(), *readings)[Rule.SPO2_BAND] is Severity.YELLOW  # the template's 92 % judges
    assert _findings(_confirmed(_copd(), spo2=(89, 1.0), heart_rate=(80, 4.0)), *readings) == {}


def test_a_fall_from_the_confirmed_baseline_is_yellow_and_the_safety_floor_stays_red() -> None:
    plan = _confirmed(_copd(), spo2=(89, 1.0))
    assert _findings(plan, _entry("P-C", Metric.SPO2, 85, 13), _entry("P-C", Metric.SPO2, 85, 1)) == {
        Rule.SPO2_BAND: Severity.YELLOW}  # 4 points down (the band's yellow starts 3 below the baseline)
    assert _findings(plan, _entry("P-C", Metric.SPO2, 84, 1))[Rule.SPO2_BAND] is Severity.RED


def test_a_fall_from_a_high_baseline_is_seen_inside_the_template_bands() -> None:
    plan = _confirmed(_copd(), spo2=(97, 1.0))
    findings = _findings(plan, _entry("P-C", Metric.SPO2, 93, 13), _entry("P-C", Metric.SPO2, 93, 1))
    assert findings[Rule.SPO2_BAND] is Severity.YELLOW  # 93 is green on the template (yellow below 92)


def test_before_a_baseline_is_confirmed_the_windows_own_readings_keep_a_chronic_value_quiet() -> None:
    usual = [_entry("P-C", Metric.SPO2, 89 + (i % 2), 24 * (7 - i)) for i in range(7)]
    findings = _findings(_copd(), *usual, _entry("P-C", Metric.SPO2, 89, 13), _entry("P-C", Metric.SPO2, 89, 1))
    assert Rule.SPO2_BAND not in findings


def _hf_with_dry_weight(dry: float) -> SelfManagementPlan:
    return _confirmed(plan_from_template("P-HF", Programme.HEART_FAILURE, NOW - timedelta(days=40)),
                      body_weight=(dry, 0.3))


def test_a_slow_heart_failure_gain_over_the_dry_weight_is_yellow_although_under_2_kg_in_3_days() -> None:
    weights = [_entry("P-HF", Metric.BODY_WEIGHT, 80.0 + 0.2 * day, 24 * (7 - day)) for day in range(8)]
    findings = _findings(_hf_with_dry_weight(80.0), *weights)  # +1.4 kg in a week, +0.6 in 3 days
    assert findings[Rule.WEIGHT_GAIN] is Severity.YELLOW


def test_a_gain_over_the_weighings_of_4_days_before_is_yellow_though_still_under_the_dry_weight_margin() -> None:
    # the dry weight learned months ago was 80.0; the patient settled at 79.0 and now gains 1.75 kg in a week
    weights = [_entry("P-HF", Metric.BODY_WEIGHT, 79.0 + 0.25 * day, 24 * (7 - day)) for day in range(8)]
    assert _findings(_hf_with_dry_weight(80.0), *weights) == {Rule.WEIGHT_GAIN: Severity.YELLOW}
    steady = [_entry("P-HF", Metric.BODY_WEIGHT, 80.4 + 0.1 * (day % 2), 24 * (7 - day)) for day in range(8)]
    assert _findings(_hf_with_dry_weight(80.0), *steady) == {}


def test_one_weighing_in_clothes_is_not_a_gain_over_the_dry_weight() -> None:
    findings = _findings(_hf_with_dry_weight(80.0), _entry("P-HF", Metric.BODY_WEIGHT, 80.2, 24),
                         _entry("P-HF", Metric.BODY_WEIGHT, 81.4, 0.5))
    assert Rule.WEIGHT_GAIN not in findings


def test_one_bad_day_in_the_answers_is_not_a_change_but_a_second_one_is() -> None:
    plan = _confirmed(_copd(), usual_symptom_share=0.04)
    one = (_report("P-C", 26), _report("P-C", 2, sputum_colour="green"))
    assert Rule.SYMPTOMS not in _findings(plan, *one)
    two = (_report("P-C", 26, breathlessness="more_than_usual"), _report("P-C", 2, sputum_colour="green"))
    assert _findings(plan, *two)[Rule.SYMPTOMS] is Severity.YELLOW


def test_a_frequent_reporter_needs_one_more_worse_report_and_a_red_answer_is_red_at_once() -> None:
    plan = _confirmed(_copd(), usual_symptom_share=0.3)
    two = (_report("P-C", 26, fever=True), _report("P-C", 2, sputum_colour="green"))
    assert Rule.SYMPTOMS not in _findings(plan, *two)
    three = (_report("P-C", 50, fever=True), *two)
    assert _findings(plan, *three)[Rule.SYMPTOMS] is Severity.YELLOW
    assert _findings(plan, _report("P-C", 2, breathlessness="at_rest"))[Rule.SYMPTOMS] is Severity.RED


def test_a_baseline_is_the_median_and_robust_spread_of_the_run_in() -> None:
    values = [95, 96, 94, 95, 95, 93, 96, 60]  # one artefact does not move a median
    entries = [_entry("P-C", Metric.SPO2, v, 24 * (8 - i)) for i, v in enumerate(values)]
    entries += [_report("P-C", 24 * i + 1, fever=i == 0) for i in range(4)]
    baseline = learn_baseline(entries, learned_from=NOW - timedelta(days=9), learned_to=NOW, confirmed_by="9144900",
                              confirmed_at=NOW)
    assert baseline is not None
    assert baseline.metrics[Metric.SPO2].median == 95
    assert 0.5 < baseline.metrics[Metric.SPO2].spread < 2.0
    # 1 of 4 reports worse than green, shrunk towards the usual 5 % with the weight of 10 reports: four answers
    # do not make a frequent reporter
    assert baseline.usual_symptom_share == round((1 + 0.5) / (4 + 10), 3)


def test_too_few_readings_teach_no_baseline() -> None:
    entries = [_entry("P-C", Metric.SPO2, 95, 24 * i) for i in range(3)]
    assert learn_baseline(entries, learned_from=NOW - timedelta(days=9), learned_to=NOW, confirmed_by="9144900",
                          confirmed_at=NOW) is None


def test_spo2_and_pulse_moving_together_from_the_baseline_are_a_combined_yellow_though_each_is_in_band() -> None:
    plan = _confirmed(_copd(), spo2=(95, 1.0), heart_rate=(75, 4.0))
    readings = (_entry("P-C", Metric.SPO2, 93, 13), _entry("P-C", Metric.SPO2, 93, 1),
                _entry("P-C", Metric.HEART_RATE, 81, 13), _entry("P-C", Metric.HEART_RATE, 82, 1))
    assert _findings(plan, *readings) == {Rule.COMBINED_DEVIATION: Severity.YELLOW}


def test_one_artefact_reading_with_a_low_spo2_and_a_wild_pulse_raises_nothing() -> None:
    plan = _confirmed(_copd(), spo2=(95, 1.0), heart_rate=(75, 4.0))
    readings = (_entry("P-C", Metric.SPO2, 95, 13), _entry("P-C", Metric.SPO2, 87, 1),
                _entry("P-C", Metric.HEART_RATE, 74, 13), _entry("P-C", Metric.HEART_RATE, 150, 1))
    assert _findings(plan, *readings) == {}


def test_a_slow_drift_of_spo2_and_pulse_adds_up_to_a_combined_yellow_then_starts_counting_again() -> None:
    plan = _confirmed(_copd(), spo2=(95, 1.0), heart_rate=(75, 4.0))
    drift = [(94, 79, 72), (93, 80, 48), (94, 79, 24), (93, 80, 1)]  # (SpO2, pulse, hours ago): each pair in band
    readings = [r for spo2, pulse, ago in drift
                for r in (_entry("P-C", Metric.SPO2, spo2, ago), _entry("P-C", Metric.HEART_RATE, pulse, ago))]
    assert _findings(plan, *readings[4:]) == {}  # steps of 2 and 3.25 spreads, less 1 each: 3.25, not yet
    assert _findings(plan, *readings[:6]) == {Rule.COMBINED_DEVIATION: Severity.YELLOW}  # 1 + 2.25 + 1 reach 3.5
    # the sum restarted once it signalled: the next reading of the same drift is no new alert by itself
    assert _findings(plan, *readings) == {}


def _oximetry(*measurements: tuple[float, float, float]) -> list[TimelineEntry]:
    """(SpO2, pulse, hours ago) per measurement."""
    return [r for spo2, pulse, ago in measurements
            for r in (_entry("P-C", Metric.SPO2, spo2, ago), _entry("P-C", Metric.HEART_RATE, pulse, ago))]


def test_a_daily_measurers_prodrome_is_combined_at_the_measurement_that_makes_it_not_a_day_later() -> None:
    # each measurement counts by itself (an artefact is told by its pulse, not by waiting for the next one):
    # steps of 1, 1.5 and 4 spreads, less 1 each, reach 3.5 at the newest measurement (counting each by the
    # milder of it and the one before, the sum would still be 1.5)
    plan = _confirmed(_copd(), spo2=(95, 1.0), heart_rate=(75, 4.0))
    readings = _oximetry((95, 79, 48), (94, 77, 24), (93, 83, 1))
    assert _findings(plan, *readings[:4]) == {}  # 0 + 0.5: not yet
    assert _findings(plan, *readings) == {Rule.COMBINED_DEVIATION: Severity.YELLOW}


def test_a_measurement_whose_pulse_is_not_the_patients_counts_for_nothing_in_the_combined_sum() -> None:
    plan = _confirmed(_copd(), spo2=(95, 1.0), heart_rate=(75, 4.0))
    drifting = _oximetry((94, 79, 48), (93, 80, 24))
    assert _findings(plan, *drifting, *_oximetry((88, 140, 1))) == {}  # a wild pulse: a poor signal
    assert _findings(plan, *drifting, *_oximetry((92, 82, 1))) == {Rule.COMBINED_DEVIATION: Severity.YELLOW}


def test_a_bad_day_in_the_answers_weighs_by_the_patients_habit_in_the_combined_sum() -> None:
    # SpO2 and pulse slightly off (1.5 spreads above the allowance in all), and a report worse than green
    # yesterday (today's is green): ln(0.5 / 0.05) = 2.3 for a patient who rarely reports so, ln(0.5 / 0.3) =
    # 0.5 for a frequent reporter
    readings = (*_oximetry((94, 79, 26), (94, 81, 2)),
                _report("P-C", 25, sputum_colour="green"), _report("P-C", 1))
    rare = _confirmed(_copd(), usual_symptom_share=0.02, spo2=(95, 1.0), heart_rate=(75, 4.0))
    frequent = _confirmed(_copd(), usual_symptom_share=0.3, spo2=(95, 1.0), heart_rate=(75, 4.0))
    assert _findings(rare, *readings) == {Rule.COMBINED_DEVIATION: Severity.YELLOW}
    assert _findings(frequent, *readings) == {}


def test_bad_days_in_the_answers_with_spo2_and_pulse_at_their_usual_values_are_no_combined_alert() -> None:
    # two reports worse than green (2.3 each for a rare reporter) after measurements on the baseline: the
    # answers are the symptom rule's; the combined rule needs the measurements to drift themselves
    plan = _confirmed(_copd(), usual_symptom_share=0.02, spo2=(95, 1.0), heart_rate=(75, 4.0))
    readings = (*_oximetry((95, 75, 26), (95, 76, 4)), _report("P-C", 3, sputum_colour="green"),
                _report("P-C", 1, sputum_colour="green"))
    assert Rule.COMBINED_DEVIATION not in _findings(plan, *readings)


def test_a_deviation_that_is_shrinking_is_a_recovery_not_a_new_combined_alert() -> None:
    plan = _confirmed(_copd(), spo2=(95, 1.0), heart_rate=(75, 4.0))
    # after an exacerbation (SpO2 90, pulse 90 three to four days ago) the values come back towards the
    # baseline; the sum, started again after each signal, reaches the threshold once more at the newest
    recovering = _oximetry((90, 90, 96), (90, 90, 72), (91, 88, 60), (92, 85, 48), (93, 82, 24), (93, 81, 1))
    assert _findings(plan, *recovering) == {}
    # the same values the other way round (getting worse) are a prodrome
    worsening = _oximetry((93, 81, 96), (93, 82, 72), (92, 85, 60), (91, 88, 48), (90, 90, 24), (90, 90, 1))
    assert _findings(plan, *worsening)[Rule.COMBINED_DEVIATION] is Severity.YELLOW


def test_without_a_dry_weight_a_gain_over_the_weighings_of_the_week_before_is_yellow() -> None:
    # a run-in with too few weighings left the baseline without a dry weight: the gain over the week speaks
    plan = _confirmed(plan_from_template("P-HF", Programme.HEART_FAILURE, NOW - timedelta(days=40)),
                      heart_rate=(70, 4.0))
    weights = [_entry("P-HF", Metric.BODY_WEIGHT, 79.0 + 0.25 * day, 24 * (7 - day)) for day in range(8)]
    assert _findings(plan, *weights) == {Rule.WEIGHT_GAIN: Severity.YELLOW}
    steady = [_entry("P-HF", Metric.BODY_WEIGHT, 80.4 + 0.1 * (day % 2), 24 * (7 - day)) for day in range(8)]
    assert _findings(plan, *steady) == {}


def test_a_review_keeps_what_it_could_not_learn_again_and_a_habit_from_few_reports_is_shrunk() -> None:
    first = learn_baseline([_entry("P-C", Metric.BODY_WEIGHT, 80.0 + 0.1 * (i % 2), 24 * (30 - i)) for i in range(14)],
                           learned_from=NOW - timedelta(days=31), learned_to=NOW - timedelta(days=16),
                           confirmed_by="9144900", confirmed_at=NOW - timedelta(days=16))
    assert first is not None
    # a fortnight with 4 weighings and 7 answers (1 worse than green) after a stay in hospital
    entries = [_entry("P-C", Metric.BODY_WEIGHT, 78.0, 24 * i) for i in range(0, 12, 3)]
    entries += [_report("P-C", 24 * i + 1, fever=i < 1) for i in range(7)]
    review = learn_baseline(entries, learned_from=NOW - timedelta(days=14), learned_to=NOW, confirmed_by="9144900",
                            confirmed_at=NOW, previous=first)
    assert review is not None
    assert review.metrics[Metric.BODY_WEIGHT] == first.metrics[Metric.BODY_WEIGHT]  # not erased by 4 weighings
    # 1 of 7 (14 %) is shrunk to 9 %: one bad day in a week does not make a frequent reporter (over 10 %)
    assert review.usual_symptom_share == round(1.5 / 17, 3)


def test_a_review_pools_the_spread_with_the_previous_one() -> None:
    # an irregular pulse (AF) learned over the run-in, then a review over 7 calm readings
    run_in = [_entry("P-C", Metric.HEART_RATE, 85 + (-12, -5, 0, 6, 13)[i % 5], 24 * (40 - i)) for i in range(15)]
    first = learn_baseline(run_in, learned_from=NOW - timedelta(days=41), learned_to=NOW - timedelta(days=25),
                           confirmed_by="9144900", confirmed_at=NOW - timedelta(days=25))
    calm = [_entry("P-C", Metric.HEART_RATE, 88 + i % 2, 24 * i) for i in range(7)]
    review = learn_baseline(calm, learned_from=NOW - timedelta(days=14), learned_to=NOW, confirmed_by="9144900",
                            confirmed_at=NOW, previous=first)
    assert first is not None and review is not None
    old, new = first.metrics[Metric.HEART_RATE], review.metrics[Metric.HEART_RATE]
    assert new.median == 88  # the usual value moves with the review
    assert old.spread > new.spread > 0.7 * old.spread  # the scatter does not collapse to 7 calm readings


def test_one_weighing_in_clothes_after_a_steady_week_is_not_a_3_day_gain_until_the_next_one_agrees() -> None:
    plan = plan_from_template("P-HF", Programme.HEART_FAILURE, NOW - timedelta(days=40))
    steady = [_entry("P-HF", Metric.BODY_WEIGHT, 80.0 + 0.3 * (day % 2), 24 * (4 - day) + 1) for day in range(4)]
    dressed = _entry("P-HF", Metric.BODY_WEIGHT, 82.4, 0.5)  # +1.5 kg of clothes on a 0.3 kg scatter
    (evaluation,) = evaluate([load_window(InMemoryTimeline(entries=[*steady, dressed]), plan, NOW)])
    assert evaluation.findings == () and Rule.WEIGHT_GAIN not in evaluation.quiet_rules
    assert evaluation.awaiting(dressed.reading_id) is Severity.YELLOW  # weigh again
    # a gain that is still there at the next weighing is one
    again = _entry("P-HF", Metric.BODY_WEIGHT, 82.5, 0.2)
    assert _findings(plan, *steady, dressed, again) == {Rule.WEIGHT_GAIN: Severity.YELLOW}


def _hf_report(hours_ago: float, **answers: Answer) -> TimelineEntry:
    at = NOW - timedelta(hours=hours_ago)
    return TimelineEntry("P-HF", symptom_series(Questionnaire.HEART_FAILURE), at, at, "app-1", f"s-{hours_ago}",
                         answers=tuple(sorted(answers.items())))


def test_one_weighing_over_the_dry_weight_with_answers_worse_than_usual_is_yellow() -> None:
    # back from a week away (no weighing within 4 days): one weighing 2 kg over the dry weight; alone it waits
    # for the next one, with the patient's ankles more swollen than usual it is a yellow at once
    plan = _confirmed(plan_from_template("P-HF", Programme.HEART_FAILURE, NOW - timedelta(days=40)),
                      usual_symptom_share=0.03, body_weight=(80.0, 0.3))
    weighings = (_entry("P-HF", Metric.BODY_WEIGHT, 80.1, 24 * 6), _entry("P-HF", Metric.BODY_WEIGHT, 82.0, 2))
    assert _findings(plan, *weighings, _hf_report(1.5, ankle_swelling="usual")) == {}
    assert _findings(plan, *weighings, _hf_report(1.5, ankle_swelling="more_than_usual")) == {
        Rule.WEIGHT_GAIN: Severity.YELLOW}
