"""The patient's newest-readings summary item (``keys.NEWEST_READINGS_SK``): the conditional update that
ingest adds to a reading's transaction, and the batched read of a page of patients' summaries.

Each series is its own attribute, ``TL#<series>`` = the mark of its newest entry
(:mod:`dho.domain.newest_readings`). The update sets the reading's marks on the condition that each is
absent or older; DynamoDB has no "max" in an update expression, and a failed condition cancels the whole
transaction, so the caller retries without the marks that are not newer (``newer_than_stored``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dho.adapters import keys
from dho.adapters.dynamodb_batch_get import batch_get
from dho.adapters.dynamodb_codec import encode
from dho.domain.newest_readings import measured_at_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SERIES_PREFIX = "TL#"
ITEM_TYPE = "newest_readings"


def summary_key(patient_id: str) -> dict[str, str]:
    return {"pk": keys.patient_pk(patient_id), "sk": keys.NEWEST_READINGS_SK}


def summary_update(table: str, patient_id: str, marks: Mapping[str, str]) -> dict[str, Any]:
    """A TransactWriteItems ``Update`` setting ``marks`` (series -> mark), each only if it moves forward."""
    names = {f"#s{i}": SERIES_PREFIX + series for i, series in enumerate(marks)}
    values: dict[str, Any] = {f":m{i}": mark for i, mark in enumerate(marks.values())}
    values[":type"] = ITEM_TYPE
    sets = ", ".join(f"#s{i} = :m{i}" for i in range(len(marks)))
    condition = " AND ".join(f"(attribute_not_exists(#s{i}) OR #s{i} < :m{i})" for i in range(len(marks)))
    return {"Update": {
        "TableName": table, "Key": encode(summary_key(patient_id)),
        "UpdateExpression": f"SET item_type = :type, {sets}", "ConditionExpression": condition,
        "ExpressionAttributeNames": names, "ExpressionAttributeValues": encode(values),
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }}


def stored_marks(item: Mapping[str, Any]) -> dict[str, str]:
    """Series -> mark of a decoded summary item."""
    return {name.removeprefix(SERIES_PREFIX): str(mark) for name, mark in item.items()
            if name.startswith(SERIES_PREFIX)}


def newest_of(
    client: DynamoDBClient, table: str, patient_ids: Sequence[str], sleep: Callable[[float], None], *,
    consistent: bool = False,
) -> dict[str, dict[str, datetime]]:
    """Per patient with a summary, series -> measured time of its newest entry (one BatchGetItem per 100)."""
    wanted = [summary_key(p) for p in dict.fromkeys(patient_ids)]
    return {str(item["pk"]).removeprefix("PATIENT#"): {s: measured_at_of(m) for s, m in stored_marks(item).items()}
            for item in batch_get(client, table, wanted, consistent=consistent, sleep=sleep)}
