"""The tenant's escalate_alerts function and the schedule that runs it every minute."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
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
from infra.constructs.operations_alarm import operations_alarm
from infra.constructs.tenant_function import TenantFunction
from infra.layer_catalog import ESCALATE_ALERTS

SWEEP_EVERY = Duration.minutes(1)  # red repeats are 15 min apart: a minute is precise enough
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
            ],
            environment=environment,
            layers=layers,
            timeout=Duration.seconds(50),  # finishes before the next tick
            memory_size=256,
            reserved_concurrency=1,  # one sweep at a time: two would race for the same alerts
        ).function
        rule = events.Rule(
            self,
            "EveryMinute",
            description=f"Alert escalation sweep of tenant {tenant_id}",
            schedule=events.Schedule.rate(SWEEP_EVERY),
        )
        rule.add_target(targets.LambdaFunction(self.function, retry_attempts=0))
        operations_alarm(
            self,
            "SweepFailing",
            name=f"dho-{tenant_id}-escalation-failing",
            description=f"The alert escalation sweep of tenant {tenant_id} failed in 5 consecutive minutes: "
            "red alerts are not being repeated or escalated.",
            metric=self.function.metric_errors(period=Duration.minutes(1)),
            threshold=0,
            evaluation_periods=5,
            topic=operations_topic,
        )
        acknowledge(
            self.function,
            "HIPAA.Security::HIPAA.Security-LambdaDLQ",
            "A scheduled sweep carries no data: a failed run is superseded by the next run a minute later "
            "(retry_attempts=0), which re-reads every open alert. Repeated failures raise the "
            "escalation-failing alarm to the operators instead of parking events in a DLQ.",
        )
