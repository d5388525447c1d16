"""A device that measured readings in the export → FHIR R4B Device (its identifier and its patient), so
the Observations' ``device`` references resolve within the Bundle."""

from __future__ import annotations

from typing import Any

from dho.fhir.codes import DEVICE_IDENTIFIER_SYSTEM
from dho.fhir.references import device_resource_id, patient_reference


def render_device(device_id: str, patient_id: str, tenant_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Device",
        "id": device_resource_id(tenant_id, device_id),
        "identifier": [{"system": DEVICE_IDENTIFIER_SYSTEM, "value": f"{tenant_id}/{device_id}"}],
        "patient": patient_reference(tenant_id, patient_id),
    }
