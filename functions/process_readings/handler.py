"""process_readings: SQS batch of device messages (from the IoT rule) → patient timelines → alerts.

Bad messages are quarantined with their reason and acknowledged (retrying cannot fix them);
transient store errors fail only their own record, which SQS redelivers (ReportBatchItemFailures).
After the batch, the patients it touched are scored and their alerts updated, each on its own: if that
fails for a patient, that patient's records in the batch are reported as failures (SQS redelivers them,
ingest recognises replays, scoring runs again and the alert policy dedups) and the others are decided.
A notification SNS did not take stays in the outbox for the escalation sweep; it fails nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

import dho.scoring.api  # noqa: F401  # compiles the numba kernels during init (SnapStart snapshots them)
from dho.ingest.telemetry import OutcomeTally
from dho.ingest.wiring import build_readings_pipeline
from dho.pipeline import ReadingsPipeline
from dho.settings import AlertSettings, IngestSettings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def readings_pipeline() -> ReadingsPipeline:
    return build_readings_pipeline(IngestSettings(), AlertSettings())  # fields come from the environment


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tally = OutcomeTally()
    messages_of_patient: dict[str, list[str]] = defaultdict(list)

    def ingest_record(record: SQSRecord) -> None:
        arrived_at = datetime.fromtimestamp(int(record.attributes.sent_timestamp) / 1000, tz=UTC)
        result = readings_pipeline().ingest(record.body, arrived_at=arrived_at)
        tally.add(result, logger)
        if result.patient_id is not None:
            messages_of_patient[result.patient_id].append(record.message_id)

    response = process_partial_response(
        event=event, record_handler=ingest_record, processor=processor, context=context
    )
    tally.publish(metrics, logger)
    scoring = readings_pipeline().score(tally.results)
    tally.publish_scores(scoring, metrics, logger)
    retry = sorted(m for patient in scoring.failed for m in messages_of_patient[patient])
    if scoring.failed:
        # Message ids and error types only: the patient id is a person's, an error message may hold values.
        logger.warning("scoring failed; those patients' records are returned for redelivery",
                       extra={"message_ids": retry, "errors": sorted(set(scoring.failed.values()))})
        metrics.add_metric(name="PatientsScoringFailed", unit=MetricUnit.Count, value=len(scoring.failed))
    return {"batchItemFailures": [*response["batchItemFailures"], *({"itemIdentifier": m} for m in retry)]}
