"""The demo's patients who report in the app rather than measure: cancer patients answering ESAS-r daily and
mental-health patients answering PHQ-9 and GAD-7 weekly (more often when low). Per patient, by its code:
the answers the timeline holds, the alerts their scores raised (rule and severity) and whether the centre's
worklist shows them, which is the path app -> timeline -> score -> alert -> worklist. Never a name, an
id, an answer or a score.

:func:`reporting_lines` is pure (tested); :func:`show_reporting_patients` reads the tenant tables and the
centre APIs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.alerting.messages import patient_code
from dho.domain.plans import Programme, plan_from_template
from dho.domain.timeline import symptom_series
from localcloud.centre_api import LocalCentreApi
from localcloud.demo.centre import call, demo_nurse
from localcloud.demo.report import TenantReport
from localcloud.demo_cloud import DemoCloud
from localcloud.simulator.cohort import SimPatient
from localcloud.simulator.simulation import Simulation, all_patients

REPORTING = (Programme.CANCER, Programme.MENTAL_HEALTH)
_ANY_TIME = datetime(2026, 1, 1, tzinfo=UTC)  # a template's schedule does not depend on its date


def reporting(simulation: Simulation) -> list[SimPatient]:
    """The simulation's cancer and mental-health patients, cancer first."""
    return sorted((p for p in all_patients(simulation) if p.programme in REPORTING),
                  key=lambda p: (REPORTING.index(p.programme), p.tenant, p.index))


def questionnaires_of(patient: SimPatient) -> list[str]:
    """What the patient's plan (the programme's template) expects them to answer."""
    template = plan_from_template(patient.patient_id, patient.programme, _ANY_TIME)
    return sorted(template.questionnaire_schedule())


def reporting_lines(simulation: Simulation, answers: Mapping[str, Mapping[str, int]],
                    alert_items: Iterable[Mapping[str, Any]], on_worklist: Collection[str] | None) -> list[str]:
    """One line per reporting patient: answers stored by questionnaire, alerts (rule severity, worst first)
    and whether the worklist shows them (``on_worklist``: the patient ids the worklists show; None: no
    centre API to ask); then one line per programme: how many were alerted and are on the worklist."""
    alerts: dict[str, Counter[tuple[str, str]]] = {}
    for item in alert_items:
        patient = item["pk"]["S"].removeprefix("PATIENT#")
        alerts.setdefault(patient, Counter())[(item["rule"]["S"], item["severity"]["S"])] += 1
    truth = {p.patient_id: e.kind.value for p in all_patients(simulation)
             if (e := simulation.episodes.get(p.patient_id)) is not None}
    lines: list[str] = []
    shown: Counter[tuple[str, str]] = Counter()
    for patient in reporting(simulation):
        counts = answers.get(patient.patient_id, {})
        stored = ", ".join(f"{q} {counts.get(q, 0)}" for q in questionnaires_of(patient))
        raised = alerts.get(patient.patient_id, Counter())
        alerted = ", ".join(f"{rule} {severity}" for rule, severity in sorted(
            raised, key=lambda rs: (rs[1] != "red", rs[0]))) or "none"
        listed = "-" if on_worklist is None else "yes" if patient.patient_id in on_worklist else "no"
        state = truth.get(patient.patient_id, "stable")
        lines.append(f"{patient.tenant:<10} {patient.programme.value:<14} patient {patient_code(patient.patient_id)}"
                     f" ({state}): answers {stored} | alerts: {alerted} | on the worklist: {listed}")
        shown[(patient.programme.value, "patients")] += 1
        shown[(patient.programme.value, "alerted")] += bool(raised)
        shown[(patient.programme.value, "listed")] += listed == "yes"
    for programme in REPORTING:
        name = programme.value
        if shown[(name, "patients")]:
            lines.append(f"{name}: {shown[(name, 'patients')]} patients, {shown[(name, 'alerted')]} with alerts, "
                         f"{shown[(name, 'listed')]} on a centre's worklist")
    return lines


def show_reporting_patients(cloud: DemoCloud, simulation: Simulation, reports: list[TenantReport],
                            apis: Mapping[str, LocalCentreApi]) -> list[str]:
    """The lines of :func:`reporting_lines` from the tenant tables and the demo nurses' worklists."""
    end = simulation.end + timedelta(hours=1)
    answers: dict[str, dict[str, int]] = {}
    for patient in reporting(simulation):
        timeline = DynamoDbTimeline(cloud.aws("dynamodb"), cloud.tenants[patient.tenant].table_name)
        answers[patient.patient_id] = {
            q: len(timeline.query(patient.patient_id, symptom_series(q), simulation.start, end))
            for q in questionnaires_of(patient)}
    items = [i for r in reports for i in r.alert_items]
    return reporting_lines(simulation, answers, items, _on_worklists(apis))


def _on_worklists(apis: Mapping[str, LocalCentreApi]) -> set[str] | None:
    """The patient ids on the demo nurses' worklists (None: no centre API serves this run)."""
    listed: set[str] | None = None
    for api in apis.values():
        nurse = demo_nurse(api)
        if nurse is None:
            continue
        status, worklist = call(f"{api.url}/worklist", api.token(nurse))
        if status == 200:
            listed = (listed or set()) | {row["patient_id"] for row in worklist["rows"]}
    return listed

