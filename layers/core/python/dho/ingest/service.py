"""Ingest one device message: validate, find the patient, store once, or quarantine with a reason.

Trust: the arrival time comes from the queue, not from the body. The IoT rule writes ``received_at``
into the body, but anything that can send to the queue could write another; a body whose
``received_at`` is not the queue's arrival (within ``max_delivery_lag``) is refused. A weight too far
from the patient's previous one (``dho.domain.plausibility``) is refused too: a unit mix-up or someone
else on the scale must not become the patient's weight (and a false weight-gain alert)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dho.domain.payload import ParserLimits, parse_device_message
from dho.domain.plausibility import CHANGE_LIMITS
from dho.domain.quarantine import QuarantinedMessage
from dho.domain.readings import DeviceReading
from dho.domain.rejections import PayloadRejected, RejectionReason
from dho.domain.timeline import StoreOutcome
from dho.ports import IngestTimeline, Quarantine, Registry


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
        timeline: IngestTimeline,
        quarantine: Quarantine,
        limits: ParserLimits | None = None,
    ) -> None:
        self._tenant_id = tenant_id
        self._registry = registry
        self._timeline = timeline
        self._quarantine = quarantine
        self._limits = limits or ParserLimits()

    def ingest(self, body: str, *, arrived_at: datetime) -> IngestResult:
        """``arrived_at`` (when the queue got the message, from the SQS record) is the trusted arrival
        time: the body's ``received_at`` must agree with it, and it dates a quarantine record whose body
        is too broken to say when it was received. Transient store errors propagate: the caller retries."""
        try:
            reading = parse_device_message(body, tenant_id=self._tenant_id, limits=self._limits)
        except PayloadRejected as rejected:
            return self._keep(body, rejected, arrived_at)
        if abs(reading.received_at - arrived_at) > self._limits.max_delivery_lag:
            return self._keep(body, _rejection(
                RejectionReason.RECEIVED_AT_MISMATCH, "received_at is not when the queue received the message",
                reading.device_id, reading.reading_id), arrived_at)

        patient_id = self._registry.patient_for_device(reading.device_id, reading.measured_at)
        if patient_id is None:
            return self._keep(body, _rejection(
                RejectionReason.DEVICE_NOT_ASSIGNED, "no patient had this device at measured_at",
                reading.device_id, reading.reading_id), reading.received_at)
        implausible = self._implausible_change(reading, patient_id)
        if implausible is not None:
            return self._keep(body, _rejection(
                RejectionReason.IMPLAUSIBLE_CHANGE, implausible, reading.device_id, reading.reading_id),
                reading.received_at)

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

    def _implausible_change(self, reading: DeviceReading, patient_id: str) -> str | None:
        """Why a measurement is too far from the patient's previous one of its metric (None if none is)."""
        for measurement in reading.measurements:
            limit = CHANGE_LIMITS.get(measurement.metric)
            if limit is None:
                continue
            previous = self._timeline.latest(patient_id, measurement.metric.value, before=reading.measured_at)
            if previous is None or previous.value is None:
                continue
            if not limit.allows(previous.value, measurement.value, reading.measured_at - previous.measured_at):
                return (f"{measurement.metric}: {measurement.value} {measurement.unit} after {previous.value} "
                        f"{previous.unit} measured {previous.measured_at.isoformat()}")
        return None

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
