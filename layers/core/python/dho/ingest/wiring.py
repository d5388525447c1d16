"""Builds the readings pipeline with its AWS adapters (the only place that makes AWS clients).

boto3 honours ``AWS_ENDPOINT_URL``, so the same code talks to AWS, moto or LocalStack unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.adapters.sns_notifier import SnsNotifier
from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.alerts import AlertPolicySettings
from dho.evaluation.service import EvaluationService
from dho.ingest.service import IngestService
from dho.pipeline import ReadingsPipeline
from dho.settings import AlertSettings, IngestSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Short timeouts: a slow call should fail this record (SQS redelivers it) rather than the whole batch.
_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


def build_alert_service(dynamodb: DynamoDBClient, table_name: str, alerting: AlertSettings) -> AlertService:
    policy = AlertPolicy(AlertPolicySettings.from_tenant_policy(alerting.alert_policy))
    notifier = SnsNotifier(boto3.client("sns", config=_CLIENT_CONFIG), alerting.alert_topic_arn)
    return AlertService(policy, DynamoDbAlerts(dynamodb, table_name), notifier, tenant_name=alerting.display_name)


def build_readings_pipeline(settings: IngestSettings, alerting: AlertSettings) -> ReadingsPipeline:
    dynamodb = boto3.client("dynamodb", config=_CLIENT_CONFIG)
    table = settings.table_name
    registry = DynamoDbRegistry(dynamodb, table)
    timeline = DynamoDbTimeline(dynamodb, table)
    ingest = IngestService(settings.tenant_id, registry, timeline, DynamoDbQuarantine(dynamodb, table),
                           settings.parser_limits())
    evaluation = EvaluationService(timeline, DynamoDbPlans(dynamodb, table), registry)
    return ReadingsPipeline(ingest, evaluation, build_alert_service(dynamodb, table, alerting))
