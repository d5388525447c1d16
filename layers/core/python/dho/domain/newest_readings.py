"""The newest reading of each series of a patient: the caseload's "last reading" without a query per metric.

Which reading is newest is decided by its mark, ``<measured_at, fixed-width UTC>#<reading_id>``: measured
time first, the reading id breaks a tie. Marks compare as text in the same order as (time, id), so the
DynamoDB summary item can keep the newest with a plain ``<`` in a condition. A mark only ever moves
forward: an older reading arriving late (out-of-order delivery) or the same reading again (at-least-once
delivery) never replaces a newer one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from dho.domain.clock import from_canonical, to_canonical
from dho.domain.timeline import TimelineEntry


def mark_of(measured_at: datetime, reading_id: str) -> str:
    return f"{to_canonical(measured_at)}#{reading_id}"


def measured_at_of(mark: str) -> datetime:
    return from_canonical(mark.partition("#")[0])


def marks_of(entries: Iterable[TimelineEntry]) -> dict[str, str]:
    """Series -> mark of a reading's entries (one reading: one entry per series)."""
    return {entry.series: mark_of(entry.measured_at, entry.reading_id) for entry in entries}


def newer_than_stored(candidate: Mapping[str, str], stored: Mapping[str, str]) -> dict[str, str]:
    """The candidate marks that would move the stored ones forward (series not stored yet included)."""
    return {series: mark for series, mark in candidate.items() if series not in stored or stored[series] < mark}
