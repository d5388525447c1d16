"""``AWS::DynamoDB::Table`` keeps its SSE and point-in-time recovery settings.

moto 5.2.5 passes CloudFormation's ``SSESpecification`` (``SSEEnabled``) to a model that reads ``Enabled``,
so ``describe_table`` shows no SSEDescription, and it ignores ``PointInTimeRecoverySpecification``.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models.table import Table

from localcloud.moto_harness._util import wrap_classmethod
from localcloud.moto_harness.dynamodb_global_table import apply_point_in_time_recovery, sse_for_moto


def _create(
    original: Any, cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
    region_name: str, **kwargs: Any,
) -> Table:
    properties = dict(cloudformation_json["Properties"])
    sse = properties.get("SSESpecification")
    properties["SSESpecification"] = sse_for_moto(sse, (sse or {}).get("KMSMasterKeyId"))
    table: Table = original(cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id,
                            region_name, **kwargs)
    apply_point_in_time_recovery(table, properties.get("PointInTimeRecoverySpecification"))
    return table


def apply() -> None:
    wrap_classmethod(Table, "create_from_cloudformation_json", _create)
