"""Deployed functions run in this process, fed by their SQS queues, for emulators that cannot run
Lambda code (moto without Docker).

For each function the emulator knows, :class:`LocalFunction` loads the handler from its asset folder
(``functions/<name>/``) as its own module and calls it with the environment the emulator holds for it
(read back after ``cdk deploy``), so configuration mistakes in the stack show up here. The emulator's
own event source mappings are disabled (moto's swallow messages without running code) and
:class:`QueuePump` polls each mapped queue instead, honouring batch item failures and the queue's
redrive policy (see ``sqs_lambda_runner``), and runs a queue's batches side by side in the function's
execution environments (``execution_environments``) up to its concurrency.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext, redirect_stdout
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TextIO

from localcloud.lambda_loader import FUNCTIONS, FakeLambdaContext, load_handler
from localcloud.sqs_lambda_runner import Handler, RunnerStats, invoke_batch, receive_batch


def asset_folder_name(function_name: str, tenant_id: str) -> str:
    """``dho-bodo-process-readings`` → ``process_readings`` (the folder under functions/)."""
    slug = function_name.removeprefix(f"dho-{tenant_id}-")
    folder = slug.replace("-", "_")
    if not (FUNCTIONS / folder / "handler.py").is_file():
        raise FileNotFoundError(f"no functions/{folder}/handler.py for deployed function {function_name}")
    return folder


@contextmanager
def function_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Set the function's variables for one invocation and put the process's own back afterwards."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass
class LocalFunction:
    """``log``: where the function's stdout (its JSON logs and metrics) goes, as CloudWatch Logs would
    collect it; Powertools binds its log handler to stdout when the module loads, so the redirect is
    in force both then and on every call."""

    name: str
    folder: str
    environment: dict[str, str]
    log: TextIO | None = None
    module: ModuleType = field(init=False, repr=False)

    def __post_init__(self) -> None:
        with function_environment(self.environment), self._logs():
            self.module = load_handler(self.folder, module_name=f"{self.name.replace('-', '_')}_handler")

    def _logs(self) -> AbstractContextManager[Any]:
        return redirect_stdout(self.log) if self.log is not None else nullcontext()

    def __call__(self, event: dict[str, Any], context: Any = None) -> Any:
        with function_environment(self.environment), self._logs():
            return self.module.lambda_handler(event, context or FakeLambdaContext(
                function_name=self.name,
                invoked_function_arn=f"arn:aws:lambda:eu-north-1:123456789012:function:{self.name}"))


def disable_event_source_mappings(lambda_client: Any, uuids: tuple[str, ...]) -> None:
    for uuid in uuids:
        lambda_client.update_event_source_mapping(UUID=uuid, Enabled=False)


@dataclass(frozen=True)
class QueueRoute:
    """A queue and the function its event source mapping invokes (``name``; ``function``: run in this
    process). ``environments``: the function's warm execution environments
    (``localcloud.execution_environments``), as many as it may run at once; the queue's batches run side
    by side in them. Without any, ``function`` runs one batch at a time (what fault injection into this
    process needs)."""

    queue_url: str
    name: str
    function: Handler
    environments: tuple[Handler, ...] = ()
    batching_window: float = 0.0  # seconds a poller may wait to fill a batch (MaximumBatchingWindowInSeconds)

    @property
    def pollers(self) -> tuple[Handler, ...]:
        return self.environments or (self.function,)


@dataclass
class _Gathering:
    """Messages a poller received towards its next batch (in flight, invisible to other pollers)."""

    since: float
    messages: list[dict[str, Any]]


@dataclass
class QueuePump:
    """Polls every route's queue as the event source mapping would. A poller gathers messages until its
    batch is full or the route's batching window has passed since its first message; a poll takes one
    batch per environment while the queue fills whole batches (Lambda adds pollers as the backlog
    grows, up to the function's concurrency), then runs them at the same time and waits for them.
    ``poll_all`` returns how many messages it handed to the functions."""

    sqs: Any
    routes: list[QueueRoute]
    batch_size: int = 10
    clock: Callable[[], float] = time.monotonic
    stats: dict[str, RunnerStats] = field(default_factory=dict)
    _gathering: dict[str, _Gathering] = field(default_factory=dict, init=False, repr=False)
    _threads: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)

    def poll_all(self) -> int:
        work = [(route, handler, batch) for route in self.routes
                for handler, batch in zip(route.pollers, self._batches(route), strict=False)]
        if len(work) > 1:
            runs = list(self._pool().map(lambda job: self._invoke(*job), work))
        else:
            runs = [self._invoke(*job) for job in work]
        for route, stats in runs:
            self.stats.setdefault(route.name, RunnerStats()).add(stats)
        if not work and self._gathering:
            time.sleep(0.05)  # a poller filling its batch polls again shortly, not in a tight loop
        return sum(len(messages) for _, _, messages in work)

    def _batches(self, route: QueueRoute) -> list[list[dict[str, Any]]]:
        """The batches ready for the route's environments, at most one per environment."""
        ready: list[list[dict[str, Any]]] = []
        while len(ready) < len(route.pollers):
            gathering = self._gathering.pop(route.queue_url, None)
            messages = gathering.messages if gathering else []
            messages += receive_batch(self.sqs, route.queue_url, batch_size=self.batch_size - len(messages))
            if not messages:
                break
            since = gathering.since if gathering else self.clock()
            if len(messages) < self.batch_size and self.clock() - since < route.batching_window:
                self._gathering[route.queue_url] = _Gathering(since, messages)
                break
            ready.append(messages)
            if len(messages) < self.batch_size:
                break
        return ready

    def _invoke(self, route: QueueRoute, handler: Handler,
                messages: list[dict[str, Any]]) -> tuple[QueueRoute, RunnerStats]:
        stats = RunnerStats()
        invoke_batch(self.sqs, route.queue_url, messages, handler, None, stats)
        return route, stats

    def _pool(self) -> ThreadPoolExecutor:
        if self._threads is None:
            workers = sum(len(route.pollers) for route in self.routes)
            self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sqs-poller")
        return self._threads

    def close(self) -> None:
        """Stop the poller threads (the environments belong to whoever started them)."""
        if self._threads is not None:
            self._threads.shutdown()

    def queued(self) -> int:
        """Messages still in the queues, visible or in flight."""
        total = 0
        for route in self.routes:
            attributes = self.sqs.get_queue_attributes(QueueUrl=route.queue_url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            total += sum(int(count) for count in attributes.values())
        return total
