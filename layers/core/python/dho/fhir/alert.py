"""Alerts → FHIR R4B ``DetectedIssue`` (the clinical issue, its evidence and what was done about it) and
``Flag`` (the warning while it stands), as plain dicts checked against fhir.resources' R4B models.

Why both, and why the history is ``DetectedIssue.mitigation``: a DetectedIssue is "a clinical issue
with an actual or potential risk for the patient", identified at a time, with the evidence it rests on
and ``mitigation`` entries: each an action taken about it (a code), when, and by whom (a Practitioner,
here by HPR number). Acknowledging, snoozing and closing with a coded outcome are exactly that, so the
alert's history becomes one mitigation each, oldest first. A Flag carries no history (only a status
and a period): it is what an EHR shows as a banner, active while the alert is open, and points at its
DetectedIssue (the core ``flag-detail`` extension). Notes stay in the centre's record: mitigation has
no place for free text, and the coded outcome is what the receiver acts on.

Evidence references the Observations (and QuestionnaireResponses) of the same Bundle by their
``fullUrl``; a reading outside the exported period is named by identifier only (system
``urn:dho:reading-id``, ``<tenant>/<reading id>``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dho.domain.alerts import ActionKind, Alert, AlertAction, AlertState
from dho.domain.clock import to_canonical
from dho.domain.findings import Severity
from dho.fhir.codes import HPR_SYSTEM
from dho.fhir.references import patient_reference, resource_id

ALERT_IDENTIFIER_SYSTEM = "urn:dho:alert"
ALERT_RULE_SYSTEM = "urn:dho:alert-rule"
ALERT_ACTION_SYSTEM = "urn:dho:alert-action"
READING_ID_SYSTEM = "urn:dho:reading-id"
FLAG_PRIORITY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-priority"
FLAG_DETAIL_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-detail"
FLAG_PRIORITY_SYSTEM = "http://hl7.org/fhir/flag-priority-code"
FLAG_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/flag-category"

_ISSUE_SEVERITY = {Severity.RED: "high", Severity.YELLOW: "moderate"}
_FLAG_PRIORITY = {Severity.RED: ("PH", "High priority"), Severity.YELLOW: ("PM", "Medium priority")}

# A reading id → the (fullUrl, resource type) of what it became in the Bundle.
EvidenceIndex = Mapping[str, Sequence[tuple[str, str]]]


def detected_issue_id(alert: Alert, tenant_id: str) -> str:
    return resource_id("DetectedIssue", ALERT_IDENTIFIER_SYSTEM, f"{tenant_id}/{alert.alert_id}")


def render_detected_issue(alert: Alert, tenant_id: str, evidence: EvidenceIndex | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": detected_issue_id(alert, tenant_id),
        "identifier": _identifier(alert, tenant_id),
        # Open or acknowledged: still being worked on; closed: the nurse's (or the policy's) last word.
        "status": "final" if alert.state is AlertState.CLOSED else "preliminary",
        "code": _rule_code(alert),
        "severity": _ISSUE_SEVERITY[alert.severity],
        "patient": patient_reference(tenant_id, alert.patient_id),
        "identifiedDateTime": to_canonical(alert.opened_at),
        "detail": alert.detail,
    }
    if alert.evidence:
        resource["evidence"] = [{"detail": _evidence(alert, tenant_id, evidence or {})}]
    if mitigation := [_mitigation(action) for action in history_of(alert)]:
        resource["mitigation"] = mitigation
    return resource


def render_flag(alert: Alert, tenant_id: str) -> dict[str, Any]:
    code, display = _FLAG_PRIORITY[alert.severity]
    period = {"start": to_canonical(alert.opened_at)}
    if alert.closed_at is not None:
        period["end"] = to_canonical(alert.closed_at)
    issue = {"reference": f"urn:uuid:{detected_issue_id(alert, tenant_id)}", "type": "DetectedIssue"}
    return {
        "resourceType": "Flag",
        "id": resource_id("Flag", ALERT_IDENTIFIER_SYSTEM, f"{tenant_id}/{alert.alert_id}"),
        "extension": [
            {"url": FLAG_PRIORITY_EXTENSION, "valueCodeableConcept": {
                "coding": [{"system": FLAG_PRIORITY_SYSTEM, "code": code, "display": display}]}},
            {"url": FLAG_DETAIL_EXTENSION, "valueReference": issue},
        ],
        "identifier": _identifier(alert, tenant_id),
        "status": "inactive" if alert.state is AlertState.CLOSED else "active",
        "category": [{"coding": [{"system": FLAG_CATEGORY_SYSTEM, "code": "clinical", "display": "Clinical"}]}],
        "code": _rule_code(alert),
        "subject": patient_reference(tenant_id, alert.patient_id),
        "period": period,
    }


def history_of(alert: Alert) -> tuple[AlertAction, ...]:
    """The alert's actions, oldest first; an alert stored before histories were kept gets them from its
    acknowledgement and closing fields."""
    if alert.history:
        return alert.history
    actions: list[AlertAction] = []
    if alert.acknowledged_at is not None and alert.acknowledged_by is not None:
        actions.append(AlertAction(ActionKind.ACKNOWLEDGED, alert.acknowledged_at, alert.acknowledged_by))
    if alert.closed_at is not None and alert.close_reason is not None:
        actions.append(AlertAction(ActionKind.CLOSED, alert.closed_at, alert.closed_by, outcome=alert.close_reason))
    return tuple(actions)


def _identifier(alert: Alert, tenant_id: str) -> list[dict[str, Any]]:
    return [{"system": ALERT_IDENTIFIER_SYSTEM, "value": f"{tenant_id}/{alert.alert_id}"}]


def _rule_code(alert: Alert) -> dict[str, Any]:
    return {"coding": [{"system": ALERT_RULE_SYSTEM, "code": alert.rule.value, "display": alert.rule.label}],
            "text": alert.rule.label}


def _evidence(alert: Alert, tenant_id: str, index: EvidenceIndex) -> list[dict[str, Any]]:
    details: list[dict[str, Any]] = []
    for reading_id in alert.evidence:
        found = index.get(reading_id, ())
        details.extend({"reference": url, "type": kind} for url, kind in found)
        if not found:  # not in this Bundle (measured outside the period): named, not resolvable here
            details.append({"type": "Observation",
                            "identifier": {"system": READING_ID_SYSTEM, "value": f"{tenant_id}/{reading_id}"}})
    return details


def _mitigation(action: AlertAction) -> dict[str, Any]:
    code, text = _action_code(action)
    entry: dict[str, Any] = {
        "action": {"coding": [{"system": ALERT_ACTION_SYSTEM, "code": code, "display": text}], "text": text},
        "date": to_canonical(action.at),
    }
    if action.by is not None:
        entry["author"] = {"type": "Practitioner", "identifier": {"system": HPR_SYSTEM, "value": action.by}}
    return entry


def _action_code(action: AlertAction) -> tuple[str, str]:
    if action.kind is ActionKind.SNOOZED and action.until is not None:
        return "snoozed", f"Snoozed until {to_canonical(action.until)}"
    if action.kind is ActionKind.CLOSED and action.outcome is not None:
        closing = "Closed automatically" if action.outcome.automatic else "Closed"
        return f"closed-{action.outcome.value}", f"{closing}: {action.outcome.value.replace('_', ' ')}"
    return action.kind.value.replace("_", "-"), _ACTION_TEXT[action.kind]


_ACTION_TEXT = {
    ActionKind.ACKNOWLEDGED: "Acknowledged by a nurse",
    ActionKind.SNOOZED: "Snoozed",
    ActionKind.SNOOZE_BROKEN: "Snooze ended early: the patient got worse",
    ActionKind.CLOSED: "Closed",
}
