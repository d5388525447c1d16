"""Everything one municipality needs, isolated from every other tenant."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack, Tags
from constructs import Construct

from infra.config import Operations, Tenant
from infra.constructs.access_log_table import AccessLogTable
from infra.constructs.alert_topics import AlertTopics
from infra.constructs.dependency_layers import DependencyLayers, layers_from_parameters
from infra.constructs.device_policy import DevicePolicy
from infra.constructs.escalation_schedule import EscalationSchedule
from infra.constructs.log_retention import log_retention
from infra.constructs.notification_alarms import NotificationAlarms
from infra.constructs.process_readings_function import (
    QUEUE_VISIBILITY_TIMEOUT,
    ProcessReadingsFunction,
    alerting_environment,
    device_message_environment,
)
from infra.constructs.readings_queue import ReadingsQueue
from infra.constructs.readings_rule import ReadingsRule
from infra.constructs.tenant_key import TenantKey, publish_key_arn
from infra.constructs.tenant_table import TenantTable
from infra.layer_catalog import ESCALATE_ALERTS, PROCESS_READINGS, check_bundle_size


class TenantStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tenant: Tenant,
        operations: Operations,
        shared_layers: DependencyLayers,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        tenant_id = tenant.tenant_id
        Tags.of(self).add("dho:tenant", tenant_id)  # cost allocation per municipality
        Tags.of(self).add("dho:data-classification", "health-special-category")

        key = TenantKey(self, "Key", tenant_id=tenant_id).key
        publish_key_arn(self, tenant_id, key)  # for the response centre's API (infra.stacks.centre_stack)
        topics = AlertTopics(
            self,
            "Topics",
            tenant_id=tenant_id,
            key=key,
            nurses=tenant.nurses,
            operations_emails=operations.alarm_emails,
        )
        NotificationAlarms(
            self,
            "NotificationAlarms",
            tenant_id=tenant_id,
            alert_topic=topics.alerts,
            operations_topic=topics.operations,
            sms_monthly_spend_limit_usd=operations.sms_monthly_spend_limit_usd,
        )
        table = TenantTable(self, "Data", tenant_id=tenant_id, key=key, backup_days=tenant.retention.backup_days)
        # The Normen access log in its own append-only table: erasing a patient keeps who accessed them (the
        # centre API, in its own stack, writes and reads it).
        AccessLogTable(self, "AccessLog", tenant_id=tenant_id, key=key, backup_plan=table.backup_plan)
        readings = ReadingsQueue(
            self,
            "Readings",
            tenant_id=tenant_id,
            key=key,
            visibility_timeout=QUEUE_VISIBILITY_TIMEOUT,
            max_reading_delay=Duration.minutes(tenant.escalation.max_reading_delay_minutes),
            alarm_topic=topics.operations,
        )
        ReadingsRule(
            self,
            "Ingest",
            tenant_id=tenant_id,
            key=key,
            queue=readings.queue,
            log_retention=log_retention(tenant.retention.log_days),
            alarm_topic=topics.operations,
        )
        DevicePolicy(self, "Devices", tenant_id=tenant_id)

        check_bundle_size(PROCESS_READINGS)
        ProcessReadingsFunction(
            self,
            "ProcessReadings",
            tenant=tenant,
            key=key,
            table=table.table,
            triage_index_arn=table.triage_index_arn,
            queue=readings.queue,
            alert_topic=topics.alerts,
            operations_topic=topics.operations,
            layers=layers_from_parameters(self, PROCESS_READINGS.layers),
            layer_fingerprint=shared_layers.fingerprint(PROCESS_READINGS.layers),
        )
        check_bundle_size(ESCALATE_ALERTS)
        EscalationSchedule(
            self,
            "Escalation",
            tenant=tenant,
            key=key,
            table=table.table,
            triage_index_arn=table.triage_index_arn,
            alert_topic=topics.alerts,
            operations_topic=topics.operations,
            environment={
                **alerting_environment(tenant, table.table.table_name, topics.alerts.topic_arn),
                "POWERTOOLS_SERVICE_NAME": ESCALATE_ALERTS.name,
                **device_message_environment(tenant),  # the overdue reminders to the devices
            },
            layers=layers_from_parameters(self, ESCALATE_ALERTS.layers),
        )
