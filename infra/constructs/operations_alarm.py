"""An alarm that tells the operators (never the nurses) that the pipeline needs attention."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from constructs import Construct


def tenant_alarm_name(tenant_id: str, what: str) -> str:
    """Every operator alarm of a tenant is named under one prefix, so the operations topic's policy can let
    exactly the tenant's alarms publish (see :func:`tenant_alarms_arn`)."""
    return f"dho-{tenant_id}-{what}"


def tenant_alarms_arn(scope: Construct, tenant_id: str) -> str:
    """ARN pattern of the tenant's alarms (``arn:…:cloudwatch:<region>:<account>:alarm:dho-<tenant>-*``)."""
    return Stack.of(scope).format_arn(
        service="cloudwatch",
        resource="alarm",
        resource_name=tenant_alarm_name(tenant_id, "*"),
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def operations_alarm(
    scope: Construct,
    construct_id: str,
    *,
    name: str,
    description: str,
    metric: cloudwatch.IMetric,
    threshold: float,
    topic: sns.ITopic,
    evaluation_periods: int = 1,
    comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    # No data usually means no traffic, which is not a fault of the pipeline.
    missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
) -> cloudwatch.Alarm:
    alarm = cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_name=name,
        alarm_description=description,
        metric=metric,
        threshold=threshold,
        comparison_operator=comparison,
        evaluation_periods=evaluation_periods,
        treat_missing_data=missing_data,
    )
    action = cloudwatch_actions.SnsAction(topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
    return alarm
