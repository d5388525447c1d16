"""Quarantine of refused messages on the tenant's DynamoDB table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dho.adapters import keys
from dho.adapters.dynamodb_codec import decode, encode, raise_if_transient
from dho.domain.clock import from_canonical, to_canonical
from dho.domain.quarantine import QuarantinedMessage
from dho.domain.rejections import RejectionReason

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDbQuarantine:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def keep(self, message: QuarantinedMessage) -> bool:
        item = {
            "pk": keys.QUARANTINE_PK,
            "sk": keys.quarantine_sk(message.digest),
            "item_type": "quarantined_message",
            "reason": message.reason.value,
            "detail": message.detail,
            "body": message.body,
            "body_truncated": message.body_truncated,
            "received_at": to_canonical(message.received_at),
            "device_id": message.device_id,
            "reading_id": message.reading_id,
        }
        try:
            self._client.put_item(TableName=self._table, Item=encode(item),
                                  ConditionExpression="attribute_not_exists(pk)")
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise
        return True

    def list_all(self) -> Sequence[QuarantinedMessage]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": encode({":pk": keys.QUARANTINE_PK}),
        }
        messages: list[QuarantinedMessage] = []
        while True:
            page = self._client.query(**request)
            messages.extend(_message_from(decode(item)) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return messages
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _message_from(item: dict[str, Any]) -> QuarantinedMessage:
    return QuarantinedMessage(
        digest=str(item["sk"]).removeprefix("MSG#"),
        body=item["body"],
        body_truncated=bool(item["body_truncated"]),
        reason=RejectionReason(item["reason"]),
        detail=item["detail"],
        received_at=from_canonical(item["received_at"]),
        device_id=item.get("device_id"),
        reading_id=item.get("reading_id"),
    )
