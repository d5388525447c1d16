"""GIVEN the built layers THEN each function gets only the layers it needs and stays under the size limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Environment

from infra.app import cdk_json_context
from infra.config import load_config
from infra.lambda_platform import MAX_UNZIPPED_BYTES, PYTHON_VERSION
from infra.layer_catalog import (
    BUILT_LAYERS_DIR,
    ESCALATE_ALERTS,
    FUNCTIONS,
    LAYERS,
    PROCESS_READINGS,
    bundle_bytes,
)
from infra.stacks.tenant_stack import TenantStack
from tests.infra.helpers import resources_of_type, tenant_function

Templates = dict[str, dict[str, Any]]


@pytest.mark.parametrize("function", FUNCTIONS.values(), ids=list(FUNCTIONS))
def test_function_plus_its_layers_fits_lambdas_unzipped_limit(function: Any) -> None:
    # Reads the built folders: fails (never skips) when `make layers` has not run.
    sizes = bundle_bytes(function)
    assert sizes[f"layer:{function.layers[-1]}"] > 1_000_000, "a layer folder is unexpectedly empty"
    assert sum(sizes.values()) <= MAX_UNZIPPED_BYTES, {part: f"{size / 1e6:.1f} MB" for part, size in sizes.items()}


def test_process_readings_gets_core_runtime_and_scientific_layers_only(
    templates: Templates,
) -> None:
    tenant = load_config().tenants[0]
    template = templates[f"DhoTenant-{tenant.tenant_id}"]
    parameters = template["Parameters"]
    for spec in (PROCESS_READINGS, ESCALATE_ALERTS):
        function = tenant_function(template, tenant, spec.name)
        layer_parameters = [parameters[layer["Ref"]]["Default"] for layer in function["Properties"]["Layers"]]
        # CDK renders the layers sorted (feature flag @aws-cdk/aws-lambda:recognizeLayerVersion), not in
        # the catalog's order: files two layers share must be identical (see the pydantic test below).
        assert layer_parameters == sorted(f"/dho/shared/layers/{name}/arn" for name in spec.layers)
    assert "fhir" not in PROCESS_READINGS.layers
    assert ESCALATE_ALERTS.layers == ("core", "runtime")  # no numba: the sweep starts fast
    # The FHIR export runs behind the centre API only (HelseID callers): no other function loads fhir.resources.
    assert [name for name, spec in FUNCTIONS.items() if "fhir" in spec.layers] == ["centre_api"]


def _distributions(site: Any) -> dict[str, str]:
    """Installed distribution -> version, from the ``*.dist-info`` folder names."""
    return dict(p.name.removesuffix(".dist-info").rsplit("-", 1) for p in site.glob("*.dist-info"))


def test_the_fhir_layer_repeats_the_runtime_layers_pydantic_at_the_same_version() -> None:
    # Layers merge into /opt/python, the later one (fhir) over the earlier (runtime): a different
    # pydantic or pydantic-core in the fhir layer would silently replace the runtime's.
    runtime = _distributions(LAYERS["runtime"].require_built() / "python")
    fhir = _distributions(LAYERS["fhir"].require_built() / "python")
    shared = set(runtime) & set(fhir)
    assert {"pydantic", "pydantic_core"} <= shared
    assert {name: fhir[name] for name in shared} == {name: runtime[name] for name in shared}


def test_layers_are_built_for_the_function_runtime_without_boto3_or_test_suites() -> None:
    for name in ("runtime", "scientific", "fhir"):
        stamp = json.loads((BUILT_LAYERS_DIR / f"{name}.json").read_text())
        assert stamp["python_version"] == PYTHON_VERSION
        site = LAYERS[name].require_built() / "python"
        assert not (site / "boto3").exists() and not (site / "botocore").exists()
        assert not list(site.glob("*/tests")), f"{name} still ships test suites"
    extensions = list((BUILT_LAYERS_DIR / "runtime" / "python" / "pydantic_core").glob("*.so"))
    assert extensions and all(f"cpython-{PYTHON_VERSION.replace('.', '')}-x86_64" in e.name for e in extensions)


class _FakeSharedLayers:
    def __init__(self, fingerprint: str) -> None:
        self._fingerprint = fingerprint

    def fingerprint(self, layer_names: Any) -> str:
        return self._fingerprint


def _version_logical_id(layer_fingerprint: str) -> str:
    config = load_config()
    app = App(context=cdk_json_context())
    stack = TenantStack(
        app,
        "Probe",
        tenant=config.tenants[0],
        operations=config.operations,
        shared_layers=_FakeSharedLayers(layer_fingerprint),  # type: ignore[arg-type]
        env=Environment(region="eu-north-1"),
    )
    template = app.synth().get_stack_by_name(stack.stack_name).template
    (version_id,) = resources_of_type(template, "AWS::Lambda::Version")
    return version_id


def test_a_layer_update_publishes_a_new_function_version() -> None:
    # The layer ARNs are deploy-time parameters; without this the SnapStart alias would keep old layers.
    assert _version_logical_id("aaaa") != _version_logical_id("bbbb")
