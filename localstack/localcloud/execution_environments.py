"""Lambda execution environments for the local cloud: one process per environment, started once.

On AWS each concurrent invocation of a function runs in its own execution environment (a process with
the function's environment variables, its handler module initialised once and reused warm); up to the
function's reserved concurrency run at the same time. :class:`ExecutionEnvironment` is that shape: a
process forked from the local cloud's own (after it imported the handler's libraries, so numba's kernels
are not compiled again), which sets the function's variables, loads ``functions/<folder>/handler.py``
afresh (its own boto3 clients, logger and caches) and then runs one event at a time.

Forked, not spawned: a spawned process would compile every numba kernel again (about 15 s of CPU each).
They are forked before the rules engine and the broker start their threads (a lock another thread held
at the fork would stay locked in the new process).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from collections.abc import Callable, Mapping
from multiprocessing import get_context
from multiprocessing.connection import Connection
from typing import Any, TextIO

from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.sqs_lambda_runner import Handler

_FORK = get_context("fork")


class InvocationFailed(RuntimeError):
    """The handler raised (or its environment died): the invocation failed as a whole."""


def function_handler(name: str, folder: str) -> Callable[[], Handler]:
    """What a deployed function's environment initialises: ``functions/<folder>/handler.py``, loaded afresh
    (its own boto3 clients, logger and caches, reading the environment's variables)."""

    def initialise() -> Handler:
        module = load_handler(folder, module_name=f"{name.replace('-', '_')}_handler")
        handler: Handler = module.lambda_handler
        return handler

    return initialise


def _serve(connection: Connection, name: str, initialise: Callable[[], Handler], environment: Mapping[str, str],
           log_fd: int | None) -> None:
    """The environment's process: initialise once, then invoke per event until the pipe closes."""
    os.environ.update(environment)
    if log_fd is not None:  # the function's stdout (JSON logs, metrics) goes where CloudWatch Logs would be
        sys.stdout = os.fdopen(log_fd, "a", buffering=1, encoding="utf-8")
    handler = initialise()
    context = FakeLambdaContext(function_name=name,
                                invoked_function_arn=f"arn:aws:lambda:eu-north-1:123456789012:function:{name}")
    while True:
        try:
            event = connection.recv()
        except EOFError:
            return
        try:
            reply: tuple[str, Any] = ("returned", handler(event, context))
        except Exception as error:  # the invocation failed; the environment stays warm, as on Lambda
            reply = ("raised", f"{type(error).__name__}: {error}")
        connection.send(reply)


class ExecutionEnvironment:
    """One warm environment of a function; ``__call__`` has the handler's signature (context ignored:
    the environment builds its own). One caller at a time, as Lambda sends one event per environment.
    ``initialise`` runs in the new process, with ``environment`` set, and returns the handler (e.g.
    :func:`function_handler`); ``log``: where the function's stdout goes."""

    def __init__(self, name: str, initialise: Callable[[], Handler], environment: Mapping[str, str],
                 log: TextIO | None = None) -> None:
        self.name = name
        sys.stdout.flush()
        if log is not None:
            log.flush()
        log_fd = os.dup(log.fileno()) if log is not None else None
        self._connection, child = _FORK.Pipe()
        self._process = _FORK.Process(target=_serve, args=(child, name, initialise, dict(environment), log_fd),
                                      name=f"lambda:{name}", daemon=True)
        # The new process's collector leaves the inherited objects alone: fewer shared pages copied.
        gc.freeze()
        try:
            self._process.start()
        finally:
            gc.unfreeze()
        child.close()
        if log_fd is not None:
            os.close(log_fd)
        self._busy = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any = None) -> Any:
        with self._busy:
            try:
                self._connection.send(event)
                outcome, value = self._connection.recv()
            except (EOFError, OSError) as error:  # the process died mid-invocation (killed, out of memory)
                raise InvocationFailed(f"{self.name}: execution environment exited ({error!r})") from error
        if outcome == "raised":
            raise InvocationFailed(f"{self.name}: {value}")
        return value

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._connection.close()  # the environment's recv() ends: it returns
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
