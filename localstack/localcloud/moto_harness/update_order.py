"""Stack updates create and modify resources in dependency order, and remove old ones last.

moto 5.2.5 (``ResourceMap.update``) first deletes removed resources, then creates *all* added ones, then
modifies the changed ones, and stores ``None`` for a modified resource whose model has no update method.
For the CDK pattern "function + ``currentVersion`` + alias" that means: the new ``AWS::Lambda::Version``
is published before its function is updated (so it re-publishes the old code), the old version is
deleted while the alias still points at it, and a later ``Ref`` to an un-updatable resource is ``None``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.parsing import MAX_UPDATE_ATTEMPTS, ResourceMap, parse_and_update_resource

_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def references(node: Any) -> set[str]:
    """Logical ids a resource's JSON points at (Ref, Fn::GetAtt, Fn::Sub, DependsOn)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found.update(_SUB_REFERENCE.findall(text) if isinstance(text, str) else ())
                found |= references(value[1] if isinstance(value, list) and len(value) > 1 else None)
            elif key == "DependsOn":
                found.update([value] if isinstance(value, str) else value)
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def dependency_order(resources: dict[str, Any], wanted: Iterable[str]) -> list[str]:
    """``wanted`` sorted so that each resource comes after the resources it references."""
    wanted = set(wanted)
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in resources:
            return
        seen.add(name)
        for dependency in sorted(references(resources[name])):
            visit(dependency)
        if name in wanted:
            ordered.append(name)

    for name in sorted(wanted):
        visit(name)
    return ordered


def _update(self: ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    actions = self.build_resource_diff(template, parameters)
    old_resources = self._resource_json_map

    self._template = template
    if parameters:
        self.input_parameters = parameters
    self.load_mapping()
    self.load_parameters()
    self.load_conditions()
    self._resource_json_map = template["Resources"]

    added = set(actions["Add"])
    for name in dependency_order(template["Resources"], added | set(actions["Modify"])):
        if name in added:
            _ = self[name]  # moto creates a resource when it is first looked up
            continue
        changed = parse_and_update_resource(
            name, template["Resources"][name], self, account_id=self._account_id, region_name=self._region_name
        )
        if changed is not None:
            self._parsed_resources[name] = changed

    remaining = list(actions["Remove"])
    last_error: Exception | None = None
    for _attempt in range(MAX_UPDATE_ATTEMPTS):
        for name in list(remaining):
            try:
                if name in self._parsed_resources:
                    self._delete_resource(self._parsed_resources.pop(name), old_resources[name])
                else:
                    warnings.warn(f"Unable to delete {name}, as it was never created", stacklevel=2)
            except Exception as error:  # a dependency violation: try again in the next pass
                last_error = error
            else:
                remaining.remove(name)
        if not remaining:
            return
    if last_error is not None:
        raise last_error


def apply() -> None:
    resource_map: Any = ResourceMap
    resource_map.update = _update
    assert parsing.ResourceMap is ResourceMap
