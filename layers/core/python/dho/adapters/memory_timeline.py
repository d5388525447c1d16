"""Patient timelines in memory, indexed by patient + series and sorted by measured time (bisect), for
replays of whole cohorts: every query is O(log n) plus what it returns, never a scan."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dho.domain.readings import DeviceReading
from dho.domain.timeline import StoreOutcome, TimelineEntry, entries_for


@dataclass(slots=True)
class _Series:
    """One series of one patient: keys (measured_at, reading_id) sorted, entries in the same order, and
    the measured times alone (a query bounds times only: the first key at or after ``(start,)`` is the first
    time at or after ``start``, and comparing datetimes costs less than comparing tuples)."""

    keys: list[tuple[datetime, str]] = field(default_factory=list)
    entries: list[TimelineEntry] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)

    def add(self, entry: TimelineEntry) -> None:
        key = (entry.measured_at, entry.reading_id)
        if not self.keys or key > self.keys[-1]:  # arrival order is nearly measured order: append
            self.keys.append(key)
            self.entries.append(entry)
            self.times.append(entry.measured_at)
            return
        at = bisect_left(self.keys, key)
        self.keys.insert(at, key)
        self.entries.insert(at, entry)
        self.times.insert(at, entry.measured_at)


class MemoryTimeline:
    """:class:`~dho.ports.IngestTimeline` and :class:`~dho.ports.ScoringTimeline` in memory. A reading is
    stored once per (device, reading id), as the DynamoDB guard item does: the same content again is a
    duplicate, other content under the same id a conflict that overwrites nothing."""

    def __init__(self) -> None:
        # The first reading stored under each (device, reading id): its fingerprint is worked out only when
        # the id comes again (a digest of every reading would cost more than the rest of storing it).
        self._stored: dict[tuple[str, str], DeviceReading] = {}
        self._series: dict[tuple[str, str], _Series] = {}
        self._series_of: dict[str, set[str]] = {}  # patient -> its series (newest_of without a scan)

    @property
    def readings(self) -> int:
        """How many readings are stored (duplicates and conflicts not counted)."""
        return len(self._stored)

    def store_reading(self, reading: DeviceReading, patient_id: str) -> StoreOutcome:
        key = (reading.device_id, reading.reading_id)
        known = self._stored.get(key)
        if known is not None:
            return StoreOutcome.DUPLICATE if known.fingerprint() == reading.fingerprint() else StoreOutcome.CONFLICT
        self._stored[key] = reading
        for entry in entries_for(reading, patient_id):
            series = self._series.get((patient_id, entry.series))
            if series is None:
                series = self._series[(patient_id, entry.series)] = _Series()
                self._series_of.setdefault(patient_id, set()).add(entry.series)
            series.add(entry)
        return StoreOutcome.STORED

    def query(
        self, patient_id: str, series: str, start: datetime, end: datetime, *, limit: int = 1000,
        newest_first: bool = False,
    ) -> Sequence[TimelineEntry]:
        found = self._series.get((patient_id, series))
        if found is None:
            return []
        low = bisect_left(found.times, start)
        high = bisect_left(found.times, end)
        if newest_first:
            return found.entries[max(low, high - limit):high][::-1]
        return found.entries[low:min(high, low + limit)]

    def newest_of(
        self, patient_ids: Sequence[str], *, consistent: bool = False
    ) -> Mapping[str, Mapping[str, datetime]]:
        """The newest entry of each series: the last of its sorted keys (measured time, then reading id,
        as the DynamoDB summary's marks), so a late older reading or a duplicate never moves it back."""
        return {pid: {s: self._series[(pid, s)].keys[-1][0] for s in self._series_of[pid]}
                for pid in patient_ids if pid in self._series_of}

    def latest(self, patient_id: str, series: str, *, before: datetime) -> TimelineEntry | None:
        found = self._series.get((patient_id, series))
        if found is None:
            return None
        high = bisect_left(found.times, before)
        return found.entries[high - 1] if high else None
