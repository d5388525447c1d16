"""Create a tenant table and its access-log table with the key schema the CDK stack deploys (names from
dho.adapters.table_schema)."""

from __future__ import annotations

from typing import Any

from dho.adapters import table_schema as ts


def create_tenant_table(client: Any, table_name: str) -> None:
    client.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": ts.PARTITION_KEY, "KeyType": "HASH"},
                   {"AttributeName": ts.SORT_KEY, "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in
                              (ts.PARTITION_KEY, ts.SORT_KEY, ts.TRIAGE_PARTITION_KEY, ts.TRIAGE_SORT_KEY)],
        GlobalSecondaryIndexes=[{
            "IndexName": ts.TRIAGE_INDEX,
            "KeySchema": [{"AttributeName": ts.TRIAGE_PARTITION_KEY, "KeyType": "HASH"},
                          {"AttributeName": ts.TRIAGE_SORT_KEY, "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
    )
    # Like the stack's table: quarantined messages expire (moto records the setting, it deletes nothing).
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": ts.TIME_TO_LIVE_ATTRIBUTE})



def create_access_log_table(client: Any, table_name: str) -> None:
    """The tenant's Normen access-log table as the stack deploys it (same key names, no index)."""
    client.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": ts.PARTITION_KEY, "KeyType": "HASH"},
                   {"AttributeName": ts.SORT_KEY, "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"}
                              for name in (ts.PARTITION_KEY, ts.SORT_KEY)],
    )

def scan_all(client: Any, table_name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table_name, "ConsistentRead": True}
    while True:
        page = client.scan(**request)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
