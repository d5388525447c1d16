"""``AWS::SSM::Parameter``: ``Tags`` is a map in CloudFormation; moto 5.2.5 expects the API's list.

moto passes the template's ``{"key": "value"}`` straight to ``put_parameter``, which iterates it as
``[{"Key":…, "Value":…}]`` and fails with ``TypeError: string indices must be integers`` (HTTP 500): every
tagged parameter, e.g. the shared stack's layer-ARN parameters under CDK's stack tags, breaks the deploy.
"""

from __future__ import annotations

from typing import Any

from moto.ssm.models import Parameter

from localcloud.moto_harness._util import tags_dict, wrap_classmethod


def _create(original: Any, cls: type, resource_name: str, cloudformation_json: dict[str, Any], *args: Any,
            **kwargs: Any) -> Parameter:
    properties = dict(cloudformation_json["Properties"])
    if isinstance(properties.get("Tags"), dict):
        properties["Tags"] = [{"Key": k, "Value": v} for k, v in tags_dict(properties["Tags"]).items()]
    parameter: Parameter = original(cls, resource_name, {**cloudformation_json, "Properties": properties}, *args,
                                    **kwargs)
    return parameter


def apply() -> None:
    wrap_classmethod(Parameter, "create_from_cloudformation_json", _create)
