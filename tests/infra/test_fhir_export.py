"""The FHIR export: one small function per tenant, invoked with IAM by the configured roles only, that
reads the tenant's table and may only put access-log items into the tenant's own append-only access-log
table, which no other function can reach."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from dho.adapters import table_schema
from dho.adapters.dynamodb_access_log import _item as access_log_item
from dho.adapters.table_schema import ACCESS_LOG_ATTRIBUTES
from dho.domain.access_log import FHIR_EXPORT_OBJECT, AccessOutcome, AccessRecord
from infra.config import Tenant, load_config
from infra.constructs.access_log_table import APPEND_ONLY_DENIED_ACTIONS
from tests.infra.helpers import (
    access_log_table,
    key_logical_id,
    resources_of_type,
    tenant_function,
    tenant_table,
    tenant_template,
)
from tests.infra.test_tenant_isolation import policy_documents, references

Templates = dict[str, dict[str, Any]]
by_tenant = pytest.mark.parametrize("tenant", load_config().tenants, ids=lambda t: t.tenant_id)


def _function_id(template: dict[str, Any], tenant: Tenant) -> str:
    wanted = f"dho-{tenant.tenant_id}-fhir-export"
    (logical_id,) = [i for i, f in resources_of_type(template, "AWS::Lambda::Function").items()
                     if f["Properties"]["FunctionName"] == wanted]
    return logical_id


def _statements(template: dict[str, Any], tenant: Tenant) -> dict[str, dict[str, Any]]:
    """The export role's policy statements by sid."""
    function = template["Resources"][_function_id(template, tenant)]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = [p for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
                if {"Ref": role_id} in p["Properties"]["Roles"]]
    (policy,) = policies
    assert not [p for p in resources_of_type(template, "AWS::IAM::Policy").values()
                if {"Ref": role_id} in p["Properties"].get("Roles", [])], "no inline policy may widen the role"
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


@by_tenant
def test_each_tenant_has_an_export_function_with_small_reserved_concurrency_and_the_table(
    templates: Templates, tenant: Tenant
) -> None:
    props = tenant_function(tenant_template(templates, tenant), tenant, "fhir_export")["Properties"]
    assert 1 <= props["ReservedConcurrentExecutions"] <= 5
    environment = props["Environment"]["Variables"]
    assert environment["DHO_TENANT_ID"] == tenant.tenant_id
    assert environment["POWERTOOLS_SERVICE_NAME"] == "fhir_export"
    template = tenant_template(templates, tenant)
    assert environment["DHO_TABLE_NAME"] == {"Ref": tenant_table(template, tenant)[0]}
    assert environment["DHO_ACCESS_LOG_TABLE_NAME"] == {"Ref": access_log_table(template, tenant)[0]}
    # Traces are not encrypted with the tenant key and logs must not hold the request: keep both out.
    assert environment["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert environment["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    assert "DHO_ALERT_TOPIC_ARN" not in environment  # it sends nothing
    assert props["TracingConfig"] == {"Mode": "Active"}


@by_tenant
def test_the_export_reads_the_tenant_table_and_only_puts_access_log_items_into_the_access_log_table(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    statements = _statements(template, tenant)
    table_arn = {"Fn::GetAtt": [tenant_table(template, tenant)[0], "Arn"]}
    access_log_arn = {"Fn::GetAtt": [access_log_table(template, tenant)[0], "Arn"]}
    assert set(statements) == {"OwnLogGroup", "ReadTenantTable", "WriteAccessLog", "TenantKey", "Tracing"}
    read, write = statements["ReadTenantTable"], statements["WriteAccessLog"]
    # Reads of the tenant table only: it writes nothing there any more
    assert (sorted(read["Action"]), read["Resource"]) == (["dynamodb:GetItem", "dynamodb:Query"], table_arn)
    # PutItem only on the access-log table, of the access log's attributes, without reading the old item back
    assert (write["Action"], write["Resource"]) == ("dynamodb:PutItem", access_log_arn)
    assert write["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"] == list(ACCESS_LOG_ATTRIBUTES)
    assert write["Condition"]["StringEqualsIfExists"]["dynamodb:ReturnValues"] == "NONE"
    granted = {a for s in statements.values() for a in (s["Action"] if isinstance(s["Action"], list)
                                                          else [s["Action"]])}
    assert not {a for a in granted if a.startswith("dynamodb:")} - {
        "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"}  # no scan, update, delete, index


@by_tenant
def test_the_export_logs_to_its_own_encrypted_group_with_the_tenants_retention(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    (log_group,) = [g for g in resources_of_type(template, "AWS::Logs::LogGroup").values()
                    if g["Properties"]["LogGroupName"] == f"/dho/{tenant.tenant_id}/fhir-export"]
    assert log_group["Properties"]["RetentionInDays"] == tenant.retention.log_days
    assert "KmsKeyId" in log_group["Properties"]


def test_access_log_items_carry_only_the_attributes_the_export_role_may_put() -> None:
    at = datetime(2026, 11, 27, tzinfo=UTC)
    record = AccessRecord("a1", "P-C0PD0001", at, FHIR_EXPORT_OBJECT, AccessOutcome.EXPORTED, "9144900",
                          "fastlege", "974116804", at, at, 3)
    assert set(access_log_item(record)) == set(ACCESS_LOG_ATTRIBUTES)


def _access_log_arn_or_name(statement: dict[str, Any], logical_id: str, name: str) -> bool:
    return logical_id in set(references(statement)) or name in json.dumps(statement)


@by_tenant
def test_the_access_log_table_is_encrypted_recoverable_protected_and_keyed_by_patient(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    _, table = access_log_table(template, tenant)
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    # Partition by patient (keys.patient_pk), sort by time: "who accessed patient X" is one bounded query
    assert props["KeySchema"] == [{"AttributeName": table_schema.PARTITION_KEY, "KeyType": "HASH"},
                                  {"AttributeName": table_schema.SORT_KEY, "KeyType": "RANGE"}]
    # Nothing that copies or expires entries: no index, no stream, no TTL
    assert not {"GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification",
                "TimeToLiveSpecification"} & set(props)
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    (replica,) = props["Replicas"]
    assert replica["SSESpecification"]["KMSMasterKeyId"] == {"Fn::GetAtt": [key_logical_id(template), "Arn"]}
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True,
                                                          "RecoveryPeriodInDays": 35}
    assert replica["DeletionProtectionEnabled"] is True
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")


@by_tenant
def test_the_access_log_table_denies_everyone_changing_or_removing_an_entry(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    _, table = access_log_table(template, tenant)
    (replica,) = table["Properties"]["Replicas"]
    (statement,) = replica["ResourcePolicy"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Principal"]) == ("Deny", {"AWS": "*"})
    assert sorted(statement["Action"]) == sorted(APPEND_ONLY_DENIED_ACTIONS)
    assert {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"} <= set(statement["Action"])
    assert f"table/dho-{tenant.tenant_id}-access-log" in json.dumps(statement["Resource"])
    assert "Condition" not in statement  # no exception for any principal


@by_tenant
def test_the_access_log_table_is_backed_up_in_the_tenants_plan(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    table_id, _ = access_log_table(template, tenant)
    (plan_id,) = resources_of_type(template, "AWS::Backup::BackupPlan")
    (selection,) = [s for s in resources_of_type(template, "AWS::Backup::BackupSelection").values()
                    if s["Properties"]["BackupSelection"]["SelectionName"] == f"dho-{tenant.tenant_id}-access-log"]
    assert selection["Properties"]["BackupPlanId"] == {"Fn::GetAtt": [plan_id, "BackupPlanId"]}
    assert selection["Properties"]["BackupSelection"]["Resources"] == [{"Fn::GetAtt": [table_id, "Arn"]}]


@by_tenant
def test_only_the_export_role_has_any_permission_on_the_access_log_table(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    table_id, _ = access_log_table(template, tenant)
    name = f"dho-{tenant.tenant_id}-access-log"
    export_statements = _statements(template, tenant)
    granting = []
    for logical_id, document in policy_documents(template):
        documents = document if isinstance(document, list) else [document]  # a role's inline Policies
        for doc in documents:
            doc = doc.get("PolicyDocument", doc)
            for statement in doc.get("Statement", []):
                if _access_log_arn_or_name(statement, table_id, name):
                    granting.append((logical_id, statement))
    # Exactly one statement of one policy names the table: the export's WriteAccessLog (PutItem only)
    assert [statement for _, statement in granting] == [export_statements["WriteAccessLog"]]
    # ... and no statement on a wildcard resource reaches DynamoDB
    for _, document in policy_documents(template):
        text = json.dumps(document)
        assert "dynamodb:*" not in text and '"*:*"' not in text


@by_tenant
def test_each_configured_invoker_and_no_one_else_may_invoke_the_deployed_export(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    function_id = _function_id(template, tenant)
    # Deployed as $LATEST: no alias or published version of the export, so the grant is on the function
    for resource_type in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        assert not [r for r in resources_of_type(template, resource_type).values()
                    if function_id in set(references(r["Properties"]))]
    permissions = [p["Properties"] for p in resources_of_type(template, "AWS::Lambda::Permission").values()
                   if function_id in set(references(p["Properties"]["FunctionName"]))]
    assert sorted(p["Principal"] for p in permissions) == sorted(tenant.export_invoker_role_arns)
    for permission in permissions:
        assert permission["Action"] == "lambda:InvokeFunction"
        assert permission["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}
        assert not {"SourceArn", "SourceAccount", "FunctionUrlAuthType"} & set(permission)


def test_the_demo_grants_bodos_placeholder_invoker_and_nothing_for_sunnfjord(templates: Templates) -> None:
    bodo, sunnfjord = load_config().tenants
    assert bodo.export_invoker_role_arns and not sunnfjord.export_invoker_role_arns  # both cases are covered
    template = tenant_template(templates, sunnfjord)
    function_id = _function_id(template, sunnfjord)
    assert not [p for p in resources_of_type(template, "AWS::Lambda::Permission").values()
                if function_id in set(references(p["Properties"]))]
