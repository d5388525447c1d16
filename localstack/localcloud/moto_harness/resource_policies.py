"""``AWS::SNS::TopicPolicy`` and ``AWS::SQS::QueuePolicy`` set the ``Policy`` attribute of their targets.

moto 5.2.5 silently skips both types, so the TLS-only (``aws:SecureTransport``) policies CDK adds with
``enforce_ssl`` never reach the topics and queues.
"""

from __future__ import annotations

from typing import Any, ClassVar

from moto.core.common_models import CloudFormationModel
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from localcloud.moto_harness._util import json_text


def _queue_name(queue_url: str) -> str:
    return queue_url.rstrip("/").rsplit("/", 1)[-1]


class _AttachedPolicy:
    """What both policy types share: a name, the targets listed under ``targets_property``, and an update
    that re-attaches the document. Not a CloudFormationModel itself: moto registers the direct subclasses
    of CloudFormationModel as resource types, and this one is none."""

    targets_property: ClassVar[str]

    def __init__(self, name: str, targets: list[str]) -> None:
        self.name = name
        self.targets = targets

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
    def attach(cls, targets: list[str], document: str, account_id: str, region_name: str) -> None:
        raise NotImplementedError

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = cloudformation_json["Properties"]
        targets = list(properties[cls.targets_property])
        cls.attach(targets, json_text(properties["PolicyDocument"]), account_id, region_name)
        return cls(resource_name, targets)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: _AttachedPolicy, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> Any:
        return cls.create_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        """Undone by :meth:`delete`, or not at all (see there)."""


class CfnTopicPolicy(_AttachedPolicy, CloudFormationModel):
    targets_property = "Topics"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @classmethod
    def attach(cls, targets: list[str], document: str, account_id: str, region_name: str) -> None:
        backend = sns_backends[account_id][region_name]
        for topic_arn in targets:
            backend.set_topic_attribute(topic_arn, "policy", document)

    def delete(self, account_id: str, region_name: str) -> None:
        """The topic keeps its last policy (AWS restores the default one)."""


class CfnQueuePolicy(_AttachedPolicy, CloudFormationModel):
    targets_property = "Queues"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def attach(cls, targets: list[str], document: str, account_id: str, region_name: str) -> None:
        backend = sqs_backends[account_id][region_name]
        for queue_url in targets:
            backend.set_queue_attributes(_queue_name(queue_url), {"Policy": document})

    def delete(self, account_id: str, region_name: str) -> None:
        backend = sqs_backends[account_id][region_name]
        for queue_url in self.targets:
            try:
                backend.set_queue_attributes(_queue_name(queue_url), {"Policy": ""})
            except Exception:  # the queue is already gone
                continue


def apply() -> None:
    """The models register themselves with moto by being defined (``CloudFormationModel.__subclasses__``)."""
