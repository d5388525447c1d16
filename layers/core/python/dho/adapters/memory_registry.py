"""The registry (patients, device assignment periods) and the check roster in memory, indexed: a device's
periods sorted by start (bisect), each roster slot's patients kept sorted."""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Sequence
from datetime import datetime

from dho.domain.registry import (
    ROSTER_SLOTS,
    AssignmentConflict,
    DeviceAssignment,
    Patient,
    PatientConflict,
    roster_slot,
)


class MemoryRegistry:
    """:class:`~dho.ports.Registry` and :class:`~dho.ports.Roster` with the DynamoDB adapter's rules: a
    patient registers once (another one under the id is refused), a new assignment of a device must start
    after the previous one and ends the previous holder's period then, repeating one is harmless."""

    def __init__(self) -> None:
        self._patients: dict[str, Patient] = {}
        self._slots: list[list[str]] = [[] for _ in range(ROSTER_SLOTS)]
        self._periods: dict[str, list[DeviceAssignment]] = {}  # device -> periods, oldest first
        self._starts: dict[str, list[datetime]] = {}  # device -> their valid_from, for bisect

    def register_patient(self, patient: Patient) -> None:
        known = self._patients.get(patient.patient_id)
        if known is not None:
            if known != patient:
                raise PatientConflict(f"patient id {patient.patient_id} is taken")
            return
        self._patients[patient.patient_id] = patient
        insort(self._slots[roster_slot(patient.patient_id)], patient.patient_id)

    def get_patient(self, patient_id: str) -> Patient | None:
        return self._patients.get(patient_id)

    def patients_in_slot(self, slot: int, *, limit: int) -> Sequence[str]:
        return self._slots[slot][:limit]

    def assign_device(self, assignment: DeviceAssignment) -> None:
        periods = self._periods.setdefault(assignment.device_id, [])
        starts = self._starts.setdefault(assignment.device_id, [])
        latest = periods[-1] if periods else None
        if latest == assignment:
            return  # idempotent re-run of the same assignment
        if latest is not None:
            if assignment.valid_from <= latest.valid_from or (
                latest.valid_to is not None and assignment.valid_from < latest.valid_to
            ):
                raise AssignmentConflict(
                    f"device {assignment.device_id} is assigned from {latest.valid_from.isoformat()}; "
                    "a new assignment must start after the previous one")
            if latest.valid_to is None:
                periods[-1] = DeviceAssignment(latest.device_id, latest.patient_id, latest.valid_from,
                                               assignment.valid_from)
        periods.append(assignment)
        starts.append(assignment.valid_from)

    def patient_for_device(self, device_id: str, measured_at: datetime) -> str | None:
        starts = self._starts.get(device_id)
        if not starts:
            return None
        index = bisect_right(starts, measured_at) - 1  # the period that started last, at or before
        if index < 0:
            return None
        period = self._periods[device_id][index]
        return period.patient_id if period.covers(measured_at) else None
