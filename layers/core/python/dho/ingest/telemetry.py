"""Counts and logs of an ingest batch and of the alerts it led to: outcome and reason codes only,
never names, ids of persons or measured values (Normen / GDPR: logs are read by operators, not by the
patient's care team)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from dho.domain.advice import SendOutcome
from dho.ingest.service import IngestResult, IngestStatus
from dho.pipeline import BatchScore

METRICS_NAMESPACE = "DHO"  # the stacks set POWERTOOLS_METRICS_NAMESPACE to the same
_METRIC_NAMES = {
    IngestStatus.STORED: "ReadingsStored",
    IngestStatus.DUPLICATE: "ReadingsDuplicate",
    IngestStatus.QUARANTINED: "ReadingsQuarantined",
}


@dataclass
class OutcomeTally:
    """Collects the results of one invocation, then emits one metric per outcome and reason."""

    by_status: Counter[IngestStatus] = field(default_factory=Counter)
    quarantined_by_reason: Counter[str] = field(default_factory=Counter)
    results: list[IngestResult] = field(default_factory=list)

    def add(self, result: IngestResult, logger: Logger) -> None:
        self.results.append(result)
        self.by_status[result.status] += 1
        if result.status is IngestStatus.QUARANTINED and result.reason is not None:
            self.quarantined_by_reason[result.reason.value] += 1
            logger.warning(
                "reading quarantined",
                extra={"reason": result.reason.value, "device_id": result.device_id,
                       "reading_id": result.reading_id, "first_time": result.first_time},
            )

    def publish(self, metrics: Metrics, logger: Logger) -> None:
        for status, metric_name in _METRIC_NAMES.items():
            metrics.add_metric(name=metric_name, unit=MetricUnit.Count, value=self.by_status[status])
        for reason, count in sorted(self.quarantined_by_reason.items()):
            # One EMF document per reason, so operators can alarm on e.g. implausible_value spikes.
            with single_metric(name="QuarantinedByReason", unit=MetricUnit.Count, value=count,
                               namespace=metrics.namespace or METRICS_NAMESPACE,
                               default_dimensions=metrics.default_dimensions) as metric:
                metric.add_dimension(name="reason", value=reason)
        logger.info("batch ingested", extra={"outcomes": {s.value: n for s, n in self.by_status.items()},
                                            "quarantined_by_reason": dict(self.quarantined_by_reason)})

    @staticmethod
    def publish_scores(score: BatchScore, metrics: Metrics, logger: Logger) -> None:
        written = sum(len(o.written) for o in score.alerts)
        notified = sum(o.notified for o in score.alerts)
        deferred = sum(o.deferred for o in score.alerts)  # SNS failed: left in the outbox for the sweep
        metrics.add_metric(name="AlertsWritten", unit=MetricUnit.Count, value=written)
        metrics.add_metric(name="AlertNotificationsSent", unit=MetricUnit.Count, value=notified)
        metrics.add_metric(name="AlertNotificationsDeferred", unit=MetricUnit.Count, value=deferred)
        # Series scored on their newest entries only: a device sending far more often than planned.
        metrics.add_metric(name="WindowSeriesTruncated", unit=MetricUnit.Count, value=score.truncated_series)
        advice_sent = sum(a.outcome is SendOutcome.SENT for a in score.advice)
        advice_failed = len(score.advice) - advice_sent  # IoT Core refused: kept as not sent for the nurse
        metrics.add_metric(name="AdviceSent", unit=MetricUnit.Count, value=advice_sent)
        metrics.add_metric(name="AdviceNotSent", unit=MetricUnit.Count, value=advice_failed)
        logger.info("patients scored", extra={"patients": len(score.alerts), "alerts_written": written,
                                             "notifications": notified, "notifications_deferred": deferred,
                                             "window_series_truncated": score.truncated_series,
                                             "advice_sent": advice_sent, "advice_not_sent": advice_failed})
