"""``AWS::CloudFront::Distribution``, ``OriginAccessControl`` and ``ResponseHeadersPolicy`` are accepted
(moto 5.2.5 skips them, and a ``Fn::GetAtt`` on a skipped resource fails the whole stack: the centre API's
CORS names the distribution's domain).

They are kept as CloudFormation resources only, with the ids and attributes CloudFront would give them
(``DomainName`` ``<id>.cloudfront.net``); nothing serves them. The local cloud serves the nurses' page itself,
with the headers policy read from the template (``localcloud.web_host``).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel
from moto.moto_api._internal import mock_random


class _CloudFrontPart:
    """The three types' shared behaviour (a mixin: moto finds models among CloudFormationModel's direct
    subclasses)."""

    resource_type = ""
    attributes: tuple[str, ...] = ("Id",)

    def __init__(self, ident: str, properties: dict[str, Any]) -> None:
        self.ident = ident
        self.properties = properties

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.resource_type

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return self.ident

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.attributes

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Id":
            return self.ident
        if attribute_name == "DomainName" and "DomainName" in self.attributes:
            return f"{self.ident.lower()}.cloudfront.net"
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> _CloudFrontPart:
        ident = "E" + "".join(mock_random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(13))
        return cls(ident, dict(cloudformation_json.get("Properties") or {}))

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: _CloudFrontPart, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> _CloudFrontPart:
        original_resource.properties = dict(cloudformation_json.get("Properties") or {})
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
    ) -> None:
        return None


class CfnDistribution(_CloudFrontPart, CloudFormationModel):
    resource_type = "AWS::CloudFront::Distribution"
    attributes = ("Id", "DomainName")


class CfnOriginAccessControl(_CloudFrontPart, CloudFormationModel):
    resource_type = "AWS::CloudFront::OriginAccessControl"


class CfnResponseHeadersPolicy(_CloudFrontPart, CloudFormationModel):
    resource_type = "AWS::CloudFront::ResponseHeadersPolicy"


def apply() -> None:
    """The models register themselves with moto by being defined (``CloudFormationModel.__subclasses__``)."""
