"""The tenant's process_readings function: SQS batch in, timeline and alerts out."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.compliance import acknowledge
from infra.config import Tenant
from infra.constructs.device_policy import advice_topic
from infra.constructs.operations_alarm import operations_alarm, tenant_alarm_name
from infra.constructs.tenant_function import TenantFunction
from infra.layer_catalog import PROCESS_READINGS

TIMEOUT = Duration.seconds(30)
BATCH_WINDOW = Duration.seconds(5)
# AWS guidance for SQS event sources: visibility timeout at least six times the function timeout.
QUEUE_VISIBILITY_TIMEOUT = Duration.seconds(6 * TIMEOUT.to_seconds() + BATCH_WINDOW.to_seconds())

TABLE_ACTIONS = (
    # Reads, conditional puts, updates and TransactWriteItems (authorised per item action);
    # DeleteItem because Powertools idempotency removes its record when a batch item fails.
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
    "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
)  # fmt: skip
QUEUE_ACTIONS = (
    "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
)  # fmt: skip


def alerting_environment(tenant: Tenant, table_name: str, alert_topic_arn: str) -> dict[str, str]:
    """What every function that raises or escalates alerts needs to know."""
    return {
        "DHO_TENANT_ID": tenant.tenant_id,
        "DHO_TENANT_NAME": tenant.name,  # what an alert SMS calls the municipality
        "DHO_TABLE_NAME": table_name,
        "DHO_ALERT_TOPIC_ARN": alert_topic_arn,
        "DHO_ALERT_POLICY": tenant.alert_policy_json(),
        "POWERTOOLS_METRICS_NAMESPACE": "DHO",
        # Traces are not encrypted with the tenant key: keep return values (health data) out of them.
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
    }


def device_message_environment(tenant: Tenant) -> dict[str, str]:
    """What every function that tells the patients' devices something needs (``DeviceMessageSettings``)."""
    return {
        "DHO_ADVICE_LANGUAGE": tenant.advice_language,  # what the patients' devices are told in (nb / nn)
        **({"DHO_IOT_DATA_ENDPOINT": tenant.iot_data_endpoint} if tenant.iot_data_endpoint else {}),
    }


def function_environment(tenant: Tenant, table_name: str, alert_topic_arn: str) -> dict[str, str]:
    return {
        **alerting_environment(tenant, table_name, alert_topic_arn),
        "POWERTOOLS_SERVICE_NAME": PROCESS_READINGS.name,
        "DHO_QUARANTINE_RETENTION_DAYS": str(tenant.retention.quarantine_days),
        **device_message_environment(tenant),
        # Machine code compiled in the SnapStart init must run on any host the snapshot is restored on.
        "NUMBA_CPU_NAME": "generic",
        "NUMBA_CACHE_DIR": "/tmp/numba-cache",
    }


class ProcessReadingsFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tenant: Tenant,
        key: kms.IKey,
        table: dynamodb.ITableV2,
        triage_index_arn: str,
        queue: sqs.IQueue,
        alert_topic: sns.ITopic,
        operations_topic: sns.ITopic,
        layers: Sequence[lambda_.ILayerVersion],
        layer_fingerprint: str,
    ) -> None:
        super().__init__(scope, construct_id)
        tenant_id = tenant.tenant_id
        self.function = TenantFunction(
            self,
            "Resources",
            tenant=tenant,
            key=key,
            spec=PROCESS_READINGS,
            # The layer fingerprint makes a layer update change the function, so a new version (and
            # SnapStart snapshot) is published; the layer ARNs alone are deploy-time parameters.
            description=f"Score device readings of tenant {tenant_id} (layers {layer_fingerprint})",
            statements=[
                iam.PolicyStatement(
                    sid="ConsumeReadingsQueue", actions=list(QUEUE_ACTIONS), resources=[queue.queue_arn]
                ),
                iam.PolicyStatement(
                    sid="TenantTable",
                    actions=list(TABLE_ACTIONS),
                    resources=[table.table_arn, triage_index_arn],
                ),
                iam.PolicyStatement(sid="PublishAlerts", actions=["sns:Publish"], resources=[alert_topic.topic_arn]),
                # The advice back to this tenant's devices, and to no other tenant's (one topic per device).
                iam.PolicyStatement(
                    sid="PublishAdviceToOwnTenantsDevices", actions=["iot:Publish"],
                    resources=[Stack.of(scope).format_arn(service="iot", resource="topic",
                                                          resource_name=advice_topic(tenant_id, "*"))],
                ),
            ],
            environment=function_environment(tenant, table.table_name, alert_topic.topic_arn),
            layers=layers,
            timeout=TIMEOUT,
            memory_size=1024,  # numba/llvmlite need the memory, and CPU scales with it
            # numba compiles during init; SnapStart snapshots the initialised process (docs/infra.md).
            snap_start=True,
            reserved_concurrency=tenant.reserved_concurrency,
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
        acknowledge(
            self.function,
            "HIPAA.Security::HIPAA.Security-LambdaDLQ",
            "The function is only invoked synchronously by its SQS event source mapping; a Lambda DLQ "
            "applies to asynchronous invocations only. Failed readings go to the tenant's readings DLQ "
            "(redrive after 5 receives, 14 days retention) with an alarm on its depth.",
        )
        acknowledge(
            self.function,
            "Annotation::@aws-cdk/aws-lambda:snapStartRequirePublish",
            "Versions are published: the event source mapping targets the 'live' alias on "
            "function.current_version, which gets a new version whenever code, layers or settings change.",
        )
        # The FunctionName dimension covers every version and alias (the queue feeds the alias).
        operations_alarm(
            self,
            "ErrorsAlarm",
            name=tenant_alarm_name(tenant_id, "process-readings-errors"),
            description=f"process_readings of tenant {tenant_id} failed whole batches (not single readings): "
            "their readings are retried and, after 5 receives, wait in the DLQ; alerts may be delayed.",
            metric=self.function.metric_errors(period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM),
            threshold=0,
            topic=operations_topic,
        )
        operations_alarm(
            self,
            "ThrottlesAlarm",
            name=tenant_alarm_name(tenant_id, "process-readings-throttled"),
            description=f"process_readings of tenant {tenant_id} was throttled: the queue polls faster than the "
            "reserved concurrency allows; throttled batches count towards the DLQ for no fault of theirs.",
            metric=self.function.metric_throttles(period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM),
            threshold=0,
            topic=operations_topic,
        )
        # SnapStart applies to published versions only: the queue feeds the alias, not $LATEST.
        self.alias = lambda_.Alias(self, "Live", alias_name="live", version=self.function.current_version)
        self.alias.add_event_source(
            event_sources.SqsEventSource(
                queue,
                batch_size=100,  # scoring is vectorised: bigger batches are cheaper per reading
                max_batching_window=BATCH_WINDOW,
                report_batch_item_failures=True,
                # Never poll faster than the reserved concurrency: throttled batches would be retried
                # into the DLQ for no fault of theirs.
                max_concurrency=tenant.reserved_concurrency,
            )
        )
