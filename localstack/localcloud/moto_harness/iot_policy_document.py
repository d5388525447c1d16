"""``AWS::IoT::Policy``: the document is stored as JSON text, so ``get_policy`` returns valid JSON.

moto 5.2.5 stores CloudFormation's ``PolicyDocument`` object as is; ``iot.get_policy`` then answers with
``str(dict)`` (single quotes, ``True``), which no JSON parser (nor the IoT policy checks) can read.
"""

from __future__ import annotations

from typing import Any

from moto.iot.models import FakePolicy

from localcloud.moto_harness._util import json_text, wrap_classmethod


def _with_json_document(cloudformation_json: dict[str, Any]) -> dict[str, Any]:
    properties = dict(cloudformation_json["Properties"])
    properties["PolicyDocument"] = json_text(properties.get("PolicyDocument", {}))
    return {**cloudformation_json, "Properties": properties}


def _create(original: Any, cls: type, resource_name: str, cloudformation_json: dict[str, Any], *args: Any,
            **kwargs: Any) -> FakePolicy:
    policy: FakePolicy = original(cls, resource_name, _with_json_document(cloudformation_json), *args, **kwargs)
    return policy


def _update(original: Any, cls: type, original_resource: FakePolicy, new_resource_name: str,
            cloudformation_json: dict[str, Any], *args: Any) -> FakePolicy:
    policy: FakePolicy = original(cls, original_resource, new_resource_name, _with_json_document(cloudformation_json),
                                  *args)
    return policy


def apply() -> None:
    wrap_classmethod(FakePolicy, "create_from_cloudformation_json", _create)
    wrap_classmethod(FakePolicy, "update_from_cloudformation_json", _update)
