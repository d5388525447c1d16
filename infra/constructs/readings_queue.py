"""The tenant's readings queue between IoT Core and the function, its dead-letter queue and alarms."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.operations_alarm import operations_alarm

# A reading that failed this often is kept in the DLQ with the reason in the logs, never dropped.
MAX_RECEIVE_COUNT = 5


class ReadingsQueue(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tenant_id: str,
        key: kms.IKey,
        visibility_timeout: Duration,
        max_reading_delay: Duration,
        alarm_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=f"dho-{tenant_id}-readings-dlq",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(14),  # the SQS maximum: time to redrive after a fix
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            queue_name=f"dho-{tenant_id}-readings",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            visibility_timeout=visibility_timeout,
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVE_COUNT, queue=self.dead_letter_queue),
        )
        operations_alarm(
            self,
            "DeadLettersAlarm",
            name=f"dho-{tenant_id}-readings-dead-letters",
            description=f"Readings of tenant {tenant_id} failed {MAX_RECEIVE_COUNT} times and wait in "
            "the DLQ: read the function logs, fix, then redrive the DLQ.",
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=0,
            topic=alarm_topic,
        )
        operations_alarm(
            self,
            "OldestReadingAlarm",
            name=f"dho-{tenant_id}-readings-delayed",
            description=f"Readings of tenant {tenant_id} wait longer than "
            f"{int(max_reading_delay.to_minutes())} min: alerts to nurses are delayed.",
            metric=self.queue.metric_approximate_age_of_oldest_message(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=max_reading_delay.to_seconds(),
            evaluation_periods=2,
            topic=alarm_topic,
        )
