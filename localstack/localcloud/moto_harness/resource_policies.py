"""``AWS::SNS::TopicPolicy`` and ``AWS::SQS::QueuePolicy`` set the ``Policy`` attribute of their targets.

moto 5.2.5 silently skips both types, so the TLS-only (``aws:SecureTransport``) policies CDK adds with
``enforce_ssl`` never reach the topics and queues.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from localcloud.moto_harness._util import json_text


def _queue_name(queue_url: str) -> str:
    return queue_url.rstrip("/").rsplit("/", 1)[-1]


class CfnTopicPolicy(CloudFormationModel):
    def __init__(self, name: str, topics: list[str]) -> None:
        self.name = name
        self.topics = topics

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> CfnTopicPolicy:
        properties = cloudformation_json["Properties"]
        backend = sns_backends[account_id][region_name]
        for topic_arn in properties["Topics"]:
            backend.set_topic_attribute(topic_arn, "policy", json_text(properties["PolicyDocument"]))
        return cls(resource_name, list(properties["Topics"]))

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: CfnTopicPolicy, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> CfnTopicPolicy:
        return cls.create_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        """The topic keeps its last policy (AWS restores the default one)."""

    def delete(self, account_id: str, region_name: str) -> None:
        """The topic keeps its last policy (AWS restores the default one)."""


class CfnQueuePolicy(CloudFormationModel):
    def __init__(self, name: str, queues: list[str]) -> None:
        self.name = name
        self.queues = queues

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> CfnQueuePolicy:
        properties = cloudformation_json["Properties"]
        backend = sqs_backends[account_id][region_name]
        for queue_url in properties["Queues"]:
            backend.set_queue_attributes(_queue_name(queue_url), {"Policy": json_text(properties["PolicyDocument"])})
        return cls(resource_name, list(properties["Queues"]))

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: CfnQueuePolicy, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> CfnQueuePolicy:
        return cls.create_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        """Nothing to undo in moto beyond the queue's own lifetime."""

    def delete(self, account_id: str, region_name: str) -> None:
        backend = sqs_backends[account_id][region_name]
        for queue_url in self.queues:
            try:
                backend.set_queue_attributes(_queue_name(queue_url), {"Policy": ""})
            except Exception:  # the queue is already gone
                continue


def apply() -> None:
    """The models register themselves with moto by being defined (``CloudFormationModel.__subclasses__``)."""
