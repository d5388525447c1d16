"""Interim `make demo`: the events/ corpus through the real process_readings handler on a local cloud.

Starts a moto server, creates a tenant's table, readings queue and DLQ, registers the corpus' patients
and devices, queues every corpus message as the IoT rule would, lets the SQS runner invoke the handler
until the queue is empty, replays everything once more, and prints what was stored and quarantined.
(The full demo, with an MQTT broker, simulated devices and nurse alerts, is issue #5.)
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.domain.clock import from_epoch_millis
from localcloud.corpus import load_messages, received_at_ms, registry
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.moto_server import running_moto_server
from localcloud.quarantine_listing import days_between, quarantined_on
from localcloud.queues import create_queue_with_dlq, topic_with_inbox
from localcloud.registry_seed import seed_registry
from localcloud.sqs_lambda_runner import drain
from localcloud.tenant_table import create_tenant_table, scan_all

LOG = Path("build/demo/process_readings.log")


def main() -> int:
    spec = registry()
    tenant = spec["tenant"]
    messages = load_messages()
    started = datetime.now(UTC)
    with running_moto_server() as endpoint:
        print(f"local cloud: moto server at {endpoint}")
        dynamodb = boto3.client("dynamodb")
        sqs = boto3.client("sqs")
        table = f"dho-{tenant}-timeline"
        create_tenant_table(dynamodb, table)
        queue_url = create_queue_with_dlq(sqs, f"dho-{tenant}-readings", max_receive_count=3).url
        inbox = topic_with_inbox(sqs, boto3.client("sns"), f"dho-{tenant}-alerts", f"dho-{tenant}-alerts-nurse-inbox")
        seed_registry(DynamoDbRegistry(dynamodb, table), spec)
        print(f"tenant {tenant}: {len(spec['patients'])} patients, {len(spec['assignments'])} device assignments")

        os.environ.update(
            {
                "DHO_TENANT_ID": tenant,
                "DHO_TABLE_NAME": table,
                "DHO_ALERT_TOPIC_ARN": inbox.topic_arn,
                "DHO_TENANT_NAME": "Bodø",
                "POWERTOOLS_LOG_LEVEL": "ERROR",
                "POWERTOOLS_METRICS_NAMESPACE": "DHO",
                "POWERTOOLS_SERVICE_NAME": "process_readings",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
            }
        )
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
            print(
                f"\n{round_name}: {stats.delivered} messages in {stats.invocations} invocations, "
                f"{stats.failed} handed back for retry"
            )
            print(
                f"  readings stored: {stored}   timeline entries: "
                f"{sum(1 for i in items if i['sk']['S'].startswith('TL#'))}"
            )
        print(f"  replay changed the table: {'no' if snapshots[0] == snapshots[1] else 'YES'}")
        print(f"  the function's logs and metrics: {LOG}")
        # Refused messages are dated by the corpus' arrival time or, if too broken to say, by when the
        # queue got them (now): list every day in between, as kept at the earliest of those (the corpus'
        # records may be past their retention at the real now, whatever day the demo runs).
        times = (from_epoch_millis(received_at_ms()), started, datetime.now(UTC))
        kept = quarantined_on(DynamoDbQuarantine(dynamodb, table), days_between(min(times), max(times)),
                              now=min(times), at_most=len(messages))
        print(f"  quarantined: {len(kept)}")
        for reason, count in sorted(Counter(m.reason.value for m in kept).items()):
            print(f"    {reason:<24} {count}")
        sent = inbox.messages()
        print(f"\nalerts sent to the nurses' topic: {len(sent)} (both deliveries together)")
        for envelope in sent:
            print(f"  [{envelope['MessageAttributes']['severity']['Value']:>6}] {envelope['Message']}")
        reconciled = stored + len(kept) == len(messages) and snapshots[0] == snapshots[1]
        print(
            f"\nreconciliation: published {len(messages)} = stored {stored} + quarantined {len(kept)}"
            f"  -> {'OK' if reconciled else 'MISMATCH'}"
        )
    return 0 if reconciled else 1


if __name__ == "__main__":
    sys.exit(main())
