"""The local cloud's opt-in eventually consistent DynamoDB reads (moto_harness.dynamodb_eventual_consistency),
on the integration tests' moto server and on the harness that the local cloud deploys to."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from dho.adapters import table_schema as ts
from localcloud.deployed import client
from localcloud.moto_harness import running_harness
from localcloud.moto_harness.dynamodb_eventual_consistency import LAG_VARIABLE
from localcloud.tenant_table import create_tenant_table

pytestmark = pytest.mark.integration

LAG_S = 3.0  # long enough for the reads below on a busy machine


@pytest.fixture
def table(dynamodb: Any) -> str:
    name = f"lagging-{uuid.uuid4().hex[:8]}"
    create_tenant_table(dynamodb, name)
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "P"}, "sk": {"S": "1"}, "v": {"S": "old"}})
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "P"}, "sk": {"S": "2"}})
    return name


def _seen(dynamodb: Any, table: str, **read: Any) -> dict[str, str | None]:
    """sk -> v of the partition's items, as a Query and a Scan return them (asserted equal)."""
    queried = dynamodb.query(TableName=table, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "P"}}, **read)["Items"]
    scanned = dynamodb.scan(TableName=table, **read)["Items"]
    assert queried == scanned
    return {i["sk"]["S"]: i.get("v", {}).get("S") for i in queried}


def _batch_seen(dynamodb: Any, table: str, **read: Any) -> dict[str, str | None]:
    """sk -> v of the items 1, 2 and 3 as one BatchGetItem returns them."""
    keys = [{"pk": {"S": "P"}, "sk": {"S": sk}} for sk in ("1", "2", "3")]
    found = dynamodb.batch_get_item(RequestItems={table: {"Keys": keys, **read}})["Responses"][table]
    return {i["sk"]["S"]: i.get("v", {}).get("S") for i in found}


def test_with_a_read_lag_eventually_consistent_reads_miss_the_latest_writes_until_the_lag_has_passed(
    dynamodb: Any, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a read lag (the items above were written before it was set, so every replica has them)
    monkeypatch.setenv(LAG_VARIABLE, str(int(LAG_S * 1000)))

    # WHEN an item is added, one updated and one deleted
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "P"}, "sk": {"S": "3"}})
    dynamodb.update_item(TableName=table, Key={"pk": {"S": "P"}, "sk": {"S": "1"}}, UpdateExpression="SET v = :v",
                         ExpressionAttributeValues={":v": {"S": "new"}})
    dynamodb.delete_item(TableName=table, Key={"pk": {"S": "P"}, "sk": {"S": "2"}})
    written = time.monotonic()

    # THEN reads without ConsistentRead still see the table as it was, consistent reads see the writes
    key = {"pk": {"S": "P"}, "sk": {"S": "1"}}
    assert _seen(dynamodb, table) == {"1": "old", "2": None}
    assert dynamodb.get_item(TableName=table, Key=key)["Item"]["v"]["S"] == "old"
    assert _seen(dynamodb, table, ConsistentRead=True) == {"1": "new", "3": None}
    assert dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]["v"]["S"] == "new"
    assert _batch_seen(dynamodb, table) == {"1": "old", "2": None}
    assert _batch_seen(dynamodb, table, ConsistentRead=True) == {"1": "new", "3": None}
    assert time.monotonic() - written < LAG_S  # the reads above ran within the lag
    # AND once the lag has passed every read sees them
    time.sleep(LAG_S)
    assert _seen(dynamodb, table) == {"1": "new", "3": None}


def test_without_the_variable_every_read_sees_every_write_at_once(
    dynamodb: Any, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(LAG_VARIABLE, raising=False)
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "P"}, "sk": {"S": "3"}})
    assert _seen(dynamodb, table) == {"1": "old", "2": None, "3": None}


def test_the_harness_started_with_a_lag_serves_partition_and_index_queries_behind_the_writes(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the harness (every patch, its partition-only queries included) started with a read lag
    monkeypatch.setenv(LAG_VARIABLE, str(int(LAG_S * 1000)))
    with running_harness() as endpoint:
        dynamodb = client("dynamodb", endpoint, "eu-north-1")
        create_tenant_table(dynamodb, "lagging")

        # WHEN an item that the triage index holds is written
        dynamodb.put_item(TableName="lagging", Item={
            "pk": {"S": "P"}, "sk": {"S": "1"}, ts.TRIAGE_PARTITION_KEY: {"S": "T"}, ts.TRIAGE_SORT_KEY: {"S": "1"}})

        # THEN the index and an eventually consistent table query miss it, a consistent one has it
        def query(**read: Any) -> int:
            count: int = dynamodb.query(TableName="lagging", KeyConditionExpression="pk = :p",
                                        ExpressionAttributeValues={":p": {"S": "P"}}, **read)["Count"]
            return count

        index = dynamodb.query(TableName="lagging", IndexName=ts.TRIAGE_INDEX,
                               KeyConditionExpression=f"{ts.TRIAGE_PARTITION_KEY} = :t",
                               ExpressionAttributeValues={":t": {"S": "T"}})
        assert (index["Count"], query(), query(ConsistentRead=True)) == (0, 0, 1)
