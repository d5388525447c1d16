"""The injected deteriorations are what the platform's evaluator catches; stable patients mostly are not.

The simulated readings go through the real parser into timeline entries, and are scored by
``dho.evaluation.evaluator.evaluate`` on in-memory windows, at simulated times.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from dho.domain.findings import Evaluation, Rule, Severity
from dho.domain.plans import Programme, plan_from_template
from dho.domain.readings import DeviceReading
from dho.domain.timeline import TimelineEntry, entries_for
from dho.evaluation.evaluator import evaluate
from dho.evaluation.windows import WINDOW, PatientWindow
from localcloud.simulator.cohort import SimPatient
from localcloud.simulator.deteriorations import Kind
from localcloud.simulator.payloads import DeviceMessage, MessageKind
from localcloud.simulator.simulation import Simulation

Parse = Callable[[DeviceMessage, Simulation], DeviceReading]


def _timelines(simulation: Simulation, parse: Parse) -> dict[str, list[TimelineEntry]]:
    """Each patient's timeline as the platform stores it: good messages once (a duplicate stores nothing)."""
    timelines: dict[str, list[TimelineEntry]] = defaultdict(list)
    for message in simulation.messages:
        if message.kind is MessageKind.GOOD:
            timelines[message.patient_id].extend(entries_for(parse(message, simulation), message.patient_id))
    return timelines


def _windows(patients: Iterable[SimPatient], timelines: dict[str, list[TimelineEntry]], series: str,
             start: datetime) -> list[PatientWindow]:
    """One window per reading of ``series`` (evaluated a minute after it arrives), as the handler does."""
    windows = []
    for patient in patients:
        plan = plan_from_template(patient.patient_id, patient.programme, start - timedelta(days=30))
        entries = sorted(timelines[patient.patient_id], key=lambda e: e.measured_at)
        for entry in (e for e in entries if e.series == series):
            at = entry.measured_at + timedelta(minutes=1)
            windows.append(PatientWindow(patient.patient_id, plan, at,
                                         [e for e in entries if at - WINDOW < e.measured_at <= at]))
    return windows


def _fired(evaluation: Evaluation, rules: set[Rule]) -> bool:
    return any(f.rule in rules for f in evaluation.findings)


def test_heart_failure_weight_gain_is_flagged_and_stable_weights_mostly_are_not(
        spread_cohort: Simulation, parse_message: Parse) -> None:
    heart_failure = [p for c in spread_cohort.cohorts for p in c.patients if p.programme is Programme.HEART_FAILURE]
    timelines = _timelines(spread_cohort, parse_message)
    evaluations = evaluate(_windows(heart_failure, timelines, "body_weight", spread_cohort.start))

    episodes = {pid: e for pid, e in spread_cohort.episodes.items() if e.kind is Kind.HEART_FAILURE_WEIGHT_GAIN}
    assert len(episodes) >= 5
    flagged = {e.patient_id for e in evaluations if e.patient_id in episodes and _fired(e, {Rule.WEIGHT_GAIN})
               and episodes[e.patient_id].onset <= e.evaluated_at <= episodes[e.patient_id].end}
    assert len(flagged) / len(episodes) >= 0.8, f"{len(flagged)} of {len(episodes)} weight gains flagged"

    stable = [e for e in evaluations if e.patient_id not in spread_cohort.episodes]
    false_alarms = sum(_fired(e, {Rule.WEIGHT_GAIN}) for e in stable)
    assert len(stable) > 200
    assert false_alarms / len(stable) <= 0.02, f"{false_alarms} weight alerts in {len(stable)} stable days"


def test_copd_exacerbations_are_flagged_and_stable_copd_patients_get_few_red_findings(
        spread_cohort: Simulation, parse_message: Parse) -> None:
    copd = [p for c in spread_cohort.cohorts for p in c.patients
            if p.programme in (Programme.COPD, Programme.COPD_HYPERCAPNIC)]
    timelines = _timelines(spread_cohort, parse_message)
    evaluations = evaluate(_windows(copd, timelines, "spo2", spread_cohort.start))
    episodes = {pid: e for pid, e in spread_cohort.episodes.items() if e.kind is Kind.COPD_EXACERBATION}
    assert len(episodes) >= 5
    spo2_rules = {Rule.SPO2_BAND, Rule.SPO2_BELOW_PERSONAL_MEAN}
    flagged = {e.patient_id for e in evaluations if e.patient_id in episodes and _fired(e, spo2_rules)
               and episodes[e.patient_id].onset <= e.evaluated_at <= episodes[e.patient_id].end}
    assert len(flagged) / len(episodes) >= 0.8, f"{len(flagged)} of {len(episodes)} exacerbations flagged"

    stable = [e for e in evaluations if e.patient_id not in spread_cohort.episodes]
    red = sum(any(f.severity is Severity.RED for f in e.findings) for e in stable)
    assert red / len(stable) <= 0.02, f"{red} red evaluations in {len(stable)} stable SpO2 readings"
