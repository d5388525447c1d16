"""Builds the centre service with one set of DynamoDB adapters per served tenant (the only module of
the centre API that makes AWS clients)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import boto3
from botocore.config import Config

from dho.adapters.dynamodb_access_log import DynamoDbAccessLog
from dho.adapters.dynamodb_advice_log import DynamoDbAdviceLog
from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.dynamodb_enrolments import DynamoDbEnrolments
from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.adapters.iot_data_messenger import IotDataMessenger
from dho.advice.device_config import DeviceConfigPublisher
from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.centre.records import PatientRecordsService, TenantRecords
from dho.centre.roles import StaffDirectory
from dho.centre.service import CentreService, TenantData
from dho.domain.alerts import AlertPolicySettings, Notification
from dho.export.wiring import build_export_service
from dho.settings import CentreSettings, ExportSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Records = TypeVar("Records", bound=PatientRecordsService)

# A nurse waits on the answer: fail fast (the page retries with the same If-Match) rather than hang.
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


class NoNotifications:
    """The centre API acknowledges and closes alerts, which never notify: it has no topic to publish to."""

    def publish(self, notification: Notification, text: str) -> None:
        raise RuntimeError("the centre API publishes no notifications")


def build_centre_service(settings: CentreSettings) -> CentreService:
    dynamodb = boto3.client("dynamodb", config=CLIENT_CONFIG)
    return CentreService(settings.centre_id, _tenant_data(dynamodb, settings))


def build_records_service(settings: CentreSettings, kind: type[Records]) -> Records:
    """The patient records' service, or one built on it (``kind``: the enrolment's, the caseload's)."""
    dynamodb = boto3.client("dynamodb", config=CLIENT_CONFIG)
    records = {
        tenant_id: TenantRecords(plans=DynamoDbPlans(dynamodb, tenant.table_name),
                                 history=DynamoDbAlerts(dynamodb, tenant.table_name),
                                 registry=DynamoDbRegistry(dynamodb, tenant.table_name),
                                 device_config=_device_config(tenant_id, tenant.iot_data_endpoint))
        for tenant_id, tenant in settings.centre_tenants.items()
    }
    return kind(settings.centre_id, _tenant_data(dynamodb, settings), records)


def _device_config(tenant_id: str, endpoint: str | None) -> DeviceConfigPublisher:
    # The tenant's IoT data endpoint (None: boto3 resolves it, or AWS_ENDPOINT_URL points elsewhere).
    iot_data = boto3.client("iot-data", endpoint_url=endpoint, config=CLIENT_CONFIG)
    return DeviceConfigPublisher(tenant_id, IotDataMessenger(iot_data))


def _tenant_data(dynamodb: DynamoDBClient, settings: CentreSettings) -> dict[str, TenantData]:
    tenants: dict[str, TenantData] = {}
    for tenant_id, tenant in settings.centre_tenants.items():
        export = ExportSettings(tenant_id=tenant_id, table_name=tenant.table_name,
                                access_log_table_name=tenant.access_log_table_name)
        alerts = DynamoDbAlerts(dynamodb, tenant.table_name)
        policy = AlertPolicy(AlertPolicySettings.from_tenant_policy(tenant.alert_policy))
        tenants[tenant_id] = TenantData(
            tenant_id=tenant_id,
            alerts=alerts,
            actions=AlertService(policy, alerts, NoNotifications(), tenant_name=tenant_id),
            enrolments=DynamoDbEnrolments(dynamodb, tenant.table_name),
            timeline=DynamoDbTimeline(dynamodb, tenant.table_name),
            access_log=DynamoDbAccessLog(dynamodb, tenant.access_log_table_name),
            exporter=build_export_service(export),
            advice_log=DynamoDbAdviceLog(dynamodb, tenant.table_name),
        )
    return tenants


def build_staff_directory(settings: CentreSettings) -> StaffDirectory:
    return StaffDirectory.from_json(settings.staff)
