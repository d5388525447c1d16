"""``AWS::DynamoDB::GlobalTable`` (what CDK's ``TableV2`` emits) becomes a table in this region.

moto 5.2.5 silently skips the type, so the table is missing and ``Fn::GetAtt Table.Arn`` fails with
``references undefined resource``. Here the replica for the stack's region (or the first) is created as
a moto table with the key schema, GSIs/LSIs, billing mode, streams, SSE with the replica's KMS key,
point-in-time recovery, deletion protection, time to live and tags. Other replicas are not created.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table


def sse_for_moto(sse: dict[str, Any] | None, kms_key: str | None) -> dict[str, Any] | None:
    """CloudFormation's ``SSESpecification`` (``SSEEnabled``/``SSEType``) → the API's (``Enabled``, key)."""
    if not sse or not (sse.get("SSEEnabled") or sse.get("Enabled")):
        return None
    spec: dict[str, Any] = {"Enabled": True, "SSEType": sse.get("SSEType", "KMS")}
    key = kms_key or sse.get("KMSMasterKeyId")
    if key:
        spec["KMSMasterKeyId"] = key
    return spec


def apply_point_in_time_recovery(table: Table, specification: dict[str, Any] | None) -> None:
    if not specification or not specification.get("PointInTimeRecoveryEnabled"):
        return
    backend = dynamodb_backends[table.account_id][table.region_name]
    backend.update_continuous_backups(table.name, {"PointInTimeRecoveryEnabled": True})
    description = table.continuous_backups["PointInTimeRecoveryDescription"]
    description["RecoveryPeriodInDays"] = int(specification.get("RecoveryPeriodInDays", 35))


def apply_time_to_live(table: Table, specification: dict[str, Any] | None) -> None:
    """Record the TTL attribute like DynamoDB (moto stores it; it deletes no expired item)."""
    if specification and specification.get("Enabled"):
        backend = dynamodb_backends[table.account_id][table.region_name]
        backend.update_time_to_live(table.name, {"Enabled": True, "AttributeName": specification["AttributeName"]})


class CfnGlobalTable(CloudFormationModel):
    def __init__(self, table: Table) -> None:
        self.table = table

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::DynamoDB::GlobalTable"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "TableName"

    @property
    def physical_resource_id(self) -> str:
        return str(self.table.name)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "StreamArn", "TableId")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return str(self.table.table_arn)
        if attribute_name == "StreamArn" and self.table.latest_stream_label:
            return f"{self.table.table_arn}/stream/{self.table.latest_stream_label}"
        if attribute_name == "TableId":
            return str(self.table.table_arn).rsplit("/", 1)[-1]
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> CfnGlobalTable:
        properties = cloudformation_json["Properties"]
        replicas = properties.get("Replicas") or [{}]
        replica = next((r for r in replicas if r.get("Region") == region_name), replicas[0])
        replica_sse = replica.get("SSESpecification") or {}
        global_indexes = [dict(index) for index in properties.get("GlobalSecondaryIndexes", [])]
        if properties.get("BillingMode") != "PAY_PER_REQUEST":
            for index in global_indexes:
                index.setdefault("ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
        table = dynamodb_backends[account_id][region_name].create_table(
            name=resource_name,
            schema=properties["KeySchema"],
            throughput=None,
            attr=properties.get("AttributeDefinitions", []),
            global_indexes=global_indexes,
            indexes=properties.get("LocalSecondaryIndexes", []),
            streams=properties.get("StreamSpecification"),
            billing_mode="PAY_PER_REQUEST" if properties.get("BillingMode") == "PAY_PER_REQUEST" else "PROVISIONED",
            sse_specification=sse_for_moto(properties.get("SSESpecification"), replica_sse.get("KMSMasterKeyId")),
            tags=replica.get("Tags", []),
            deletion_protection_enabled=bool(replica.get("DeletionProtectionEnabled", False)),
            warm_throughput=properties.get("WarmThroughput"),
        )
        apply_point_in_time_recovery(table, replica.get("PointInTimeRecoverySpecification"))
        apply_time_to_live(table, properties.get("TimeToLiveSpecification"))
        return cls(table)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: CfnGlobalTable, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> CfnGlobalTable:
        properties = cloudformation_json["Properties"]
        replicas = properties.get("Replicas") or [{}]
        replica = next((r for r in replicas if r.get("Region") == region_name), replicas[0])
        table = original_resource.table
        table.deletion_protection_enabled = bool(replica.get("DeletionProtectionEnabled", False))
        apply_point_in_time_recovery(table, replica.get("PointInTimeRecoverySpecification"))
        apply_time_to_live(table, properties.get("TimeToLiveSpecification"))
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        dynamodb_backends[account_id][region_name].delete_table(name=resource_name)

    def delete(self, account_id: str, region_name: str) -> None:
        dynamodb_backends[account_id][region_name].delete_table(name=self.table.name)


def apply() -> None:
    """The model registers itself with moto by being defined (``CloudFormationModel.__subclasses__``)."""
