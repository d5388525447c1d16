"""Device periods on DynamoDB (moto server), as the centre reads them per patient: every assignment is
also kept under its patient, and ending a period (a reassignment or a return) ends both copies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dho.adapters import keys
from dho.adapters.dynamodb_codec import encode
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.domain.clock import to_canonical
from dho.domain.registry import AssignmentConflict, DeviceAssignment

pytestmark = pytest.mark.integration
OCT_1 = datetime(2026, 10, 1, 8, tzinfo=UTC)
NOV_15 = datetime(2026, 11, 15, 8, tzinfo=UTC)


def test_a_reassigned_device_shows_in_both_patients_periods(dynamodb: Any, tenant_table: str) -> None:
    registry = DynamoDbRegistry(dynamodb, tenant_table)
    registry.assign_device(DeviceAssignment("oxi-7", "P-A", OCT_1))
    registry.assign_device(DeviceAssignment("scale-1", "P-A", OCT_1 + timedelta(days=1)))
    registry.assign_device(DeviceAssignment("oxi-7", "P-B", NOV_15))  # handed on: P-A's period ends here

    assert registry.devices_of("P-A", limit=10) == [
        DeviceAssignment("scale-1", "P-A", OCT_1 + timedelta(days=1)),
        DeviceAssignment("oxi-7", "P-A", OCT_1, NOV_15),
    ]
    assert registry.devices_of("P-B", limit=10) == [DeviceAssignment("oxi-7", "P-B", NOV_15)]
    assert registry.devices_of("P-A", limit=1) == [DeviceAssignment("scale-1", "P-A", OCT_1 + timedelta(days=1))]


def test_returning_a_device_ends_its_period_once_and_a_retry_is_harmless(dynamodb: Any, tenant_table: str) -> None:
    registry = DynamoDbRegistry(dynamodb, tenant_table)
    registry.assign_device(DeviceAssignment("oxi-7", "P-A", OCT_1))

    ended = registry.unassign_device("oxi-7", "P-A", NOV_15)
    again = registry.unassign_device("oxi-7", "P-A", NOV_15)

    assert ended == again == DeviceAssignment("oxi-7", "P-A", OCT_1, NOV_15)
    assert registry.devices_of("P-A", limit=5) == [ended]
    assert registry.patient_for_device("oxi-7", NOV_15) is None
    assert registry.patient_for_device("oxi-7", NOV_15 - timedelta(seconds=1)) == "P-A"
    with pytest.raises(AssignmentConflict):
        registry.unassign_device("oxi-7", "P-A", NOV_15 + timedelta(days=1))  # already returned, at another time
    with pytest.raises(AssignmentConflict):
        registry.unassign_device("oxi-8", "P-A", NOV_15)  # never assigned
    registry.assign_device(DeviceAssignment("oxi-7", "P-B", NOV_15 + timedelta(days=2)))
    with pytest.raises(AssignmentConflict):
        registry.unassign_device("oxi-7", "P-A", NOV_15 + timedelta(days=3))  # P-B's now: P-A cannot return it


def test_a_period_stored_before_the_patient_copies_gets_one_when_it_ends(dynamodb: Any, tenant_table: str) -> None:
    # GIVEN an assignment written by the registry of before (only under the device)
    dynamodb.put_item(TableName=tenant_table, Item=encode({
        "pk": keys.device_pk("oxi-9"), "sk": keys.assignment_sk(OCT_1), "item_type": "device_assignment",
        "device_id": "oxi-9", "patient_id": "P-OLD", "valid_from": to_canonical(OCT_1), "valid_to": None}))
    registry = DynamoDbRegistry(dynamodb, tenant_table)
    assert registry.devices_of("P-OLD", limit=5) == []

    registry.unassign_device("oxi-9", "P-OLD", NOV_15)

    assert registry.devices_of("P-OLD", limit=5) == [DeviceAssignment("oxi-9", "P-OLD", OCT_1, NOV_15)]
