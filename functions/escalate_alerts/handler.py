"""escalate_alerts: the scheduled sweep over a tenant's open alerts (EventBridge, every minute).

Repeats unacknowledged reds and moves them up the escalation tiers (or, while the response centre is
closed, repeats them at the out-of-hours clinic), re-triggers acknowledged reds that were not closed,
auto-closes stale yellows, and at the centre's opening hands it the out-of-hours reds nobody took and the
yellows that waited for it; it reads only the alerts due by the tick (the due index), never every open
one. "Now" is the schedule's own time from the event, so a retried invocation decides as the original
would have (and finds nothing left due that it wrote). Then it empties the notification
outbox: notifications written with their alert whose publish failed (SNS outage, a crash between write
and publish) are published once they are older than the grace period (``DHO_NOTIFICATION_GRACE_SECONDS``,
60 s by default). If SNS fails again they stay there for the next tick (counted as ``deferred``).

Then the hourly missed-measurement checks (``dho.alerting.adherence_sweep``): the patients whose slot is
this tick's minute are checked against their plan's measurement and questionnaire schedules, and a
measurement or questionnaire due but not yet past its grace is reminded to the patient's device
(``dho.advice.overdue_reminders``).

An event ``{"action": "index_open_alerts"}`` (an operator's one-off ``aws lambda invoke`` after
upgrading a tenant whose open alerts predate the due index) only puts those alerts on the index.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from dho.alerting.adherence_sweep import AdherenceSweep
from dho.alerting.service import AlertService
from dho.alerting.wiring import build_adherence_sweep, build_escalation_service
from dho.settings import AlertSettings, DeviceMessageSettings, TenantSettings

INDEX_OPEN_ALERTS = "index_open_alerts"

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@cache
def alert_service() -> AlertService:
    return build_escalation_service(TenantSettings(), AlertSettings())  # fields come from the environment


@cache
def adherence_sweep() -> AdherenceSweep:
    return build_adherence_sweep(DeviceMessageSettings(), alert_service())


def scheduled_time(event: dict[str, Any]) -> datetime:
    """The time of the schedule tick (EventBridge scheduled events carry it as ``time``)."""
    if "time" in event:
        return datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")).astimezone(UTC)
    return datetime.now(tz=UTC)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("action") == INDEX_OPEN_ALERTS:
        indexed = alert_service().index_open_alerts()
        logger.info("open alerts put on the sweep's index", extra={"indexed": indexed})
        return {"indexed": indexed}
    now = scheduled_time(event)
    outcome = alert_service().sweep(now)
    adherence = adherence_sweep().run(now)  # after the reds: they are the time-critical part of the tick
    metrics.add_metric(name="AlertsEscalated", unit=MetricUnit.Count, value=len(outcome.written))
    metrics.add_metric(name="AlertNotificationsSent", unit=MetricUnit.Count, value=outcome.notified)
    metrics.add_metric(name="AlertNotificationsRedelivered", unit=MetricUnit.Count, value=outcome.redelivered)
    metrics.add_metric(name="AlertNotificationsDeferred", unit=MetricUnit.Count, value=outcome.deferred)
    summary = {"written": len(outcome.written), "notified": outcome.notified, "conflicts": outcome.conflicts,
               "redelivered": outcome.redelivered, "dropped": outcome.dropped, "unsettled": outcome.unsettled,
               "deferred": outcome.deferred,  # SNS failed: they stay in the outbox for the next tick
               "adherence_checked": adherence.checked, "adherence_overdue": adherence.overdue,
               "adherence_notified": adherence.notified, "adherence_failed": adherence.failed,
               "overdue_reminders": adherence.reminded}
    metrics.add_metric(name="AdherenceChecks", unit=MetricUnit.Count, value=adherence.checked)
    metrics.add_metric(name="AdherenceCheckFailures", unit=MetricUnit.Count, value=adherence.failed)
    metrics.add_metric(name="OverdueRemindersSent", unit=MetricUnit.Count, value=adherence.reminded)
    logger.info("alerts swept", extra=summary)
    return summary
