"""What was sent back to the patients' devices, in each patient's partition of the tenant table
(``ADVICE#<measured_at>#<message_id>``, ``dho.adapters.keys``): the nurse's view of the advice a patient got.
The item holds the codes and the plan's text that went out, never a measured value."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dho.adapters import keys
from dho.adapters.dynamodb_codec import decode, encode, raise_if_transient
from dho.domain.advice import Advice, AdviceKind, AdviceZone, SendOutcome
from dho.domain.clock import from_canonical, to_canonical
from dho.domain.plan_advice import AdviceLanguage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDbAdviceLog:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def recorded(self, advice: Advice) -> Advice | None:
        response = self._client.get_item(
            TableName=self._table, ConsistentRead=True,
            Key=encode({"pk": keys.patient_pk(advice.patient_id), "sk": keys.advice_sk(advice.measured_at,
                                                                                       advice.message_id)}))
        item = response.get("Item")
        return _advice(decode(item)) if item else None

    def record(self, advice: Advice) -> None:
        item = _item(advice)
        try:
            # A resend that failed never hides that the first attempt went out.
            self._client.put_item(
                TableName=self._table, Item=encode(item),
                ConditionExpression="attribute_not_exists(pk) OR outcome <> :sent",
                ExpressionAttributeValues=encode({":sent": SendOutcome.SENT.value}),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise

    def history(self, patient_id: str, start: datetime, end: datetime, *, limit: int = 100) -> Sequence[Advice]:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues=encode({
                ":pk": keys.patient_pk(patient_id),
                ":from": f"{keys.ADVICE_PREFIX}{to_canonical(start)}",
                ":to": f"{keys.ADVICE_PREFIX}{to_canonical(end)}",  # '#' after the time sorts above it
            }),
            Limit=limit, ConsistentRead=True,
        )
        found = [_advice(decode(i)) for i in response.get("Items", [])]
        return [a for a in found if a.measured_at < end]


def _item(advice: Advice) -> dict[str, Any]:
    return {
        "pk": keys.patient_pk(advice.patient_id), "sk": keys.advice_sk(advice.measured_at, advice.message_id),
        "item_type": "advice", "message_id": advice.message_id, "tenant_id": advice.tenant_id,
        "patient_id": advice.patient_id, "device_id": advice.device_id, "reading_id": advice.reading_id,
        "kind": advice.kind.value, "zone": advice.zone.value, "text": advice.text,
        "language": advice.language.value, "plan_version": advice.plan_version,
        "measured_at": to_canonical(advice.measured_at),
        "sent_at": to_canonical(advice.sent_at) if advice.sent_at else None,
        "outcome": advice.outcome.value if advice.outcome else None, "error": advice.error,
        "metric": advice.metric, "questionnaire": advice.questionnaire,
    }


def _advice(item: dict[str, Any]) -> Advice:
    return Advice(
        message_id=item["message_id"], tenant_id=item["tenant_id"], patient_id=item["patient_id"],
        device_id=item["device_id"], reading_id=item["reading_id"], kind=AdviceKind(item["kind"]),
        zone=AdviceZone(item["zone"]), text=item.get("text"), language=AdviceLanguage(item["language"]),
        plan_version=int(item["plan_version"]), measured_at=from_canonical(item["measured_at"]),
        sent_at=from_canonical(item["sent_at"]) if item.get("sent_at") else None,
        outcome=SendOutcome(item["outcome"]) if item.get("outcome") else None, error=item.get("error"),
        metric=item.get("metric"), questionnaire=item.get("questionnaire"),
    )
