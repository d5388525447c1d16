"""Builds the ingest service with its DynamoDB adapters (the only place that makes AWS clients).

boto3 honours ``AWS_ENDPOINT_URL``, so the same code talks to AWS, moto or LocalStack unchanged.
"""

from __future__ import annotations

import boto3
from botocore.config import Config

from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.ingest.service import IngestService
from dho.settings import IngestSettings

# Short timeouts: a slow call should fail this record (SQS redelivers it) rather than the whole batch.
_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


def build_ingest_service(settings: IngestSettings) -> IngestService:
    client = boto3.client("dynamodb", config=_CLIENT_CONFIG)
    return IngestService(
        tenant_id=settings.tenant_id,
        registry=DynamoDbRegistry(client, settings.table_name),
        timeline=DynamoDbTimeline(client, settings.table_name),
        quarantine=DynamoDbQuarantine(client, settings.table_name),
        limits=settings.parser_limits(),
    )
