"""The IoT policy attached to the certificates of one tenant's devices."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iot as iot
from constructs import Construct

# IoT policy variable: resolved by IoT Core per connection, not by CloudFormation.
THING_NAME = "${iot:Connection.Thing.ThingName}"


def readings_topic(tenant_id: str, device: str = "+") -> str:
    """The MQTT topic a device publishes its readings to; ``+`` matches every device."""
    return f"dho/{tenant_id}/devices/{device}/readings"


def advice_topic(tenant_id: str, device: str) -> str:
    """The MQTT topic the platform tells a device the advice of its readings on (``dho.domain.advice``)."""
    return f"dho/{tenant_id}/devices/{device}/advice"


def config_topic(tenant_id: str, device: str) -> str:
    """The MQTT topic of a device's retained config: what is due and how often (``dho.domain.device_config``)."""
    return f"dho/{tenant_id}/devices/{device}/config"


class DevicePolicy(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, tenant_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        document: dict[str, Any] = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    # A certificate connects only under the name of the thing it is attached to, so a
                    # stolen certificate cannot pose as another device.
                    "Sid": "ConnectAsItsOwnThingOnly",
                    "Effect": "Allow",
                    "Action": "iot:Connect",
                    "Resource": stack.format_arn(service="iot", resource="client", resource_name=THING_NAME),
                    "Condition": {"Bool": {"iot:Connection.Thing.IsAttached": "true"}},
                },
                {
                    # Only its own readings topic under its own tenant: no subscribe, no other topics.
                    "Sid": "PublishItsOwnReadingsOnly",
                    "Effect": "Allow",
                    "Action": "iot:Publish",
                    "Resource": stack.format_arn(
                        service="iot", resource="topic", resource_name=readings_topic(tenant_id, THING_NAME)
                    ),
                },
                {
                    # Its own advice topic only: a device can never read another patient's advice. Subscribe
                    # is authorised on the topic filter, Receive on each message's topic.
                    "Sid": "SubscribeToItsOwnAdviceOnly",
                    "Effect": "Allow",
                    "Action": "iot:Subscribe",
                    "Resource": stack.format_arn(
                        service="iot", resource="topicfilter", resource_name=advice_topic(tenant_id, THING_NAME)
                    ),
                },
                {
                    "Sid": "ReceiveItsOwnAdviceOnly",
                    "Effect": "Allow",
                    "Action": "iot:Receive",
                    "Resource": stack.format_arn(
                        service="iot", resource="topic", resource_name=advice_topic(tenant_id, THING_NAME)
                    ),
                },
                {
                    # Its own retained config (what is due when) only: no other device's schedule.
                    "Sid": "SubscribeToItsOwnConfigOnly",
                    "Effect": "Allow",
                    "Action": "iot:Subscribe",
                    "Resource": stack.format_arn(
                        service="iot", resource="topicfilter", resource_name=config_topic(tenant_id, THING_NAME)
                    ),
                },
                {
                    "Sid": "ReceiveItsOwnConfigOnly",
                    "Effect": "Allow",
                    "Action": "iot:Receive",
                    "Resource": stack.format_arn(
                        service="iot", resource="topic", resource_name=config_topic(tenant_id, THING_NAME)
                    ),
                },
            ],
        }
        self.policy = iot.CfnPolicy(self, "Policy", policy_name=f"dho-{tenant_id}-device", policy_document=document)
