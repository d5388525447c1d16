"""process_readings: SQS batch of device messages (from the IoT rule) → patient timelines → alerts.

Bad messages are quarantined with their reason and acknowledged (retrying cannot fix them);
transient store errors fail only their own record, which SQS redelivers (ReportBatchItemFailures).
After the batch, the patients it touched are scored and their alerts updated; if that fails the
invocation fails and SQS redelivers the batch, which ingest recognises as replays.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
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

    def ingest_record(record: SQSRecord) -> None:
        arrived_at = datetime.fromtimestamp(int(record.attributes.sent_timestamp) / 1000, tz=UTC)
        tally.add(readings_pipeline().ingest(record.body, arrived_at=arrived_at), logger)

    response = process_partial_response(
        event=event, record_handler=ingest_record, processor=processor, context=context
    )
    tally.publish(metrics, logger)
    tally.publish_scores(readings_pipeline().score(tally.results), metrics, logger)
    return dict(response)
