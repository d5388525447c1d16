"""Fault injection for the campaign: local-cloud modes, never production code.

- :class:`AwsFaults`: a botocore ``before-call`` hook on boto3's default session, which the functions run
  in this process build their clients from. Armed, it answers chosen calls the way AWS does when the SDK's
  own retries are exhausted: DynamoDB ``ProvisionedThroughputExceededException`` for the first write of
  chosen readings, SNS ``InternalError`` for every publish while SNS is down; a slow SQS (each send of the
  rules engine held back) so that a broker restart finds messages it acknowledged but has not delivered
  yet. Unarmed it does nothing.
- :func:`crashing_after_half_a_batch`: the function runner's invocation dies after handling the first
  half of its batch (a timeout or out-of-memory kill): Lambda returns the whole batch to the queue.
- :func:`restart_broker`: the MQTT broker stops and starts again on the same port, mid-stream.
- :func:`short_visibility`: a failed message comes back after seconds instead of the stack's minutes.
"""

from __future__ import annotations

import json
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import boto3
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from localcloud.local_cloud import LocalCloud
from localcloud.mqtt_broker import BrokerHandle

_GUARD_PREFIX = "READING#"
Handler = Callable[..., None]


def _error(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    http = AWSResponse(url="local-fault", status_code=status, headers=HTTPHeaders(), raw=None)
    return http, {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}


@dataclass
class AwsFaults:
    throttled_readings: set[str] = field(default_factory=set)  # reading ids whose next write is throttled
    sns_down: bool = False
    sqs_send_delay: float = 0.0  # seconds each SendMessage(Batch) waits before it goes out
    throttled: int = 0
    sns_failed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def install(self) -> AwsFaults:
        """Before the functions build their clients: a client copies the session's hooks when created."""
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        session = boto3.DEFAULT_SESSION
        assert session is not None
        # A before-call handler may answer in place of AWS; the stubs type handlers as returning None.
        session.events.register("before-call.dynamodb.TransactWriteItems", cast(Handler, self._on_transaction))
        session.events.register("before-call.sns.Publish", cast(Handler, self._on_publish))
        for operation in ("SendMessage", "SendMessageBatch"):
            session.events.register(f"before-call.sqs.{operation}", cast(Handler, self._on_send))
        return self

    def throttle_first_write_of(self, reading_ids: set[str]) -> None:
        with self._lock:
            self.throttled_readings |= reading_ids

    def _on_transaction(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        # ``params`` is the serialized request: DynamoDB's JSON body.
        request = json.loads(params.get("body") or b"{}")
        first = (request.get("TransactItems") or [{}])[0].get("Put", {}).get("Item", {})
        sk = first.get("sk", {}).get("S", "")
        reading_id = sk.removeprefix(_GUARD_PREFIX) if sk.startswith(_GUARD_PREFIX) else None
        with self._lock:
            if reading_id is None or reading_id not in self.throttled_readings:
                return None
            self.throttled_readings.discard(reading_id)
            self.throttled += 1
        return _error(400, "ProvisionedThroughputExceededException",
                      "The level of configured provisioned throughput for the table was exceeded (local fault)")

    def _on_publish(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        with self._lock:
            if not self.sns_down:
                return None
            self.sns_failed += 1
        return _error(500, "InternalError", "SNS is unavailable (local fault)")

    def _on_send(self, **_: Any) -> None:
        if self.sqs_send_delay:
            time.sleep(self.sqs_send_delay)

    @contextmanager
    def slow_sqs_sends(self, seconds: float) -> Iterator[None]:
        self.sqs_send_delay = seconds
        try:
            yield
        finally:
            self.sqs_send_delay = 0.0

    @contextmanager
    def sns_outage(self) -> Iterator[None]:
        self.sns_down = True
        try:
            yield
        finally:
            self.sns_down = False


class SimulatedCrash(RuntimeError):
    """The invocation died after half its batch (the runner returns the whole batch to the queue)."""


@contextmanager
def crashing_after_half_a_batch(cloud: LocalCloud, tenant: str, *, crashes: int = 1) -> Iterator[list[int]]:
    """The next ``crashes`` invocations of the tenant's process_readings handle the first half of their
    records, then die; yields a list that holds how many crashes happened."""
    function = cloud.functions[(tenant, "process_readings")]
    real = function.module
    happened: list[int] = [0]

    def crash_after_half(event: dict[str, Any], context: Any) -> Any:
        records = event["Records"]
        if happened[0] >= crashes or len(records) < 2:
            return real.lambda_handler(event, context)
        happened[0] += 1
        real.lambda_handler({**event, "Records": records[: len(records) // 2]}, context)
        raise SimulatedCrash(f"died after {len(records) // 2} of {len(records)} records")

    crashing = types.ModuleType(f"{real.__name__}_crashing")
    crashing.lambda_handler = crash_after_half  # type: ignore[attr-defined]
    function.module = crashing
    try:
        yield happened
    finally:
        function.module = real


def restart_broker(cloud: LocalCloud, *, down_for: float = 0.0) -> BrokerHandle:
    """Stop the broker and start it again on the same port and persistence file (as a managed broker
    comes back with the sessions and QoS 1 messages it had acknowledged)."""
    cloud.iot.broker.restart(down_for=down_for)
    return cloud.iot.broker


@contextmanager
def short_visibility(cloud: LocalCloud, processing_seconds: int = 5) -> Iterator[None]:
    """The stack's visibility timeout is minutes (six times the function's timeout); a part that makes
    messages fail waits seconds for their redelivery instead. Still longer than the batching window plus
    the batch's run, as AWS requires: a message that reappears while its batch is still gathering is
    received again, the first receipt handle goes stale and the message cycles to the dead-letter queue."""
    sqs = cloud.aws("sqs")
    saved = {}
    for tenant in cloud.tenants.values():
        url = tenant.readings_queue_url
        saved[url] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])[
            "Attributes"]["VisibilityTimeout"]
        seconds = tenant.batching_window_seconds + processing_seconds
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(seconds)})
    try:
        yield
    finally:
        for url, value in saved.items():
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": value})

