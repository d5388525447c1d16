"""GIVEN a tenant's quarantine retention THEN its table deletes quarantined messages that long after they
arrived (TTL), and process_readings stamps each with that expiry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from dho.adapters import table_schema
from infra.config import ConfigError, Tenant, load_config
from infra.constructs.process_readings_function import function_environment
from tests.infra.helpers import tenant_function, tenant_template
from tests.infra.test_tenant_config import write_variant

TENANTS = load_config().tenants
by_tenant = pytest.mark.parametrize("tenant", TENANTS, ids=[t.tenant_id for t in TENANTS])

Templates = dict[str, dict[str, Any]]


@by_tenant
def test_the_tenant_table_expires_items_on_the_quarantine_expiry_attribute_and_the_access_log_never(
    templates: Templates, tenant: Tenant
) -> None:
    template = Template.from_json(tenant_template(templates, tenant))
    template.has_resource_properties("AWS::DynamoDB::GlobalTable", {
        "TableName": f"dho-{tenant.tenant_id}",
        "TimeToLiveSpecification": {"AttributeName": table_schema.TIME_TO_LIVE_ATTRIBUTE, "Enabled": True},
    })
    # The Normen access log is append-only: nothing in it may expire.
    template.has_resource_properties("AWS::DynamoDB::GlobalTable", {
        "TableName": f"dho-{tenant.tenant_id}-access-log",
        "TimeToLiveSpecification": Match.absent(),
    })


@by_tenant
def test_process_readings_is_given_the_tenants_quarantine_retention(templates: Templates, tenant: Tenant) -> None:
    environment = tenant_function(tenant_template(templates, tenant), tenant, "process_readings")["Properties"][
        "Environment"]["Variables"]
    assert environment["DHO_QUARANTINE_RETENTION_DAYS"] == str(tenant.retention.quarantine_days)


def test_the_retention_is_configurable_per_tenant_and_defaults_to_90_days(tmp_path: Path) -> None:
    # GIVEN bodo keeps refused messages 30 days and sunnfjord says nothing about it
    path = write_variant(
        tmp_path,
        ("retention = { log_days = 365, backup_days = 35, quarantine_days = 90 }",
         "retention = { log_days = 365, backup_days = 35, quarantine_days = 30 }"),
        ("retention = { log_days = 365, backup_days = 35, quarantine_days = 90 }",
         "retention = { log_days = 365, backup_days = 35 }"),
    )
    bodo, sunnfjord = load_config(path).tenants
    # THEN each function is told its tenant's retention
    assert function_environment(bodo, "t", "a")["DHO_QUARANTINE_RETENTION_DAYS"] == "30"
    assert function_environment(sunnfjord, "t", "a")["DHO_QUARANTINE_RETENTION_DAYS"] == "90"


def test_a_retention_of_zero_days_names_the_tenant_and_field(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ("quarantine_days = 90", "quarantine_days = 0"))
    with pytest.raises(ConfigError, match=r"tenant 'bodo': retention\.quarantine_days"):
        load_config(path)
