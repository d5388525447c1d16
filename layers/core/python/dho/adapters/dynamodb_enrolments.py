"""Enrolments on the tenant's DynamoDB table: one item per patient (``PATIENT#<id>`` / ``ENROLMENT``),
read by key (the patient view) or in batches of 100 (the worklist's rows), never scanned."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dho.adapters import keys
from dho.adapters.dynamodb_codec import decode, encode, raise_if_transient
from dho.centre.enrolment import Enrolment

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_BATCH_GET_LIMIT = 100


class DynamoDbEnrolments:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def enrol(self, enrolment: Enrolment) -> None:
        try:
            self._client.put_item(TableName=self._table, Item=encode(_item(enrolment)))
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise

    def get(self, patient_id: str) -> Enrolment | None:
        try:
            response = self._client.get_item(TableName=self._table, Key=encode(_key(patient_id)), ConsistentRead=True)
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise
        item = response.get("Item")
        return None if item is None else _enrolment_from(decode(item))

    def get_many(self, patient_ids: Sequence[str]) -> Mapping[str, Enrolment]:
        wanted = list(dict.fromkeys(patient_ids))
        found: dict[str, Enrolment] = {}
        for start in range(0, len(wanted), _BATCH_GET_LIMIT):
            pending: dict[str, Any] = {
                self._table: {"Keys": [encode(_key(p)) for p in wanted[start : start + _BATCH_GET_LIMIT]]}
            }
            while pending:
                try:
                    response = self._client.batch_get_item(RequestItems=pending)
                except (ClientError, BotoCoreError) as error:
                    raise_if_transient(error)
                    raise
                for item in response.get("Responses", {}).get(self._table, []):
                    enrolment = _enrolment_from(decode(item))
                    found[enrolment.patient_id] = enrolment
                pending = dict(response.get("UnprocessedKeys") or {})
        return found


def _key(patient_id: str) -> dict[str, str]:
    return {"pk": keys.patient_pk(patient_id), "sk": keys.ENROLMENT_SK}


def _item(enrolment: Enrolment) -> dict[str, Any]:
    return {
        **_key(enrolment.patient_id),
        "item_type": "enrolment",
        "patient_id": enrolment.patient_id,
        "name": enrolment.name,
        "code": enrolment.code,
        "programme": enrolment.programme,
        "centre_id": enrolment.centre_id,
        "gp_hpr": enrolment.gp_hpr,
        "hospital_organisations": list(enrolment.hospital_organisations),
        "decision_ref": enrolment.decision_ref,
        "decided_on": enrolment.decided_on.isoformat(),
        "start": enrolment.start.isoformat(),
        "review_on": enrolment.review_on.isoformat(),
    }


def _enrolment_from(item: dict[str, Any]) -> Enrolment:
    return Enrolment(
        patient_id=str(item["patient_id"]),
        name=str(item["name"]),
        code=str(item["code"]),
        programme=str(item["programme"]),
        centre_id=str(item["centre_id"]),
        gp_hpr=item.get("gp_hpr"),
        hospital_organisations=tuple(str(o) for o in item.get("hospital_organisations", [])),
        decision_ref=str(item["decision_ref"]),
        decided_on=date.fromisoformat(str(item["decided_on"])),
        start=date.fromisoformat(str(item["start"])),
        review_on=date.fromisoformat(str(item["review_on"])),
    )
