"""Enrolments in memory (one per patient, the newest replacing the previous)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dho.centre.enrolment import Enrolment


class MemoryEnrolments:
    """:class:`~dho.ports.Enrolments` in memory."""

    def __init__(self) -> None:
        self._enrolments: dict[str, Enrolment] = {}

    def enrol(self, enrolment: Enrolment) -> None:
        self._enrolments[enrolment.patient_id] = enrolment

    def get(self, patient_id: str) -> Enrolment | None:
        return self._enrolments.get(patient_id)

    def get_many(self, patient_ids: Sequence[str]) -> Mapping[str, Enrolment]:
        return {p: self._enrolments[p] for p in patient_ids if p in self._enrolments}
