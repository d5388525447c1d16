"""GIVEN a tenant THEN everything it stores is encrypted with its own customer-managed key."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import Tenant, load_config
from tests.infra.helpers import key_logical_id, only_resource, resources_of_type, tenant_template

TENANTS = load_config().tenants
by_tenant = pytest.mark.parametrize("tenant", TENANTS, ids=[t.tenant_id for t in TENANTS])
Templates = dict[str, dict[str, Any]]


@by_tenant
def test_queues_use_the_tenant_key(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    queues = resources_of_type(template, "AWS::SQS::Queue").values()
    assert len(queues) == 2
    for queue in queues:
        assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_logical_id(template), "Arn"]}


@by_tenant
def test_topics_use_the_tenant_key(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    topics = resources_of_type(template, "AWS::SNS::Topic").values()
    assert len(topics) == 2
    for topic in topics:
        assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_logical_id(template), "Arn"]}


@by_tenant
def test_tables_use_the_tenant_key(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    tables = resources_of_type(template, "AWS::DynamoDB::GlobalTable").values()
    # the tenant table and the Normen access-log table
    assert sorted(t["Properties"]["TableName"] for t in tables) == [
        f"dho-{tenant.tenant_id}", f"dho-{tenant.tenant_id}-access-log"]
    for table in tables:
        assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
        (replica,) = table["Properties"]["Replicas"]
        assert replica["SSESpecification"]["KMSMasterKeyId"] == {"Fn::GetAtt": [key_logical_id(template), "Arn"]}


@by_tenant
def test_logs_backups_and_function_settings_use_the_tenant_key(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    key_arn = {"Fn::GetAtt": [key_logical_id(template), "Arn"]}
    log_groups = resources_of_type(template, "AWS::Logs::LogGroup").values()
    assert len(log_groups) == 3  # IoT rule errors, process_readings, escalate_alerts
    for log_group in log_groups:
        assert log_group["Properties"]["KmsKeyId"] == key_arn
        assert log_group["Properties"]["LogGroupName"].startswith(f"/dho/{tenant.tenant_id}/")
        assert log_group["Properties"]["RetentionInDays"] == tenant.retention.log_days
    _, vault = only_resource(template, "AWS::Backup::BackupVault")
    assert vault["Properties"]["EncryptionKeyArn"] == key_arn
    functions = resources_of_type(template, "AWS::Lambda::Function").values()
    assert len(functions) == 2  # process_readings, escalate_alerts
    for function in functions:
        assert function["Properties"]["KmsKeyArn"] == key_arn


@by_tenant
def test_topics_deny_publishing_without_tls(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    topics = set(resources_of_type(template, "AWS::SNS::Topic"))
    protected = set()
    for policy in resources_of_type(template, "AWS::SNS::TopicPolicy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        if any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements):  # fmt: skip
            protected |= {ref["Ref"] for ref in policy["Properties"]["Topics"]}
    assert protected == topics
