"""Small helpers shared by the patch modules."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def json_text(value: Any) -> str:
    """CloudFormation hands JSON-typed properties over as objects; moto's APIs store them as text."""
    return value if isinstance(value, str) else json.dumps(value)


def tags_dict(tags: Any) -> dict[str, str]:
    """CloudFormation tags as ``[{"Key": k, "Value": v}]`` (or already a mapping) → ``{k: v}``."""
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {tag["Key"]: tag["Value"] for tag in tags or []}


def wrap_classmethod(cls: type, name: str, wrapper: Callable[..., Any]) -> None:
    """Replace ``cls.name`` by ``wrapper(original, cls, *args, **kwargs)`` (original = the bound function)."""
    original = getattr(cls, name).__func__

    def patched(klass: type, *args: Any, **kwargs: Any) -> Any:
        return wrapper(original, klass, *args, **kwargs)

    patched.__name__ = name
    setattr(cls, name, classmethod(patched))
