"""The FHIR export: one small function per tenant, invoked with IAM, that reads the tenant's table and
may put only access-log items into it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dho.adapters.dynamodb_access_log import _item as access_log_item
from dho.adapters.table_schema import ACCESS_LOG_ATTRIBUTES
from dho.domain.access_log import FHIR_EXPORT_OBJECT, AccessOutcome, AccessRecord
from infra.config import Tenant, load_config
from tests.infra.helpers import resources_of_type, tenant_function, tenant_template

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
    assert "Ref" in environment["DHO_TABLE_NAME"]  # this stack's table
    # Traces are not encrypted with the tenant key and logs must not hold the request: keep both out.
    assert environment["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert environment["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    assert "DHO_ALERT_TOPIC_ARN" not in environment  # it sends nothing
    assert props["TracingConfig"] == {"Mode": "Active"}


@by_tenant
def test_the_export_reads_the_table_and_puts_only_access_log_items(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    statements = _statements(template, tenant)
    table_id = next(iter(resources_of_type(template, "AWS::DynamoDB::GlobalTable")))
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
    assert set(statements) == {"OwnLogGroup", "ReadTenantTable", "WriteAccessLog", "TenantKey", "Tracing"}
    read, write = statements["ReadTenantTable"], statements["WriteAccessLog"]
    assert (sorted(read["Action"]), read["Resource"]) == (["dynamodb:GetItem", "dynamodb:Query"], table_arn)
    assert (write["Action"], write["Resource"]) == ("dynamodb:PutItem", table_arn)
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
