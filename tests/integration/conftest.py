"""Integration tests talk HTTP to a real moto server through the standard AWS_ENDPOINT_URL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from localcloud.corpus import registry
from localcloud.moto_server import running_moto_server
from localcloud.tenant_table import create_tenant_table
from tests.support.alert_inbox import AlertInbox


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with running_moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def dynamodb(moto_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=moto_endpoint)


@pytest.fixture
def tenant_table(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh tenant table (unique name per test) and the function environment pointing at it."""
    name = f"dho-bodo-{uuid.uuid4().hex[:8]}"
    create_tenant_table(dynamodb, name)
    monkeypatch.setenv("DHO_TABLE_NAME", name)
    monkeypatch.setenv("DHO_TENANT_ID", registry()["tenant"])
    monkeypatch.setenv("DHO_TENANT_NAME", "Bodø")
    return name


@pytest.fixture
def alert_inbox(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> AlertInbox:
    sns = boto3.client("sns", endpoint_url=moto_endpoint)
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    suffix = uuid.uuid4().hex[:8]
    topic_arn = sns.create_topic(Name=f"dho-bodo-alerts-{suffix}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"nurse-inbox-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    monkeypatch.setenv("DHO_ALERT_TOPIC_ARN", topic_arn)
    return AlertInbox(topic_arn, queue_url, sqs)

