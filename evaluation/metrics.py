"""What the table reports, from the alerts one engine opened and the ground truth.

Definitions (EVALUATION.md repeats them):

* an alert is an ``opened`` line of ``alerts.jsonl``; *clinical* alerts are all but ``missed_measurements``
  (reported on their own);
* an event is caught in 7 (3) days when a clinical alert for the patient opened in [onset - 7 d, onset]
  ([onset - 3 d, onset]); sensitivity is the share of events caught;
* lead time: from the first clinical alert in the 7-day window to the onset; the median over caught events;
* alerts per patient-week: alerts over the whole follow-up (every patient's window, admissions included)
  divided by the follow-up in weeks;
* a *false* alert opened outside every event's 7-day window and acute phase ([onset, recovery start));
  alerts in the recovery after an event count as false;
* weeks: each patient's follow-up cut into whole weeks from its start (a trailing part week is left
  out); an *event week* overlaps an event's [onset - 7 d, onset]; every other week is event-free, the
  admission and recovery weeks after an event included. The share of event-free weeks with a clinical
  alert opened in them.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from evaluation.truth import Truth, TruthEvent

MISSED_MEASUREMENTS = "missed_measurements"
WINDOW = timedelta(days=7)
SHORT_WINDOW = timedelta(days=3)
WEEK = timedelta(days=7)
ALL_COPD = ("copd", "copd_hypercapnic")


@dataclass(frozen=True, slots=True)
class Opened:
    patient_id: str
    rule: str  # rule/severity, e.g. news2/red
    at: datetime

    @property
    def clinical(self) -> bool:
        return not self.rule.startswith(MISSED_MEASUREMENTS)


def opened_alerts(alerts: Iterable[dict[str, Any]]) -> list[Opened]:
    return [Opened(a["patient_id"], _rule_key(a), datetime.fromisoformat(a["at"]))
            for a in alerts if a.get("event") == "opened"]


def _rule_key(alert: dict[str, Any]) -> str:
    rule, severity = str(alert["rule"]), alert.get("severity")
    return f"{rule}/{severity}" if severity and "/" not in rule else rule


def in_window(at: datetime, event: TruthEvent, window: timedelta = WINDOW) -> bool:
    return event.onset - window <= at <= event.onset


def explained(at: datetime, events: Sequence[TruthEvent]) -> bool:
    """In an event's 7-day window or its acute phase: not a false alert."""
    return any(in_window(at, e) or (e.recovery_start is not None and e.onset <= at < e.recovery_start)
               for e in events)


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def score(alerts: Iterable[dict[str, Any]], truth: Truth) -> dict[str, Any]:
    opened = opened_alerts(alerts)
    by_patient: dict[str, list[Opened]] = defaultdict(list)
    for alert in opened:
        if alert.patient_id in truth.programmes:
            by_patient[alert.patient_id].append(alert)
    events: dict[str, list[TruthEvent]] = defaultdict(list)
    for event in truth.events:
        events[event.patient_id].append(event)
    programmes = sorted(set(truth.programmes.values()))
    groups = {"overall": list(truth.programmes)} | {
        p: [pid for pid, prog in truth.programmes.items() if prog == p] for p in programmes}
    groups["all_copd"] = [pid for pid, prog in truth.programmes.items() if prog in ALL_COPD]
    result: dict[str, Any] = {name: {**_block(patients, by_patient, events, truth),
                                     "by_rule": _by_rule(patients, by_patient, events, truth)}
                              for name, patients in groups.items()}
    result["by_rule"] = result["overall"]["by_rule"]
    return result


def _block(patients: list[str], alerts: dict[str, list[Opened]], events: dict[str, list[TruthEvent]],
           truth: Truth) -> dict[str, Any]:
    weeks = len(patients) * ((truth.end - truth.start) / WEEK)
    clinical = [a for p in patients for a in alerts.get(p, ()) if a.clinical]
    missed = sum(1 for p in patients for a in alerts.get(p, ()) if not a.clinical)
    false = [a for a in clinical if not explained(a.at, events.get(a.patient_id, ()))]
    caught_7 = caught_3 = 0
    leads: list[float] = []
    patient_events = [(p, e) for p in patients for e in events.get(p, ())]
    for patient_id, event in patient_events:
        times = sorted(a.at for a in alerts.get(patient_id, ()) if a.clinical and in_window(a.at, event))
        if times:
            caught_7 += 1
            leads.append((event.onset - times[0]) / timedelta(hours=1))
        if any(in_window(t, event, SHORT_WINDOW) for t in times):
            caught_3 += 1
    free, free_alerted = _event_free_weeks(patients, alerts, events, truth)
    return {
        "patients": len(patients),
        "patient_weeks": round(weeks, 2),
        "events": len(patient_events),
        "caught_7d": caught_7,
        "sensitivity_7d": _ratio(caught_7, len(patient_events)),
        "sensitivity_3d": _ratio(caught_3, len(patient_events)),
        "median_lead_hours": statistics.median(leads) if leads else None,
        "clinical_alerts": len(clinical),
        "alerts_per_patient_week": _ratio(len(clinical), weeks),
        "false_alerts_per_patient_week": _ratio(len(false), weeks),
        "missed_measurement_alerts_per_patient_week": _ratio(missed, weeks),
        "event_free_weeks": free,
        "event_free_weeks_with_alert": _ratio(free_alerted, free),
    }


def _event_free_weeks(patients: list[str], alerts: dict[str, list[Opened]], events: dict[str, list[TruthEvent]],
                      truth: Truth) -> tuple[int, int]:
    whole_weeks = int((truth.end - truth.start) / WEEK)
    free = alerted = 0
    for patient_id in patients:
        for week in range(whole_weeks):
            begin = truth.start + week * WEEK
            end = begin + WEEK
            if any(begin <= e.onset and e.onset - WINDOW < end for e in events.get(patient_id, ())):
                continue
            free += 1
            alerted += any(a.clinical and begin <= a.at < end for a in alerts.get(patient_id, ()))
    return free, alerted


def _by_rule(patients: list[str], alerts: dict[str, list[Opened]], events: dict[str, list[TruthEvent]],
             truth: Truth) -> dict[str, dict[str, Any]]:
    weeks = len(patients) * ((truth.end - truth.start) / WEEK)
    total_events = sum(len(events.get(p, ())) for p in patients)
    rules = sorted({a.rule for p in patients for a in alerts.get(p, ())})
    table = {}
    for rule in rules:
        mine = [a for p in patients for a in alerts.get(p, ()) if a.rule == rule]
        false = sum(1 for a in mine if not explained(a.at, events.get(a.patient_id, ())))
        caught = sum(1 for p in patients for e in events.get(p, ())
                     if any(a.rule == rule and in_window(a.at, e) for a in alerts.get(p, ())))
        table[rule] = {"alerts_per_patient_week": _ratio(len(mine), weeks),
                       "false_alerts_per_patient_week": _ratio(false, weeks),
                       "events_caught_7d": _ratio(caught, total_events)}
    return table
