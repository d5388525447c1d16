"""Fill a tenant's registry from a JSON file shaped like events/registry.json."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dho.domain.registry import DeviceAssignment, Patient
from dho.ports import Registry


def seed_registry(registry: Registry, spec: dict[str, Any]) -> None:
    for patient in spec["patients"]:
        registry.register_patient(Patient(**patient))
    for assignment in sorted(spec["assignments"], key=lambda a: a["valid_from"]):
        registry.assign_device(DeviceAssignment(
            device_id=assignment["device_id"],
            patient_id=assignment["patient_id"],
            valid_from=datetime.fromisoformat(assignment["valid_from"]),
        ))
