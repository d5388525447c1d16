"""Builds the alert service with its DynamoDB and SNS adapters (no scoring imports: the escalation
function loads no numba)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from dho.adapters.dynamodb_advice_log import DynamoDbAdviceLog
from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.adapters.iot_data_messenger import IotDataMessenger
from dho.adapters.sns_notifier import SnsNotifier
from dho.advice.overdue_reminders import OverdueReminders
from dho.alerting.adherence_sweep import AdherenceSweep
from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.alerts import AlertPolicySettings
from dho.settings import AlertSettings, DeviceMessageSettings, TenantSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Short timeouts: a slow call should fail this record (SQS redelivers it) rather than the whole batch.
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


def build_alert_service(dynamodb: DynamoDBClient, table_name: str, alerting: AlertSettings) -> AlertService:
    policy = AlertPolicy(AlertPolicySettings.from_tenant_policy(alerting.alert_policy))
    notifier = SnsNotifier(boto3.client("sns", config=CLIENT_CONFIG), alerting.alert_topic_arn)
    return AlertService(
        policy,
        DynamoDbAlerts(dynamodb, table_name),
        notifier,
        tenant_name=alerting.display_name,
        notification_grace=alerting.notification_grace,
    )


def build_escalation_service(tenant: TenantSettings, alerting: AlertSettings) -> AlertService:
    return build_alert_service(boto3.client("dynamodb", config=CLIENT_CONFIG), tenant.table_name, alerting)


def build_adherence_sweep(tenant: DeviceMessageSettings, alerts: AlertService) -> AdherenceSweep:
    """The hourly missed-measurement checks of the escalation sweep, on the tenant's table, with the
    overdue reminders to the patients' devices (IoT Core's data endpoint of the tenant)."""
    dynamodb = boto3.client("dynamodb", config=CLIENT_CONFIG)
    registry = DynamoDbRegistry(dynamodb, tenant.table_name)
    iot_data = boto3.client("iot-data", endpoint_url=tenant.iot_data_endpoint, config=CLIENT_CONFIG)
    reminders = OverdueReminders(tenant.tenant_id, registry, IotDataMessenger(iot_data),
                                 DynamoDbAdviceLog(dynamodb, tenant.table_name), language=tenant.advice_language)
    return AdherenceSweep(
        registry, registry, DynamoDbPlans(dynamodb, tenant.table_name), DynamoDbTimeline(dynamodb, tenant.table_name),
        alerts, reminders=reminders,
    )
