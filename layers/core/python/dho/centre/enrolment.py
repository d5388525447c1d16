"""A patient's enrolment in follow-up: the decision (vedtak) and the care relations that decide who
may see the patient (no I/O). The name lives here, in the tenant's encrypted table, for the nurses'
screens only: never in logs, SMS or metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class DischargeReason(StrEnum):
    STABLE = "stable"  # the follow-up did its job
    TRANSFERRED = "transferred"  # to another municipality or service
    ADMITTED_LONG_TERM = "admitted_long_term"  # long-term institution or hospital stay
    DECLINED = "declined"  # the patient no longer wants it
    DECEASED = "deceased"


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
    # Who recorded the decision and when (HPR number, or ``sub:<subject>`` for an administrator without one).
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    discharged_on: date | None = None
    discharge_reason: DischargeReason | None = None
    discharged_by: str | None = None
    # The caseload review (gjennomgang av brukerlister): who looked at the patient's follow-up last, when.
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    version: int = 1  # every change writes version + 1, on the condition the stored one is still version

    @property
    def is_discharged(self) -> bool:
        return self.discharged_on is not None

    def __repr__(self) -> str:  # keep the name out of tracebacks and debug logs
        return f"Enrolment(patient_id={self.patient_id!r}, programme={self.programme!r})"


@dataclass(frozen=True, slots=True)
class CaseloadPage:
    """Enrolled patients of one tenant, the review due first; ``next_page``: the token for the rest."""

    enrolments: tuple[Enrolment, ...]
    next_page: str | None
