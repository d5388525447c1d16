"""Quarantine of refused messages on the tenant's DynamoDB table (key design in ``dho.adapters.keys``):
one record per distinct body, in the partition of the day it arrived, with a guard that keeps a replay of
the same bytes out, and an expiry (the table's TTL) at arrival + retention."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dho.adapters import keys
from dho.adapters.dynamodb_codec import decode, encode, raise_if_transient
from dho.adapters.table_schema import PARTITION_KEY, TIME_TO_LIVE_ATTRIBUTE
from dho.domain.clock import from_canonical, to_canonical
from dho.domain.quarantine import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_RETENTION,
    MAX_PAGE_SIZE,
    QuarantinedMessage,
    QuarantinePage,
    arrival_day,
)
from dho.domain.rejections import RejectionReason
from dho.ports import TransientStoreError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_NOT_YET_WRITTEN = f"attribute_not_exists({PARTITION_KEY})"


class DynamoDbQuarantine:
    def __init__(self, client: DynamoDBClient, table_name: str, *, retention: timedelta = DEFAULT_RETENTION) -> None:
        self._client = client
        self._table = table_name
        self._retention = retention

    def keep(self, message: QuarantinedMessage) -> bool:
        expires_at = math.ceil((message.received_at + self._retention).timestamp())
        record = _item(message) | {TIME_TO_LIVE_ATTRIBUTE: expires_at}
        guard = {
            "pk": keys.quarantine_guard_pk(message.digest),
            "sk": keys.QUARANTINE_GUARD_SK,
            "item_type": "quarantine_guard",
            "record_pk": record["pk"],
            "record_sk": record["sk"],
            TIME_TO_LIVE_ATTRIBUTE: expires_at,
        }
        try:
            self._client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self._table, "Item": encode(item), "ConditionExpression": _NOT_YET_WRITTEN}}
                for item in (guard, record)
            ])
        except self._client.exceptions.TransactionCanceledException as cancelled:
            codes = [str(r.get("Code")) for r in cancelled.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in codes:
                return False  # this very body was kept before (its guard, or its record, exists)
            # A transaction conflict, throttling...: nothing was written, a retry can succeed.
            raise TransientStoreError(f"transaction cancelled: {','.join(codes)}") from cancelled
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise
        return True

    def list_day(self, day: date, *, now: datetime, limit: int = DEFAULT_PAGE_SIZE,
                 after: str | None = None) -> QuarantinePage:
        """One page of the messages that arrived on ``day`` (UTC) and have not expired at ``now``, oldest
        first; ``after`` is the ``next_page`` of the page before. ``limit`` bounds the records read, so a
        page holds at most that many, fewer where expired ones were skipped."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be 1..{MAX_PAGE_SIZE}, got {limit}")
        pk = keys.quarantine_pk(day)
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :records)",
            # TTL deletes an expired item days later, if at all yet: until then reads still return it.
            "FilterExpression": f"{TIME_TO_LIVE_ATTRIBUTE} > :now",
            "ExpressionAttributeValues": encode({
                ":pk": pk, ":records": keys.QUARANTINE_RECORD_PREFIX, ":now": math.floor(now.timestamp())}),
            "Limit": limit,
            "ConsistentRead": True,  # whoever looks for a message refused a moment ago finds it
        }
        if after is not None:
            if not after.startswith(keys.QUARANTINE_RECORD_PREFIX):
                raise ValueError("after must be the next_page of an earlier page")
            request["ExclusiveStartKey"] = encode({"pk": pk, "sk": after})
        try:
            page = self._client.query(**request)
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise
        last = page.get("LastEvaluatedKey")
        return QuarantinePage(
            messages=tuple(_message_from(decode(item)) for item in page.get("Items", [])),
            next_page=None if last is None else str(decode(last)["sk"]),
        )


def _item(message: QuarantinedMessage) -> dict[str, Any]:
    return {
        "pk": keys.quarantine_pk(arrival_day(message.received_at)),
        "sk": keys.quarantine_sk(message.received_at, message.digest),
        "item_type": "quarantined_message",
        "digest": message.digest,
        "reason": message.reason.value,
        "detail": message.detail,
        "body": message.body,
        "body_truncated": message.body_truncated,
        "received_at": to_canonical(message.received_at),
        "device_id": message.device_id,
        "reading_id": message.reading_id,
    }


def _message_from(item: dict[str, Any]) -> QuarantinedMessage:
    return QuarantinedMessage(
        digest=str(item["digest"]),
        body=item["body"],
        body_truncated=bool(item["body_truncated"]),
        reason=RejectionReason(item["reason"]),
        detail=item["detail"],
        received_at=from_canonical(item["received_at"]),
        device_id=item.get("device_id"),
        reading_id=item.get("reading_id"),
    )
