"""The advice sent to the patient's device about a reading → FHIR R4B Communication (JSON-ready dict):
what the patient was told, when, in which zone, and about which Observation; ``not-done`` when IoT
Core did not take it (so the receiver sees the patient was not told)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dho.domain.advice import Advice, SendOutcome
from dho.domain.clock import to_canonical
from dho.fhir.codes import ADVICE_IDENTIFIER_SYSTEM, ADVICE_ZONE_SYSTEM
from dho.fhir.references import patient_reference, resource_id


def render_communication(
    advice: Advice, tenant_id: str, evidence: Mapping[str, Sequence[tuple[str, str]]]
) -> dict[str, Any]:
    """``evidence``: reading id → (fullUrl, resource type) of what the reading became in the Bundle."""
    identifier = f"{tenant_id}/{advice.message_id}"
    patient = patient_reference(tenant_id, advice.patient_id)
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "id": resource_id("Communication", ADVICE_IDENTIFIER_SYSTEM, identifier),
        "language": advice.language.value,
        "identifier": [{"system": ADVICE_IDENTIFIER_SYSTEM, "value": identifier}],
        "status": "completed" if advice.outcome is SendOutcome.SENT else "not-done",
        "category": [{"coding": [{"system": ADVICE_ZONE_SYSTEM, "code": advice.zone.value}]}],
        "subject": patient,
        "recipient": [patient],
    }
    if advice.outcome is not SendOutcome.SENT:
        resource["statusReason"] = {"text": f"not delivered to the device ({advice.error or 'not tried'})"}
    if advice.sent_at is not None:
        resource["sent"] = to_canonical(advice.sent_at)
    about = [{"reference": url, "type": kind} for url, kind in evidence.get(advice.reading_id, ())]
    if about:
        resource["about"] = about
    if advice.text:
        resource["payload"] = [{"contentString": advice.text}]
    return resource
