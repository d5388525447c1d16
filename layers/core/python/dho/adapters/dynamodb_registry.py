"""Registry (patients and device assignments) on the tenant's DynamoDB table."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from dho.adapters import keys, table_schema
from dho.adapters.dynamodb_codec import decode, encode
from dho.domain.clock import from_canonical, to_canonical
from dho.domain.registry import AssignmentConflict, DeviceAssignment, Patient, PatientConflict, roster_slot

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

__all__ = ["DynamoDbRegistry", "PatientConflict"]


class DynamoDbRegistry:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def register_patient(self, patient: Patient) -> None:
        """Idempotent: registering the same patient again is a no-op; another one under the id fails."""
        item = {"pk": keys.patient_pk(patient.patient_id), "sk": keys.PROFILE, "item_type": "patient",
                "patient_id": patient.patient_id, "national_id": patient.national_id,
                "programme": patient.programme}
        try:
            self._client.put_item(TableName=self._table, Item=encode(item),
                                  ConditionExpression="attribute_not_exists(pk)")
        except self._client.exceptions.ConditionalCheckFailedException:
            if self.get_patient(patient.patient_id) != patient:
                raise PatientConflict(f"patient id {patient.patient_id} is taken") from None
        # The roster entry (same content every time, so a plain put): registering a patient again also
        # adds it to the roster if they were registered before the roster existed, or the put failed.
        self._client.put_item(TableName=self._table, Item=encode(_roster_item(patient)))

    def patients_in_slot(self, slot: int, *, limit: int) -> list[str]:
        """One key-range query on the triage index (the slot's partition), paged up to ``limit``."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": table_schema.TRIAGE_INDEX,
            "KeyConditionExpression": f"{table_schema.TRIAGE_PARTITION_KEY} = :slot",
            "ExpressionAttributeValues": encode({":slot": keys.roster_partition(slot)}),
        }
        found: list[str] = []
        while len(found) < limit:
            page = self._client.query(**request, Limit=limit - len(found))
            found.extend(str(decode(item)["patient_id"]) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    def get_patient(self, patient_id: str) -> Patient | None:
        response = self._client.get_item(
            TableName=self._table, ConsistentRead=True,
            Key=encode({"pk": keys.patient_pk(patient_id), "sk": keys.PROFILE}),
        )
        if "Item" not in response:
            return None
        item = decode(response["Item"])
        return Patient(patient_id=item["patient_id"], national_id=item["national_id"],
                       programme=item["programme"])

    def assign_device(self, assignment: DeviceAssignment) -> None:
        latest = self._latest_assignment(assignment.device_id, until=None)
        if latest == assignment:
            return  # idempotent re-run of the same assignment
        new_items: list[TransactWriteItemTypeDef] = [
            {"Put": {"TableName": self._table, "Item": encode(_assignment_item(assignment)),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": self._table, "Item": encode(_patient_period_item(assignment))}},
        ]
        if latest is None:
            self._client.transact_write_items(TransactItems=new_items)
            return
        if assignment.valid_from <= latest.valid_from or (
            latest.valid_to is not None and assignment.valid_from < latest.valid_to
        ):
            raise AssignmentConflict(
                f"device {assignment.device_id} is assigned from {to_canonical(latest.valid_from)}; "
                "a new assignment must start after the previous one")
        close_previous = [] if latest.valid_to is not None else self._ending(latest, assignment.valid_from)
        self._client.transact_write_items(TransactItems=[*close_previous, *new_items])

    def unassign_device(self, device_id: str, patient_id: str, at: datetime) -> DeviceAssignment:
        """End the patient's period of the device at ``at`` (the device is back with the service).
        Idempotent: a period already ended at ``at`` is answered as it is; no period of this patient open,
        or one that starts at or after ``at``, is an :class:`AssignmentConflict`."""
        latest = self._latest_assignment(device_id, until=None)
        if latest is None or latest.patient_id != patient_id:
            raise AssignmentConflict(f"device {device_id} is not assigned to this patient")
        if latest.valid_to is not None:
            if latest.valid_to == at:
                return latest
            raise AssignmentConflict(f"device {device_id} was returned at {to_canonical(latest.valid_to)}")
        if at <= latest.valid_from:
            raise AssignmentConflict(f"device {device_id} is assigned from {to_canonical(latest.valid_from)}")
        try:
            self._client.transact_write_items(TransactItems=self._ending(latest, at))
        except self._client.exceptions.TransactionCanceledException:
            current = self._latest_assignment(device_id, until=None)
            if current is not None and current.valid_from == latest.valid_from and current.valid_to == at:
                return current  # a concurrent retry of this very request ended it
            raise AssignmentConflict(f"device {device_id} changed while returning it") from None
        return DeviceAssignment(latest.device_id, latest.patient_id, latest.valid_from, at)

    def devices_of(self, patient_id: str, *, limit: int) -> list[DeviceAssignment]:
        """The patient's periods, newest first: one key-range query on the patient's partition."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :period)",
            "ExpressionAttributeValues": encode(
                {":pk": keys.patient_pk(patient_id), ":period": keys.DEVICE_PERIOD_PREFIX}),
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        found: list[DeviceAssignment] = []
        while len(found) < limit:
            page = self._client.query(**request, Limit=limit - len(found))
            found.extend(_assignment_from(decode(item)) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    def _ending(self, period: DeviceAssignment, end: datetime) -> list[TransactWriteItemTypeDef]:
        """End an open period on both sides: the device's item on the condition that it is still open,
        and the patient's copy put whole (periods stored before the copies existed get one)."""
        ended = DeviceAssignment(period.device_id, period.patient_id, period.valid_from, end)
        return [
            {"Update": {
                "TableName": self._table,
                "Key": encode({"pk": keys.device_pk(period.device_id), "sk": keys.assignment_sk(period.valid_from)}),
                "UpdateExpression": "SET valid_to = :end",
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(valid_to)",
                "ExpressionAttributeValues": encode({":end": to_canonical(end)}),
            }},
            {"Put": {"TableName": self._table, "Item": encode(_patient_period_item(ended))}},
        ]

    def patient_for_device(self, device_id: str, measured_at: datetime) -> str | None:
        assignment = self._latest_assignment(device_id, until=measured_at)
        return assignment.patient_id if assignment and assignment.covers(measured_at) else None

    def _latest_assignment(self, device_id: str, until: datetime | None) -> DeviceAssignment | None:
        """The assignment that started last (at or before ``until``, if given)."""
        upper = keys.assignment_sk(until) if until else keys.ASSIGNMENT_PREFIX + "\uffff"
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues=encode(
                {":pk": keys.device_pk(device_id), ":from": keys.ASSIGNMENT_PREFIX, ":to": upper}),
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = response.get("Items", [])
        return _assignment_from(decode(items[0])) if items else None


def _roster_item(patient: Patient) -> dict[str, Any]:
    return {
        "pk": keys.patient_pk(patient.patient_id),
        "sk": keys.ROSTER_SK,
        "item_type": "roster_entry",
        "patient_id": patient.patient_id,
        "programme": patient.programme,
        table_schema.TRIAGE_PARTITION_KEY: keys.roster_partition(roster_slot(patient.patient_id)),
        table_schema.TRIAGE_SORT_KEY: patient.patient_id,
    }


def _assignment_item(assignment: DeviceAssignment) -> dict[str, Any]:
    return {
        "pk": keys.device_pk(assignment.device_id),
        "sk": keys.assignment_sk(assignment.valid_from),
        "item_type": "device_assignment",
        "device_id": assignment.device_id,
        "patient_id": assignment.patient_id,
        "valid_from": to_canonical(assignment.valid_from),
        "valid_to": None if assignment.valid_to is None else to_canonical(assignment.valid_to),
    }


def _patient_period_item(assignment: DeviceAssignment) -> dict[str, Any]:
    return {
        **_assignment_item(assignment),
        "pk": keys.patient_pk(assignment.patient_id),
        "sk": keys.device_period_sk(assignment.valid_from, assignment.device_id),
        "item_type": "patient_device_period",
    }


def _assignment_from(item: dict[str, Any]) -> DeviceAssignment:
    valid_to = item.get("valid_to")
    return DeviceAssignment(
        device_id=item["device_id"],
        patient_id=item["patient_id"],
        valid_from=from_canonical(item["valid_from"]),
        valid_to=None if valid_to is None else from_canonical(valid_to),
    )
