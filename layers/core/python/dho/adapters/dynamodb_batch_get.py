"""BatchGetItem of many keys of one table: chunks of 100 (DynamoDB's limit per request), and the keys
DynamoDB left unprocessed (throttling, the 16 MB response limit) asked again after an exponential backoff
with full jitter, as AWS advises; botocore retries errors but not UnprocessedKeys."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dho.adapters.dynamodb_codec import decode, encode, raise_if_transient
from dho.ports import TransientStoreError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH_GET_LIMIT = 100
BACKOFF_BASE_S = 0.05
BACKOFF_CAP_S = 2.0
ATTEMPTS = 8  # per chunk; then the caller gets TransientStoreError (7.1 s of backoff at most)


def batch_get(
    client: DynamoDBClient, table: str, wanted: Sequence[Mapping[str, Any]], *, consistent: bool = False,
    sleep: Callable[[float], None] = time.sleep, jitter: Callable[[], float] = random.random,
) -> list[dict[str, Any]]:
    """The items found for ``wanted`` (plain keys), decoded, in no particular order; absent keys give nothing."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), BATCH_GET_LIMIT):
        request: dict[str, Any] = {"Keys": [encode(key) for key in wanted[start : start + BATCH_GET_LIMIT]],
                                   "ConsistentRead": consistent}
        pending: dict[str, Any] = {table: request}
        for attempt in range(ATTEMPTS):
            if attempt:
                sleep(jitter() * min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** attempt))
            try:
                response = client.batch_get_item(RequestItems=pending)
            except (ClientError, BotoCoreError) as error:
                raise_if_transient(error)
                raise
            found.extend(decode(item) for item in response.get("Responses", {}).get(table, []))
            pending = dict(response.get("UnprocessedKeys") or {})
            if not pending:
                break
        else:
            raise TransientStoreError("BatchGetItem left keys unprocessed after every retry")
    return found
