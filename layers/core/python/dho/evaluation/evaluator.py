"""Score patient windows with the numba kernels and turn the results into findings per rule.

Each rule looks at the newest reading of its series, if that reading is fresh (measured within
``FRESHNESS`` of the evaluation time): an old value is not news, and re-evaluating it must not
raise anything new. A rule with fresh data that does not fire is reported as quiet (hysteresis).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from dho.domain.findings import Evaluation, Finding, Rule, Severity
from dho.domain.metrics import METRIC_SPECS
from dho.domain.metrics import Metric as DomainMetric
from dho.domain.symptom_zones import Zone, symptom_zone
from dho.domain.symptoms import Questionnaire
from dho.domain.timeline import TimelineEntry, symptom_series
from dho.evaluation.scoring_input import ScoringInput, build_scoring_input
from dho.evaluation.windows import PatientWindow
from dho.scoring.api import News2Result, TrendParams, TrendResult, classify_bands, news2, trends
from dho.scoring.codes import NEWS2_SOURCE_CODES, Band, News2Band, News2Param
from dho.scoring.codes import Metric as Code

FRESHNESS = timedelta(hours=24)
NEWS2_WINDOW_H = 24.0  # (guess) home vitals of one day form one NEWS2; a partial score says what it had
MIN_NEWS2_PARAMETERS = 2  # measured parameters (air/oxygen comes from the plan and does not count)
# 74 h rather than 72: a morning weight three days ago is still "three days ago" if taken a bit later.
TREND_PARAMS = TrendParams(change_window_h=74.0, rolling_sd_floor=1.0)

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

    def fire(self, finding: Finding) -> None:
        current = self.findings.get(finding.rule)
        if current is None or (current.severity is Severity.YELLOW and finding.severity is Severity.RED):
            self.findings[finding.rule] = finding

    def evaluation(self, window: PatientWindow) -> Evaluation:
        return Evaluation(self.patient_id, window.evaluated_at, tuple(self.findings.values()),
                          frozenset(self.quiet - set(self.findings)), window.truncated)


def evaluate(windows: Sequence[PatientWindow]) -> list[Evaluation]:
    """One evaluation per window, all patients scored together in one pass of each kernel."""
    if not windows:
        return []
    scoring = build_scoring_input(windows)
    bands = classify_bands(scoring.readings, scoring.limits)
    trend = trends(scoring.readings, TREND_PARAMS)
    eval_times = np.array([w.evaluated_at.timestamp() for w in windows])
    news = news2(scoring.readings, eval_times, NEWS2_WINDOW_H, scoring.spo2_scale)
    evaluations = []
    for index, window in enumerate(windows):
        collector = _Collector(window.patient_id, {}, set())
        fresh_from = (window.evaluated_at - FRESHNESS).timestamp()
        _band_findings(collector, scoring, bands, index, fresh_from)
        _trend_findings(collector, scoring, trend, window, index, fresh_from)
        _news2_finding(collector, scoring, news, index, fresh_from)
        _symptom_findings(collector, window, fresh_from)
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


def _band_findings(collector: _Collector, scoring: ScoringInput, bands: np.ndarray, index: int,
                   fresh_from: float) -> None:
    for code, rule in _BAND_RULES.items():
        position = _latest(scoring, index, code, fresh_from)
        if position is None:
            continue
        band = Band(int(bands[position]))
        if band is Band.GREEN:
            collector.quiet.add(rule)
            continue
        spec = METRIC_SPECS[DomainMetric(code.wire_name)]
        value = float(scoring.readings.value[position])
        collector.fire(Finding(
            collector.patient_id, rule, _SEVERITY_OF_BAND[band],
            f"{spec.metric.value} {value:g} {spec.canonical_unit}: {band.name.lower()} band of the plan",
            (scoring.reading_id_at(position),), _at(scoring, position)))


def _trend_findings(collector: _Collector, scoring: ScoringInput, trend: TrendResult, window: PatientWindow,
                    index: int, fresh_from: float) -> None:
    rules = window.plan.trends
    weight = _latest(scoring, index, Code.BODY_WEIGHT, fresh_from)
    if rules.weight_gain_kg is not None and weight is not None and not np.isnan(trend.change[weight]):
        gain = float(trend.change[weight])
        if gain > rules.weight_gain_kg:
            collector.fire(Finding(
                collector.patient_id, Rule.WEIGHT_GAIN, Severity.YELLOW,
                f"weight up {gain:.1f} kg within 3 days (plan: more than {rules.weight_gain_kg:g} kg)",
                (scoring.reading_id_at(weight),), _at(scoring, weight)))
        else:
            collector.quiet.add(Rule.WEIGHT_GAIN)
    spo2 = _latest(scoring, index, Code.SPO2, fresh_from)
    if rules.spo2_below_rolling_mean and spo2 is not None:
        if bool(trend.below_rolling_mean[spo2]):
            collector.fire(Finding(
                collector.patient_id, Rule.SPO2_BELOW_PERSONAL_MEAN, Severity.YELLOW,
                f"SpO2 {float(scoring.readings.value[spo2]):g} % below the 7-day mean - 1.645 SD",
                (scoring.reading_id_at(spo2),), _at(scoring, spo2)))
        else:
            collector.quiet.add(Rule.SPO2_BELOW_PERSONAL_MEAN)


def _news2_finding(collector: _Collector, scoring: ScoringInput, news: News2Result, index: int,
                   fresh_from: float) -> None:
    band = news.band_of(index)
    latest = [p for p in (_latest(scoring, index, code, fresh_from) for code in NEWS2_SOURCE_CODES)
              if p is not None]
    measured = bin(int(news.present[index]) & ~(1 << News2Param.AIR_OR_OXYGEN)).count("1")
    # One measured parameter is that parameter's own band rule again: scoring it as NEWS2 too would
    # send the nurse two alerts about one number (alert fatigue). NEWS2 speaks when it combines.
    if band is News2Band.NO_DATA or not latest or measured < MIN_NEWS2_PARAMETERS:
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
        tuple(sorted({scoring.reading_id_at(p) for p in latest})), _at(scoring, newest)))


_SYMPTOM_SERIES = {symptom_series(q): q for q in Questionnaire}


def _symptom_findings(collector: _Collector, window: PatientWindow, fresh_from: float) -> None:
    fresh: dict[Questionnaire, list[TimelineEntry]] = {}
    for entry in window.entries:  # one pass (a window holds every series)
        questionnaire = _SYMPTOM_SERIES.get(entry.series)
        if questionnaire is not None and entry.measured_at.timestamp() >= fresh_from:
            fresh.setdefault(questionnaire, []).append(entry)
    for questionnaire in Questionnaire:
        reports = fresh.get(questionnaire)
        if not reports:
            continue
        latest = max(reports, key=lambda e: e.measured_at)
        zone, questions = symptom_zone(questionnaire, latest.answers)
        if zone is Zone.GREEN:
            collector.quiet.add(Rule.SYMPTOMS)
            continue
        collector.fire(Finding(
            collector.patient_id, Rule.SYMPTOMS, Severity.RED if zone is Zone.RED else Severity.YELLOW,
            f"{questionnaire.value}: {', '.join(questions)}", (latest.reading_id,), latest.measured_at))
