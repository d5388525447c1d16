"""Which store errors are worth a retry (SQS redelivers) and which are not (they fail loudly)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from dho.adapters.dynamodb_codec import raise_if_transient
from dho.ports import TransientStoreError


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "TransactWriteItems")


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException",
                                  "RequestLimitExceeded", "InternalServerError", "TransactionConflictException"])
def test_throttling_and_server_errors_are_transient(code: str) -> None:
    with pytest.raises(TransientStoreError, match=code):
        raise_if_transient(_client_error(code))


@pytest.mark.parametrize("error", [EndpointConnectionError(endpoint_url="http://localhost:1"),
                                   ReadTimeoutError(endpoint_url="http://localhost:1")])
def test_connection_trouble_is_transient(error: Exception) -> None:
    with pytest.raises(TransientStoreError):
        raise_if_transient(error)


@pytest.mark.parametrize("code", ["ResourceNotFoundException", "AccessDeniedException", "ValidationException"])
def test_configuration_errors_are_not_disguised_as_transient(code: str) -> None:
    raise_if_transient(_client_error(code))  # returns: the caller re-raises the original error
