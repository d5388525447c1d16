"""GIVEN several tenants THEN no permission in one tenant's stack names another tenant's resources."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from infra.config import Tenant, load_config
from tests.infra.helpers import tenant_template

TENANTS = load_config().tenants
by_tenant = pytest.mark.parametrize("tenant", TENANTS, ids=[t.tenant_id for t in TENANTS])
Templates = dict[str, dict[str, Any]]

# Where a CloudFormation template can grant access.
POLICY_PROPERTIES = {
    "AWS::IAM::ManagedPolicy": ("PolicyDocument",),
    "AWS::IAM::Policy": ("PolicyDocument",),
    "AWS::IAM::Role": ("AssumeRolePolicyDocument", "Policies"),
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::SQS::QueuePolicy": ("PolicyDocument",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument",),
    "AWS::IoT::Policy": ("PolicyDocument",),
}


def policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for logical_id, resource in template["Resources"].items():
        for name in POLICY_PROPERTIES.get(resource["Type"], ()):
            if name in resource["Properties"]:
                yield logical_id, resource["Properties"][name]


def references(value: Any) -> Iterator[str]:
    """Logical ids a policy points at through Ref / Fn::GetAtt."""
    if isinstance(value, dict):
        if "Ref" in value:
            yield value["Ref"]
        if "Fn::GetAtt" in value:
            yield value["Fn::GetAtt"][0]
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def tenant_markers(tenant_id: str) -> tuple[str, ...]:
    """How a tenant's resources are named: dho-bodo-..., dho/bodo/..., dho_bodo_..., alias/dho/bodo."""
    return (f"dho-{tenant_id}", f"dho/{tenant_id}/", f"dho_{tenant_id.replace('-', '_')}_", f"/dho/{tenant_id}/")


@by_tenant
def test_no_policy_names_another_tenant(templates: Templates, tenant: Tenant) -> None:
    documents = dict(policy_documents(tenant_template(templates, tenant)))
    text = json.dumps(documents)
    # Positive control: the policies do name this tenant's own resources, so the check below has teeth.
    assert any(marker in text for marker in tenant_markers(tenant.tenant_id))
    for other in TENANTS:
        if other.tenant_id != tenant.tenant_id:
            for marker in tenant_markers(other.tenant_id):
                assert marker not in text, f"{tenant.tenant_id}'s policies mention {marker!r}"


@by_tenant
def test_policies_reference_only_resources_of_their_own_stack(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    own = set(template["Resources"]) | set(template.get("Parameters", {}))
    pseudo = {"AWS::AccountId", "AWS::Partition", "AWS::Region", "AWS::URLSuffix", "AWS::StackName"}
    for logical_id, document in policy_documents(template):
        for target in references(document):
            assert target in own or target in pseudo, f"{logical_id} references {target}"


@by_tenant
def test_only_x_ray_is_granted_on_every_resource(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    wildcard_actions = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::ManagedPolicy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Resource"] == "*":
                actions = statement["Action"]
                wildcard_actions |= set(actions if isinstance(actions, list) else [actions])
    assert wildcard_actions == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
