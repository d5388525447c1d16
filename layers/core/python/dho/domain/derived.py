"""Values worked out once per live object: for frozen objects that many calls ask the same question of
(a plan's expected series or effective limits, asked by every evaluation and hourly check of the
patient). Keyed by the object's identity, since a plan holds dicts and has no hash; an object's values
are dropped when it is collected, so its id can never find another object's values."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_BY_OBJECT: dict[int, dict[str, Any]] = {}


def derived(owner: object, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` the first time ``name`` is asked of this ``owner``, the same value afterwards.
    ``owner`` must not change after (a frozen model) and must support weak references; the value must
    not refer to ``owner`` (it would keep it alive for good)."""
    key = id(owner)
    values = _BY_OBJECT.get(key)
    if values is None:
        values = _BY_OBJECT[key] = {}
        weakref.finalize(owner, _BY_OBJECT.pop, key, None).atexit = False  # nothing to do at exit
    if name in values:
        found: T = values[name]
        return found
    value = values[name] = compute()
    return value


def cached_objects() -> int:
    """How many live objects have values here (for tests)."""
    return len(_BY_OBJECT)
