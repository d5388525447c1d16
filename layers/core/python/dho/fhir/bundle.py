"""A patient's home-monitoring data → one FHIR R4B ``Bundle`` of type ``collection`` (a JSON-ready
dict), and the ``OperationOutcome`` an export answers with when it returns no data.

The bundle holds the Patient first, then the Observations and QuestionnaireResponses in measured
order, then the alerts as Flags in opening order. Resources reference each other as ``Patient/<id>``
(the Patient entry has that id); the bundle's identifier (``urn:dho:export``, ``<tenant>/<access id>``)
names the Normen access-log entry that recorded the export.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from dho.domain.alerts import Alert
from dho.domain.clock import to_canonical
from dho.domain.registry import Patient
from dho.domain.timeline import TimelineEntry
from dho.fhir.alert import render_flag
from dho.fhir.observation import render_observations
from dho.fhir.patient import render_patient
from dho.fhir.questionnaire_response import render_questionnaire_response

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
) -> dict[str, Any]:
    resources: list[dict[str, Any]] = [render_patient(patient)]
    for reading in readings_of(entries):
        resources.extend(render_observations(reading, tenant_id))
        resources.extend(render_questionnaire_response(e, tenant_id) for e in reading if e.answers)
    resources.extend(render_flag(alert, tenant_id) for alert in sorted(alerts, key=lambda a: a.opened_at))
    return {
        "resourceType": "Bundle",
        "identifier": {"system": EXPORT_IDENTIFIER_SYSTEM, "value": f"{tenant_id}/{export_id}"},
        "type": "collection",
        "timestamp": to_canonical(timestamp),
        "entry": [{"resource": resource} for resource in resources],
    }


def render_operation_outcome(code: str, problems: Sequence[str]) -> dict[str, Any]:
    """Why an export returned no data. ``code``: a FHIR issue type (``invalid``, ``not-found``,
    ``too-costly``); ``problems``: one diagnostics text each (never a value from the request)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": problem} for problem in problems],
    }
