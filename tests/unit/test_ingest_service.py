"""The ingest service with in-memory ports: store once, tell replays from conflicts, quarantine the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dho.domain.registry import DeviceAssignment
from dho.domain.rejections import RejectionReason
from dho.ingest.service import IngestService, IngestStatus
from dho.ports import TransientStoreError
from tests.support.fakes import InMemoryQuarantine, InMemoryRegistry, InMemoryTimeline
from tests.support.payloads import RECEIVED_AT, body, one

ARRIVED = RECEIVED_AT


@pytest.fixture
def ports() -> tuple[InMemoryRegistry, InMemoryTimeline, InMemoryQuarantine]:
    registry = InMemoryRegistry()
    registry.assign_device(DeviceAssignment("oxi-0001", "P-AAAA0001", datetime(2026, 10, 1, tzinfo=UTC)))
    return registry, InMemoryTimeline(), InMemoryQuarantine()


@pytest.fixture
def service(ports: tuple[InMemoryRegistry, InMemoryTimeline, InMemoryQuarantine]) -> IngestService:
    return IngestService("bodo", *ports)


def test_a_good_reading_is_stored_for_the_patient_who_has_the_device(
    service: IngestService, ports: tuple[InMemoryRegistry, InMemoryTimeline, InMemoryQuarantine]
) -> None:
    result = service.ingest(body(), arrived_at=ARRIVED)
    assert (result.status, result.patient_id) == (IngestStatus.STORED, "P-AAAA0001")
    assert [e.series for e in ports[1].entries] == ["spo2"]


def test_the_same_reading_again_is_a_duplicate_and_stores_nothing_more(
    service: IngestService, ports: tuple[InMemoryRegistry, InMemoryTimeline, InMemoryQuarantine]
) -> None:
    service.ingest(body(), arrived_at=ARRIVED)
    again = service.ingest(body(), arrived_at=ARRIVED)
    assert (again.status, again.first_time) == (IngestStatus.DUPLICATE, False)
    assert len(ports[1].entries) == 1


def test_a_reused_reading_id_with_other_values_is_quarantined_not_overwritten(
    service: IngestService, ports: tuple[InMemoryRegistry, InMemoryTimeline, InMemoryQuarantine]
) -> None:
    service.ingest(body(), arrived_at=ARRIVED)
    result = service.ingest(body(measurements=one("spo2", 88, "%")), arrived_at=ARRIVED)
    assert (result.status, result.reason) == (IngestStatus.QUARANTINED, RejectionReason.CONFLICTING_REPLAY)
    assert [e.value for e in ports[1].entries] == [95.0]
    (kept,) = list(ports[2].messages.values())
    assert (kept.device_id, kept.reading_id) == ("oxi-0001", "oxi-0001-000001")


def test_a_reading_from_a_device_nobody_had_is_quarantined(service: IngestService) -> None:
    arrived = datetime(2026, 10, 2, tzinfo=UTC)
    result = service.ingest(body(measured_at="2026-09-30T23:59:59Z", received_at=arrived), arrived_at=arrived)
    assert result.reason is RejectionReason.DEVICE_NOT_ASSIGNED


def test_a_bad_message_replayed_lands_on_the_same_quarantine_record_and_a_resent_one_on_its_own(
    service: IngestService, ports: tuple[InMemoryRegistry, InMemoryTimeline, InMemoryQuarantine]
) -> None:
    # GIVEN a refused message, then the same bytes again (an SQS redelivery, a day later)
    first = service.ingest(body(measurements=one("spo2", 140, "%")), arrived_at=ARRIVED)
    replay = service.ingest(body(measurements=one("spo2", 140, "%")), arrived_at=ARRIVED + timedelta(days=1))
    # AND the device sending it once more, which IoT Core stamps with a new arrival: other bytes
    resent = service.ingest(body(measurements=one("spo2", 140, "%"), received_at=datetime(2026, 11, 20, 13,
                                 tzinfo=UTC)), arrived_at=ARRIVED)
    # THEN the replay keeps nothing more, the re-sent message is kept as what it is: another arrival
    assert (first.first_time, replay.first_time, resent.first_time) == (True, False, True)
    assert len(ports[2].messages) == 2


def test_a_broken_message_is_dated_by_its_arrival_in_the_queue(
    service: IngestService, ports: tuple[InMemoryRegistry, InMemoryTimeline, InMemoryQuarantine]
) -> None:
    service.ingest("{not json", arrived_at=ARRIVED)
    (kept,) = list(ports[2].messages.values())
    assert (kept.reason, kept.received_at, kept.body) == (RejectionReason.MALFORMED_JSON, ARRIVED, "{not json")


def test_a_throttled_store_propagates_so_the_message_is_retried(
    service: IngestService, ports: tuple[InMemoryRegistry, InMemoryTimeline, InMemoryQuarantine]
) -> None:
    ports[1].throttled_reading_ids.add("oxi-0001-000001")
    with pytest.raises(TransientStoreError):
        service.ingest(body(), arrived_at=ARRIVED)
    assert list(ports[2].messages.values()) == []


@pytest.mark.parametrize(("stamped_before_arrival", "stored"),
                         [(timedelta(minutes=3), True), (timedelta(hours=2), False)])
def test_the_bodys_received_at_must_be_the_queues_arrival_within_the_delivery_lag(
    service: IngestService, stamped_before_arrival: timedelta, stored: bool
) -> None:
    stamped = ARRIVED - stamped_before_arrival
    measured = (stamped - timedelta(minutes=1)).isoformat()
    result = service.ingest(body(received_at=stamped, measured_at=measured), arrived_at=ARRIVED)
    assert (result.status is IngestStatus.STORED) == stored
    assert result.reason is (None if stored else RejectionReason.RECEIVED_AT_MISMATCH)
