"""``UpdateTerminationProtection`` is answered (moto 5.2.5 raises NotImplementedError → HTTP 500).

CDK calls it for every stack with ``termination_protection=True`` (the tenant stacks); each 500 costs
40-60 s of JS SDK retries and then fails the deploy. The flag is stored on the stack and shown by
``describe_stacks`` (``EnableTerminationProtection``); ``delete_stack`` refuses a protected stack, as AWS does.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult

_original_delete = CloudFormationBackend.delete_stack


def _update_termination_protection(self: CloudFormationResponse) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    stack.enable_termination_protection = self._get_bool_param("EnableTerminationProtection", False)
    return ActionResult({"StackId": stack.stack_id})


def _delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
    for stack in self.stacks.values():
        if name_or_stack_id in (stack.name, stack.stack_id) and stack.enable_termination_protection:
            raise ValidationError(
                message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
            )
    _original_delete(self, name_or_stack_id)


def apply() -> None:
    response: Any = CloudFormationResponse
    response.update_termination_protection = _update_termination_protection
    backend: Any = CloudFormationBackend
    backend.delete_stack = _delete_stack
