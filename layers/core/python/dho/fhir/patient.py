"""A registered patient → FHIR R4B Patient for the EHR: the pseudonymous id as resource id, the
fødselsnummer (or D-nummer) as identifier. Only the export path sees the national id."""

from __future__ import annotations

from typing import Any

from dho.domain.registry import Patient
from dho.fhir.codes import D_NUMMER_SYSTEM, FODSELSNUMMER_SYSTEM


def render_patient(patient: Patient) -> dict[str, Any]:
    is_d_number = int(patient.national_id[0]) >= 4  # D-nummer: day of birth + 40
    system = D_NUMMER_SYSTEM if is_d_number else FODSELSNUMMER_SYSTEM
    return {
        "resourceType": "Patient",
        "id": patient.patient_id,
        "identifier": [{"use": "official", "system": system, "value": patient.national_id}],
    }
