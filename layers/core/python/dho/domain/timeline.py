"""What a patient's timeline holds: one entry per metric (or symptom report) per reading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dho.domain.readings import DeviceReading
from dho.domain.symptoms import Answer


def symptom_series(questionnaire: str) -> str:
    """The series of a questionnaire's answers (a :class:`Questionnaire` or a plan's questionnaire id)."""
    return f"symptoms.{questionnaire}"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One point of a series: a metric (``spo2``) or a symptom set (``symptoms.copd``)."""

    patient_id: str
    series: str
    measured_at: datetime
    received_at: datetime
    device_id: str
    reading_id: str
    value: float | None = None
    unit: str | None = None
    answers: tuple[tuple[str, Answer], ...] = ()


def entries_for(reading: DeviceReading, patient_id: str) -> list[TimelineEntry]:
    """Split a reading into its timeline entries (a blood-pressure panel with pulse gives three)."""
    measured, received, device, reading_id = (reading.measured_at, reading.received_at, reading.device_id,
                                              reading.reading_id)
    entries = [
        TimelineEntry(patient_id, m.metric.value, measured, received, device, reading_id, m.value, m.unit)
        for m in reading.measurements
    ]
    if reading.symptoms is not None:
        series = symptom_series(reading.symptoms.questionnaire)
        entries.append(TimelineEntry(patient_id, series, measured, received, device, reading_id,
                                     answers=reading.symptoms.answers))
    return entries


class StoreOutcome(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # the same reading again: nothing written
    CONFLICT = "conflict"  # the same reading id with other content: nothing overwritten
