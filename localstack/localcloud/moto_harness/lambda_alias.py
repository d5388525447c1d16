"""``AWS::Lambda::Alias`` is created (moto 5.2.5 silently skips it).

Without it the event source mapping that CDK attaches to the alias (``FunctionName: <name>:live``) is
silently missing too, while ``cdk deploy`` prints success. ``Ref`` is the alias ARN, as on AWS.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaAlias
from moto.awslambda.utils import get_backend
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel


class CfnLambdaAlias(CloudFormationModel):
    def __init__(self, alias: LambdaAlias, function_name: str) -> None:
        self.alias = alias
        self.function_name = function_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return self.alias.arn

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("AliasArn",)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "AliasArn":
            return self.alias.arn
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> CfnLambdaAlias:
        properties = cloudformation_json["Properties"]
        function_name = properties["FunctionName"]
        alias = get_backend(account_id, region_name).create_alias(
            name=properties["Name"],
            function_name=function_name,
            function_version=str(properties["FunctionVersion"]),
            description=properties.get("Description", ""),
            routing_config=properties.get("RoutingConfig"),
        )
        return cls(alias, function_name)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: CfnLambdaAlias, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> CfnLambdaAlias:
        properties = cloudformation_json["Properties"]
        alias = get_backend(account_id, region_name).update_alias(
            name=properties["Name"],
            function_name=original_resource.function_name,
            function_version=str(properties["FunctionVersion"]),
            description=properties.get("Description", ""),
            routing_config=properties.get("RoutingConfig"),
        )
        return cls(alias, original_resource.function_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        properties = cloudformation_json["Properties"]
        get_backend(account_id, region_name).delete_alias(properties["Name"], properties["FunctionName"])

    def delete(self, account_id: str, region_name: str) -> None:
        get_backend(account_id, region_name).delete_alias(self.alias.name, self.function_name)


def apply() -> None:
    """The model registers itself with moto by being defined (``CloudFormationModel.__subclasses__``)."""
