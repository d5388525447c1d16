"""A patient's enrolment in follow-up: the decision (vedtak) and the care relations that decide who
may see the patient (no I/O). The name lives here, in the tenant's encrypted table, for the nurses'
screens only: never in logs, SMS or metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Enrolment:
    """``code``: the short patient code the centre uses on the phone and the worklist. ``gp_hpr``: the
    patient's GP (fastlege) by HPR number. ``hospital_organisations``: the hospitals (organisation
    numbers) this follow-up is a collaboration with."""

    patient_id: str
    name: str
    code: str
    programme: str
    centre_id: str
    gp_hpr: str | None
    hospital_organisations: tuple[str, ...]
    decision_ref: str
    decided_on: date
    start: date
    review_on: date

    def __repr__(self) -> str:  # keep the name out of tracebacks and debug logs
        return f"Enrolment(patient_id={self.patient_id!r}, programme={self.programme!r})"
