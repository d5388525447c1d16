"""The DynamoDB adapters against a moto server: registry periods, timeline ranges, quarantine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.adapters.dynamodb_registry import DynamoDbRegistry, PatientConflict
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.domain.payload import parse_device_message
from dho.domain.quarantine import QuarantinedMessage, message_digest
from dho.domain.registry import AssignmentConflict, DeviceAssignment, Patient
from dho.domain.rejections import RejectionReason
from dho.domain.timeline import StoreOutcome
from localcloud.corpus import registry
from tests.support.payloads import body, one

pytestmark = pytest.mark.integration

OCT_1 = datetime(2026, 10, 1, tzinfo=UTC)
NOV_15 = datetime(2026, 11, 15, tzinfo=UTC)


def _patient(index: int, patient_id: str) -> Patient:
    return Patient(patient_id=patient_id, national_id=registry()["patients"][index]["national_id"],
                   programme="copd")


def test_a_device_handed_on_belongs_to_each_patient_for_their_own_period(dynamodb: Any, tenant_table: str) -> None:
    reg = DynamoDbRegistry(dynamodb, tenant_table)
    reg.assign_device(DeviceAssignment("oxi-7", "P-A", OCT_1))
    reg.assign_device(DeviceAssignment("oxi-7", "P-B", NOV_15))
    assert reg.patient_for_device("oxi-7", OCT_1 - timedelta(seconds=1)) is None
    assert reg.patient_for_device("oxi-7", OCT_1) == "P-A"
    assert reg.patient_for_device("oxi-7", NOV_15 - timedelta(microseconds=1)) == "P-A"
    assert reg.patient_for_device("oxi-7", NOV_15) == "P-B"
    assert reg.patient_for_device("oxi-8", NOV_15) is None


def test_an_assignment_that_goes_back_in_time_is_refused_and_a_repeat_is_harmless(
    dynamodb: Any, tenant_table: str
) -> None:
    reg = DynamoDbRegistry(dynamodb, tenant_table)
    reg.assign_device(DeviceAssignment("oxi-7", "P-A", NOV_15))
    reg.assign_device(DeviceAssignment("oxi-7", "P-A", NOV_15))  # idempotent
    with pytest.raises(AssignmentConflict):
        reg.assign_device(DeviceAssignment("oxi-7", "P-B", OCT_1))
    assert reg.patient_for_device("oxi-7", NOV_15 + timedelta(days=1)) == "P-A"


def test_a_patient_registers_once_and_a_different_one_cannot_take_the_id(dynamodb: Any, tenant_table: str) -> None:
    reg = DynamoDbRegistry(dynamodb, tenant_table)
    reg.register_patient(_patient(0, "P-A"))
    reg.register_patient(_patient(0, "P-A"))
    with pytest.raises(PatientConflict):
        reg.register_patient(_patient(1, "P-A"))
    assert reg.get_patient("P-A") == _patient(0, "P-A")


def test_the_timeline_returns_a_series_in_a_half_open_time_range_oldest_first(
    dynamodb: Any, tenant_table: str
) -> None:
    timeline = DynamoDbTimeline(dynamodb, tenant_table)
    start = datetime(2026, 11, 20, 8, tzinfo=UTC)
    for hour in range(5):
        at = start + timedelta(hours=hour)
        text = body(reading_id=f"r-{hour}", measured_at=at.isoformat(),
                    measurements=[*one("spo2", 90 + hour, "%"), *one("heart_rate", 70, "/min")])
        assert timeline.store_reading(parse_device_message(text, tenant_id="bodo"), "P-A") is StoreOutcome.STORED

    found = timeline.query("P-A", "spo2", start + timedelta(hours=1), start + timedelta(hours=4))

    assert [(e.reading_id, e.value) for e in found] == [("r-1", 91.0), ("r-2", 92.0), ("r-3", 93.0)]
    assert timeline.query("P-B", "spo2", start, start + timedelta(days=1)) == []
    assert len(timeline.query("P-A", "spo2", start, start + timedelta(days=1), limit=2)) == 2


def test_a_replay_is_a_duplicate_and_a_reused_id_is_a_conflict_that_overwrites_nothing(
    dynamodb: Any, tenant_table: str
) -> None:
    timeline = DynamoDbTimeline(dynamodb, tenant_table)
    original = parse_device_message(body(), tenant_id="bodo")
    changed = parse_device_message(body(measurements=one("spo2", 85, "%")), tenant_id="bodo")
    assert timeline.store_reading(original, "P-A") is StoreOutcome.STORED
    assert timeline.store_reading(original, "P-A") is StoreOutcome.DUPLICATE
    assert timeline.store_reading(changed, "P-A") is StoreOutcome.CONFLICT
    stored = timeline.query("P-A", "spo2", original.measured_at, original.measured_at + timedelta(seconds=1))
    assert [e.value for e in stored] == [95.0]


def test_a_quarantined_message_is_kept_once_with_reason_and_detail(dynamodb: Any, tenant_table: str) -> None:
    quarantine = DynamoDbQuarantine(dynamodb, tenant_table)
    message = QuarantinedMessage.of("{broken", RejectionReason.MALFORMED_JSON, "not valid JSON",
                                    received_at=OCT_1)
    assert quarantine.keep(message) is True
    assert quarantine.keep(message) is False
    assert quarantine.list_day(OCT_1.date(), now=OCT_1).messages == (message,)


def test_a_body_with_bytes_that_were_not_utf8_is_kept_apart_from_its_escaped_twin(
    dynamodb: Any, tenant_table: str
) -> None:
    # GIVEN a body holding a byte that was not UTF-8 (Python keeps it as a lone surrogate; DynamoDB takes
    # valid Unicode only) and a body that spells the same as an escape
    raw, spelled = "{\"unit\": \"%\udcff\"}", "{\"unit\": \"%\\udcff\"}"
    quarantine = DynamoDbQuarantine(dynamodb, tenant_table)

    # WHEN both are kept
    kept = [quarantine.keep(QuarantinedMessage.of(body, RejectionReason.UNKNOWN_UNIT, "unit", received_at=OCT_1))
            for body in (raw, spelled)]

    # THEN both are stored, as two records, each readable as text
    assert kept == [True, True]
    records = quarantine.list_day(OCT_1.date(), now=OCT_1).messages
    assert sorted(m.digest for m in records) == sorted({message_digest(raw), message_digest(spelled)})
    assert [m.body for m in records] == [spelled, spelled]
