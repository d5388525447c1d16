"""Ids, ``fullUrl``s and references inside one exported Bundle.

Every resource gets an id derived from its business identifier (a name-based UUID, RFC 9562 v5), and
its entry the ``fullUrl`` ``urn:uuid:<id>``; resources refer to each other by that URN, so every
reference resolves within the Bundle (a collection has no server base to resolve ``Patient/<id>``
against). Derived, not random: a re-export of the same data gives the same ids, so the receiver can
tell an update from a new resource.
"""

from __future__ import annotations

import uuid
from typing import Any

from dho.fhir.codes import DEVICE_IDENTIFIER_SYSTEM, PATIENT_IDENTIFIER_SYSTEM

_NAMESPACE = uuid.UUID("5b0c7d0e-3a51-5c38-9f0e-6d686f2d6668")  # this platform's: fixed for good


def resource_id(resource_type: str, system: str, value: str) -> str:
    """The id of the ``resource_type`` resource whose business identifier is ``system``|``value``."""
    return str(uuid.uuid5(_NAMESPACE, f"{resource_type}|{system}|{value}"))


def full_url(resource: dict[str, Any]) -> str:
    return f"urn:uuid:{resource['id']}"


def patient_resource_id(tenant_id: str, patient_id: str) -> str:
    return resource_id("Patient", PATIENT_IDENTIFIER_SYSTEM, f"{tenant_id}/{patient_id}")


def device_resource_id(tenant_id: str, device_id: str) -> str:
    return resource_id("Device", DEVICE_IDENTIFIER_SYSTEM, f"{tenant_id}/{device_id}")


def patient_reference(tenant_id: str, patient_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{patient_resource_id(tenant_id, patient_id)}", "type": "Patient"}


def device_reference(tenant_id: str, device_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{device_resource_id(tenant_id, device_id)}", "type": "Device"}
