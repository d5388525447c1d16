"""Builds the export service with its DynamoDB adapters and the R4B validator (the only module of
the export that makes AWS clients; imports fhir.resources, so only the export function loads it)."""

from __future__ import annotations

import boto3
from botocore.config import Config

from dho.adapters.dynamodb_access_log import DynamoDbAccessLog
from dho.adapters.dynamodb_advice_log import DynamoDbAdviceLog
from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.export.service import FhirExportService
from dho.fhir.validation import validate_r4b
from dho.settings import ExportSettings

# The caller waits on the answer: a slow call fails the export (the caller retries) rather than hang.
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


def build_export_service(settings: ExportSettings) -> FhirExportService:
    dynamodb = boto3.client("dynamodb", config=CLIENT_CONFIG)
    table = settings.table_name
    return FhirExportService(
        settings,
        DynamoDbRegistry(dynamodb, table),
        DynamoDbTimeline(dynamodb, table),
        DynamoDbAlerts(dynamodb, table),
        DynamoDbAccessLog(dynamodb, settings.access_log_table_name),
        validate_r4b,
        advice=DynamoDbAdviceLog(dynamodb, table),
    )
