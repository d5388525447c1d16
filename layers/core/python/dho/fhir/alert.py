"""Alerts → FHIR R4B ``DetectedIssue`` (with evidence) and ``Flag`` (with priority), as plain dicts.

Alerts export as ``Flag`` (with priority) or ``DetectedIssue`` with evidence pointing at the
Observations. Both are rendered; the tests check them against fhir.resources' R4B models. Unlike the SMS,
the export goes to the EHR, so the worklist detail (which may hold values) is included.

Evidence references Observations by identifier: system ``urn:dho:reading-id``, value
``<tenant>/<reading_id>`` (findings carry reading ids only; an Observation's own identifier in
``urn:dho:reading`` also names the device and the metric, see ``dho.fhir.observation``).
"""

from __future__ import annotations

from typing import Any

from dho.domain.alerts import Alert, AlertState
from dho.domain.clock import to_canonical
from dho.domain.findings import Severity
from dho.fhir.codes import HPR_SYSTEM

ALERT_IDENTIFIER_SYSTEM = "urn:dho:alert"
ALERT_RULE_SYSTEM = "urn:dho:alert-rule"
ALERT_ACTION_SYSTEM = "urn:dho:alert-action"
READING_ID_SYSTEM = "urn:dho:reading-id"
FLAG_PRIORITY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-priority"
FLAG_PRIORITY_SYSTEM = "http://hl7.org/fhir/flag-priority-code"
FLAG_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/flag-category"

_ISSUE_SEVERITY = {Severity.RED: "high", Severity.YELLOW: "moderate"}
_FLAG_PRIORITY = {Severity.RED: ("PH", "High priority"), Severity.YELLOW: ("PM", "Medium priority")}


def render_detected_issue(alert: Alert, tenant_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": alert.alert_id,
        "identifier": _identifier(alert, tenant_id),
        # Open or acknowledged: still being worked on; closed: the nurse's (or the policy's) last word.
        "status": "final" if alert.state is AlertState.CLOSED else "preliminary",
        "code": _rule_code(alert),
        "severity": _ISSUE_SEVERITY[alert.severity],
        "patient": {"reference": f"Patient/{alert.patient_id}"},
        "identifiedDateTime": to_canonical(alert.opened_at),
        "detail": alert.detail,
    }
    if alert.evidence:
        resource["evidence"] = [{"detail": [
            {"type": "Observation", "identifier": {"system": READING_ID_SYSTEM, "value": f"{tenant_id}/{reading_id}"}}
            for reading_id in alert.evidence
        ]}]
    if mitigation := _mitigation(alert):
        resource["mitigation"] = mitigation
    return resource


def render_flag(alert: Alert, tenant_id: str) -> dict[str, Any]:
    code, display = _FLAG_PRIORITY[alert.severity]
    period = {"start": to_canonical(alert.opened_at)}
    if alert.closed_at is not None:
        period["end"] = to_canonical(alert.closed_at)
    return {
        "resourceType": "Flag",
        "id": alert.alert_id,
        "extension": [{"url": FLAG_PRIORITY_EXTENSION, "valueCodeableConcept": {
            "coding": [{"system": FLAG_PRIORITY_SYSTEM, "code": code, "display": display}]}}],
        "identifier": _identifier(alert, tenant_id),
        "status": "inactive" if alert.state is AlertState.CLOSED else "active",
        "category": [{"coding": [{"system": FLAG_CATEGORY_SYSTEM, "code": "clinical", "display": "Clinical"}]}],
        "code": _rule_code(alert),
        "subject": {"reference": f"Patient/{alert.patient_id}"},
        "period": period,
    }


def _identifier(alert: Alert, tenant_id: str) -> list[dict[str, Any]]:
    return [{"system": ALERT_IDENTIFIER_SYSTEM, "value": f"{tenant_id}/{alert.alert_id}"}]


def _rule_code(alert: Alert) -> dict[str, Any]:
    return {"coding": [{"system": ALERT_RULE_SYSTEM, "code": alert.rule.value, "display": alert.rule.label}],
            "text": alert.rule.label}


def _nurse(hpr: str) -> dict[str, Any]:
    return {"type": "Practitioner", "identifier": {"system": HPR_SYSTEM, "value": hpr}}


def _mitigation(alert: Alert) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    if alert.acknowledged_at is not None and alert.acknowledged_by is not None:
        actions.append({"action": _action("acknowledged", "Acknowledged by a nurse"),
                        "date": to_canonical(alert.acknowledged_at), "author": _nurse(alert.acknowledged_by)})
    if alert.closed_at is not None and alert.close_reason is not None:
        closing: dict[str, Any] = {"action": _action(f"closed-{alert.close_reason.value}", "Closed"),
                                   "date": to_canonical(alert.closed_at)}
        if alert.closed_by is not None:
            closing["author"] = _nurse(alert.closed_by)
        actions.append(closing)
    return actions


def _action(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": ALERT_ACTION_SYSTEM, "code": code, "display": display}], "text": display}
