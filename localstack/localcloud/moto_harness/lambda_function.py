"""``AWS::Lambda::Function`` keeps its Layers, KMS key, tracing, architectures and SnapStart setting.

moto 5.2.5 creates a function from CloudFormation with only code, handler, role, runtime, description,
memory, timeout, VPC, environment and reserved concurrency: ``Layers``, ``KmsKeyArn``, ``TracingConfig``,
``Architectures``, ``EphemeralStorage`` and ``Tags`` are dropped, and ``get_function_configuration`` always
answers ``SnapStart: {"ApplyOn": "None"}``. Here the function gets them at create and update, and reports
the SnapStart setting (``OptimizationStatus`` On for published versions, as AWS does). An update with
inline ``Code.ZipFile`` no longer fails (moto zips the plaintext on create but base64-decodes it on update).
"""

from __future__ import annotations

import base64
from typing import Any

from moto.awslambda.models import LambdaFunction

from localcloud.moto_harness._util import tags_dict, wrap_classmethod

_original_configuration = LambdaFunction.get_configuration


def _settle(function: Any, properties: dict[str, Any]) -> None:
    if "Layers" in properties:
        function.layers = function._get_layers_data(properties["Layers"])
    if "KmsKeyArn" in properties:
        function.kms_key_arn = properties["KmsKeyArn"]
    if "TracingConfig" in properties:
        function.tracing_config = properties["TracingConfig"]
    if "Architectures" in properties:
        function.architectures = properties["Architectures"]
    if "EphemeralStorage" in properties:
        function.ephemeral_storage = int(properties["EphemeralStorage"]["Size"])
    if "Tags" in properties:
        function.tags = tags_dict(properties["Tags"])
    function.snap_start_apply_on = (properties.get("SnapStart") or {}).get("ApplyOn", "None")
    function.logging_config = properties.get("LoggingConfig")


def _create(
    original: Any, cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
    region_name: str, **kwargs: Any,
) -> LambdaFunction:
    function: LambdaFunction = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    _settle(function, cloudformation_json["Properties"])
    return function


def _update(
    original: Any, cls: type, original_resource: LambdaFunction, new_resource_name: str,
    cloudformation_json: dict[str, Any], account_id: str, region_name: str,
) -> LambdaFunction:
    properties = dict(cloudformation_json["Properties"])
    code = dict(properties.get("Code", {}))
    if "ZipFile" in code:  # plaintext source, as on create
        code["ZipFile"] = base64.b64encode(LambdaFunction._create_zipfile_from_plaintext_code(code["ZipFile"]))
        properties["Code"] = code
    function: LambdaFunction = original(
        cls, original_resource, new_resource_name, {**cloudformation_json, "Properties": properties}, account_id,
        region_name,
    )
    _settle(function, properties)
    function.code_or_config_updated = True
    return function


def _configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
    config = _original_configuration(self, on_create)
    apply_on = getattr(self, "snap_start_apply_on", "None")
    published = str(self.version) not in ("$LATEST", "0")
    config["SnapStart"] = {
        "ApplyOn": apply_on,
        "OptimizationStatus": "On" if apply_on == "PublishedVersions" and published else "Off",
    }
    logging_config = getattr(self, "logging_config", None)
    if logging_config:
        config["LoggingConfig"] = logging_config
    return config


def apply() -> None:
    wrap_classmethod(LambdaFunction, "create_from_cloudformation_json", _create)
    wrap_classmethod(LambdaFunction, "update_from_cloudformation_json", _update)
    model: Any = LambdaFunction
    model.get_configuration = _configuration
