"""``AWS::KMS::Key``: the key policy is stored as JSON text, and the tags in KMS's own shape.

moto 5.2.5 stores CloudFormation's ``KeyPolicy`` object as is; ``DescribeKey`` then runs ``json.loads``
on a dict (its key-policy check) and answers HTTP 500, and ``GetKeyPolicy`` returns ``str(dict)``. It also
hands CloudFormation's ``[{"Key", "Value"}]`` tags to KMS's tagger, which expects ``TagKey``/``TagValue``
and fails with ``KeyError: 'TagKey'`` (HTTP 500) for every tagged key.
"""

from __future__ import annotations

from typing import Any

from moto.kms.models import Key

from localcloud.moto_harness._util import json_text, tags_dict, wrap_classmethod


def _create(original: Any, cls: type, resource_name: str, cloudformation_json: dict[str, Any], *args: Any,
            **kwargs: Any) -> Key:
    properties = dict(cloudformation_json["Properties"])
    if "KeyPolicy" in properties:
        properties["KeyPolicy"] = json_text(properties["KeyPolicy"])
    if "Tags" in properties:
        properties["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in tags_dict(properties["Tags"]).items()]
    key: Key = original(cls, resource_name, {**cloudformation_json, "Properties": properties}, *args, **kwargs)
    return key


def apply() -> None:
    wrap_classmethod(Key, "create_from_cloudformation_json", _create)
