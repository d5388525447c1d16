"""A patient's home-monitoring data → one FHIR R4B ``Bundle`` of type ``collection`` (a JSON-ready
dict), and the ``OperationOutcome`` an export answers with when it returns no data.

The bundle holds the Patient first, then the Devices the Observations name, then the Observations and
QuestionnaireResponses in measured order, then per alert (in opening order) its DetectedIssue (evidence
and action history) and its Flag. Every entry has a ``fullUrl`` (``urn:uuid:<id>``) and every resource
an id, and resources refer to each other by those URNs (``dho.fhir.references``), so every reference
resolves within the bundle. The bundle's identifier (``urn:dho:export``, ``<tenant>/<access id>``)
names the Normen access-log entry that recorded the export.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from dho.domain.advice import Advice
from dho.domain.alerts import Alert
from dho.domain.clock import to_canonical
from dho.domain.registry import Patient
from dho.domain.timeline import TimelineEntry
from dho.fhir.alert import render_detected_issue, render_flag
from dho.fhir.communication import render_communication
from dho.fhir.device import render_device
from dho.fhir.observation import render_observations
from dho.fhir.patient import render_patient
from dho.fhir.questionnaire_response import render_questionnaire_response
from dho.fhir.references import full_url

EXPORT_IDENTIFIER_SYSTEM = "urn:dho:export"


def readings_of(entries: Iterable[TimelineEntry]) -> list[list[TimelineEntry]]:
    """Timeline entries grouped by reading (device + reading id), in measured order: a reading's
    metrics render together (systolic and diastolic pressure become one panel)."""
    by_reading: dict[tuple[str, str], list[TimelineEntry]] = {}
    for entry in sorted(entries, key=lambda e: (e.measured_at, e.device_id, e.reading_id, e.series)):
        by_reading.setdefault((entry.device_id, entry.reading_id), []).append(entry)
    return list(by_reading.values())


def render_bundle(
    patient: Patient,
    entries: Sequence[TimelineEntry],
    alerts: Sequence[Alert],
    *,
    tenant_id: str,
    export_id: str,
    timestamp: datetime,
    advice: Sequence[Advice] = (),
) -> dict[str, Any]:
    readings: list[dict[str, Any]] = []
    devices: dict[str, dict[str, Any]] = {}
    evidence: dict[str, list[tuple[str, str]]] = {}  # reading id → what it became here (for the alerts)
    for reading in readings_of(entries):
        observations = render_observations(reading, tenant_id)
        rendered = [*observations, *(render_questionnaire_response(e, tenant_id) for e in reading if e.answers)]
        if observations and reading[0].device_id not in devices:
            devices[reading[0].device_id] = render_device(reading[0].device_id, patient.patient_id, tenant_id)
        evidence.setdefault(reading[0].reading_id, []).extend((full_url(r), r["resourceType"]) for r in rendered)
        readings.extend(rendered)
    issues: list[dict[str, Any]] = []
    for alert in sorted(alerts, key=lambda a: a.opened_at):
        issues.extend((render_detected_issue(alert, tenant_id, evidence), render_flag(alert, tenant_id)))
    told = [render_communication(a, tenant_id, evidence) for a in sorted(advice, key=lambda a: a.measured_at)]
    resources = [render_patient(patient, tenant_id), *devices.values(), *readings, *issues, *told]
    return {
        "resourceType": "Bundle",
        "id": export_id,
        "identifier": {"system": EXPORT_IDENTIFIER_SYSTEM, "value": f"{tenant_id}/{export_id}"},
        "type": "collection",
        "timestamp": to_canonical(timestamp),
        "entry": [{"fullUrl": full_url(resource), "resource": resource} for resource in resources],
    }


def render_operation_outcome(code: str, problems: Sequence[str]) -> dict[str, Any]:
    """Why an export returned no data. ``code``: a FHIR issue type (``invalid``, ``not-found``,
    ``too-costly``); ``problems``: one diagnostics text each (never a value from the request)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": problem} for problem in problems],
    }
