"""The tenant's Normen access log: its own append-only DynamoDB table, ``dho-<tenant>-access-log``.

Kept apart from the tenant table on purpose: erasing a patient's data there (GDPR Art. 17) must not erase
who accessed it (Normen, pasientjournalloven §22, pasientjournalforskriften §14), and the functions that
write and delete in the tenant table (process_readings, escalate_alerts) get no access here at all.

- Same key layout as before (``dho.adapters.keys``): partition ``PATIENT#<patient_id>`` (or
  ``ACCESS_UNATTRIBUTED``), sort ``ACCESS#<accessed_at>#<access_id>``, so "who accessed patient X" is one
  bounded key-range query. No index, no stream, no TTL: nothing expires by itself.
- Encrypted with the tenant key, PITR (35 days), deletion protection, RETAINed, daily AWS Backup copies in
  the tenant's vault (the tenant table's plan, own selection).
- Writers and readers are granted by their own roles: only the centre API (its own stack) may ``PutItem``
  (access-log attributes only, the adapter puts on ``attribute_not_exists(pk)``) and ``Query``. The
  table's resource policy denies every principal, administrators included, the actions that change or
  remove an entry (UpdateItem, DeleteItem, BatchWriteItem, PartiQL update/delete): the log is
  append-only. Removing entries after the controller's retention period means changing that policy
  first: a deliberate, reviewed change.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.compliance import acknowledge
from infra.constructs.tenant_table import protected_table_settings

# Actions that would change or remove an existing entry: denied to everyone by the table's resource policy.
# (TransactWriteItems is authorised per contained action, so the item actions cover it.)
APPEND_ONLY_DENIED_ACTIONS = (
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)


def access_log_table_name(tenant_id: str) -> str:
    return f"dho-{tenant_id}-access-log"


class AccessLogTable(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, tenant_id: str, key: kms.IKey, backup_plan: backup.BackupPlan
    ) -> None:
        super().__init__(scope, construct_id)
        name = access_log_table_name(tenant_id)
        # The table's own ARN from its fixed name: a resource policy cannot reference its table's attributes.
        table_arn = Stack.of(self).format_arn(service="dynamodb", resource="table", resource_name=name)
        self.table = dynamodb.TableV2(
            self,
            "Table",
            table_name=name,
            **protected_table_settings(key),
            resource_policy=iam.PolicyDocument(
                statements=[
                    iam.PolicyStatement(
                        sid="AppendOnly",
                        effect=iam.Effect.DENY,
                        principals=[iam.AnyPrincipal()],
                        actions=list(APPEND_ONLY_DENIED_ACTIONS),
                        resources=[table_arn],
                    )
                ]
            ),
        )
        selection = backup_plan.add_selection(
            "AccessLog",
            backup_selection_name=name,
            resources=[backup.BackupResource.from_arn(self.table.table_arn)],
        )
        acknowledge(
            selection,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSBackupServiceRolePolicyForBackup]",
            "AWSBackupServiceRolePolicyForBackup is the role policy AWS Backup documents for backup "
            "selections; AWS keeps it current for the services Backup supports, and this role can only be "
            "assumed by AWS Backup for this tenant's access-log selection.",
        )
