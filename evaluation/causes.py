"""Why false alerts happen and why events are missed, from what the generator drew (``truth/``).

Each false clinical alert gets the first cause that fits, in this order: an oximeter artefact or a
dressed weighing in the 2 h before it; the early part of a long prodrome (more than 7 days before the
onset: a true signal the 7-day window does not count); the recovery after an event; a cold; a stable
patient whose usual values lie outside the template bands; a frequent symptom reporter's symptom alert;
otherwise the ordinary scatter of a stable patient.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from evaluation.metrics import WEEK, Opened, explained, in_window, opened_alerts
from evaluation.truth import Truth, TruthEvent, read_jsonl

READING_BEFORE_ALERT = timedelta(hours=2)
CAUSES = ("oximeter artefact", "weighed dressed", "early prodrome (> 7 days before onset)",
          "recovery after an event", "minor cold", "usual values outside the template bands",
          "frequent symptom reporter", "scatter of a stable patient")


@dataclass(frozen=True)
class PatientTruth:
    habit: str
    traits: tuple[str, ...]
    colds: tuple[tuple[datetime, datetime], ...]


@dataclass(frozen=True)
class GeneratorTruth:
    patients: dict[str, PatientTruth]
    artefacts: dict[str, list[tuple[datetime, str]]]  # patient -> (measured at, kind)
    events: list[dict[str, Any]]
    events_by_patient: dict[str, list[dict[str, Any]]]


def load_generator_truth(cohort: Path) -> GeneratorTruth:
    patients = {
        row["patient_id"]: PatientTruth(row["habit"], tuple(row["traits"]), tuple(
            (datetime.fromisoformat(c["start"]), datetime.fromisoformat(c["end"])) for c in row["colds"]))
        for row in read_jsonl(cohort / "truth" / "patients.jsonl")}
    artefacts: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for row in read_jsonl(cohort / "truth" / "annotations.jsonl"):
        artefacts[row["patient_id"]].append((datetime.fromisoformat(row["measured_at"]), row["kind"]))
    events = list(read_jsonl(cohort / "events.jsonl"))
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_patient[event["patient_id"]].append(event)
    return GeneratorTruth(patients, artefacts, events, dict(by_patient))


def _cause(alert: Opened, truth: GeneratorTruth) -> str:
    at, patient_id = alert.at, alert.patient_id
    for measured, kind in truth.artefacts.get(patient_id, ()):
        if measured <= at <= measured + READING_BEFORE_ALERT:
            if kind == "oximeter_artefact":
                return CAUSES[0]
            if kind == "weighed_dressed":
                return CAUSES[1]
    events = truth.events_by_patient.get(patient_id, [])
    for event in events:
        if datetime.fromisoformat(event["prodrome_start"]) <= at < datetime.fromisoformat(event["onset"]):
            return CAUSES[2]
    for event in events:
        if datetime.fromisoformat(event["recovery_start"]) <= at <= datetime.fromisoformat(event["recovery_end"]):
            return CAUSES[3]
    patient = truth.patients.get(patient_id)
    if patient is None:
        return CAUSES[7]
    if any(start <= at < end for start, end in patient.colds):
        return CAUSES[4]
    if patient.traits and not alert.rule.startswith("symptoms"):
        return CAUSES[5]
    if patient.habit == "frequent_reporter" and alert.rule.startswith("symptoms"):
        return CAUSES[6]
    return CAUSES[7]


def false_alert_causes(alerts: list[dict[str, Any]], truth: Truth, generated: GeneratorTruth) -> dict[str, Any]:
    """False clinical alerts per patient-week by cause, and the share from stable patients with usual
    values outside the template bands."""
    weeks = len(truth.programmes) * ((truth.end - truth.start) / WEEK)
    events = defaultdict(list)
    for event in truth.events:
        events[event.patient_id].append(event)
    false = [a for a in opened_alerts(alerts)
             if a.clinical and a.patient_id in truth.programmes and not explained(a.at, events[a.patient_id])]
    causes = Counter(_cause(a, generated) for a in false)
    stable_chronic = sum(1 for a in false if not events[a.patient_id]
                         and generated.patients.get(a.patient_id, PatientTruth("", (), ())).traits)
    return {
        "false_alerts": len(false),
        "per_patient_week": {cause: causes[cause] / weeks for cause in CAUSES},
        "share_from_stable_patients_with_usual_values_outside_bands": stable_chronic / len(false) if false else None,
    }


def missed_event_causes(alerts: list[dict[str, Any]], truth: Truth, generated: GeneratorTruth) -> dict[str, Any]:
    """The events no clinical alert caught in the 7-day window, and what they had in common."""
    caught = defaultdict(list)
    for alert in opened_alerts(alerts):
        if alert.clinical:
            caught[alert.patient_id].append(alert.at)
    missed = [e for e in generated.events
              if not any(in_window(t, _truth_event(e)) for t in caught.get(e["patient_id"], ()))]
    habits = {pid: p.habit for pid, p in generated.patients.items()}
    return {
        "missed": len(missed),
        "events": len(generated.events),
        "in_patients_who_never_answer": sum(1 for e in missed if habits.get(e["patient_id"]) == "never_answers"),
        "without_symptom_change": sum(1 for e in missed if not e["symptomatic"]),
        "heart_failure_gain_under_2_kg": sum(1 for e in missed if e["kind"] == "heart_failure_decompensation"
                                             and e["weight_gain"] < 2.0),
        "copd_spo2_drop_under_2": sum(1 for e in missed if e["kind"] == "copd_exacerbation"
                                      and e["spo2_drop"] < 2.0),
    }


def _truth_event(record: dict[str, Any]) -> TruthEvent:
    return TruthEvent(record["patient_id"], record["kind"], datetime.fromisoformat(record["onset"]))


def alerts_by_patient_group(alerts: list[dict[str, Any]], truth: Truth, generated: GeneratorTruth) -> dict[str, Any]:
    """Clinical alerts per patient-week by programme and the chronic abnormalities drawn ("usual" when
    none), so a reader can re-weight the cohort's mix of such patients."""
    def group(patient_id: str) -> str:
        traits = generated.patients[patient_id].traits if patient_id in generated.patients else ()
        return f"{truth.programmes[patient_id]}: {' + '.join(traits) or 'usual values inside the bands'}"

    patients = Counter(group(pid) for pid in truth.programmes)
    opened = Counter(group(a.patient_id) for a in opened_alerts(alerts)
                     if a.clinical and a.patient_id in truth.programmes)
    weeks = (truth.end - truth.start) / WEEK
    return {name: {"patients": count, "alerts_per_patient_week": opened[name] / (count * weeks)}
            for name, count in sorted(patients.items())}
