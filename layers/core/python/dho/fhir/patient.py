"""A registered patient → FHIR R4B Patient for the EHR (HL7 Norway's no-basis-Patient): the national id
under its own system (fødselsnummer, D-nummer or hjelpenummer) and the pseudonymous id the centre knows
the patient by. Only the export path sees the national id."""

from __future__ import annotations

from typing import Any

from dho.domain.registry import Patient
from dho.fhir.codes import (
    D_NUMMER_SYSTEM,
    FODSELSNUMMER_SYSTEM,
    H_NUMMER_SYSTEM,
    NO_BASIS_PATIENT,
    PATIENT_IDENTIFIER_SYSTEM,
)
from dho.fhir.references import patient_resource_id


def national_id_system(national_id: str) -> str:
    """D-nummer: the day of birth + 40; hjelpenummer: the month + 40 (a synthetic test number's month is
    + 80: it stands for a fødselsnummer or D-nummer)."""
    if int(national_id[0]) >= 4:
        return D_NUMMER_SYSTEM
    if int(national_id[2]) in (4, 5):
        return H_NUMMER_SYSTEM
    return FODSELSNUMMER_SYSTEM


def render_patient(patient: Patient, tenant_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": patient_resource_id(tenant_id, patient.patient_id),
        "meta": {"profile": [NO_BASIS_PATIENT]},
        "identifier": [
            {"use": "official", "system": national_id_system(patient.national_id), "value": patient.national_id},
            {"use": "secondary", "system": PATIENT_IDENTIFIER_SYSTEM, "value": f"{tenant_id}/{patient.patient_id}"},
        ],
    }
