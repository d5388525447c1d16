"""Ingest one device message: validate, find the patient, store once, or quarantine with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dho.domain.payload import ParserLimits, parse_device_message
from dho.domain.quarantine import QuarantinedMessage
from dho.domain.rejections import PayloadRejected, RejectionReason
from dho.domain.timeline import StoreOutcome
from dho.ports import Quarantine, Registry, TimelineRepository


class IngestStatus(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What happened to one message. Holds identifiers only (safe to log), never values."""

    status: IngestStatus
    device_id: str | None = None
    reading_id: str | None = None
    patient_id: str | None = None
    reason: RejectionReason | None = None
    first_time: bool = True  # False when a replay hit an existing reading or quarantine record
    received_at: datetime | None = None  # when the IoT rule received a stored reading
    measured_at: datetime | None = None  # when it was measured


class IngestService:
    def __init__(
        self,
        tenant_id: str,
        registry: Registry,
        timeline: TimelineRepository,
        quarantine: Quarantine,
        limits: ParserLimits | None = None,
    ) -> None:
        self._tenant_id = tenant_id
        self._registry = registry
        self._timeline = timeline
        self._quarantine = quarantine
        self._limits = limits or ParserLimits()

    def ingest(self, body: str, *, arrived_at: datetime) -> IngestResult:
        """``arrived_at`` (when the queue got the message) dates a quarantine record whose body is too
        broken to say when it was received. Transient store errors propagate: the caller retries."""
        try:
            reading = parse_device_message(body, tenant_id=self._tenant_id, limits=self._limits)
        except PayloadRejected as rejected:
            return self._keep(body, rejected, arrived_at)

        patient_id = self._registry.patient_for_device(reading.device_id, reading.measured_at)
        if patient_id is None:
            return self._keep(body, _rejection(
                RejectionReason.DEVICE_NOT_ASSIGNED, "no patient had this device at measured_at",
                reading.device_id, reading.reading_id), reading.received_at)

        outcome = self._timeline.store_reading(reading, patient_id)
        if outcome is StoreOutcome.CONFLICT:
            return self._keep(body, _rejection(
                RejectionReason.CONFLICTING_REPLAY, "reading id already stored with other content",
                reading.device_id, reading.reading_id), reading.received_at)
        return IngestResult(
            status=IngestStatus.STORED if outcome is StoreOutcome.STORED else IngestStatus.DUPLICATE,
            device_id=reading.device_id,
            reading_id=reading.reading_id,
            patient_id=patient_id,
            first_time=outcome is StoreOutcome.STORED,
            received_at=reading.received_at,
            measured_at=reading.measured_at,
        )

    def _keep(self, body: str, rejected: PayloadRejected, received_at: datetime) -> IngestResult:
        message = QuarantinedMessage.of(
            body, rejected.reason, rejected.detail, received_at=received_at,
            device_id=rejected.device_id, reading_id=rejected.reading_id,
        )
        first_time = self._quarantine.keep(message)
        return IngestResult(
            status=IngestStatus.QUARANTINED,
            device_id=rejected.device_id,
            reading_id=rejected.reading_id,
            reason=rejected.reason,
            first_time=first_time,
        )


def _rejection(reason: RejectionReason, detail: str, device_id: str, reading_id: str) -> PayloadRejected:
    rejected = PayloadRejected(reason, detail)
    rejected.device_id, rejected.reading_id = device_id, reading_id
    return rejected
