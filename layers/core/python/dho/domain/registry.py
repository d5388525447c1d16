"""Who is who in a tenant: patients (pseudonymous) and which device each had when."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from dho.domain.identifiers import validate_national_id


@dataclass(frozen=True, slots=True)
class Patient:
    """A followed-up patient. ``patient_id`` is the pseudonym used everywhere else; the national id
    (fødselsnummer) lives only in this record, for matching with the EHR."""

    patient_id: str
    national_id: str
    programme: str

    def __post_init__(self) -> None:
        validate_national_id(self.national_id)

    def __repr__(self) -> str:  # keep the national id out of tracebacks and debug logs
        return f"Patient(patient_id={self.patient_id!r}, programme={self.programme!r})"


@dataclass(frozen=True, slots=True)
class DeviceAssignment:
    """``device_id`` belonged to ``patient_id`` from ``valid_from`` (inclusive) until ``valid_to``
    (exclusive; None while it still does). Devices are reused: a reading belongs to whoever had the
    device when it was measured, not when it arrived."""

    device_id: str
    patient_id: str
    valid_from: datetime
    valid_to: datetime | None = None

    def covers(self, moment: datetime) -> bool:
        return self.valid_from <= moment and (self.valid_to is None or moment < self.valid_to)


class AssignmentConflict(ValueError):
    """An assignment that would overlap an existing one or go back in time."""


class PatientConflict(ValueError):
    """A different patient is already registered under this pseudonymous id."""


ROSTER_SLOTS = 60  # one a minute: the escalation sweep checks each slot's patients once an hour


def roster_slot(patient_id: str) -> int:
    """The stable slot (0..59) of a patient in the hourly round of checks (missed measurements): a hash,
    so patients spread evenly over the hour and each keeps its minute."""
    return int.from_bytes(hashlib.sha256(patient_id.encode()).digest()[:8], "big") % ROSTER_SLOTS
