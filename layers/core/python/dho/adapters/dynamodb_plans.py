"""Versioned self-management plans on the tenant's DynamoDB table: every version is kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dho.adapters import keys
from dho.adapters.dynamodb_codec import decode, encode
from dho.domain.plans import PlanVersionConflict, SelfManagementPlan

__all__ = ["DynamoDbPlans", "PlanVersionConflict"]

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDbPlans:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def save(self, plan: SelfManagementPlan) -> None:
        """Store a new version; it must be exactly one more than the newest stored one."""
        current = self.current(plan.patient_id)
        expected = 1 if current is None else current.version + 1
        if plan.version != expected:
            raise PlanVersionConflict(f"version {plan.version} given, {expected} expected")
        item = {"pk": keys.patient_pk(plan.patient_id), "sk": keys.plan_sk(plan.version), "item_type": "plan",
                "version": plan.version, "changed_by": plan.changed_by, "plan": plan.model_dump_json()}
        try:
            self._client.put_item(TableName=self._table, Item=encode(item),
                                  ConditionExpression="attribute_not_exists(pk)")
        except self._client.exceptions.ConditionalCheckFailedException:
            raise PlanVersionConflict(f"version {plan.version} was saved concurrently") from None

    def current(self, patient_id: str) -> SelfManagementPlan | None:
        newest = self.versions_of(patient_id, limit=1)
        return newest[0] if newest else None

    def versions_of(self, patient_id: str, *, limit: int) -> list[SelfManagementPlan]:
        """Newest first, at most ``limit``: one key-range query on the patient's ``PLAN#`` items."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :plan)",
            "ExpressionAttributeValues": encode({":pk": keys.patient_pk(patient_id), ":plan": keys.PLAN_PREFIX}),
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        found: list[SelfManagementPlan] = []
        while len(found) < limit:
            page = self._client.query(**request, Limit=limit - len(found))
            found.extend(SelfManagementPlan.model_validate_json(decode(item)["plan"]) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found
