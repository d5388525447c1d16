"""The tenant's single DynamoDB table (timeline, plans, registry, alerts) and its backups (the Normen
access log has its own table: ``infra.constructs.access_log_table``)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from constructs import Construct

from dho.adapters import table_schema
from infra.compliance import acknowledge


def _string_key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def protected_table_settings(key: kms.IKey) -> dict[str, Any]:
    """What every table of patient data gets (the tenant table, the access log): the single-table key
    names of ``dho.adapters.table_schema``, on-demand billing, the tenant key, 35 days of point-in-time
    recovery, deletion protection, and kept when the stack is deleted."""
    return {
        "partition_key": _string_key(table_schema.PARTITION_KEY),
        "sort_key": _string_key(table_schema.SORT_KEY),
        "billing": dynamodb.Billing.on_demand(),
        "encryption": dynamodb.TableEncryptionV2.customer_managed_key(key),
        "point_in_time_recovery_specification": dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True, recovery_period_in_days=35
        ),
        "deletion_protection": True,
        "removal_policy": RemovalPolicy.RETAIN,
    }


class TenantTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, tenant_id: str, key: kms.IKey, backup_days: int) -> None:
        super().__init__(scope, construct_id)
        # The key names come from the domain package, so the adapters and the table cannot drift.
        self.table = dynamodb.TableV2(
            self,
            "Table",
            table_name=f"dho-{tenant_id}",
            **protected_table_settings(key),
            # Quarantined messages expire (they may hold measured values); no other item has the attribute.
            time_to_live_attribute=table_schema.TIME_TO_LIVE_ATTRIBUTE,
            global_secondary_indexes=[
                # The nurses' triage list: open alerts of the tenant by urgency, then age.
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=table_schema.TRIAGE_INDEX,
                    partition_key=_string_key(table_schema.TRIAGE_PARTITION_KEY),
                    sort_key=_string_key(table_schema.TRIAGE_SORT_KEY),
                    projection_type=dynamodb.ProjectionType.ALL,
                )
            ],
        )
        self.triage_index_arn = f"{self.table.table_arn}/index/{table_schema.TRIAGE_INDEX}"

        # PITR covers 35 days of mistakes; the backup plan keeps daily copies for the agreed retention
        # in a vault whose recovery points nobody (not even an admin) can delete early.
        vault = backup.BackupVault(
            self,
            "Vault",
            backup_vault_name=f"dho-{tenant_id}",
            encryption_key=key,
            block_recovery_point_deletion=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.backup_plan = plan = backup.BackupPlan(
            self,
            "Plan",
            # Explicit: CDK would name every tenant's plan after the construct id.
            backup_plan_name=f"dho-{tenant_id}-table",
            backup_vault=vault,
            backup_plan_rules=[
                backup.BackupPlanRule(
                    rule_name="Daily",
                    schedule_expression=events.Schedule.cron(hour="2", minute="0"),
                    delete_after=Duration.days(backup_days),
                )
            ],
        )
        selection = plan.add_selection(
            "Table",
            backup_selection_name=f"dho-{tenant_id}-table",
            resources=[backup.BackupResource.from_arn(self.table.table_arn)],
        )
        acknowledge(
            selection,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSBackupServiceRolePolicyForBackup]",
            "AWSBackupServiceRolePolicyForBackup is the role policy AWS Backup documents for backup "
            "selections; AWS keeps it current for the services Backup supports, and this role can only be "
            "assumed by AWS Backup for this tenant's selection.",
        )
