"""CloudWatch Logs retention from a number of days in the tenant config."""

from __future__ import annotations

from aws_cdk import aws_logs as logs

from infra.config import LOG_RETENTION_DAYS

# RetentionDays lists the same periods in the same order (plus INFINITE, which we never use:
# Normen expects logs to be deleted when they are no longer needed).
_BY_DAYS = dict(zip(LOG_RETENTION_DAYS, [m for m in logs.RetentionDays if m.name != "INFINITE"], strict=True))


def log_retention(days: int) -> logs.RetentionDays:
    return _BY_DAYS[days]
