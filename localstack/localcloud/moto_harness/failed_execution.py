"""A change set whose execution fails leaves the stack in a FAILED/ROLLBACK state with the reason.

moto 5.2.5 runs a change set synchronously inside ``ExecuteChangeSet``; an error in a resource model
escapes as HTTP 500 (or a 400 on the execute call), with the stack left ``*_IN_PROGRESS``. The CDK CLI's
JS SDK retries a 500 about seven times (40-60 s) and then reports an opaque error. Here the error becomes
a ``CREATE_FAILED``/``UPDATE_FAILED`` stack event with the message, followed by ``ROLLBACK_COMPLETE`` /
``UPDATE_ROLLBACK_COMPLETE``, so ``cdk deploy`` fails at once and prints why. moto has no rollback: the
resources created so far stay (reset the server with ``POST /moto-api/reset``).
"""

from __future__ import annotations

import logging
from typing import Any

from moto.cloudformation.models import CloudFormationBackend

logger = logging.getLogger(__name__)
_original_execute = CloudFormationBackend.execute_change_set


def _execute(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
    from localcloud.moto_harness.changeset_scoping import find_change_set

    change_set = find_change_set(self, change_set_name, stack_name)
    try:
        _original_execute(self, change_set_name, stack_name)
    except Exception as error:
        logger.exception("change set %s of stack %s failed", change_set.change_set_name, change_set.stack_name)
        stack = self.stacks[change_set.stack_id]
        failed, final = (
            ("CREATE_FAILED", "ROLLBACK_COMPLETE")
            if change_set.change_set_type == "CREATE"
            else ("UPDATE_FAILED", "UPDATE_ROLLBACK_COMPLETE")
        )
        reason = f"{type(error).__name__}: {error}"[:1000]
        stack._add_stack_event(failed, resource_status_reason=reason)
        stack._add_stack_event(final, resource_status_reason=reason)
        stack.status = final
        change_set.execution_status = "EXECUTE_FAILED"
        change_set.status_reason = reason


def apply() -> None:
    backend: Any = CloudFormationBackend
    backend.execute_change_set = _execute
