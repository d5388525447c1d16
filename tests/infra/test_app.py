"""GIVEN the demo tenant file WHEN the app is synthesized THEN there is one stack per tenant, per response
centre and a shared one per region."""

from __future__ import annotations

from typing import Any

from infra.app import centre_stack_name, shared_stack_name, tenant_stack_name
from infra.config import PlatformConfig
from tests.infra.helpers import resources_of_type, shared_template


def test_one_stack_per_tenant_and_centre_plus_one_shared_stack_per_region(
    templates: dict[str, dict[str, Any]], platform_config: PlatformConfig
) -> None:
    expected = {tenant_stack_name(t.tenant_id) for t in platform_config.tenants}
    expected |= {centre_stack_name(c.centre_id) for c in platform_config.centres}
    expected |= {shared_stack_name(region) for region in platform_config.regions}
    assert set(templates) == expected
    assert len(platform_config.tenants) >= 2  # the demo config really is multi-tenant


def test_shared_stack_publishes_layers_and_the_device_thing_type(
    templates: dict[str, dict[str, Any]], platform_config: PlatformConfig
) -> None:
    template = shared_template(templates, platform_config.regions[0])
    layers = resources_of_type(template, "AWS::Lambda::LayerVersion")
    assert {r["Properties"]["LayerName"] for r in layers.values()} == {
        "dho-core", "dho-runtime", "dho-scientific", "dho-fhir"}
    assert all(r["DeletionPolicy"] == "Retain" for r in layers.values())
    parameters = resources_of_type(template, "AWS::SSM::Parameter")
    assert {p["Properties"]["Name"] for p in parameters.values()} == {
        f"/dho/shared/layers/{name}/arn" for name in ("core", "runtime", "scientific", "fhir")
    }
    (thing_type,) = resources_of_type(template, "AWS::IoT::ThingType").values()
    assert "tenant" in thing_type["Properties"]["ThingTypeProperties"]["SearchableAttributes"]


def test_tenant_stacks_do_not_import_cloudformation_exports(templates: dict[str, dict[str, Any]]) -> None:
    # Layers come through SSM parameters: an export in use could never change with a layer update.
    for name, template in templates.items():
        assert "Fn::ImportValue" not in str(template), name
