"""fhir_export: one patient's home-monitoring data as a FHIR R4B Bundle, for a GP, the hospital or
the EHR. Invoked directly (``lambda:InvokeFunction``, IAM) by the integration engine with

    {"patient_id": "P-…", "since": "<ISO-8601>", "until": "<ISO-8601>",
     "requested_by": {"hpr": "<HPR number>", "role": "…", "organisation": "…"}}

and answers ``{"outcome": "exported" | "refused" | "not_found" | "too_large", "access_id": …,
"resource": <Bundle, or an OperationOutcome saying why not>}``. Every request is written to the
patient's Normen access log before the answer is returned; if that write fails, the invocation fails
and returns nothing. Logs, metrics and traces carry the outcome, the access id and counts only: no
patient id, national id, HPR number or value (the response itself is kept out of the trace).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from dho.domain.clock import utc_now
from dho.export.service import FhirExportService
from dho.export.wiring import build_export_service
from dho.settings import ExportSettings

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@cache
def export_service() -> FhirExportService:
    return build_export_service(ExportSettings())  # fields come from the environment


@logger.inject_lambda_context(log_event=False)  # the event names the patient and the health worker
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = export_service().export(event, now=utc_now())
    metrics.add_dimension(name="outcome", value=result.outcome.value)
    metrics.add_metric(name="FhirExports", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="FhirResourcesExported", unit=MetricUnit.Count, value=sum(result.counts.values()))
    logger.info("fhir export", extra={"outcome": result.outcome.value, "access_id": result.access_id,
                                      "resources": result.counts})
    return result.response()
