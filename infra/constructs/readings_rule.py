"""The IoT topic rule that moves a tenant's device readings from MQTT into its readings queue."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_iot as iot
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.device_policy import readings_topic
from infra.constructs.operations_alarm import operations_alarm
from infra.constructs.tenant_key import tenant_log_group_prefix


def readings_rule_sql(tenant_id: str) -> str:
    # topic(2) is the tenant and topic(4) the device as IoT Core saw them: a payload cannot claim them.
    # raw: the bytes the device sent; the parsed copy (*) would hide a key given twice.
    return (
        "SELECT *, encode(*, 'base64') AS raw, topic(2) AS tenant, topic(4) AS device_id, "
        f"timestamp() AS received_at FROM '{readings_topic(tenant_id)}'"
    )


def readings_rule_name(tenant_id: str) -> str:
    return f"dho_{tenant_id.replace('-', '_')}_readings"  # rule names allow [a-zA-Z0-9_] only


class ReadingsRule(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tenant_id: str,
        key: kms.IKey,
        queue: sqs.IQueue,
        log_retention: logs.RetentionDays,
        alarm_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        rule_name = readings_rule_name(tenant_id)
        # A reading the rule could not deliver is logged with its payload, so it is encrypted.
        self.error_log_group = logs.LogGroup(
            self,
            "ErrorLogs",
            log_group_name=f"{tenant_log_group_prefix(tenant_id)}iot-rule-errors",
            encryption_key=key,
            retention=log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        rule_arn = stack.format_arn(service="iot", resource="rule", resource_name=rule_name)
        role = iam.Role(
            self,
            "Role",
            description=f"IoT rule {rule_name}: send tenant {tenant_id} readings to its queue",
            # Only this rule may use the role (confused-deputy protection).
            assumed_by=iam.ServicePrincipal(
                "iot.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account, "aws:SourceArn": rule_arn}},
            ),
        )
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"IoT rule {rule_name}: write only to tenant {tenant_id}'s queue and error log",
            roles=[role],
            statements=[
                iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn]),
                iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.key_arn]),
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.error_log_group.log_group_arn],
                ),
            ],
        )
        self.rule = iot.CfnTopicRule(
            self,
            "Rule",
            rule_name=rule_name,
            topic_rule_payload=iot.CfnTopicRule.TopicRulePayloadProperty(
                sql=readings_rule_sql(tenant_id),
                aws_iot_sql_version="2016-03-23",
                rule_disabled=False,
                description=f"Device readings of tenant {tenant_id} to its readings queue",
                actions=[
                    iot.CfnTopicRule.ActionProperty(
                        sqs=iot.CfnTopicRule.SqsActionProperty(
                            queue_url=queue.queue_url, role_arn=role.role_arn, use_base64=False
                        )
                    )
                ],
                error_action=iot.CfnTopicRule.ActionProperty(
                    cloudwatch_logs=iot.CfnTopicRule.CloudwatchLogsActionProperty(
                        log_group_name=self.error_log_group.log_group_name, role_arn=role.role_arn
                    )
                ),
            ),
        )
        # The rule must not start before its role may write to the queue.
        self.rule.node.add_dependency(policy)
        operations_alarm(
            self,
            "DeliveryFailuresAlarm",
            name=f"dho-{tenant_id}-iot-rule-failures",
            description=f"IoT rule {rule_name} could not deliver readings to the queue; the payloads are "
            f"in log group {tenant_log_group_prefix(tenant_id)}iot-rule-errors.",
            metric=cloudwatch.Metric(
                namespace="AWS/IoT",
                metric_name="Failure",
                dimensions_map={"RuleName": rule_name, "ActionType": "SQS"},
                statistic=cloudwatch.Stats.SUM,
                period=Duration.minutes(5),
            ),
            threshold=0,
            topic=alarm_topic,
        )
