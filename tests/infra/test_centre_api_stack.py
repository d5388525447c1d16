"""GIVEN the tenant file's centres WHEN the app is synthesized THEN each centre has one HTTP API whose
routes need a HelseID token (but the OpenAPI document), and whose function reaches exactly the tenants
that named the centre."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from dho.centre.routes import PUBLIC_ROUTES, ROUTE_ACTIONS
from infra.app import build_app, centre_stack_name, tenant_stack_name
from infra.config import PlatformConfig
from infra.constructs.access_log_table import access_log_table_name
from infra.constructs.centre_api import tenant_table_name
from infra.constructs.tenant_key import tenant_key_arn_parameter
from tests.conftest import TEST_CONTEXT
from tests.infra.helpers import resources_of_type


def _centre_template(templates: dict[str, dict[str, Any]], centre_id: str) -> dict[str, Any]:
    return templates[centre_stack_name(centre_id)]


def _function(template: dict[str, Any]) -> dict[str, Any]:
    (function,) = resources_of_type(template, "AWS::Lambda::Function").values()
    return function


def test_every_route_needs_a_valid_token_but_the_openapi_document(
    templates: dict[str, dict[str, Any]], platform_config: PlatformConfig
) -> None:
    for centre in platform_config.centres:
        template = Template.from_json(_centre_template(templates, centre.centre_id))
        template.resource_count_is("AWS::ApiGatewayV2::Api", 1)
        template.has_resource_properties("AWS::ApiGatewayV2::Authorizer", {
            "AuthorizerType": "JWT",
            "IdentitySource": ["$request.header.Authorization"],
            "JwtConfiguration": {"Issuer": platform_config.identity.issuer,
                                 "Audience": [platform_config.identity.audience]},
        })
        routes = resources_of_type(_centre_template(templates, centre.centre_id), "AWS::ApiGatewayV2::Route")
        by_key = {r["Properties"]["RouteKey"]: r["Properties"] for r in routes.values()}
        assert set(by_key) == set(ROUTE_ACTIONS)
        for route_key, route in by_key.items():
            expected = "NONE" if route_key in PUBLIC_ROUTES else "JWT"
            assert route.get("AuthorizationType", "NONE") == expected, route_key


def test_the_stage_logs_access_without_bodies_and_throttles(
    templates: dict[str, dict[str, Any]], platform_config: PlatformConfig
) -> None:
    template = Template.from_json(_centre_template(templates, platform_config.centres[0].centre_id))
    template.has_resource_properties("AWS::ApiGatewayV2::Stage", {
        "StageName": "$default",
        "AutoDeploy": True,
        "DefaultRouteSettings": {"ThrottlingRateLimit": Match.any_value(), "ThrottlingBurstLimit": Match.any_value()},
        "AccessLogSettings": {"DestinationArn": Match.any_value(), "Format": Match.string_like_regexp("routeKey")},
    })


def test_the_function_knows_its_centres_tenants_and_staff_only(
    templates: dict[str, dict[str, Any]], platform_config: PlatformConfig
) -> None:
    for centre in platform_config.centres:
        variables = _function(_centre_template(templates, centre.centre_id))["Properties"]["Environment"]["Variables"]
        # The table names are imported from the tenant stacks: the value is a Fn::Join around them.
        tenants_text = json.dumps(variables["DHO_CENTRE_TENANTS"])
        staff = json.loads(variables["DHO_STAFF"])
        assert variables["DHO_CENTRE_ID"] == centre.centre_id
        for tenant in platform_config.tenants:
            assert (f'\\"{tenant.tenant_id}\\":' in tenants_text) == (tenant.tenant_id in centre.tenants)
        assert {t for entries in staff.values() for e in entries for t in e["tenants"]} <= set(centre.tenants)


# ---- isolation: a centre serving two tenants, next to one that did not name it ------------------------


def _two_tenant_centre(config: PlatformConfig) -> PlatformConfig:
    bodo, sunnfjord = config.tenants
    saltdal = bodo.model_copy(update={"tenant_id": "saltdal", "name": "Saltdal kommune",
                                      "municipality_numbers": ("1840",)})
    salten = config.centres[0].model_copy(update={"tenants": ("bodo", "saltdal")})
    return PlatformConfig.model_validate({
        **config.model_dump(), "tenants": [t.model_dump() for t in (bodo, saltdal, sunnfjord)],
        "centres": [salten.model_dump(), config.centres[1].model_dump()],
    })


@pytest.fixture(scope="module")
def shared_centre_templates(platform_config: PlatformConfig, tmp_path_factory: pytest.TempPathFactory) -> Any:
    config = _two_tenant_centre(platform_config)
    outdir = tmp_path_factory.mktemp("centre.out")
    build_app(config, outdir=str(outdir), extra_context=TEST_CONTEXT).synth()  # cdk-nag runs here
    return {p.name.removesuffix(".template.json"): json.loads(p.read_text()) for p in outdir.glob("*.template.json")}


def _tenants_reached(template: dict[str, Any]) -> set[str]:
    """The tenants whose tables (``table/dho-<tenant>``) or key parameter (``/dho/<tenant>/key/arn``) the
    template names anywhere."""
    text = json.dumps(template)
    tables = set(re.findall(r"table/dho-([a-z0-9-]+?)(?:-access-log)?[\"/]", text))
    keys = set(re.findall(r"/dho/([a-z0-9-]+)/key/arn", text))
    return tables | keys


def test_a_centre_reaches_exactly_the_tenants_that_named_it(shared_centre_templates: dict[str, Any]) -> None:
    salten = shared_centre_templates[centre_stack_name("salten")]
    sunnfjord = shared_centre_templates[centre_stack_name("sunnfjord-oppfolging")]

    assert _tenants_reached(salten) == {"bodo", "saltdal"}
    assert _tenants_reached(sunnfjord) == {"sunnfjord"}
    assert "sunnfjord" not in json.dumps(salten)
    statements = next(iter(resources_of_type(salten, "AWS::IAM::ManagedPolicy").values()))[
        "Properties"]["PolicyDocument"]["Statement"]
    tenant_sids = sorted(s["Sid"] for s in statements if s["Sid"].startswith(("Read", "ActOn", "Write", "Key")))
    assert tenant_sids == sorted(f"{kind}{t}" for kind in ("Read", "ActOnAlerts", "WriteAccessLog", "ReadAccessLog",
                                                           "Key") for t in ("Bodo", "Saltdal"))


def test_the_centre_names_the_tables_the_tenant_stacks_create(
    templates: dict[str, dict[str, Any]], platform_config: PlatformConfig
) -> None:
    for centre in platform_config.centres:
        for tenant in platform_config.served_tenants(centre):
            tenant_stack = templates[tenant_stack_name(tenant.tenant_id)]
            names = {t["Properties"]["TableName"]
                     for t in resources_of_type(tenant_stack, "AWS::DynamoDB::GlobalTable").values()}
            assert names == {tenant_table_name(tenant.tenant_id), access_log_table_name(tenant.tenant_id)}
            parameters = {p["Properties"]["Name"]
                          for p in resources_of_type(tenant_stack, "AWS::SSM::Parameter").values()}
            assert tenant_key_arn_parameter(tenant.tenant_id) in parameters


def test_a_staff_list_too_long_for_lambdas_environment_stops_the_synth(platform_config: PlatformConfig) -> None:
    centre = platform_config.centres[0]
    many = [{"hpr": f"91{n:05d}", "role": "centre_nurse"} for n in range(200)]
    crowded = PlatformConfig.model_validate({
        **platform_config.model_dump(),
        "centres": [{**centre.model_dump(), "staff": many}, platform_config.centres[1].model_dump()],
    })

    with pytest.raises(ValueError, match=r"centre 'salten': its API's environment .* over Lambda's 4096"):
        build_app(crowded, extra_context=TEST_CONTEXT)


def test_the_centre_publishes_the_retained_config_of_its_own_tenants_devices_only(
    shared_centre_templates: dict[str, Any],
) -> None:
    salten = shared_centre_templates[centre_stack_name("salten")]
    policies = {**resources_of_type(salten, "AWS::IAM::Policy"), **resources_of_type(salten, "AWS::IAM::ManagedPolicy")}
    statements = [s for policy in policies.values() for s in policy["Properties"]["PolicyDocument"]["Statement"]
                  if any(str(a).startswith("iot:") for a in _actions(s))]

    # Only the config topics of the two tenants that named the centre (one wildcard: the device id), retained.
    assert sorted(s["Resource"]["Fn::Join"][1][-1] for s in statements) == [
        ":topic/dho/bodo/devices/*/config", ":topic/dho/saltdal/devices/*/config"]
    assert all(sorted(_actions(s)) == ["iot:Publish", "iot:RetainPublish"] for s in statements)


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)
