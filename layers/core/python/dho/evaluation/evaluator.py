"""Score patient windows with the numba kernels and turn the results into findings per rule.

Each rule looks at the newest reading of its series, if that reading is fresh (measured within
``FRESHNESS`` of the evaluation time): an old value is not news, and re-evaluating it must not
raise anything new. A rule with fresh data that does not fire is reported as quiet (hysteresis).

Home readings are judged as docs/scoring.md explains: band limits around the patient's confirmed baseline
(or a provisional one from the window before a nurse confirms it), a band finding only when the newest
two readings agree (a re-measurement confirms at once), NEWS2 red only when each parameter scoring 3 is
confirmed or the total is 7 or more, symptoms against the patient's own reporting habit, and the safety
floors of the plan red at once whatever the baseline. The rule parameters come from the plan
(``SelfManagementPlan.personal_rules``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from dho.domain.baselines import MetricBaseline, PersonalRules, personal_limits
from dho.domain.findings import Evaluation, Finding, Rule, Severity
from dho.domain.metrics import METRIC_SPECS
from dho.domain.metrics import Metric as DomainMetric
from dho.domain.plans import Programme
from dho.domain.symptom_zones import Zone, symptom_zone
from dho.domain.symptoms import Questionnaire
from dho.domain.timeline import TimelineEntry, symptom_series
from dho.evaluation.baselines import usual_share
from dho.evaluation.questionnaire_trends import questionnaire_trend_findings
from dho.evaluation.scoring_input import ScoringInput, build_scoring_input
from dho.evaluation.trend_settings import TREND_PARAMS
from dho.evaluation.windows import PatientWindow
from dho.scoring.api import BandLimits, News2Result, TrendResult, classify_bands, news2, trends
from dho.scoring.codes import NEWS2_SOURCE_CODES, Band, News2Band, News2Param
from dho.scoring.codes import Metric as Code
from dho.scoring.reference import (
    score_pulse,
    score_respiratory_rate,
    score_spo2_scale1,
    score_spo2_scale2,
    score_systolic_bp,
    score_temperature,
)

FRESHNESS = timedelta(hours=24)
NEWS2_WINDOW_H = 24.0  # (guess) home vitals of one day form one NEWS2; a partial score says what it had
MIN_NEWS2_PARAMETERS = 2  # measured parameters (air/oxygen comes from the plan and does not count)

_BAND_RULES: dict[Code, Rule] = {
    Code.SPO2: Rule.SPO2_BAND,
    Code.HEART_RATE: Rule.HEART_RATE_BAND,
    Code.RESPIRATORY_RATE: Rule.RESPIRATORY_RATE_BAND,
    Code.SYSTOLIC_BP: Rule.BLOOD_PRESSURE_BAND,
    Code.DIASTOLIC_BP: Rule.BLOOD_PRESSURE_BAND,
    Code.BODY_TEMPERATURE: Rule.TEMPERATURE_BAND,
    Code.BLOOD_GLUCOSE: Rule.GLUCOSE_BAND,
}
_SEVERITY_OF_BAND = {Band.YELLOW: Severity.YELLOW, Band.RED: Severity.RED}


@dataclass
class _Collector:
    """Findings and quiet rules of one patient; a rule keeps its most severe finding."""

    patient_id: str
    findings: dict[Rule, Finding]
    quiet: set[Rule]
    assessed: set[str]
    awaiting: dict[str, Severity]

    def fire(self, finding: Finding) -> None:
        current = self.findings.get(finding.rule)
        if current is None or (current.severity is Severity.YELLOW and finding.severity is Severity.RED):
            self.findings[finding.rule] = finding

    def evaluation(self, window: PatientWindow) -> Evaluation:
        return Evaluation(self.patient_id, window.evaluated_at, tuple(self.findings.values()),
                          frozenset(self.quiet - set(self.findings)), window.truncated,
                          frozenset(self.assessed), tuple(sorted(self.awaiting.items())))


def evaluate(windows: Sequence[PatientWindow]) -> list[Evaluation]:
    """One evaluation per window, all patients scored together in one pass of each kernel."""
    if not windows:
        return []
    scoring = build_scoring_input(windows)
    bands = _judged_bands(scoring, windows)
    trend = trends(scoring.readings, TREND_PARAMS)
    eval_times = np.array([w.evaluated_at.timestamp() for w in windows])
    news = news2(scoring.readings, eval_times, NEWS2_WINDOW_H, scoring.spo2_scale)
    evaluations = []
    for index, window in enumerate(windows):
        collector = _Collector(window.patient_id, {}, set(), set(), {})
        fresh_from = (window.evaluated_at - FRESHNESS).timestamp()
        worse_report = _symptom_findings(collector, window, fresh_from)
        _band_findings(collector, scoring, bands, window, index, fresh_from, worse_report)
        _trend_findings(collector, scoring, trend, window, index, fresh_from, worse_report)
        _news2_finding(collector, scoring, news, window, index, fresh_from)
        _questionnaire_trend_findings(collector, window)
        _combined_finding(collector, scoring, window, index, fresh_from)
        evaluations.append(collector.evaluation(window))
    return evaluations


def _latest(scoring: ScoringInput, index: int, code: int, fresh_from: float) -> int | None:
    """Sorted position of the newest reading of the series, if it is fresh."""
    span = scoring.readings.readings_of(index, code)
    if span.stop == span.start or scoring.readings.time[span.stop - 1] < fresh_from:
        return None
    return int(span.stop) - 1


def _at(scoring: ScoringInput, position: int) -> datetime:
    return datetime.fromtimestamp(float(scoring.readings.time[position]), tz=UTC)


def _judged_bands(scoring: ScoringInput, windows: Sequence[PatientWindow]) -> np.ndarray:
    """Band of every reading: against the confirmed baseline where the plan has one; else the milder of the
    template's band and the band around a provisional baseline learned from the window (if enough readings)."""
    template = classify_bands(scoring.readings, scoring.limits)
    limits = BandLimits(*(a.copy() for a in (scoring.limits.red_low, scoring.limits.yellow_low,
                                              scoring.limits.yellow_high, scoring.limits.red_high)))
    confirmed = np.zeros(scoring.readings.n_series, dtype=np.bool_)
    for index, window in enumerate(windows):
        plan = window.plan
        rules = plan.personal_rules
        for metric, deviation in rules.deviations.items():
            code = Code.from_name(metric.value)
            series = scoring.readings.series_index(index, code)
            baseline = plan.baseline.metrics.get(metric) if plan.baseline is not None else None
            if baseline is not None:
                confirmed[series] = True
            else:
                baseline = _provisional(scoring, index, code, rules)
                if baseline is None:
                    continue
            current = (limits.red_low[series], limits.yellow_low[series], limits.yellow_high[series],
                       limits.red_high[series])
            red_low, yellow_low, yellow_high, red_high = personal_limits(current, baseline, deviation)
            limits.set(series, red_low=red_low, yellow_low=yellow_low, yellow_high=yellow_high, red_high=red_high)
    personal = classify_bands(scoring.readings, limits)
    per_reading = np.repeat(confirmed, np.diff(scoring.readings.offsets))
    judged: np.ndarray = np.where(per_reading, personal, np.minimum(template, personal))
    return judged


def _combined_finding(collector: _Collector, scoring: ScoringInput, window: PatientWindow, index: int,
                      fresh_from: float) -> None:
    """A one-sided CUSUM of the deviation from the confirmed baseline over the window (docs/scoring.md): per
    oximeter measurement the SpO2 fall plus the pulse rise, each in spreads and capped, less the plan's
    allowance (a measurement with an implausible pulse left out: a poor signal); per report worse than green,
    its weight by the patient's reporting habit; never below 0, starting again once it signalled. Yellow at the
    plan's threshold while the deviation is still growing."""
    rules = window.plan.personal_rules
    if rules.combined_threshold is None or window.plan.programme not in _COMBINED_PROGRAMMES:
        return
    confirmed = window.plan.baseline.metrics if window.plan.baseline is not None else {}
    spo2_base, pulse_base = confirmed.get(DomainMetric.SPO2), confirmed.get(DomainMetric.HEART_RATE)
    newest = _latest(scoring, index, Code.SPO2, fresh_from)
    # a provisional spread from a few readings is too unsure for this
    if spo2_base is None or pulse_base is None or newest is None:
        return
    readings = scoring.readings
    spo2 = readings.readings_of(index, Code.SPO2)
    pulse = readings.readings_of(index, Code.HEART_RATE)
    spo2_spread = max(spo2_base.spread, rules.deviations[DomainMetric.SPO2].spread_floor)
    pulse_spread = max(pulse_base.spread, rules.deviations[DomainMetric.HEART_RATE].spread_floor)
    implausible = max(rules.combined_artefact_pulse, rules.combined_artefact_spreads * pulse_spread)
    cap, pair_s = rules.combined_cap, _SAME_MEASUREMENT_S
    # (time, step, is a measurement) in time order
    items: list[tuple[float, float, bool]] = []
    j = pulse.start
    for position in range(spo2.start, spo2.stop):
        at = float(readings.time[position])
        while j < pulse.stop and readings.time[j] < at - pair_s:
            j += 1
        rise = 0.0
        if j < pulse.stop and abs(readings.time[j] - at) <= pair_s:
            deviation = float(readings.value[j]) - pulse_base.median
            if abs(deviation) > implausible:
                continue  # the probe's pulse is not the patient's: the SpO2 of this measurement is not either
            rise = min(cap, max(-cap, deviation / pulse_spread))
        fall = min(cap, max(-cap, (spo2_base.median - float(readings.value[position])) / spo2_spread))
        items.append((at, fall + rise, True))
    weight = _symptom_weight(window, rules)
    if weight > 0:
        items.extend((e.measured_at.timestamp(), weight, False) for e in _worse_reports(window))
        items.sort(key=lambda item: item[0])
    # The sum restarts after it reached the threshold (the alert it raised then is the nurse's): a lasting
    # shift signals again only once it has built up anew, not at every reading.
    # Answers only weigh on a drift the measurements show themselves (``measured``): bad days with SpO2 and
    # pulse at their usual values are the symptom rule's, not a second alert about the same answers.
    total = measured = 0.0
    for _, step, measurement in items:
        if total >= rules.combined_threshold:
            total = measured = 0.0
        if measurement:
            measured = max(0.0, measured + step - rules.combined_allowance)
        total = max(0.0, total + step - (rules.combined_allowance if measurement else 0.0))
    steps = [(at, step) for at, step, measurement in items if measurement]
    if measured > 0.0 and total >= rules.combined_threshold and _still_growing(steps, rules):
        evidence = tuple(scoring.reading_id_at(p) for p in range(max(spo2.start, spo2.stop - 4), spo2.stop))
        collector.fire(Finding(
            collector.patient_id, Rule.COMBINED_DEVIATION, Severity.YELLOW,
            f"SpO2, pulse and answers drifting from the baseline: cumulative {total:.1f} spreads "
            f"(plan: {rules.combined_threshold:g})", evidence, _at(scoring, newest)))
    else:
        collector.quiet.add(Rule.COMBINED_DEVIATION)


def _still_growing(steps: Sequence[tuple[float, float]], rules: PersonalRules) -> bool:
    """The mean step of the newest measurements (up to two, within the recent hours of the newest) is not below
    that of the measurements from the recent to the earlier hours before it (none of either: growing)."""
    newest_at = steps[-1][0]
    recent_s, earlier_s = rules.combined_recent_hours * 3600.0, rules.combined_earlier_hours * 3600.0
    recent = [step for at, step in steps[-2:] if newest_at - at <= recent_s]
    earlier = [step for at, step in steps if recent_s <= newest_at - at <= earlier_s]
    return not recent or not earlier or sum(recent) / len(recent) >= sum(earlier) / len(earlier)


def _symptom_weight(window: PatientWindow, rules: PersonalRules) -> float:
    """ln(prodrome share / usual share) of a report worse than green for this patient, within [0, the plan's
    most]; the usual share confirmed in the plan, else the floor (unknown habit: a bad day counts fully)."""
    baseline = window.plan.baseline
    usual = baseline.usual_symptom_share if baseline is not None else None
    usual = max(usual if usual is not None else 0.0, rules.combined_usual_share_floor)
    return min(rules.combined_symptom_weight, max(0.0, math.log(rules.combined_symptom_share / usual)))


def _worse_reports(window: PatientWindow) -> list[TimelineEntry]:
    """The window's symptom reports worse than green (by the plan's own zone rules where it has them)."""
    worse = []
    for entry in window.entries:
        questionnaire = _SYMPTOM_SERIES.get(entry.series)
        if questionnaire is not None and entry.answers and symptom_zone(
                questionnaire, entry.answers, window.plan.zone_rules(questionnaire.value))[0] is not Zone.GREEN:
            worse.append(entry)
    return worse


_SAME_MEASUREMENT_S = 600.0  # an oximeter's SpO2 and pulse of one measurement share (about) one time


def _provisional(scoring: ScoringInput, index: int, code: int, rules: PersonalRules) -> MetricBaseline | None:
    """Median and robust spread of the window's readings before the newest two (not yet confirmed)."""
    span = scoring.readings.readings_of(index, code)
    earlier = scoring.readings.value[span.start:max(span.start, span.stop - 2)]
    if earlier.size < rules.provisional_min_readings:
        return None
    # statistics.median on a list gives np.median's result bit for bit, several times faster on a window
    values = earlier.tolist()
    median = statistics.median(values)
    return MetricBaseline(median=median, spread=1.4826 * statistics.median([abs(v - median) for v in values]),
                          readings=len(values))


def _previous(scoring: ScoringInput, index: int, code: int, position: int, within_s: float) -> int | None:
    """The reading of the same series just before ``position``, if measured within ``within_s`` of it."""
    span = scoring.readings.readings_of(index, code)
    before = position - 1
    if before < span.start or scoring.readings.time[position] - scoring.readings.time[before] > within_s:
        return None
    return before


def _band_findings(collector: _Collector, scoring: ScoringInput, bands: np.ndarray, window: PatientWindow,
                   index: int, fresh_from: float, worse_report: bool) -> None:
    rules = window.plan.personal_rules
    persistence_s = rules.persistence_hours * 3600.0
    for code, rule in _BAND_RULES.items():
        position = _latest(scoring, index, code, fresh_from)
        if position is None:
            continue
        spec = METRIC_SPECS[DomainMetric(code.wire_name)]
        value = float(scoring.readings.value[position])
        if spec.metric in window.plan.limits:  # a metric without limits is no zone
            collector.assessed.add(scoring.reading_id_at(position))
        floor = rules.red_floors_below.get(spec.metric)
        if floor is not None and value < floor:
            collector.fire(Finding(
                collector.patient_id, rule, Severity.RED,
                f"{spec.metric.value} {value:g} {spec.canonical_unit}: below the safety floor {floor:g}",
                (scoring.reading_id_at(position),), _at(scoring, position)))
            continue
        band = Band(int(bands[position]))
        if band is Band.GREEN:
            collector.quiet.add(rule)
            continue
        # One home reading out of band is often an artefact: the newest two must agree (the milder counts).
        before = _previous(scoring, index, code, position, persistence_s)
        if (before is None or Band(int(bands[before])) is Band.GREEN) and not worse_report:
            # not confirmed yet: neither a finding nor quiet (an open alert stays as it is); the patient
            # is asked to measure again
            collector.awaiting[scoring.reading_id_at(position)] = _SEVERITY_OF_BAND[band]
            continue
        if before is None or Band(int(bands[before])) is Band.GREEN:
            # one reading, but the patient's own answers changed too (an independent second source, not
            # the same probe): a yellow at most
            collector.fire(Finding(
                collector.patient_id, rule, Severity.YELLOW,
                f"{spec.metric.value} {value:g} {spec.canonical_unit}: out of the plan's band, with answers "
                f"worse than usual", (scoring.reading_id_at(position),), _at(scoring, position)))
            continue
        band = Band(min(int(band), int(bands[before])))
        collector.fire(Finding(
            collector.patient_id, rule, _SEVERITY_OF_BAND[band],
            f"{spec.metric.value} {value:g} {spec.canonical_unit}: {band.name.lower()} band of the plan "
            f"(two readings in a row)",
            (scoring.reading_id_at(before), scoring.reading_id_at(position)), _at(scoring, position)))


def _trend_findings(collector: _Collector, scoring: ScoringInput, trend: TrendResult, window: PatientWindow,
                    index: int, fresh_from: float, worse_report: bool) -> None:
    rules = window.plan.trends
    weight = _latest(scoring, index, Code.BODY_WEIGHT, fresh_from)
    if rules.weight_gain_kg is not None and weight is not None and not np.isnan(trend.change[weight]):
        newest_gain = gain = float(trend.change[weight])
        evidence: tuple[str, ...] = (scoring.reading_id_at(weight),)
        # A weighing far above the one before it (a jump overnight) is often one in clothes (0.5-1.5 kg): its
        # 3-day gain counts once the next weighing agrees (the milder of the two; a real gain is still there),
        # or at once if the patient's answers are worse than usual too (an independent second source).
        jump_kg = window.plan.personal_rules.weight_jump_kg
        before = _previous(scoring, index, Code.BODY_WEIGHT, weight,
                           window.plan.personal_rules.persistence_hours * 3600.0)
        if jump_kg is not None and before is not None and not worse_report and \
                float(scoring.readings.value[weight]) - float(scoring.readings.value[before]) > jump_kg:
            earlier = float(trend.change[before])
            gain = min(gain, 0.0 if np.isnan(earlier) else earlier)
            evidence = (scoring.reading_id_at(before), *evidence)
        collector.assessed.add(scoring.reading_id_at(weight))
        if gain > rules.weight_gain_kg:
            collector.fire(Finding(
                collector.patient_id, Rule.WEIGHT_GAIN, Severity.YELLOW,
                f"weight up {gain:.1f} kg within 3 days (plan: more than {rules.weight_gain_kg:g} kg)",
                evidence, _at(scoring, weight), score=round(gain, 1)))
        elif newest_gain > rules.weight_gain_kg:
            # not confirmed yet: neither a finding nor quiet; the patient is asked to weigh again (never
            # lowering what another rule already awaits of this weighing)
            collector.awaiting.setdefault(scoring.reading_id_at(weight), Severity.YELLOW)
        else:
            collector.quiet.add(Rule.WEIGHT_GAIN)
    if weight is not None:
        _dry_weight_finding(collector, scoring, window, index, weight, worse_report)
        if scoring.reading_id_at(weight) in collector.awaiting:
            collector.quiet.discard(Rule.WEIGHT_GAIN)  # a weighing to repeat is not quiet
    spo2 = _latest(scoring, index, Code.SPO2, fresh_from)
    if rules.spo2_below_rolling_mean and spo2 is not None:
        collector.assessed.add(scoring.reading_id_at(spo2))
        persistence_s = window.plan.personal_rules.persistence_hours * 3600.0
        before = _previous(scoring, index, Code.SPO2, spo2, persistence_s)
        if bool(trend.below_rolling_mean[spo2]) and before is not None and bool(trend.below_rolling_mean[before]):
            collector.fire(Finding(
                collector.patient_id, Rule.SPO2_BELOW_PERSONAL_MEAN, Severity.YELLOW,
                f"SpO2 {float(scoring.readings.value[spo2]):g} % below the 7-day mean - 1.645 SD "
                f"(two readings in a row)",
                (scoring.reading_id_at(before), scoring.reading_id_at(spo2)), _at(scoring, spo2)))
        elif not bool(trend.below_rolling_mean[spo2]):
            collector.quiet.add(Rule.SPO2_BELOW_PERSONAL_MEAN)


def _dry_weight_finding(collector: _Collector, scoring: ScoringInput, window: PatientWindow, index: int,
                        weight: int, worse_report: bool) -> None:
    """Heart failure: the newest two weighings both above the confirmed dry weight by more than the margin
    (the lighter counts: one weighing in clothes is not a gain), or the lighter of them up on the window's
    older weighings (and above the dry weight, if one is confirmed). Catches slow gains the 3-day rule misses.
    With the patient's answers worse than usual (an independent second source) the newest weighing alone
    counts, as a band reading does."""
    plan = window.plan
    rules = plan.personal_rules
    margin = rules.dry_weight_margin_kg
    dry = plan.baseline.metrics.get(DomainMetric.BODY_WEIGHT) if plan.baseline is not None else None
    if plan.trends.weight_gain_kg is None or (margin is None and rules.weight_trend_kg is None):
        return
    before = _previous(scoring, index, Code.BODY_WEIGHT, weight, rules.persistence_hours * 3600.0)
    if before is None and not worse_report:
        return
    newest = float(scoring.readings.value[weight])
    evidence: tuple[str, ...]
    if worse_report:
        lighter, evidence, how = newest, (scoring.reading_id_at(weight),), "with answers worse than usual"
    else:
        assert before is not None
        lighter = min(newest, float(scoring.readings.value[before]))
        evidence, how = (scoring.reading_id_at(before), scoring.reading_id_at(weight)), "in two weighings"
    above = None if dry is None else lighter - dry.median
    if margin is not None and above is not None and above > margin:
        collector.fire(Finding(
            collector.patient_id, Rule.WEIGHT_GAIN, Severity.YELLOW,
            f"weight {above:.1f} kg above the dry weight {how} (plan: more than {margin:g} kg)",
            evidence, _at(scoring, weight)))
        return
    rise = _weight_rise(scoring, index, weight, lighter, rules.weight_trend_days)
    # Without a confirmed dry weight (a run-in with too few weighings) the rise alone speaks: a gain over the
    # week is the signal whatever the dry weight; with one, "above it" keeps a patient regaining weight after
    # diuresis quiet.
    if rules.weight_trend_kg is not None and rise is not None and rise > rules.weight_trend_kg \
            and (above is None or above > 0):
        collector.fire(Finding(
            collector.patient_id, Rule.WEIGHT_GAIN, Severity.YELLOW,
            f"weight up {rise:.1f} kg on the weighings of {rules.weight_trend_days:g}+ days before"
            f"{'' if above is None else ', above the dry weight'}, {how} "
            f"(plan: more than {rules.weight_trend_kg:g} kg)",
            evidence, _at(scoring, weight)))
    else:
        collector.quiet.add(Rule.WEIGHT_GAIN)


def _weight_rise(scoring: ScoringInput, index: int, weight: int, lighter: float, days: float) -> float | None:
    """The lighter of the newest two weighings less the median of the window's weighings at least ``days``
    older than the newest (None: fewer than two such weighings)."""
    span = scoring.readings.readings_of(index, Code.BODY_WEIGHT)
    cutoff = scoring.readings.time[weight] - days * 86400.0
    older = scoring.readings.value[span.start:span.stop][scoring.readings.time[span.start:span.stop] <= cutoff]
    if older.size < 2:
        return None
    return lighter - float(statistics.median(older.tolist()))


_COMBINED_PROGRAMMES = frozenset({Programme.COPD, Programme.COPD_HYPERCAPNIC})
_NEWS2_CODE = {News2Param(p): code for p, code in enumerate(NEWS2_SOURCE_CODES)}


def _subscore(param: News2Param, value: float, plan_scale: int, on_oxygen: bool) -> int | None:
    if param is News2Param.SPO2:
        return score_spo2_scale1(value) if plan_scale == 1 else score_spo2_scale2(value, on_oxygen)
    scorer = {News2Param.RESPIRATORY_RATE: score_respiratory_rate, News2Param.SYSTOLIC_BP: score_systolic_bp,
              News2Param.PULSE: score_pulse, News2Param.TEMPERATURE: score_temperature}.get(param)
    return None if scorer is None else scorer(value)


def _unconfirmed_threes(scoring: ScoringInput, news: News2Result, window: PatientWindow, index: int) -> list[str]:
    """Measured parameters scoring 3 whose previous reading within ``confirm_minutes`` did not score 3 too.
    Consciousness comes from the patient's own answers and is never an instrument artefact."""
    plan = window.plan
    within = plan.personal_rules.confirm_minutes * 60.0
    unconfirmed = []
    for param in News2Param:
        if param in (News2Param.CONSCIOUSNESS, News2Param.AIR_OR_OXYGEN) or int(news.subscores[index, param]) != 3:
            continue
        code = _NEWS2_CODE[param]
        span = scoring.readings.readings_of(index, code)
        newest = span.stop - 1
        before = _previous(scoring, index, code, newest, within) if span.stop > span.start else None
        if before is None or _subscore(param, float(scoring.readings.value[before]), plan.spo2_scale,
                                       plan.on_home_oxygen) != 3:
            unconfirmed.append(param.name.lower())
    return unconfirmed


def _news2_finding(collector: _Collector, scoring: ScoringInput, news: News2Result, window: PatientWindow,
                   index: int, fresh_from: float) -> None:
    band = news.band_of(index)
    latest = [p for p in (_latest(scoring, index, code, fresh_from) for code in NEWS2_SOURCE_CODES)
              if p is not None]
    measured = bin(int(news.present[index]) & ~(1 << News2Param.AIR_OR_OXYGEN)).count("1")
    # One measured parameter is that parameter's own band rule again: scoring it as NEWS2 too would
    # send the nurse two alerts about one number (alert fatigue). NEWS2 speaks when it combines.
    if band is News2Band.NO_DATA or not latest or measured < MIN_NEWS2_PARAMETERS:
        return
    # A total of 7 or more is red as it stands (RCP: emergency response). Below it, a 3 from one home
    # reading is not yet a fact (a cold finger, a moving hand): the patient re-measures; until that
    # confirms it, NEWS2 says nothing and the parameter's band rule judges the reading.
    if band is not News2Band.HIGH and _unconfirmed_threes(scoring, news, window, index):
        return
    severity = {News2Band.HIGH: Severity.RED, News2Band.LOW_URGENT_REVIEW: Severity.RED,
                News2Band.MEDIUM: Severity.YELLOW}.get(band)
    if severity is None:
        collector.quiet.add(Rule.NEWS2)
        return
    present = bin(int(news.present[index])).count("1")
    newest = max(latest, key=lambda p: scoring.readings.time[p])
    collector.fire(Finding(
        collector.patient_id, Rule.NEWS2, severity,
        f"NEWS2 {int(news.total[index])} ({band.name.lower()}; {present} of 7 parameters present)",
        tuple(sorted({scoring.reading_id_at(p) for p in latest})), _at(scoring, newest),
        score=float(news.total[index])))


_SYMPTOM_SERIES = {symptom_series(q): q for q in Questionnaire}


def _symptom_findings(collector: _Collector, window: PatientWindow, fresh_from: float) -> bool:
    """Red answers are red at once (the patient's own words, no artefact). Yellow ones count against the
    patient's habit: enough of the newest reports worse than green (one more for a frequent reporter).
    Returns whether the newest fresh report is worse than green for a patient who rarely reports so."""
    worse_report = False
    rules = window.plan.personal_rules
    reports_of: dict[Questionnaire, list[TimelineEntry]] = {}
    for entry in window.entries:  # one pass (a window holds every series)
        questionnaire = _SYMPTOM_SERIES.get(entry.series)
        if questionnaire is not None and entry.answers:
            reports_of.setdefault(questionnaire, []).append(entry)
    for questionnaire, reports in reports_of.items():
        reports.sort(key=lambda e: e.measured_at)
        latest = reports[-1]
        if latest.measured_at.timestamp() < fresh_from:
            continue
        zone, questions = symptom_zone(questionnaire, latest.answers, window.plan.zone_rules(questionnaire.value))
        collector.assessed.add(latest.reading_id)
        if zone is Zone.GREEN:
            collector.quiet.add(Rule.SYMPTOMS)
            continue
        if zone is Zone.YELLOW:
            newest = reports[-rules.symptom_reports:]
            worse = sum(symptom_zone(questionnaire, r.answers, window.plan.zone_rules(questionnaire.value))[0]
                        is not Zone.GREEN for r in newest)
            needed = rules.symptoms_needed(_usual_share(window, questionnaire, reports[:-len(newest)]))
            worse_report = worse_report or needed == rules.symptom_needed
            if worse < needed:
                continue  # not (yet) a change from this patient's usual answers
        collector.fire(Finding(
            collector.patient_id, Rule.SYMPTOMS, Severity.RED if zone is Zone.RED else Severity.YELLOW,
            f"{questionnaire.value}: {', '.join(questions)}", (latest.reading_id,), latest.measured_at))
    return worse_report


def _questionnaire_trend_findings(collector: _Collector, window: PatientWindow) -> None:
    """The plan's trend rules on questionnaire scores (dho.evaluation.questionnaire_trends)."""
    findings, judged = questionnaire_trend_findings(window, window.evaluated_at - FRESHNESS)
    for found in findings:
        collector.fire(found)
    if judged and not findings:
        collector.quiet.add(Rule.QUESTIONNAIRE_TREND)


_PROVISIONAL_MIN_REPORTS = 5


def _usual_share(window: PatientWindow, questionnaire: Questionnaire, older: Sequence[TimelineEntry]) -> float | None:
    """Share of reports worse than green: confirmed in the plan, else from the window's older reports (shrunk
    alike)."""
    if window.plan.baseline is not None and window.plan.baseline.usual_symptom_share is not None:
        return window.plan.baseline.usual_symptom_share
    if len(older) < _PROVISIONAL_MIN_REPORTS:
        return None
    own = window.plan.zone_rules(questionnaire.value)
    return usual_share(sum(symptom_zone(questionnaire, r.answers, own)[0] is not Zone.GREEN for r in older), len(older))
