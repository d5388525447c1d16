"""Builds the readings pipeline with its AWS adapters (the only place that makes AWS clients).

boto3 honours ``AWS_ENDPOINT_URL``, so the same code talks to AWS, moto or LocalStack unchanged.
"""

from __future__ import annotations

import boto3

from dho.adapters.dynamodb_advice_log import DynamoDbAdviceLog
from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.adapters.iot_data_messenger import IotDataMessenger
from dho.advice.service import AdviceService
from dho.alerting.wiring import CLIENT_CONFIG, build_alert_service
from dho.evaluation.service import EvaluationService
from dho.ingest.service import IngestService
from dho.pipeline import ReadingsPipeline
from dho.settings import AlertSettings, IngestSettings


def build_readings_pipeline(settings: IngestSettings, alerting: AlertSettings) -> ReadingsPipeline:
    dynamodb = boto3.client("dynamodb", config=CLIENT_CONFIG)
    table = settings.table_name
    registry = DynamoDbRegistry(dynamodb, table)
    timeline = DynamoDbTimeline(dynamodb, table)
    quarantine = DynamoDbQuarantine(dynamodb, table, retention=settings.quarantine_retention)
    ingest = IngestService(settings.tenant_id, registry, timeline, quarantine, settings.parser_limits())
    plans = DynamoDbPlans(dynamodb, table)
    evaluation = EvaluationService(timeline, plans, registry)
    # The account's IoT data endpoint (None: boto3 resolves it, or AWS_ENDPOINT_URL points elsewhere).
    iot_data = boto3.client("iot-data", endpoint_url=settings.iot_data_endpoint, config=CLIENT_CONFIG)
    advice = AdviceService(
        settings.tenant_id, evaluation.plan_in_force,  # the plan the batch was scored with
        IotDataMessenger(iot_data), DynamoDbAdviceLog(dynamodb, table), language=settings.advice_language,
    )
    return ReadingsPipeline(ingest, evaluation, build_alert_service(dynamodb, table, alerting), advice)
