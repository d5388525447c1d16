"""``AWS::IoT::TopicRule`` is created in moto's IoT rule store (moto 5.2.5 silently skips the type).

The rule's payload is converted from CloudFormation's PascalCase (``Sqs.QueueUrl``) to the API's camelCase
(``sqs.queueUrl``), so ``iot.get_topic_rule`` answers as AWS does. moto stores rules but runs none:
the local IoT rules engine reads them from here.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel
from moto.iot.models import iot_backends


def camel_case_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {key[:1].lower() + key[1:]: camel_case_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [camel_case_keys(item) for item in node]
    return node


def _create_rule(name: str, payload: dict[str, Any], account_id: str, region_name: str) -> None:
    iot_backends[account_id][region_name].create_topic_rule(
        rule_name=name,
        sql=payload["Sql"],
        description=payload.get("Description", ""),
        rule_disabled=bool(payload.get("RuleDisabled", False)),
        actions=camel_case_keys(payload.get("Actions", [])),
        error_action=camel_case_keys(payload.get("ErrorAction", {})),
        aws_iot_sql_version=payload.get("AwsIotSqlVersion", "2016-03-23"),
    )


class CfnTopicRule(CloudFormationModel):
    def __init__(self, name: str, arn: str) -> None:
        self.name = name
        self.arn = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IoT::TopicRule"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "RuleName"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> CfnTopicRule:
        _create_rule(resource_name, cloudformation_json["Properties"]["TopicRulePayload"], account_id, region_name)
        rule = iot_backends[account_id][region_name].rules[resource_name]
        return cls(resource_name, rule.arn)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: CfnTopicRule, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> CfnTopicRule:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        iot_backends[account_id][region_name].rules.pop(resource_name, None)

    def delete(self, account_id: str, region_name: str) -> None:
        iot_backends[account_id][region_name].rules.pop(self.name, None)


def apply() -> None:
    """The model registers itself with moto by being defined (``CloudFormationModel.__subclasses__``)."""
