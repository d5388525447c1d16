"""AccessLog (Normen) on the tenant's access-log table ``dho-<tenant>-access-log`` (not the tenant table:
erasing a patient's data there keeps who accessed it): one item per access in the patient's partition
(key design in ``dho.adapters.keys``), so the patient's access history is one bounded query. The table is
append-only: items are put on ``attribute_not_exists(pk)`` and nobody may update or delete them.

Many entries at once (a worklist logs one per row) go as conditional puts in TransactWriteItems of up to
100 items, one round trip each: not BatchWriteItem, which takes no condition and can delete, and which the
table's resource policy therefore denies to everyone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dho.adapters import keys
from dho.adapters.dynamodb_codec import decode, encode, raise_if_transient
from dho.domain.access_log import AccessOutcome, AccessRecord
from dho.domain.clock import from_canonical, to_canonical
from dho.ports import TransientStoreError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


TRANSACTION_LIMIT = 100  # items per TransactWriteItems (DynamoDB's quota)


class DynamoDbAccessLog:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, access: AccessRecord) -> None:
        # Never overwrite an entry of the log: a second record with the same id and time fails loudly.
        try:
            self._client.put_item(TableName=self._table, Item=encode(_item(access)),
                                  ConditionExpression="attribute_not_exists(pk)")
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise

    def record_all(self, accesses: Sequence[AccessRecord]) -> None:
        for start in range(0, len(accesses), TRANSACTION_LIMIT):
            items = [{"Put": {"TableName": self._table, "Item": encode(_item(access)),
                              "ConditionExpression": "attribute_not_exists(pk)"}}
                     for access in accesses[start : start + TRANSACTION_LIMIT]]
            try:
                self._client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            except self._client.exceptions.TransactionCanceledException as cancelled:
                codes = [str(r.get("Code", "None")) for r in cancelled.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in codes:  # an entry with this id and time exists: never overwrite
                    raise
                raise TransientStoreError(f"transaction cancelled: {','.join(codes)}") from cancelled
            except (ClientError, BotoCoreError) as error:
                raise_if_transient(error)
                raise

    def accessed(
        self, patient_id: str, start: datetime, end: datetime, *, limit: int = 1000
    ) -> Sequence[AccessRecord]:
        # ACCESS#<start> sorts before every entry at `start`, ACCESS#<end> before every entry at `end`:
        # BETWEEN is inclusive, yet the range is [start, end).
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :from AND :to",
            "ExpressionAttributeValues": encode({
                ":pk": keys.patient_pk(patient_id),
                ":from": keys.ACCESS_PREFIX + to_canonical(start),
                ":to": keys.ACCESS_PREFIX + to_canonical(end),
            }),
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        records: list[AccessRecord] = []
        while len(records) < limit:
            try:
                page = self._client.query(**request, Limit=limit - len(records))
            except (ClientError, BotoCoreError) as error:
                raise_if_transient(error)
                raise
            records.extend(_record_from(decode(item)) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return records


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else to_canonical(moment)


def _item(access: AccessRecord) -> dict[str, Any]:
    pk = keys.UNATTRIBUTED_ACCESS_PK if access.patient_id is None else keys.patient_pk(access.patient_id)
    return {
        "pk": pk,
        "sk": keys.access_sk(access.accessed_at, access.access_id),
        "item_type": "access",
        "access_id": access.access_id,
        "patient_id": access.patient_id,
        "accessed_at": to_canonical(access.accessed_at),
        "information_object": access.information_object,
        "outcome": access.outcome.value,
        "hpr": access.hpr,
        "role": access.role,
        "organisation": access.organisation,
        "period_start": _time(access.period_start),
        "period_end": _time(access.period_end),
        "resources": access.resources,
        "subject": access.subject,
        "purpose": access.purpose,
    }


def _optional_time(item: dict[str, Any], name: str) -> datetime | None:
    value = item.get(name)
    return None if value is None else from_canonical(str(value))


def _record_from(item: dict[str, Any]) -> AccessRecord:
    return AccessRecord(
        access_id=str(item["access_id"]),
        patient_id=item.get("patient_id"),
        accessed_at=from_canonical(str(item["accessed_at"])),
        information_object=str(item["information_object"]),
        outcome=AccessOutcome(item["outcome"]),
        hpr=item.get("hpr"),
        role=item.get("role"),
        organisation=item.get("organisation"),
        period_start=_optional_time(item, "period_start"),
        period_end=_optional_time(item, "period_end"),
        resources=int(item.get("resources", 0)),
        subject=item.get("subject"),
        purpose=item.get("purpose"),
    )
