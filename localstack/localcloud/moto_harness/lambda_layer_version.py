"""``AWS::Lambda::LayerVersion``: ``Ref`` is the layer version ARN, the name is ``LayerName``.

moto 5.2.5's LayerVersion model has no ``physical_resource_id``, so ``Ref`` returns the Python object and
the shared stack's SSM parameter stores its repr instead of the ARN (the tenant stacks then fail to
attach the layer). It also names the layer after the logical id (``cloudformation_name_type`` is
``LayerVersion``, not ``LayerName``) and drops ``CompatibleArchitectures``.
A changed layer publishes a new version on update (moto has no update for it).
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LayerVersion
from moto.awslambda.utils import get_backend

from localcloud.moto_harness._util import wrap_classmethod


def _create(
    original: Any, cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
    region_name: str, **kwargs: Any,
) -> LayerVersion:
    properties = cloudformation_json["Properties"]
    layer_version: LayerVersion = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    layer_version.compatible_architectures = properties.get("CompatibleArchitectures", [])
    return layer_version


def _update(
    cls: type, original_resource: LayerVersion, new_resource_name: str, cloudformation_json: dict[str, Any],
    account_id: str, region_name: str,
) -> LayerVersion:
    # Layer versions are immutable: a changed layer is a new version (the old one is retained, as on AWS).
    name = cloudformation_json["Properties"].get("LayerName", original_resource.name)
    created: LayerVersion = LayerVersion.create_from_cloudformation_json(
        name, cloudformation_json, account_id, region_name
    )
    return created


def _delete(self: LayerVersion, account_id: str, region_name: str) -> None:
    get_backend(account_id, region_name).delete_layer_version(self.name, str(self.version))


def apply() -> None:
    model: Any = LayerVersion
    model.physical_resource_id = property(lambda self: self.arn)
    model.cloudformation_name_type = staticmethod(lambda: "LayerName")
    model.has_cfn_attr = classmethod(lambda cls, attr: attr in ("LayerVersionArn",))
    model.get_cfn_attribute = lambda self, attribute: self.arn
    model.delete = _delete
    model.update_from_cloudformation_json = classmethod(_update)
    wrap_classmethod(LayerVersion, "create_from_cloudformation_json", _create)
