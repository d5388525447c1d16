"""``AWS::SNS::Subscription`` is created (moto 5.2.5 silently skips it) with its filter policy.

The subscription gets ``FilterPolicy`` (CloudFormation passes it as an object; the API wants JSON text),
``FilterPolicyScope``, ``RawMessageDelivery``, ``RedrivePolicy`` and ``DeliveryPolicy``. SMS and e-mail
endpoints are stored as moto stores them (nothing is delivered).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel
from moto.sns.models import Subscription, sns_backends

from localcloud.moto_harness._util import json_text

# Scope first: moto validates the filter policy against the scope already set.
_ATTRIBUTES = ("FilterPolicyScope", "FilterPolicy", "RawMessageDelivery", "RedrivePolicy", "DeliveryPolicy")


def _set_attributes(subscription: Subscription, properties: dict[str, Any], account_id: str, region: str) -> None:
    backend = sns_backends[account_id][region]
    for name in _ATTRIBUTES:
        if name in properties:
            value = properties[name]
            text = str(value).lower() if isinstance(value, bool) else json_text(value)
            backend.set_subscription_attributes(subscription.arn, name, text)


class CfnSubscription(CloudFormationModel):
    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return str(self.subscription.arn)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn",)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return str(self.subscription.arn)
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> CfnSubscription:
        properties = cloudformation_json["Properties"]
        region = properties.get("Region") or region_name
        subscription = sns_backends[account_id][region].subscribe(
            properties["TopicArn"], properties["Endpoint"], properties["Protocol"]
        )
        _set_attributes(subscription, properties, account_id, region)
        return cls(subscription)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: CfnSubscription, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> CfnSubscription:
        properties = cloudformation_json["Properties"]
        current = original_resource.subscription
        if (properties["TopicArn"], properties["Endpoint"], properties["Protocol"]) != (
            current.topic.arn, current.endpoint, current.protocol
        ):
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        _set_attributes(current, properties, account_id, properties.get("Region") or region_name)
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        sns_backends[account_id][region_name].unsubscribe(resource_name)

    def delete(self, account_id: str, region_name: str) -> None:
        sns_backends[account_id][region_name].unsubscribe(self.subscription.arn)


def apply() -> None:
    """The model registers itself with moto by being defined (``CloudFormationModel.__subclasses__``)."""
