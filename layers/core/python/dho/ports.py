"""What the domain needs from the outside world, as Protocols. Adapters (DynamoDB, SNS) implement
them; unit tests use in-memory fakes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from dho.domain.quarantine import QuarantinedMessage
from dho.domain.readings import DeviceReading
from dho.domain.registry import DeviceAssignment, Patient
from dho.domain.timeline import StoreOutcome, TimelineEntry


class TransientStoreError(Exception):
    """The store is throttled or unreachable: retrying the same message later can succeed."""


class TimelineRepository(Protocol):
    def store_reading(self, reading: DeviceReading, patient_id: str) -> StoreOutcome:
        """Write every entry of the reading once, atomically; a replay stores nothing."""
        ...

    def query(
        self, patient_id: str, series: str, start: datetime, end: datetime, *, limit: int = 1000
    ) -> Sequence[TimelineEntry]:
        """Entries of one series measured in [start, end), oldest first."""
        ...


class Registry(Protocol):
    def register_patient(self, patient: Patient) -> None: ...

    def get_patient(self, patient_id: str) -> Patient | None: ...

    def assign_device(self, assignment: DeviceAssignment) -> None:
        """Give a device to a patient from ``valid_from``, ending the previous holder's period then."""
        ...

    def patient_for_device(self, device_id: str, measured_at: datetime) -> str | None: ...


class Quarantine(Protocol):
    def keep(self, message: QuarantinedMessage) -> bool:
        """Store a refused message with its reason; False if this very message was already kept."""
        ...

    def list_all(self) -> Sequence[QuarantinedMessage]: ...

