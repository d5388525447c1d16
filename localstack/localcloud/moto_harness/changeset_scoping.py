"""Change sets are found by name within their stack, and a missing one is ChangeSetNotFoundException.

moto 5.2.5 looks change sets up by name across *all* stacks (``describe_change_set``/``delete_change_set``
ignore ``StackName``). CDK names every change set ``cdk-deploy-change-set``, so with several stacks it
describes, executes or deletes another stack's change set, and an update fails. A missing change set
raises ValidationError instead of ``ChangeSetNotFoundException``, which CDK treats as fatal when it
cleans up before creating a new one.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import CloudFormationError
from moto.cloudformation.models import ChangeSet, CloudFormationBackend
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult, EmptyResult


class ChangeSetNotFound(CloudFormationError):
    code = "ChangeSetNotFoundException"

    def __init__(self, name: str) -> None:
        super().__init__(f"ChangeSet [{name}] does not exist")


def find_change_set(backend: CloudFormationBackend, name: str, stack_name: str | None) -> ChangeSet:
    if name in backend.change_sets:  # an ARN
        return backend.change_sets[name]
    matches = [
        change_set
        for change_set in backend.change_sets.values()
        if change_set.change_set_name == name
        and (not stack_name or stack_name in (change_set.stack_name, change_set.stack_id))
    ]
    if not matches:
        raise ChangeSetNotFound(name)
    return matches[-1]


def _describe(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> ChangeSet:
    return find_change_set(self, change_set_name, stack_name)


def _delete(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
    change_set = find_change_set(self, change_set_name, stack_name)
    del self.change_sets[change_set.change_set_id]


_original_execute = CloudFormationBackend.execute_change_set


def _execute(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
    change_set = find_change_set(self, change_set_name, stack_name)
    _original_execute(self, change_set.change_set_id, stack_name)


def _describe_response(self: CloudFormationResponse) -> ActionResult:
    backend: Any = self.cloudformation_backend
    change_set = backend.describe_change_set(self._get_param("ChangeSetName"), self._get_param("StackName"))
    return ActionResult(change_set)


def _delete_response(self: CloudFormationResponse) -> EmptyResult:
    backend: Any = self.cloudformation_backend
    backend.delete_change_set(self._get_param("ChangeSetName"), self._get_param("StackName"))
    return EmptyResult()


def apply() -> None:
    backend: Any = CloudFormationBackend
    backend.describe_change_set = _describe
    backend.delete_change_set = _delete
    backend.execute_change_set = _execute
    response: Any = CloudFormationResponse
    response.describe_change_set = _describe_response
    response.delete_change_set = _delete_response
