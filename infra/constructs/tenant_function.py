"""A Lambda function of one tenant, hardened the same way for every function.

Own encrypted log group, a role whose customer-managed policy holds exactly the statements given (plus
its own log group and X-Ray), CDK's automatic grants switched off (``without_policy_updates``) so no
wider or inline policy sneaks in, the environment encrypted with the tenant key, JSON logs and tracing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.compliance import acknowledge
from infra.config import Tenant
from infra.constructs.log_retention import log_retention
from infra.constructs.runtime import LAMBDA_ARCHITECTURE, RUNTIME
from infra.constructs.tenant_key import tenant_log_group_prefix
from infra.layer_catalog import ASSET_EXCLUDES, FunctionSpec

KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")


class TenantFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tenant: Tenant,
        **settings: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = hardened_function(self, owner_id=tenant.tenant_id, log_days=tenant.retention.log_days,
                                          **settings)


def hardened_function(
    scope: Construct,
    *,
    owner_id: str,
    log_days: int,
    key: kms.IKey,
    spec: FunctionSpec,
    description: str,
    statements: Sequence[iam.PolicyStatement],
    environment: Mapping[str, str],
    layers: Sequence[lambda_.ILayerVersion],
    timeout: Duration,
    memory_size: int,
    snap_start: bool = False,
    reserved_concurrency: int | None = None,
) -> lambda_.Function:
    """The function inside ``scope`` (a tenant's, or a centre's: ``owner_id`` names it, its log group
    and its role), hardened as the module says."""
    tenant_id = owner_id
    slug = spec.name.replace("_", "-")
    log_group = logs.LogGroup(
        scope,
        "Logs",
        log_group_name=f"{tenant_log_group_prefix(tenant_id)}{slug}",
        encryption_key=key,
        retention=log_retention(log_days),
        removal_policy=RemovalPolicy.RETAIN,
    )
    role = iam.Role(
        scope,
        "Role",
        description=f"{spec.name} of tenant {tenant_id}",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
    )
    policy = iam.ManagedPolicy(
        scope,
        "Policy",
        description=f"{spec.name} of tenant {tenant_id}: only this tenant's resources",
        roles=[role],
        statements=[
            iam.PolicyStatement(
                sid="OwnLogGroup",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            ),
            *statements,
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
    function = lambda_.Function(
        scope,
        "Function",
        function_name=f"dho-{tenant_id}-{slug}",
        description=description,
        runtime=RUNTIME,
        architecture=LAMBDA_ARCHITECTURE,
        handler=spec.handler,
        code=lambda_.Code.from_asset(str(spec.folder), exclude=list(ASSET_EXCLUDES)),
        layers=list(layers),
        role=role.without_policy_updates(),
        memory_size=memory_size,
        timeout=timeout,
        reserved_concurrent_executions=reserved_concurrency,
        environment=dict(environment),
        environment_encryption=key,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        tracing=lambda_.Tracing.ACTIVE,
        snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
        # Every cached SnapStart version is billed: delete a version once the alias has moved on.
        current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY),
    )
    function.node.add_dependency(policy)
    acknowledge(
        function,
        "AwsSolutions::AwsSolutions-L1",
        "The runtime is pinned to the Python minor version the layers are built for and that CI runs "
        "the handler with (infra/lambda_platform.py); it is supported by Lambda and is bumped together "
        "with a layer rebuild, not silently by a CDK upgrade.",
    )
    acknowledge(
        function,
        "HIPAA.Security::HIPAA.Security-LambdaInsideVPC",
        "The function opens no network connections except to AWS APIs (DynamoDB, SNS, KMS, X-Ray, "
        "CloudWatch Logs) over TLS, authorised by its tenant-scoped role; it has no inbound path. A VPC "
        "would add NAT or five interface endpoints per region without narrowing what the role may do "
        "(docs/infra.md, hardening options).",
    )
    return function
