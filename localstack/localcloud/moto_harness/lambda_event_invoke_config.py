"""``AWS::Lambda::EventInvokeConfig`` is applied (moto 5.2.5 silently skips it).

Without it the sweep's "no retries, at most a minute old" setting for asynchronous invocations would be
missing after ``cdk deploy`` while the deploy prints success. moto keeps one config per function (no
qualifier) and its put appends, so an update replaces the function's config instead.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.utils import get_backend
from moto.core.common_models import CloudFormationModel

_SETTINGS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")


def _put(properties: dict[str, Any], account_id: str, region_name: str) -> None:
    backend = get_backend(account_id, region_name)
    function = backend.get_function(properties["FunctionName"])
    function.event_invoke_config = []
    config = {name: properties[name] for name in _SETTINGS if name in properties}
    for name in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):  # CloudFormation may pass strings
        if name in config:
            config[name] = int(config[name])
    backend.put_function_event_invoke_config(properties["FunctionName"], config)


class CfnEventInvokeConfig(CloudFormationModel):
    def __init__(self, function_name: str, qualifier: str) -> None:
        self.function_name = function_name
        self.qualifier = qualifier

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::EventInvokeConfig"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return f"{self.function_name}:{self.qualifier}"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> CfnEventInvokeConfig:
        properties = cloudformation_json["Properties"]
        _put(properties, account_id, region_name)
        return cls(properties["FunctionName"], properties.get("Qualifier", "$LATEST"))

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: CfnEventInvokeConfig, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> CfnEventInvokeConfig:
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        function = get_backend(account_id, region_name).get_function(cloudformation_json["Properties"]["FunctionName"])
        function.event_invoke_config = []


def apply() -> None:
    """The model registers itself with moto by being defined (``CloudFormationModel.__subclasses__``)."""
