"""A stack created or updated through a change set gets its Outputs and Exports, and sees other exports.

moto 5.2.5 builds a change-set stack from an empty template and never rebuilds its output map when the
change set is executed, so ``describe_stacks`` shows no Outputs (the CDK bootstrap stack's
``BootstrapVersion`` output among them) and no export is registered. The stack is also created without
the region's exports, so ``Fn::ImportValue`` fails with ``No export named … found``.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.models import CloudFormationBackend

_original_execute = CloudFormationBackend.execute_change_set


def _execute(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
    from localcloud.moto_harness.changeset_scoping import find_change_set

    change_set = find_change_set(self, change_set_name, stack_name)
    stack = self.stacks[change_set.stack_id]
    own = {export.name for export in stack.exports}
    # Imports resolve against every export of the region except the stack's own.
    stack.cross_stack_resources = {k: v for k, v in self.exports.items() if k not in own}
    stack.resource_map.cross_stack_resources = stack.cross_stack_resources
    _original_execute(self, change_set.change_set_id, stack_name)
    if not stack.status.endswith("_COMPLETE") or "ROLLBACK" in stack.status:
        return
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    stack.output_map = stack._create_output_map()
    for name in own:
        self.exports.pop(name, None)
    self._validate_export_uniqueness(stack)
    for export in stack.exports:
        self.exports[export.name] = export


def apply() -> None:
    backend: Any = CloudFormationBackend
    backend.execute_change_set = _execute
