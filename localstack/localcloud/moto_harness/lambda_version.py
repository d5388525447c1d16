"""``AWS::Lambda::Version``: ``Ref`` is the version ARN, ``Fn::GetAtt Version`` the number; delete works.

moto 5.2.5's Version model keeps only the number: ``Ref`` returns the logical id (its ``__repr__``), the
``Version`` attribute is not declared (``has_cfn_attr``) nor resolvable, so the alias CDK creates on
``function.currentVersion`` cannot be built. Deleting a replaced version stays a no-op (see ``_delete``).
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaVersion
from moto.awslambda.utils import get_backend
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException


def _create(
    cls: type,
    /, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
    **kwargs: Any,
) -> LambdaVersion:
    properties = cloudformation_json["Properties"]
    backend = get_backend(account_id, region_name)
    published = backend.publish_version(properties["FunctionName"], properties.get("Description", ""))
    if published is None:
        raise ValueError(f"cannot publish a version of {properties['FunctionName']}")
    version_class: Any = LambdaVersion
    version = version_class({"Version": published.version})
    version.function_name = published.function_name
    version.arn = published.function_arn
    return version  # type: ignore[no-any-return]


def _attribute(self: Any, attribute: str) -> str:
    if attribute == "Version":
        return str(self.version)
    if attribute in ("Arn", "FunctionArn"):
        return str(self.arn)
    raise UnformattedGetAttTemplateException()


def _delete(self: Any, account_id: str, region_name: str) -> None:
    """Kept on purpose: moto numbers a new version ``len(versions) + 1``, so deleting one would make the next
    publish reuse an existing number. A replaced version therefore stays (AWS would delete it)."""


def apply() -> None:
    model: Any = LambdaVersion
    model.create_from_cloudformation_json = classmethod(_create)
    model.physical_resource_id = property(lambda self: self.arn)
    model.has_cfn_attr = classmethod(lambda cls, attr: attr in ("Version", "Arn", "FunctionArn"))
    model.get_cfn_attribute = _attribute
    model.__repr__ = lambda self: str(self.arn)
    model.delete = _delete
