"""Reading synthesized CloudFormation templates in tests."""

from __future__ import annotations

from typing import Any

from infra.app import shared_stack_name, tenant_stack_name
from infra.config import PlatformConfig, Tenant


def tenant_template(templates: dict[str, dict[str, Any]], tenant: Tenant) -> dict[str, Any]:
    return templates[tenant_stack_name(tenant.tenant_id)]


def shared_template(templates: dict[str, dict[str, Any]], region: str) -> dict[str, Any]:
    return templates[shared_stack_name(region)]


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def only_resource(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources_of_type(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def tenant_function(template: dict[str, Any], tenant: Tenant, name: str) -> dict[str, Any]:
    """The tenant's function by its name in the layer catalog, e.g. ``process_readings``."""
    wanted = f"dho-{tenant.tenant_id}-{name.replace('_', '-')}"
    (function,) = [f for f in resources_of_type(template, "AWS::Lambda::Function").values()
                   if f["Properties"]["FunctionName"] == wanted]
    return function


def table_named(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    """The DynamoDB table (TableV2 = ``AWS::DynamoDB::GlobalTable``) with this name, e.g. ``dho-bodo``."""
    tables = resources_of_type(template, "AWS::DynamoDB::GlobalTable")
    (found,) = [(logical_id, table) for logical_id, table in tables.items() if table["Properties"]["TableName"] == name]
    return found


def tenant_table(template: dict[str, Any], tenant: Tenant) -> tuple[str, dict[str, Any]]:
    return table_named(template, f"dho-{tenant.tenant_id}")


def access_log_table(template: dict[str, Any], tenant: Tenant) -> tuple[str, dict[str, Any]]:
    return table_named(template, f"dho-{tenant.tenant_id}-access-log")


def key_logical_id(template: dict[str, Any]) -> str:
    return only_resource(template, "AWS::KMS::Key")[0]


def tenant_ids(config: PlatformConfig) -> list[str]:
    return [tenant.tenant_id for tenant in config.tenants]
