"""The reads of the hourly missed-measurement checks against a moto server: the roster slot of a patient
(one query on the triage index) and the newest reading of a series (one query, newest first, limit 1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dho.adapters import keys
from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.adapters.memory_timeline import MemoryTimeline
from dho.domain.payload import parse_device_message
from dho.domain.registry import Patient, roster_slot
from localcloud.corpus import registry
from localcloud.tenant_table import scan_all
from tests.support.payloads import body, one

pytestmark = pytest.mark.integration

NOV_20 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["dynamodb", "memory"])
def timeline_store(request: pytest.FixtureRequest) -> DynamoDbTimeline | MemoryTimeline:
    """The DynamoDB adapter, and the replay's in-memory timeline held to the same contract."""
    if request.param == "memory":
        return MemoryTimeline()
    return DynamoDbTimeline(request.getfixturevalue("dynamodb"), request.getfixturevalue("tenant_table"))


def _patients(count: int) -> list[Patient]:
    numbers = [p["national_id"] for p in registry()["patients"]]
    return [Patient(f"P-ROSTER{i:02d}", numbers[i % len(numbers)], "copd") for i in range(count)]


def test_each_patient_is_found_in_its_own_slot_only_and_the_nurses_list_does_not_see_them(
    dynamodb: Any, tenant_table: str
) -> None:
    reg = DynamoDbRegistry(dynamodb, tenant_table)
    patients = _patients(6)
    for patient in patients:
        reg.register_patient(patient)
    reg.register_patient(patients[0])  # registering again is harmless
    for slot in {roster_slot(p.patient_id) for p in patients}:
        expected = sorted(p.patient_id for p in patients if roster_slot(p.patient_id) == slot)
        assert sorted(reg.patients_in_slot(slot, limit=100)) == expected
        assert len(reg.patients_in_slot(slot, limit=1)) == 1
    assert DynamoDbAlerts(dynamodb, tenant_table).triage() == []
    roster = [i for i in scan_all(dynamodb, tenant_table) if i["sk"]["S"] == keys.ROSTER_SK]
    assert len(roster) == len(patients) and all("national_id" not in i for i in roster)


def test_a_patient_registered_before_the_roster_existed_is_added_when_registered_again(
    dynamodb: Any, tenant_table: str
) -> None:
    reg = DynamoDbRegistry(dynamodb, tenant_table)
    (patient,) = _patients(1)
    reg.register_patient(patient)
    dynamodb.delete_item(TableName=tenant_table, Key={"pk": {"S": keys.patient_pk(patient.patient_id)},
                                                      "sk": {"S": keys.ROSTER_SK}})
    assert reg.patients_in_slot(roster_slot(patient.patient_id), limit=10) == []
    reg.register_patient(patient)
    assert reg.patients_in_slot(roster_slot(patient.patient_id), limit=10) == [patient.patient_id]


def test_the_newest_reading_before_a_moment_is_one_query_away(
    timeline_store: DynamoDbTimeline | MemoryTimeline
) -> None:
    timeline = timeline_store
    for hours, rid in ((50, "w-1"), (26, "w-2"), (2, "w-3")):
        at = NOV_20 - timedelta(hours=hours)
        reading = parse_device_message(body(device_id="scale-1", reading_id=rid, measured_at=at.isoformat(),
                                            measurements=one("body_weight", 80.0, "kg"), received_at=NOV_20),
                                       tenant_id="bodo")
        timeline.store_reading(reading, "P-1")
    latest = timeline.latest("P-1", "body_weight", before=NOV_20)
    assert latest is not None and latest.reading_id == "w-3"
    earlier = timeline.latest("P-1", "body_weight", before=NOV_20 - timedelta(hours=2))  # strictly before
    assert earlier is not None and earlier.reading_id == "w-2"
    assert timeline.latest("P-1", "body_weight", before=NOV_20 - timedelta(hours=50)) is None
    assert timeline.latest("P-1", "spo2", before=NOV_20) is None
    assert timeline.latest("P-2", "body_weight", before=NOV_20) is None
