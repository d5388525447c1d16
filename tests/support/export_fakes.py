"""In-memory ports of the FHIR export: the Normen access log and the alert history, with the same
contract as the DynamoDB adapters; the access log can be taken down to play a failed write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dho.domain.access_log import AccessRecord
from dho.domain.alerts import Alert
from dho.ports import TransientStoreError


@dataclass
class InMemoryAccessLog:
    records: list[AccessRecord] = field(default_factory=list)
    down: bool = False
    batches: int = 0  # calls of record_all

    def record(self, access: AccessRecord) -> None:
        if self.down:
            raise TransientStoreError("ThrottlingException")
        self.records.append(access)

    def record_all(self, accesses: Sequence[AccessRecord]) -> None:
        if self.down:
            raise TransientStoreError("ThrottlingException")
        self.records.extend(accesses)
        self.batches += 1

    def accessed(self, patient_id: str, start: datetime, end: datetime, *,
                 limit: int = 1000) -> Sequence[AccessRecord]:
        found = [r for r in self.records if r.patient_id == patient_id and start <= r.accessed_at < end]
        return sorted(found, key=lambda r: r.accessed_at, reverse=True)[:limit]


@dataclass
class InMemoryAlertHistory:
    alerts: list[Alert] = field(default_factory=list)

    def opened_between(self, patient_id: str, start: datetime, end: datetime, *,
                       limit: int = 1000) -> Sequence[Alert]:
        found = [a for a in self.alerts if a.patient_id == patient_id and start <= a.opened_at < end]
        return sorted(found, key=lambda a: (a.opened_at, a.rule.value))[:limit]
