"""The tenant's escalate_alerts function and the schedule that runs it every minute."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.compliance import acknowledge
from infra.config import Tenant
from infra.constructs.device_policy import advice_topic
from infra.constructs.operations_alarm import operations_alarm, tenant_alarm_name
from infra.constructs.tenant_function import TenantFunction
from infra.layer_catalog import ESCALATE_ALERTS

SWEEP_EVERY = Duration.minutes(1)  # red repeats are 15 min apart: a minute is precise enough
# A tick not run within this is superseded by the next one (Lambda's minimum): Lambda drops it instead of
# queueing old ticks behind the one-at-a-time sweep.
SWEEP_MAX_EVENT_AGE = Duration.seconds(60)
SWEEP_STOPPED_AFTER_MINUTES = 5
TABLE_ACTIONS = (
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
    "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
)  # fmt: skip


class EscalationSchedule(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tenant: Tenant,
        key: kms.IKey,
        table: dynamodb.ITableV2,
        triage_index_arn: str,
        alert_topic: sns.ITopic,
        operations_topic: sns.ITopic,
        environment: dict[str, str],
        layers: Sequence[lambda_.ILayerVersion],
    ) -> None:
        super().__init__(scope, construct_id)
        tenant_id = tenant.tenant_id
        self.function = TenantFunction(
            self,
            "Resources",
            tenant=tenant,
            key=key,
            spec=ESCALATE_ALERTS,
            description=f"Escalate unacknowledged red alerts of tenant {tenant_id}",
            statements=[
                iam.PolicyStatement(
                    sid="TenantAlerts", actions=list(TABLE_ACTIONS), resources=[table.table_arn, triage_index_arn]
                ),
                iam.PolicyStatement(sid="PublishAlerts", actions=["sns:Publish"], resources=[alert_topic.topic_arn]),
                # The overdue reminders, on this tenant's devices' advice topics only (one topic per device).
                iam.PolicyStatement(
                    sid="RemindOwnTenantsDevices", actions=["iot:Publish"],
                    resources=[Stack.of(scope).format_arn(service="iot", resource="topic",
                                                          resource_name=advice_topic(tenant_id, "*"))],
                ),
            ],
            environment=environment,
            layers=layers,
            timeout=Duration.seconds(50),  # finishes before the next tick
            memory_size=256,
            reserved_concurrency=1,  # one sweep at a time: two would race for the same alerts
        ).function
        stack = Stack.of(self)
        account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
        acknowledge(
            self,
            f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:iot:{tenant.region}:{account}:topic/"
            f"{advice_topic(tenant_id, '*')}]",
            "One advice topic per device of this tenant, and devices come and go with enrolments: the wildcard "
            "is the device id segment only, inside this tenant's own topic tree (no other tenant, no other topic).",
        )
        rule = events.Rule(
            self,
            "EveryMinute",
            description=f"Alert escalation sweep of tenant {tenant_id}",
            schedule=events.Schedule.rate(SWEEP_EVERY),
        )
        rule.add_target(targets.LambdaFunction(self.function, retry_attempts=0))
        # EventBridge invokes asynchronously: the target's retry_attempts is EventBridge's, while Lambda
        # itself retries a failed tick twice (with its old time) unless told otherwise here.
        self.function.configure_async_invoke(retry_attempts=0, max_event_age=SWEEP_MAX_EVENT_AGE)
        operations_alarm(
            self,
            "SweepFailing",
            name=tenant_alarm_name(tenant_id, "escalation-failing"),
            description=f"The alert escalation sweep of tenant {tenant_id} failed in 5 consecutive minutes: "
            "red alerts are not being repeated or escalated.",
            metric=self.function.metric_errors(period=Duration.minutes(1)),
            threshold=0,
            evaluation_periods=5,
            topic=operations_topic,
        )
        operations_alarm(
            self,
            "SweepStopped",
            name=tenant_alarm_name(tenant_id, "escalation-stopped"),
            description=f"The alert escalation sweep of tenant {tenant_id} was not invoked for "
            f"{SWEEP_STOPPED_AFTER_MINUTES} minutes (schedule disabled or deleted, throttled, no data): red "
            "alerts are not being repeated or escalated.",
            metric=self.function.metric_invocations(period=Duration.minutes(1), statistic=cloudwatch.Stats.SUM),
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=SWEEP_STOPPED_AFTER_MINUTES,
            missing_data=cloudwatch.TreatMissingData.BREACHING,  # no invocations publish no data at all
            topic=operations_topic,
        )
        operations_alarm(
            self,
            "SweepThrottled",
            name=tenant_alarm_name(tenant_id, "escalation-throttled"),
            description=f"Ticks of the alert escalation sweep of tenant {tenant_id} were throttled (it runs "
            "one at a time): a tick still running when the next is due; older ticks are dropped after a minute.",
            metric=self.function.metric_throttles(period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM),
            threshold=0,
            topic=operations_topic,
        )
        acknowledge(
            self.function,
            "HIPAA.Security::HIPAA.Security-LambdaDLQ",
            "A scheduled sweep carries no data: a failed or throttled tick is not retried (EventInvokeConfig: "
            "0 retries, 60 s maximum event age) but superseded by the next tick a minute later, which finds "
            "everything still due. Failures, throttles and missing ticks raise operator alarms instead of "
            "parking events in a DLQ.",
        )
