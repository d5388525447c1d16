"""Deployed functions run in this process, fed by their SQS queues, for emulators that cannot run
Lambda code (moto without Docker).

For each function the emulator knows, :class:`LocalFunction` loads the handler from its asset folder
(``functions/<name>/``) as its own module and calls it with the environment the emulator holds for it
(read back after ``cdk deploy``), so configuration mistakes in the stack show up here. The emulator's
own event source mappings are disabled (moto's swallow messages without running code) and
:class:`QueuePump` polls each mapped queue instead, honouring batch item failures and the queue's
redrive policy (see ``sqs_lambda_runner``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext, redirect_stdout
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TextIO

from localcloud.lambda_loader import FUNCTIONS, FakeLambdaContext, load_handler
from localcloud.sqs_lambda_runner import RunnerStats, poll_once


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


@dataclass
class QueuePump:
    """Round-robin over (queue, function) pairs in one thread (functions share this process's
    environment, so they take turns)."""

    sqs: Any
    routes: list[tuple[str, LocalFunction]]
    batch_size: int = 10
    stats: dict[str, RunnerStats] = field(default_factory=dict)

    def poll_all(self) -> int:
        delivered = 0
        for queue_url, function in self.routes:
            stats = self.stats.setdefault(function.name, RunnerStats())
            delivered += poll_once(self.sqs, queue_url, function, None, batch_size=self.batch_size, stats=stats)
        return delivered

    def queued(self) -> int:
        """Messages still in the queues, visible or in flight."""
        total = 0
        for queue_url, _ in self.routes:
            attributes = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            total += sum(int(count) for count in attributes.values())
        return total
