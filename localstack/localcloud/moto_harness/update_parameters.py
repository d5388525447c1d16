"""``UsePreviousValue`` of an SSM-typed parameter re-uses the parameter *name*, not its resolved value.

moto 5.2.5 answers ``UsePreviousValue`` with the resolved value (``stack_parameters``), e.g. ``"6"`` for
CDK's ``BootstrapVersion`` (type ``AWS::SSM::Parameter::Value<String>``), and then looks ``"6"`` up as an
SSM parameter path: every ``cdk deploy`` of a changed stack fails with ParameterNotFound.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.models import Stack


def _stack_parameters(self: Stack) -> dict[str, Any]:
    resource_map = self.resource_map
    parameters = dict(resource_map.resolved_parameters)
    slots = (resource_map._template or {}).get("Parameters", {}) or {}
    for key, slot in slots.items():
        if str(slot.get("Type", "")).startswith("AWS::SSM::Parameter::"):
            parameters[key] = resource_map.input_parameters.get(key, slot.get("Default"))
    return parameters


def apply() -> None:
    stack: Any = Stack
    stack.stack_parameters = property(_stack_parameters)
