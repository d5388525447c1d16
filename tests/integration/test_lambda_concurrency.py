"""The local Lambda runner runs a queue's batches side by side, each in its own execution environment
(a process started once), up to the function's concurrency; failures return to the queue and reach the
DLQ exactly as with one batch at a time."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

import boto3
import pytest

from localcloud.execution_environments import ExecutionEnvironment
from localcloud.local_lambda import QueuePump, QueueRoute
from localcloud.queues import create_queue_with_dlq
from localcloud.sqs_lambda_runner import Handler

pytestmark = pytest.mark.integration

Invocations = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def queue(moto_endpoint: str) -> tuple[Any, str, str]:
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    created = create_queue_with_dlq(sqs, f"readings-{uuid.uuid4().hex[:8]}", max_receive_count=2)
    return sqs, created.url, created.dlq_url


def _send(sqs: Any, url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start:start + 10])]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def _bodies(sqs: Any, url: str) -> list[str]:
    return [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def recording_handler(record_file: Path, *, seconds: float = 0.0) -> Callable[[], Handler]:
    """An environment's initialisation: a handler that notes each invocation (process, start, end,
    bodies) in ``record_file``, reports bodies ``poison`` as failed and raises on ``crash`` the first
    time its process sees one."""

    def initialise() -> Handler:
        crashed: list[bool] = []

        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            started = time.monotonic()
            bodies = [r["body"] for r in event["Records"]]
            time.sleep(seconds)
            with record_file.open("a") as out:
                out.write(json.dumps({"pid": os.getpid(), "start": started, "end": time.monotonic(),
                                      "bodies": bodies}) + "\n")
            if "crash" in bodies and not crashed:
                crashed.append(True)
                raise RuntimeError("out of memory")
            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                          for r in event["Records"] if r["body"] == "poison"]}

        return handler

    return initialise


@pytest.fixture
def pump_with(queue: tuple[Any, str, str], tmp_path: Path) -> Iterator[Callable[..., tuple[QueuePump, Invocations]]]:
    """``pump_with(n, seconds=...)``: a pump over the queue with ``n`` environments of the recording handler,
    and a function returning the invocations recorded so far."""
    sqs, url, _ = queue
    record_file = tmp_path / "invocations.jsonl"
    with ExitStack() as cleanup:

        def make(environments: int, *, seconds: float = 0.0) -> tuple[QueuePump, Invocations]:
            started = tuple(cleanup.enter_context(closing(ExecutionEnvironment(
                "dho-test-process-readings", recording_handler(record_file, seconds=seconds), {})))
                for _ in range(environments))

            def in_this_process(event: dict[str, Any], context: Any) -> Any:
                raise AssertionError("the environments run the batches")

            pump = QueuePump(sqs, [QueueRoute(url, "dho-test-process-readings", in_this_process, started)],
                             batch_size=10)
            cleanup.callback(pump.close)

            def invocations() -> list[dict[str, Any]]:
                lines = record_file.read_text().splitlines() if record_file.exists() else []
                return [json.loads(line) for line in lines]

            return pump, invocations

        yield make


def test_batches_of_one_queue_run_side_by_side_up_to_the_concurrency(
    queue: tuple[Any, str, str], pump_with: Callable[..., tuple[QueuePump, Invocations]],
) -> None:
    # GIVEN 50 messages and a function that may run 3 invocations at once, each taking a second
    sqs, url, _ = queue
    bodies = [f"reading-{n}" for n in range(50)]
    _send(sqs, url, bodies)
    pump, invocations = pump_with(3, seconds=1.0)

    # WHEN the pump polls once
    delivered = pump.poll_all()

    # THEN three batches of 10 ran at the same time, each in its own process
    first = invocations()
    assert delivered == 30 and len(first) == 3
    assert len({i["pid"] for i in first}) == 3
    assert max(i["start"] for i in first) < min(i["end"] for i in first)
    # AND polling on delivers every message exactly once, in at most 3 environments
    while pump.poll_all():
        pass
    every = invocations()
    assert sorted(b for i in every for b in i["bodies"]) == sorted(bodies)
    assert len({i["pid"] for i in every}) == 3
    assert _bodies(sqs, url) == []
    assert pump.stats["dho-test-process-readings"].succeeded == 50


def test_a_reported_failure_returns_to_the_queue_and_reaches_the_dlq_after_max_receive_count(
    queue: tuple[Any, str, str], pump_with: Callable[..., tuple[QueuePump, Invocations]],
) -> None:
    # GIVEN 20 messages (two batches run side by side) of which one the function always reports as failed
    sqs, url, dlq_url = queue
    bodies = [f"reading-{n}" for n in range(19)] + ["poison"]
    _send(sqs, url, bodies)
    pump, invocations = pump_with(2)

    # WHEN the pump polls more times than maxReceiveCount (2), waiting out the visibility timeout
    for _ in range(4):
        pump.poll_all()
        time.sleep(1.1)

    # THEN the failing message is in the DLQ and each other message was processed once and deleted
    received = [b for i in invocations() for b in i["bodies"]]
    assert received.count("poison") == 2
    assert sorted(b for b in received if b != "poison") == sorted(bodies[:-1])
    assert _bodies(sqs, url) == []
    assert _bodies(sqs, dlq_url) == ["poison"]


def test_an_invocation_that_raises_returns_its_whole_batch_and_the_environment_stays_warm(
    queue: tuple[Any, str, str], pump_with: Callable[..., tuple[QueuePump, Invocations]],
) -> None:
    # GIVEN one environment whose invocation dies on a batch holding "crash" (the first time only)
    sqs, url, _ = queue
    bodies = ["crash", *(f"reading-{n}" for n in range(4))]
    _send(sqs, url, bodies)
    pump, invocations = pump_with(1)

    # WHEN the pump polls, and again once the visibility timeout has passed
    pump.poll_all()
    assert _bodies(sqs, url) == []  # in flight: nothing was deleted
    time.sleep(1.1)
    pump.poll_all()

    # THEN the whole batch came back and the same process (initialised once) handled it the second time
    first, second = invocations()
    assert sorted(first["bodies"]) == sorted(second["bodies"]) == sorted(bodies)
    assert first["pid"] == second["pid"]
    time.sleep(1.1)
    assert _bodies(sqs, url) == []
    assert pump.stats["dho-test-process-readings"].failed == 5


def test_a_poller_waits_up_to_the_batching_window_to_fill_its_batch(
    moto_endpoint: str, tmp_path: Path,
) -> None:
    # GIVEN a mapping with a batching window of 5 s (the queue's visibility timeout is longer, as in the stack)
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    url = create_queue_with_dlq(sqs, f"readings-{uuid.uuid4().hex[:8]}", max_receive_count=2,
                                visibility_timeout_seconds=60).url
    now = [0.0]
    batches: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        batches.append([r["body"] for r in event["Records"]])
        return {"batchItemFailures": []}

    pump = QueuePump(sqs, [QueueRoute(url, "dho-test-process-readings", handler, batching_window=5.0)],
                     batch_size=10, clock=lambda: now[0])

    # WHEN 3 messages arrive, then 7 more within the window
    _send(sqs, url, ["a", "b", "c"])
    assert pump.poll_all() == 0  # gathering
    _send(sqs, url, [f"m{n}" for n in range(7)])
    now[0] = 2.0
    # THEN they go to the function as one full batch
    assert pump.poll_all() == 10
    assert [sorted(b) for b in batches] == [sorted(["a", "b", "c", *(f"m{n}" for n in range(7))])]

    # AND a batch that does not fill goes when the window has passed since its first message
    _send(sqs, url, ["late"])
    assert pump.poll_all() == 0
    now[0] = 6.9
    assert pump.poll_all() == 0
    now[0] = 7.1
    assert pump.poll_all() == 1
    assert batches[-1] == ["late"]
