"""Integration tests talk HTTP to a real moto server through the standard AWS_ENDPOINT_URL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from localcloud.corpus import registry
from localcloud.moto_server import running_moto_server
from localcloud.queues import TopicInbox, topic_with_inbox
from localcloud.tenant_table import create_access_log_table, create_tenant_table


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with running_moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def dynamodb(moto_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=moto_endpoint)


@pytest.fixture
def tenant_table(dynamodb: Any, access_log_table: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh tenant table (unique name per test), its access-log table, and the function environment
    pointing at both."""
    name = f"dho-bodo-{uuid.uuid4().hex[:8]}"
    create_tenant_table(dynamodb, name)
    monkeypatch.setenv("DHO_TABLE_NAME", name)
    monkeypatch.setenv("DHO_TENANT_ID", registry()["tenant"])
    monkeypatch.setenv("DHO_TENANT_NAME", "Bodø")
    return name


@pytest.fixture
def access_log_table(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh Normen access-log table (the tenant's second table) and the export's environment naming it."""
    name = f"dho-bodo-{uuid.uuid4().hex[:8]}-access-log"
    create_access_log_table(dynamodb, name)
    monkeypatch.setenv("DHO_ACCESS_LOG_TABLE_NAME", name)
    return name


@pytest.fixture
def alert_inbox(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> TopicInbox:
    """The tenant's alert topic with an SQS queue subscribed to it: what the nurses would be sent."""
    sns = boto3.client("sns", endpoint_url=moto_endpoint)
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    suffix = uuid.uuid4().hex[:8]
    inbox = topic_with_inbox(sqs, sns, f"dho-bodo-alerts-{suffix}", f"nurse-inbox-{suffix}")
    monkeypatch.setenv("DHO_ALERT_TOPIC_ARN", inbox.topic_arn)
    return inbox
