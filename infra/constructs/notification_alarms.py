"""Operator alarms for nurse notifications that do not arrive: SNS could not deliver some (a phone that
cannot receive SMS, an SMS the carrier refused, SMS stopped at the spend limit), or the month's SMS spend
is near the account's limit (past it, SNS sends no SMS at all)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.operations_alarm import operations_alarm, tenant_alarm_name

SMS_SPEND_WARNING = 0.8  # of the account's monthly SMS spend limit: time to raise it before SMS stop


class NotificationAlarms(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tenant_id: str,
        alert_topic: sns.Topic,
        operations_topic: sns.ITopic,
        sms_monthly_spend_limit_usd: float,
    ) -> None:
        super().__init__(scope, construct_id)
        operations_alarm(
            self,
            "NotificationsFailed",
            name=tenant_alarm_name(tenant_id, "nurse-notifications-failed"),
            description=f"SNS could not deliver alert notifications of tenant {tenant_id} to some nurses "
            f"(topic {alert_topic.topic_name}): check the SMS delivery logs; a nurse may not have been told.",
            metric=alert_topic.metric_number_of_notifications_failed(
                period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM
            ),
            threshold=0,
            topic=operations_topic,
        )
        # An account-wide metric (no dimensions) in the tenant's region: every tenant's operators hear of it.
        warning = round(sms_monthly_spend_limit_usd * SMS_SPEND_WARNING, 2)
        operations_alarm(
            self,
            "SmsSpendNearLimit",
            name=tenant_alarm_name(tenant_id, "sms-spend-near-limit"),
            description=f"This month's SMS spend is past {warning} USD of the account's "
            f"{sms_monthly_spend_limit_usd} USD limit: at the limit SNS stops sending alert SMS to nurses. "
            "Raise the limit (AWS support case, then MonthlySpendLimit and operations.sms_monthly_spend_limit_usd).",
            metric=cloudwatch.Metric(
                namespace="AWS/SNS",
                metric_name="SMSMonthToDateSpentUSD",
                statistic=cloudwatch.Stats.MAXIMUM,
                period=Duration.minutes(15),
            ),
            threshold=warning,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            topic=operations_topic,
        )
