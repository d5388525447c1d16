"""Normen access log: who looked at a patient's data, when, what, and with what result (no I/O).

Normen and pasientjournalforskriften §14 ask for a record of every access to patient data with the
patient id, the time, the information object, the health worker's HPR number, role and organisation,
and that the patient can see who accessed it. One :class:`AccessRecord` is written per request, also
for a refused or not-found one, before anything is returned (``dho.export.service``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class AccessOutcome(StrEnum):
    EXPORTED = "exported"  # the data was returned
    REFUSED = "refused"  # the request was invalid: nothing was read or returned
    NOT_FOUND = "not_found"  # no such patient in this tenant: nothing returned
    TOO_LARGE = "too_large"  # more data than one response may carry: nothing returned (ask for less)
    FAILED = "failed"  # an error after reading: nothing returned


# What a FHIR export discloses (the information object of the Normen record).
FHIR_EXPORT_OBJECT = (
    "home-monitoring FHIR R4B Bundle: Patient, Device, Observation, QuestionnaireResponse, DetectedIssue, Flag"
)


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One access. ``patient_id`` is None only for a refused request that named no usable patient
    id; ``hpr``/``role``/``organisation`` are what the request said (None where it said nothing usable).
    ``period_*``: the measured-time window asked for, when it was valid. ``resources``: how many FHIR
    resources were returned (0 unless exported). Through the centre API the identity is the one the
    gateway verified (never the request's), and ``purpose`` says why (e.g. ``worklist``)."""

    access_id: str
    patient_id: str | None
    accessed_at: datetime
    information_object: str
    outcome: AccessOutcome
    hpr: str | None
    role: str | None
    organisation: str | None
    period_start: datetime | None = None
    period_end: datetime | None = None
    resources: int = 0
    # The centre API's calls: the verified token subject (staff without an HPR number) and the purpose.
    subject: str | None = None
    purpose: str | None = None
