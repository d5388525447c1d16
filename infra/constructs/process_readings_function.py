"""The tenant's process_readings function: SQS batch in, timeline and alerts out.

Its role gets exactly the statements below through a customer-managed policy; CDK's automatic grants
are switched off (``without_policy_updates``) so no wider or inline policy sneaks in.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.compliance import acknowledge
from infra.config import Tenant
from infra.constructs.log_retention import log_retention
from infra.constructs.runtime import LAMBDA_ARCHITECTURE, RUNTIME
from infra.constructs.tenant_key import tenant_log_group_prefix
from infra.layer_catalog import ASSET_EXCLUDES, PROCESS_READINGS

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
KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")


def function_environment(tenant: Tenant, table_name: str, alert_topic_arn: str) -> dict[str, str]:
    return {
        "DHO_TENANT_ID": tenant.tenant_id,
        "DHO_TENANT_NAME": tenant.name,  # what an alert SMS calls the municipality
        "DHO_TABLE_NAME": table_name,
        "DHO_ALERT_TOPIC_ARN": alert_topic_arn,
        "DHO_ALERT_POLICY": tenant.alert_policy_json(),
        "POWERTOOLS_SERVICE_NAME": PROCESS_READINGS.name,
        "POWERTOOLS_METRICS_NAMESPACE": "DHO",
        # Traces are not encrypted with the tenant key: keep return values (health data) out of them.
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
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
        layers: Sequence[lambda_.ILayerVersion],
        layer_fingerprint: str,
    ) -> None:
        super().__init__(scope, construct_id)
        tenant_id = tenant.tenant_id
        log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"{tenant_log_group_prefix(tenant_id)}process-readings",
            encryption_key=key,
            retention=log_retention(tenant.retention.log_days),
            removal_policy=RemovalPolicy.RETAIN,
        )
        role = iam.Role(
            self,
            "Role",
            description=f"process_readings of tenant {tenant_id}",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"process_readings of tenant {tenant_id}: only this tenant's resources",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="OwnLogGroup",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                ),
                iam.PolicyStatement(
                    sid="ConsumeReadingsQueue", actions=list(QUEUE_ACTIONS), resources=[queue.queue_arn]
                ),
                iam.PolicyStatement(
                    sid="TenantTable",
                    actions=list(TABLE_ACTIONS),
                    resources=[table.table_arn, triage_index_arn],
                ),
                iam.PolicyStatement(sid="PublishAlerts", actions=["sns:Publish"], resources=[alert_topic.topic_arn]),
                iam.PolicyStatement(sid="TenantKey", actions=list(KEY_ACTIONS), resources=[key.key_arn]),
                iam.PolicyStatement(
                    sid="Tracing",
                    actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                    resources=["*"],
                ),
            ],
        )
        acknowledge(
            policy,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; the "
            "wildcard grants nothing else (AWS X-Ray IAM reference).",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=f"dho-{tenant_id}-process-readings",
            # The layer fingerprint makes a layer update change the function, so a new version (and
            # SnapStart snapshot) is published; the layer ARNs alone are deploy-time parameters.
            description=f"Score device readings of tenant {tenant_id} (layers {layer_fingerprint})",
            runtime=RUNTIME,
            architecture=LAMBDA_ARCHITECTURE,
            handler=PROCESS_READINGS.handler,
            code=lambda_.Code.from_asset(str(PROCESS_READINGS.folder), exclude=list(ASSET_EXCLUDES)),
            layers=list(layers),
            role=role.without_policy_updates(),
            memory_size=1024,  # numba/llvmlite need the memory, and CPU scales with it
            timeout=TIMEOUT,
            reserved_concurrent_executions=tenant.reserved_concurrency,
            environment=function_environment(tenant, table.table_name, alert_topic.topic_arn),
            environment_encryption=key,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            # numba compiles during init; SnapStart snapshots the initialised process (docs/infra.md).
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS,
            # Every cached SnapStart version is billed: delete a version once the alias has moved on.
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY),
        )
        self.function.node.add_dependency(policy)
        self._acknowledge_findings()
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

    def _acknowledge_findings(self) -> None:
        acknowledge(
            self.function,
            "AwsSolutions::AwsSolutions-L1",
            "The runtime is pinned to the Python minor version the layers are built for and that CI runs "
            "the handler with (infra/lambda_platform.py); it is supported by Lambda and is bumped together "
            "with a layer rebuild, not silently by a CDK upgrade.",
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
            "HIPAA.Security::HIPAA.Security-LambdaInsideVPC",
            "The function opens no network connections except to AWS APIs (DynamoDB, SNS, KMS, X-Ray, "
            "CloudWatch Logs) over TLS, authorised by its tenant-scoped role; it has no inbound path. A VPC "
            "would add NAT or five interface endpoints per region without narrowing what the role may do "
            "(docs/infra.md, hardening options).",
        )
        acknowledge(
            self.function,
            "Annotation::@aws-cdk/aws-lambda:snapStartRequirePublish",
            "Versions are published: the event source mapping targets the 'live' alias on "
            "function.current_version, which gets a new version whenever code, layers or settings change.",
        )
