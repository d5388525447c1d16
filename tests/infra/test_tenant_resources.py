"""GIVEN a configured tenant THEN its stack holds its own key, table, queues, alarms, rule, policy and
function, each configured the way a Normen review expects."""

from __future__ import annotations

from typing import Any

import pytest

from dho.adapters import table_schema
from infra.config import Tenant, load_config
from tests.infra.helpers import (
    key_logical_id,
    only_resource,
    resources_of_type,
    tenant_function,
    tenant_table,
    tenant_template,
)

TENANTS = load_config().tenants
by_tenant = pytest.mark.parametrize("tenant", TENANTS, ids=[t.tenant_id for t in TENANTS])

Templates = dict[str, dict[str, Any]]


@by_tenant
def test_key_is_customer_managed_rotated_and_retained(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    _, key = only_resource(template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    _, alias = only_resource(template, "AWS::KMS::Alias")
    assert alias["Properties"]["AliasName"] == f"alias/dho/{tenant.tenant_id}"


@by_tenant
def test_table_is_on_demand_recoverable_protected_and_has_the_triage_index(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    _, table = tenant_table(template, tenant)
    props = table["Properties"]
    assert props["TableName"] == f"dho-{tenant.tenant_id}"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert {k["AttributeName"]: k["KeyType"] for k in props["KeySchema"]} == {
        table_schema.PARTITION_KEY: "HASH",
        table_schema.SORT_KEY: "RANGE",
    }
    (replica,) = props["Replicas"]
    assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert replica["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    (index,) = props["GlobalSecondaryIndexes"]
    assert index["IndexName"] == table_schema.TRIAGE_INDEX
    assert {k["AttributeName"]: k["KeyType"] for k in index["KeySchema"]} == {
        table_schema.TRIAGE_PARTITION_KEY: "HASH",
        table_schema.TRIAGE_SORT_KEY: "RANGE",
    }
    assert {a["AttributeType"] for a in props["AttributeDefinitions"]} == {"S"}


@by_tenant
def test_table_is_in_a_backup_plan_with_the_configured_retention(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    table_id, _ = tenant_table(template, tenant)
    _, plan = only_resource(template, "AWS::Backup::BackupPlan")
    assert plan["Properties"]["BackupPlan"]["BackupPlanName"] == f"dho-{tenant.tenant_id}-table"
    (rule,) = plan["Properties"]["BackupPlan"]["BackupPlanRule"]
    assert rule["Lifecycle"]["DeleteAfterDays"] == tenant.retention.backup_days
    (selection,) = [s for s in resources_of_type(template, "AWS::Backup::BackupSelection").values()
                    if s["Properties"]["BackupSelection"]["SelectionName"] == f"dho-{tenant.tenant_id}-table"]
    assert selection["Properties"]["BackupSelection"]["Resources"] == [{"Fn::GetAtt": [table_id, "Arn"]}]
    _, vault = only_resource(template, "AWS::Backup::BackupVault")
    assert vault["DeletionPolicy"] == "Retain"


@by_tenant
def test_readings_queue_redrives_to_its_dead_letter_queue_and_denies_plain_http(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    queues = {
        r["Properties"]["QueueName"]: (lid, r) for lid, r in resources_of_type(template, "AWS::SQS::Queue").items()
    }
    assert set(queues) == {f"dho-{tenant.tenant_id}-readings", f"dho-{tenant.tenant_id}-readings-dlq"}
    dlq_id, _ = queues[f"dho-{tenant.tenant_id}-readings-dlq"]
    _, queue = queues[f"dho-{tenant.tenant_id}-readings"]
    redrive = queue["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [dlq_id, "Arn"]}
    assert redrive["maxReceiveCount"] >= 3
    policies = resources_of_type(template, "AWS::SQS::QueuePolicy").values()
    tls_denials = [
        statement
        for policy in policies
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(tls_denials) == 2


@by_tenant
def test_alarms_watch_dead_letters_and_the_age_of_the_oldest_reading(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    queues = {r["Properties"]["QueueName"]: lid for lid, r in resources_of_type(template, "AWS::SQS::Queue").items()}
    alarms = {(a["Properties"]["MetricName"], str(a["Properties"].get("Dimensions"))): a["Properties"]
              for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()}  # fmt: skip
    dlq_name = {"Fn::GetAtt": [queues[f"dho-{tenant.tenant_id}-readings-dlq"], "QueueName"]}
    queue_name = {"Fn::GetAtt": [queues[f"dho-{tenant.tenant_id}-readings"], "QueueName"]}
    depth = alarms[("ApproximateNumberOfMessagesVisible", str([{"Name": "QueueName", "Value": dlq_name}]))]
    assert depth["Threshold"] == 0 and depth["ComparisonOperator"] == "GreaterThanThreshold"
    age = alarms[("ApproximateAgeOfOldestMessage", str([{"Name": "QueueName", "Value": queue_name}]))]
    assert age["Threshold"] == tenant.escalation.max_reading_delay_minutes * 60
    operations_topic = next(
        lid for lid, t in resources_of_type(template, "AWS::SNS::Topic").items()
        if t["Properties"]["TopicName"] == f"dho-{tenant.tenant_id}-operations"
    )  # fmt: skip
    for alarm in (depth, age):
        assert alarm["AlarmActions"] == [{"Ref": operations_topic}]


@by_tenant
def test_function_runs_python_312_or_newer_with_reserved_concurrency_and_its_environment(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    props = tenant_function(template, tenant, "process_readings")["Properties"]
    major, minor = (int(part) for part in props["Runtime"].removeprefix("python").split("."))
    assert (major, minor) >= (3, 12)
    assert props["Handler"] == "handler.lambda_handler"
    assert props["ReservedConcurrentExecutions"] == tenant.reserved_concurrency
    assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert props["TracingConfig"] == {"Mode": "Active"}
    table_id, _ = tenant_table(template, tenant)
    alerts_topic = next(
        lid for lid, t in resources_of_type(template, "AWS::SNS::Topic").items()
        if t["Properties"]["TopicName"] == f"dho-{tenant.tenant_id}-alerts"
    )  # fmt: skip
    environment = props["Environment"]["Variables"]
    assert environment["DHO_TENANT_ID"] == tenant.tenant_id
    assert environment["DHO_TENANT_NAME"] == tenant.name
    assert environment["DHO_TABLE_NAME"] == {"Ref": table_id}
    assert environment["DHO_ALERT_TOPIC_ARN"] == {"Ref": alerts_topic}
    assert environment["POWERTOOLS_SERVICE_NAME"] == "process_readings"
    assert environment["POWERTOOLS_METRICS_NAMESPACE"] == "DHO"
    assert environment["DHO_ALERT_POLICY"] == tenant.alert_policy_json()
    assert props["KmsKeyArn"] == {"Fn::GetAtt": [key_logical_id(template), "Arn"]}


@by_tenant
def test_queue_feeds_the_published_alias_with_partial_batch_failures(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    _, mapping = only_resource(template, "AWS::Lambda::EventSourceMapping")
    queues = {r["Properties"]["QueueName"]: lid for lid, r in resources_of_type(template, "AWS::SQS::Queue").items()}
    props = mapping["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": [queues[f"dho-{tenant.tenant_id}-readings"], "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["ScalingConfig"]["MaximumConcurrency"] <= tenant.reserved_concurrency
    alias_id, alias = only_resource(template, "AWS::Lambda::Alias")
    assert alias_id in str(props["FunctionName"])  # the alias (SnapStart), not $LATEST
    version_id, version = only_resource(template, "AWS::Lambda::Version")
    assert version["DeletionPolicy"] == "Delete"  # old SnapStart versions are not kept (and billed)
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
