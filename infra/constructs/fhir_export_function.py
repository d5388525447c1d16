"""The tenant's fhir_export function: a patient's home-monitoring data as a FHIR R4B Bundle for the
integration engine (GP, hospital, EHR), with the Normen access log written first.

Invoked directly with IAM (``lambda:InvokeFunction`` granted to the integration engine's role outside
this stack), no API Gateway. Least privilege on the tenant table: reads (GetItem for the patient,
Query for the timeline, alerts and access history) and PutItem for the access-log entry, limited to
the access log's attributes; no update, delete, transaction or scan, and no index (the export reads
the patient's partition only).
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
ACCESS_LOG_ACTIONS = ("dynamodb:PutItem",)
# A few exports at a time per tenant: the integration engine fetches per patient, not in bulk.
RESERVED_CONCURRENCY = 2


def export_environment(tenant: Tenant, table_name: str) -> dict[str, str]:
    return {
        "DHO_TENANT_ID": tenant.tenant_id,
        "DHO_TABLE_NAME": table_name,
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
                # IAM cannot scope a put to a sort-key prefix; it can scope it to the access log's
                # attributes, and forbid reading the old item back through the put.
                iam.PolicyStatement(
                    sid="WriteAccessLog",
                    actions=list(ACCESS_LOG_ACTIONS),
                    resources=[table.table_arn],
                    conditions={
                        "ForAllValues:StringEquals": {"dynamodb:Attributes": list(ACCESS_LOG_ATTRIBUTES)},
                        "StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"},
                    },
                ),
            ],
            environment=export_environment(tenant, table.table_name),
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
