"""The tenant's customer-managed KMS key: everything of the tenant at rest is encrypted with it."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm
from constructs import Construct


def tenant_key_arn_parameter(tenant_id: str) -> str:
    """The SSM parameter holding the tenant key's ARN: a response centre's stack reads it at deploy time
    (a parameter, not a CloudFormation export: an export in use could never change)."""
    return f"/dho/{tenant_id}/key/arn"


def tenant_log_group_prefix(tenant_id: str) -> str:
    """Every log group of a tenant lives under this prefix, so the key policy can name them all."""
    return f"/dho/{tenant_id}/"


class TenantKey(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, tenant_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/dho/{tenant_id}",
            description=f"DHO tenant {tenant_id}: table, queues, topics, logs and backups",
            enable_key_rotation=True,
            # Destroying the key destroys the data and the backups: never by a stack operation.
            removal_policy=RemovalPolicy.RETAIN,
            pending_window=Duration.days(30),
        )
        # CloudWatch Logs encrypts the tenant's log groups (function logs and IoT rule errors may hold
        # readings); the encryption context pins the grant to this tenant's log groups.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsForThisTenantsLogGroups",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name=f"{tenant_log_group_prefix(tenant_id)}*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )
        # CloudWatch alarms publish to the tenant's encrypted operations topic.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToEncryptedTopics",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )


def publish_key_arn(scope: Construct, tenant_id: str, key: kms.IKey) -> None:
    """Write the key's ARN where a centre that the tenant named can find it (``tenant_key_arn_parameter``)."""
    ssm.StringParameter(
        scope,
        "KeyArn",
        parameter_name=tenant_key_arn_parameter(tenant_id),
        string_value=key.key_arn,
        description=f"ARN of the DHO tenant key of {tenant_id} (read by the response centre it named)",
    )
