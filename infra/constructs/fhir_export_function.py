"""The tenant's fhir_export function: a patient's home-monitoring data as a FHIR R4B Bundle for the
integration engine (GP, hospital, EHR), with the Normen access log written first.

Invoked directly with IAM (``lambda:InvokeFunction``), no API Gateway: the function's resource policy
allows each role in the tenant's ``export_invoker_role_arns`` to invoke it (the unqualified function,
i.e. ``$LATEST``: fhir_export is deployed without alias or published version; the invoker's own account
must allow the call too). Least privilege: on the tenant table reads only (GetItem for the patient, Query
for the timeline and alerts), no write, scan, index or transaction; on the tenant's access-log table
(``infra.constructs.access_log_table``) PutItem only, limited to the access log's attributes and without
reading the old item back. No other function of the tenant has any access to the access-log table.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from dho.adapters.table_schema import ACCESS_LOG_ATTRIBUTES
from infra.compliance import acknowledge
from infra.config import Tenant
from infra.constructs.tenant_function import TenantFunction
from infra.layer_catalog import FHIR_EXPORT

READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query")
ACCESS_LOG_ACTIONS = ("dynamodb:PutItem",)  # append only: the adapter puts on attribute_not_exists(pk)
# A few exports at a time per tenant: the integration engine fetches per patient, not in bulk.
RESERVED_CONCURRENCY = 2


def export_environment(tenant: Tenant, table_name: str, access_log_table_name: str) -> dict[str, str]:
    return {
        "DHO_TENANT_ID": tenant.tenant_id,
        "DHO_TABLE_NAME": table_name,
        "DHO_ACCESS_LOG_TABLE_NAME": access_log_table_name,
        "POWERTOOLS_SERVICE_NAME": FHIR_EXPORT.name,
        "POWERTOOLS_METRICS_NAMESPACE": "DHO",
        # Traces are not encrypted with the tenant key: the Bundle (national id, values) stays out.
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
        "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
    }


class FhirExportFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tenant: Tenant,
        key: kms.IKey,
        table: dynamodb.ITableV2,
        access_log_table: dynamodb.ITableV2,
        layers: Sequence[lambda_.ILayerVersion],
    ) -> None:
        super().__init__(scope, construct_id)
        tenant_id = tenant.tenant_id
        self.function = TenantFunction(
            self,
            "Resources",
            tenant=tenant,
            key=key,
            spec=FHIR_EXPORT,
            description=f"FHIR R4B export of a patient's home-monitoring data, tenant {tenant_id}",
            statements=[
                iam.PolicyStatement(sid="ReadTenantTable", actions=list(READ_ACTIONS), resources=[table.table_arn]),
                # The access log's own table: puts of the access log's attributes only, and no reading
                # the old item back through the put (no update or delete: the table denies them to all).
                iam.PolicyStatement(
                    sid="WriteAccessLog",
                    actions=list(ACCESS_LOG_ACTIONS),
                    resources=[access_log_table.table_arn],
                    conditions={
                        "ForAllValues:StringEquals": {"dynamodb:Attributes": list(ACCESS_LOG_ATTRIBUTES)},
                        "StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"},
                    },
                ),
            ],
            environment=export_environment(tenant, table.table_name, access_log_table.table_name),
            layers=layers,
            timeout=Duration.seconds(30),
            memory_size=1024,  # validating a few thousand resources with pydantic is CPU-bound
            reserved_concurrency=RESERVED_CONCURRENCY,
        ).function
        acknowledge(
            self.function,
            "HIPAA.Security::HIPAA.Security-LambdaDLQ",
            "The export is invoked synchronously by the integration engine, which gets the answer or the "
            "error directly; a Lambda DLQ applies to asynchronous invocations only, and an export request "
            "holds nothing worth parking (the caller asks again).",
        )
        # The integration engine's roles (tenant config); none configured = nobody outside may invoke it.
        for index, role_arn in enumerate(tenant.export_invoker_role_arns):
            self.function.add_permission(
                f"Invoker{index}",
                principal=iam.ArnPrincipal(role_arn),
                action="lambda:InvokeFunction",
            )
