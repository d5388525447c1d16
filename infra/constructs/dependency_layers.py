"""Lambda layers: published once per region by the shared stack, looked up by the tenant stacks.

Tenant stacks read a layer's ARN from an SSM parameter instead of a CloudFormation export: an export
cannot change while another stack imports it, and every layer update changes the ARN.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import cast

from aws_cdk import RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constructs.runtime import LAMBDA_ARCHITECTURE, RUNTIME
from infra.layer_catalog import ASSET_EXCLUDES, LAYERS


def layer_arn_parameter(layer_name: str) -> str:
    return f"/dho/shared/layers/{layer_name}/arn"


class DependencyLayers(Construct):
    """Publishes every layer of the catalog and its ARN (shared stack)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.content_hashes: dict[str, str] = {}
        for spec in LAYERS.values():
            layer = lambda_.LayerVersion(
                self,
                spec.name,
                layer_version_name=f"dho-{spec.name}",
                description=spec.description,
                code=lambda_.Code.from_asset(str(spec.require_built()), exclude=list(ASSET_EXCLUDES)),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[LAMBDA_ARCHITECTURE],
                # Functions keep their version until their tenant stack is deployed again.
                removal_policy=RemovalPolicy.RETAIN,
            )
            # AssetCode stages the folder as the layer's child "Code"; its hash is the content hash.
            asset = layer.node.find_child("Code")
            assert isinstance(asset, s3_assets.Asset)
            self.content_hashes[spec.name] = asset.asset_hash
            ssm.StringParameter(
                self,
                f"{spec.name}Arn",
                parameter_name=layer_arn_parameter(spec.name),
                string_value=layer.layer_version_arn,
                description=f"ARN of the current DHO {spec.name} layer version",
            )

    def fingerprint(self, layer_names: Iterable[str]) -> str:
        """Changes whenever one of these layers changes; see ``ProcessReadingsFunction``."""
        joined = "\n".join(f"{name}={self.content_hashes[name]}" for name in layer_names)
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


def layers_from_parameters(scope: Construct, layer_names: Iterable[str]) -> list[lambda_.ILayerVersion]:
    """The current layer versions, resolved at deploy time from the shared stack's parameters."""
    return [_layer_from_parameter(scope, name) for name in layer_names]


def _layer_from_parameter(scope: Construct, name: str) -> lambda_.ILayerVersion:
    # Several functions of a stack share a layer: look it up once per stack.
    existing = scope.node.try_find_child(f"{name}Layer")
    if existing is not None:
        return cast(lambda_.ILayerVersion, existing)
    return lambda_.LayerVersion.from_layer_version_arn(
        scope, f"{name}Layer", ssm.StringParameter.value_for_string_parameter(scope, layer_arn_parameter(name))
    )
