"""The DynamoDB adapters against a moto server: registry periods, timeline ranges, quarantine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.adapters.dynamodb_registry import DynamoDbRegistry, PatientConflict
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.adapters.memory_quarantine import MemoryQuarantine
from dho.adapters.memory_registry import MemoryRegistry
from dho.adapters.memory_timeline import MemoryTimeline
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


RegistryStore = DynamoDbRegistry | MemoryRegistry
TimelineStore = DynamoDbTimeline | MemoryTimeline
QuarantineStore = DynamoDbQuarantine | MemoryQuarantine
# The contract tests run against the DynamoDB adapters and the replay's indexed in-memory stores.
STORES = ["dynamodb", "memory"]


@pytest.fixture(params=STORES)
def registry_store(request: pytest.FixtureRequest) -> RegistryStore:
    if request.param == "memory":
        return MemoryRegistry()
    return DynamoDbRegistry(request.getfixturevalue("dynamodb"), request.getfixturevalue("tenant_table"))


@pytest.fixture(params=STORES)
def timeline_store(request: pytest.FixtureRequest) -> TimelineStore:
    if request.param == "memory":
        return MemoryTimeline()
    return DynamoDbTimeline(request.getfixturevalue("dynamodb"), request.getfixturevalue("tenant_table"))


@pytest.fixture(params=STORES)
def quarantine_store(request: pytest.FixtureRequest) -> QuarantineStore:
    if request.param == "memory":
        return MemoryQuarantine()
    return DynamoDbQuarantine(request.getfixturevalue("dynamodb"), request.getfixturevalue("tenant_table"))


def _patient(index: int, patient_id: str) -> Patient:
    return Patient(patient_id=patient_id, national_id=registry()["patients"][index]["national_id"],
                   programme="copd")


def test_a_device_handed_on_belongs_to_each_patient_for_their_own_period(registry_store: RegistryStore) -> None:
    reg = registry_store
    reg.assign_device(DeviceAssignment("oxi-7", "P-A", OCT_1))
    reg.assign_device(DeviceAssignment("oxi-7", "P-B", NOV_15))
    assert reg.patient_for_device("oxi-7", OCT_1 - timedelta(seconds=1)) is None
    assert reg.patient_for_device("oxi-7", OCT_1) == "P-A"
    assert reg.patient_for_device("oxi-7", NOV_15 - timedelta(microseconds=1)) == "P-A"
    assert reg.patient_for_device("oxi-7", NOV_15) == "P-B"
    assert reg.patient_for_device("oxi-8", NOV_15) is None


def test_an_assignment_that_goes_back_in_time_is_refused_and_a_repeat_is_harmless(
    registry_store: RegistryStore
) -> None:
    reg = registry_store
    reg.assign_device(DeviceAssignment("oxi-7", "P-A", NOV_15))
    reg.assign_device(DeviceAssignment("oxi-7", "P-A", NOV_15))  # idempotent
    with pytest.raises(AssignmentConflict):
        reg.assign_device(DeviceAssignment("oxi-7", "P-B", OCT_1))
    assert reg.patient_for_device("oxi-7", NOV_15 + timedelta(days=1)) == "P-A"


def test_a_patient_registers_once_and_a_different_one_cannot_take_the_id(registry_store: RegistryStore) -> None:
    reg = registry_store
    reg.register_patient(_patient(0, "P-A"))
    reg.register_patient(_patient(0, "P-A"))
    with pytest.raises(PatientConflict):
        reg.register_patient(_patient(1, "P-A"))
    assert reg.get_patient("P-A") == _patient(0, "P-A")


def test_the_timeline_returns_a_series_in_a_half_open_time_range_oldest_first(timeline_store: TimelineStore) -> None:
    timeline = timeline_store
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


def test_questionnaire_answers_come_back_as_they_were_parsed(timeline_store: TimelineStore) -> None:
    # DynamoDB gives numbers back as Decimal and lists as lists: an ESAS-r 7 must be the int 7 again.
    answers = {"esas_pain": 7, "pain_site": ["back", "abdomen"], **{f"esas_{k}": 0 for k in (
        "tiredness", "drowsiness", "nausea", "appetite", "shortness_of_breath", "depression", "anxiety",
        "wellbeing", "other")}}
    document = json.loads(body(measured_at="2026-11-20T11:00:00Z"))
    del document["measurements"]
    document["symptoms"] = {"questionnaire": "esas_r", "answers": answers}
    reading = parse_device_message(json.dumps(document), tenant_id="bodo")
    assert timeline_store.store_reading(reading, "P-A") is StoreOutcome.STORED
    (entry,) = timeline_store.query("P-A", "symptoms.esas_r", datetime(2026, 11, 20, tzinfo=UTC),
                                    datetime(2026, 11, 21, tzinfo=UTC))
    assert reading.symptoms is not None and entry.answers == reading.symptoms.answers
    assert type(dict(entry.answers)["esas_pain"]) is int


def test_a_replay_is_a_duplicate_and_a_reused_id_is_a_conflict_that_overwrites_nothing(
    timeline_store: TimelineStore
) -> None:
    timeline = timeline_store
    original = parse_device_message(body(), tenant_id="bodo")
    changed = parse_device_message(body(measurements=one("spo2", 85, "%")), tenant_id="bodo")
    assert timeline.store_reading(original, "P-A") is StoreOutcome.STORED
    assert timeline.store_reading(original, "P-A") is StoreOutcome.DUPLICATE
    assert timeline.store_reading(changed, "P-A") is StoreOutcome.CONFLICT
    stored = timeline.query("P-A", "spo2", original.measured_at, original.measured_at + timedelta(seconds=1))
    assert [e.value for e in stored] == [95.0]


def test_a_quarantined_message_is_kept_once_with_reason_and_detail(quarantine_store: QuarantineStore) -> None:
    quarantine = quarantine_store
    message = QuarantinedMessage.of("{broken", RejectionReason.MALFORMED_JSON, "not valid JSON",
                                    received_at=OCT_1)
    assert quarantine.keep(message) is True
    assert quarantine.keep(message) is False
    assert quarantine.list_day(OCT_1.date(), now=OCT_1).messages == (message,)


def test_a_body_with_bytes_that_were_not_utf8_is_kept_apart_from_its_escaped_twin(
    quarantine_store: QuarantineStore
) -> None:
    # GIVEN a body holding a byte that was not UTF-8 (Python keeps it as a lone surrogate; DynamoDB takes
    # valid Unicode only) and a body that spells the same as an escape
    raw, spelled = "{\"unit\": \"%\udcff\"}", "{\"unit\": \"%\\udcff\"}"
    quarantine = quarantine_store

    # WHEN both are kept
    kept = [quarantine.keep(QuarantinedMessage.of(body, RejectionReason.UNKNOWN_UNIT, "unit", received_at=OCT_1))
            for body in (raw, spelled)]

    # THEN both are stored, as two records, each readable as text
    assert kept == [True, True]
    records = quarantine.list_day(OCT_1.date(), now=OCT_1).messages
    assert sorted(m.digest for m in records) == sorted({message_digest(raw), message_digest(spelled)})
    assert [m.body for m in records] == [spelled, spelled]
