"""Interim `make demo`: the events/ corpus through the real process_readings handler on a local cloud.

Starts a moto server, creates a tenant's table, readings queue and DLQ, registers the corpus' patients
and devices, queues every corpus message as the IoT rule would, lets the SQS runner invoke the handler
until the queue is empty, replays everything once more, and prints what was stored and quarantined.
(The full demo, with an MQTT broker, simulated devices and nurse alerts, is issue #5.)
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from localcloud.corpus import load_messages, registry
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.moto_server import running_moto_server
from localcloud.registry_seed import seed_registry
from localcloud.sqs_lambda_runner import drain
from localcloud.tenant_table import create_tenant_table, scan_all

LOG = Path("build/demo/process_readings.log")


def _queue_with_dlq(sqs: Any, name: str) -> str:
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return str(sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": "1",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
    })["QueueUrl"])


def _alert_topic_with_inbox(sqs: Any, name: str) -> tuple[str, str]:
    """The tenant's alert topic, with a queue subscribed where the demo reads what nurses would get."""
    topic_arn = str(boto3.client("sns").create_topic(Name=name)["TopicArn"])
    inbox_url = sqs.create_queue(QueueName=f"{name}-nurse-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn)
    return topic_arn, str(inbox_url)


def _drain_inbox(sqs: Any, inbox_url: str) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=inbox_url, MaxNumberOfMessages=10).get("Messages", []):
        received.extend(json.loads(m["Body"]) for m in batch)
        sqs.delete_message_batch(QueueUrl=inbox_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
    return received


def main() -> int:
    spec = registry()
    tenant = spec["tenant"]
    messages = load_messages()
    with running_moto_server() as endpoint:
        print(f"local cloud: moto server at {endpoint}")
        dynamodb = boto3.client("dynamodb")
        sqs = boto3.client("sqs")
        table = f"dho-{tenant}-timeline"
        create_tenant_table(dynamodb, table)
        queue_url = _queue_with_dlq(sqs, f"dho-{tenant}-readings")
        topic_arn, inbox_url = _alert_topic_with_inbox(sqs, f"dho-{tenant}-alerts")
        seed_registry(DynamoDbRegistry(dynamodb, table), spec)
        print(f"tenant {tenant}: {len(spec['patients'])} patients, {len(spec['assignments'])} device assignments")

        os.environ.update({"DHO_TENANT_ID": tenant, "DHO_TABLE_NAME": table, "DHO_ALERT_TOPIC_ARN": topic_arn,
                           "DHO_TENANT_NAME": "Bodø",
                           "POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_NAMESPACE": "DHO",
                           "POWERTOOLS_SERVICE_NAME": "process_readings", "POWERTOOLS_TRACE_DISABLED": "true",
                           "POWERTOOLS_METRICS_DISABLED": "true"})
        handler = load_handler("process_readings")
        LOG.parent.mkdir(parents=True, exist_ok=True)
        snapshots = []
        for round_name in ("first delivery", "replay of every message"):
            for message in messages:
                sqs.send_message(QueueUrl=queue_url, MessageBody=message.body)
            with LOG.open("a") as log, contextlib.redirect_stdout(log):  # the function's JSON logs and EMF
                stats = drain(sqs, queue_url, handler.lambda_handler, FakeLambdaContext(), max_empty_polls=2)
            items = scan_all(dynamodb, table)
            snapshots.append(items)
            stored = sum(1 for i in items if i["sk"]["S"].startswith("READING#"))
            print(f"\n{round_name}: {stats.delivered} messages in {stats.invocations} invocations, "
                  f"{stats.failed} handed back for retry")
            print(f"  readings stored: {stored}   timeline entries: "
                  f"{sum(1 for i in items if i['sk']['S'].startswith('TL#'))}")
        print(f"  replay changed the table: {'no' if snapshots[0] == snapshots[1] else 'YES'}")
        print(f"  the function's logs and metrics: {LOG}")
        kept = DynamoDbQuarantine(dynamodb, table).list_all()
        print(f"  quarantined: {len(kept)}")
        for reason, count in sorted(Counter(m.reason.value for m in kept).items()):
            print(f"    {reason:<24} {count}")
        sent = _drain_inbox(sqs, inbox_url)
        print(f"\nalerts sent to the nurses' topic: {len(sent)} (both deliveries together)")
        for message in sent:
            print(f"  [{message['MessageAttributes']['severity']['Value']:>6}] {message['Message']}")
        reconciled = stored + len(kept) == len(messages) and snapshots[0] == snapshots[1]
        print(f"\nreconciliation: published {len(messages)} = stored {stored} + quarantined {len(kept)}"
              f"  -> {'OK' if reconciled else 'MISMATCH'}")
    return 0 if reconciled else 1


if __name__ == "__main__":
    sys.exit(main())
