"""Plain Python values <-> DynamoDB attribute values (numbers go through Decimal, never float)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotoConnectionError

from dho.ports import TransientStoreError

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()

# Error codes after which the same request can succeed later (botocore already retried a few times).
TRANSIENT_ERROR_CODES = frozenset({
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
})


def encode(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _SERIALIZER.serialize(_decimalised(value))
            for key, value in item.items() if value is not None}


def decode(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _DESERIALIZER.deserialize(value) for key, value in item.items()}


def _decimalised(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))  # repr is the shortest exact round-trip text
    if isinstance(value, Mapping):
        return {k: _decimalised(v) for k, v in value.items()}
    return value


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def raise_if_transient(error: Exception, transient_codes: Collection[str] = TRANSIENT_ERROR_CODES) -> None:
    """Turn throttling and connection trouble into :class:`TransientStoreError` (message: code only).
    ``transient_codes``: the service's retryable error codes (DynamoDB's by default; the SNS adapter
    passes its own)."""
    if isinstance(error, ClientError) and error_code(error) in transient_codes:
        raise TransientStoreError(error_code(error)) from error
    if isinstance(error, BotoConnectionError | ReadTimeoutError):
        raise TransientStoreError(type(error).__name__) from error
